package kernels

// localForward computes y[n,o,q] = b[o,q] + Σ w[o,q,:]·patch(xₙ, q),
// spreading the output positions over the cores.
func localForward[T float](g *convGeom, y, x, w, b []T) {
	j := getJob[localJob[T]]()
	*j = localJob[T]{g: *g, out: y, x: x, w: w, b: b}
	parallelRun(g.p(), 1, j)
	putJob(j)
}

// localFilterGrad computes dw[o,q,:] = Σₙ dy[n,o,q]·patch(xₙ, q). Each
// position owns its slice of dw, so the positions run in parallel and the
// sum over the batch keeps one fixed order.
func localFilterGrad[T float](g *convGeom, dw, x, dy []T) {
	j := getJob[localJob[T]]()
	*j = localJob[T]{g: *g, filter: true, out: dw, x: x, dy: dy}
	parallelRun(g.p(), 1, j)
	putJob(j)
}

// localInputGrad computes dxₙ = Σ_q scatter(dy[n,:,q]·w[:,q,:]). Patches of
// neighbouring positions overlap, so the samples, not the positions, are
// spread over the cores.
func localInputGrad[T float](g *convGeom, dx, w, dy []T) {
	j := getJob[localJob[T]]()
	*j = localJob[T]{g: *g, out: dx, w: w, dy: dy}
	parallelRun(g.n, 1, j)
	putJob(j)
}

// localJob is the parallel loop of one locally connected kernel: the
// forward (no dy) or the filter gradient over positions, or the input
// gradient over samples. out is the kernel's result; the other slices are
// its operands, nil where unused.
type localJob[T float] struct {
	g                convGeom
	filter           bool // the filter gradient (with dy set)
	out, x, w, b, dy []T
}

func (j *localJob[T]) run(lo, hi int) {
	switch {
	case j.dy == nil:
		j.forward(lo, hi)
	case j.filter:
		j.filterGrad(lo, hi)
	default:
		j.inputGrad(lo, hi)
	}
}

func (j *localJob[T]) forward(lo, hi int) {
	g, y, b := &j.g, j.out, j.b
	k, p := g.k(), g.p()
	buf := convScratch[T](g.n * (k + g.out))
	defer convRelease(buf)
	xq, yq := (*buf)[:g.n*k], (*buf)[g.n*k:]
	for q := lo; q < hi; q++ {
		localGather(g, xq, j.x, q)
		gemm(false, true, g.n, g.out, k, 1, xq, k, j.w[q*k:], p*k, 0, yq, g.out)
		for n := 0; n < g.n; n++ {
			for o, v := range yq[n*g.out:][:g.out] {
				if b != nil {
					v += b[o*p+q]
				}
				y[(n*g.out+o)*p+q] = v
			}
		}
	}
}

func (j *localJob[T]) filterGrad(lo, hi int) {
	g := &j.g
	k, p := g.k(), g.p()
	buf := convScratch[T](g.n * (k + g.out))
	defer convRelease(buf)
	xq, dyq := (*buf)[:g.n*k], (*buf)[g.n*k:]
	for q := lo; q < hi; q++ {
		localGather(g, xq, j.x, q)
		localGatherOut(g, dyq, j.dy, 0, g.n, q)
		gemm(true, false, g.out, k, g.n, 1, dyq, g.out, xq, k, 0, j.out[q*k:], p*k)
	}
}

func (j *localJob[T]) inputGrad(lo, hi int) {
	g, dx := &j.g, j.out
	k, p, xs := g.k(), g.p(), g.c*g.h*g.w
	nb := hi - lo
	buf := convScratch[T](nb * (k + g.out))
	defer convRelease(buf)
	pq, dyq := (*buf)[:nb*k], (*buf)[nb*k:]
	clear(dx[lo*xs : hi*xs])
	for q := 0; q < p; q++ {
		localGatherOut(g, dyq, j.dy, lo, hi, q)
		gemm(false, false, nb, k, g.out, 1, dyq, g.out, j.w[q*k:], p*k, 0, pq, k)
		for t := 0; t < nb; t++ {
			localScatter(g, dx[(lo+t)*xs:][:xs], pq[t*k:][:k], q)
		}
	}
}

// localBiasGrad sums dy over the batch, in float64 like convBiasGrad.
func localBiasGrad[T float](g *convGeom, db, dy []T) {
	ys := g.out * g.p()
	for i := range db {
		var s float64
		for n := 0; n < g.n; n++ {
			s += float64(dy[n*ys+i])
		}
		db[i] = T(s)
	}
}

// localGather writes the patch at position q of every sample into the rows
// of xq (N × k), zero where the patch covers padding.
func localGather[T float](g *convGeom, xq, x []T, q int) {
	k, xs := g.k(), g.c*g.h*g.w
	for n := 0; n < g.n; n++ {
		localPatch(g, xq[n*k:][:k], x[n*xs:][:xs], q, false)
	}
}

// localGatherOut writes dy[n,:,q] for samples [lo, hi) into the rows of
// dyq ((hi-lo) × out).
func localGatherOut[T float](g *convGeom, dyq, dy []T, lo, hi, q int) {
	p := g.p()
	for n := lo; n < hi; n++ {
		row := dyq[(n-lo)*g.out:][:g.out]
		for o := range row {
			row[o] = dy[(n*g.out+o)*p+q]
		}
	}
}

// localScatter adds the patch gradient pq back onto the pixels of dxn that
// the patch at position q covers.
func localScatter[T float](g *convGeom, dxn, pq []T, q int) {
	localPatch(g, pq, dxn, q, true)
}

// localPatch copies the patch at position q of sample xn into patch, or,
// when add is set, adds patch onto those pixels of xn. Both directions
// share the window arithmetic so they cannot disagree.
func localPatch[T float](g *convGeom, patch, xn []T, q int, add bool) {
	oh, ow := q/g.ow, q%g.ow
	j0, j1 := max(0, g.pw-ow*g.sw), min(g.kw, g.w+g.pw-ow*g.sw)
	for r := 0; r < g.c*g.kh; r++ {
		c, i := r/g.kh, r%g.kh
		row := patch[r*g.kw:][:g.kw]
		ih := oh*g.sh + i - g.ph
		if ih < 0 || ih >= g.h || j0 >= j1 {
			if !add {
				clear(row)
			}
			continue
		}
		base := (c*g.h+ih)*g.w + ow*g.sw - g.pw // plus j0 it is never negative
		src := xn[base+j0 : base+j1]
		if add {
			for t, v := range row[j0:j1] {
				src[t] += v
			}
			continue
		}
		clear(row[:j0])
		clear(row[j1:])
		copy(row[j0:j1], src)
	}
}
