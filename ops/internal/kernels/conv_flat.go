package kernels

// The "flat" kernels below serve stride-1 convolutions, LeNet's among them.
//
// The input plane is copied once into a zero-padded plane of row stride
// wp = w + 2·pw (or w + pw, see newFlatGeom), and the output is computed
// on a virtual grid of oh rows of wp columns: position q = oh·wp + ow. Seen that way, the im2col row of
// filter tap k = (c, i, j) is the contiguous run
// xpad[off(k) : off(k)+oh·wp] with off(k) = (c·hp + i)·wp + j, so im2col is
// one long copy per tap instead of one short copy per tap and output row,
// and col2im is one long vector add per tap. The wp - ow virtual columns
// at the end of each row are garbage: the forward drops them when it
// compacts the result, and the backward kernels zero the output gradient
// there so that they contribute nothing.

// flatGeom extends a convolution's geometry with the padded plane.
type flatGeom struct {
	convGeom
	hp, wp int // padded input height and width
	q      int // virtual output positions per plane: oh·wp
	plane  int // elements of one padded sample, with slack for the last tap
}

// flatOK reports whether the flat kernels handle g: stride 1 in both
// directions. Pointwise convolutions keep their copy-free path.
func flatOK(g *convGeom) bool {
	return g.sh == 1 && g.sw == 1 && !g.pointwise()
}

func newFlatGeom(g *convGeom) flatGeom {
	f := flatGeom{convGeom: *g, hp: g.h + 2*g.ph, wp: g.w + 2*g.pw}
	if g.pw <= g.kw-1 && (g.pw == 0 || g.ph >= 1) {
		// Rows share their padding: the pw zeros that end a row are the
		// pw zeros that start the next one, so a row takes w + pw
		// columns and the virtual grid has kw - 1 - pw garbage columns
		// instead of kw - 1 (none for an input gradient, whose padding
		// is kw - 1). The last row of a channel ends in the next
		// channel's top padding, hence ph ≥ 1 when pw > 0; and an output
		// row must fit, hence pw ≤ kw - 1.
		f.wp = g.w + g.pw
	}
	f.q = g.oh * f.wp
	// The last tap's run ends kw - 1 elements past the padded sample.
	f.plane = g.c*f.hp*f.wp + g.kw
	return f
}

// taps calls fn(r, off) for every filter tap r = (c, i, j) in order, with
// off = (c·hp + i)·wp + j its offset in the padded sample. Nested loops
// keep the divisions that splitting r would need out of the per-image
// loops.
func (f *flatGeom) taps(fn func(r, off int)) {
	r := 0
	for c := 0; c < f.c; c++ {
		for i := 0; i < f.kh; i++ {
			base := (c*f.hp + i) * f.wp
			for j := 0; j < f.kw; j++ {
				fn(r, base+j)
				r++
			}
		}
	}
}

// scratch is the number of elements one worker needs: the padded sample,
// the k × q column matrix and an out × q virtual output.
func (f *flatGeom) scratch() int { return f.plane + f.k()*f.q + f.out*f.q }

// split cuts a worker's scratch buffer into its three parts.
func flatSplit[T float](f *flatGeom, buf []T) (xpad, col, yv []T) {
	xpad, buf = buf[:f.plane], buf[f.plane:]
	col, yv = buf[:f.k()*f.q], buf[f.k()*f.q:][:f.out*f.q]
	return xpad, col, yv
}

// flatPad copies sample xn (C × H × W) into the zeroed padded plane xpad.
func flatPad[T float](f *flatGeom, xpad, xn []T) {
	clear(xpad)
	if x32, p32 := f32(xn), f32(xpad); x32 != nil && (avx512() || avx2() && f.w >= 8) {
		// One call per channel: Go's copy per row of a few values costs
		// more in calls than in copying.
		for c := 0; c < f.c; c++ {
			dst, src := &p32[(c*f.hp+f.ph)*f.wp+f.pw], &x32[c*f.h*f.w]
			if avx512() {
				copyRows512(dst, src, f.h, f.w, f.wp*4, f.w*4)
			} else {
				copyRows32(dst, src, f.h, f.w, f.wp, f.w, 0, false)
			}
		}
		return
	}
	for c := 0; c < f.c; c++ {
		for h := 0; h < f.h; h++ {
			copy(xpad[(c*f.hp+h+f.ph)*f.wp+f.pw:][:f.w], xn[(c*f.h+h)*f.w:][:f.w])
		}
	}
}

// flatCols writes the flat im2col matrix (k × q) of the padded sample.
func flatCols[T float](f *flatGeom, col, xpad []T) {
	f.taps(func(r, off int) { copy(col[r*f.q:][:f.q], xpad[off:][:f.q]) })
}

// flatClearGarbage zeroes the virtual columns of every row of m (rows × q).
// The backward kernels need it only when an operand holds Inf or NaN,
// because 0·Inf would otherwise leak NaN from garbage into real sums.
func flatClearGarbage[T float](f *flatGeom, m []T, rows int) {
	for r := 0; r < rows*f.oh; r++ {
		clear(m[r*f.wp+f.ow : (r+1)*f.wp])
	}
}

// flatOutGrad writes dy of one sample (out × oh × ow) into the virtual
// layout dyv (out × q). It writes only the real columns: the caller zeroes
// dyv once per job, and the garbage columns are never written, so they
// stay zero for every sample.
func flatOutGrad[T float](f *flatGeom, dyv, dyn []T) {
	for r := 0; r < f.out*f.oh; r++ {
		copy(dyv[r*f.wp:][:f.ow], dyn[r*f.ow:][:f.ow])
	}
}

// nonFinite reports whether s holds an Inf or a NaN: v - v is 0 for every
// finite v and NaN otherwise. Four sums break the chain of dependent adds.
func nonFinite[T float](s []T) bool {
	var a0, a1, a2, a3 T
	i := 0
	for ; i+4 <= len(s); i += 4 {
		a0 += s[i] - s[i]
		a1 += s[i+1] - s[i+1]
		a2 += s[i+2] - s[i+2]
		a3 += s[i+3] - s[i+3]
	}
	for ; i < len(s); i++ {
		a0 += s[i] - s[i]
	}
	return a0+a1+a2+a3 != 0
}

// flatFwdJob computes the forward convolution of samples [lo, hi).
type flatFwdJob[T float] struct {
	f          flatGeom
	y, x, w, b []T
}

func (j *flatFwdJob[T]) run(lo, hi int) {
	f := &j.f
	buf := convScratch[T](f.scratch())
	defer convRelease(buf)
	xpad, col, yv := flatSplit(f, *buf)
	xs, ys, p := f.c*f.h*f.w, f.out*f.p(), f.p()
	for n := lo; n < hi; n++ {
		flatPad(f, xpad, j.x[n*xs:][:xs])
		flatCols(f, col, xpad)
		gemm(false, false, f.out, f.q, f.k(), 1, j.w, f.k(), col, f.q, 0, yv, f.q)
		yn := j.y[n*ys:][:ys]
		for o := 0; o < f.out; o++ {
			var bias T
			if j.b != nil {
				bias = j.b[o]
			}
			flatCompact(f, yn[o*p:][:p], yv[o*f.q:][:f.q], bias)
		}
	}
}

// flatCompact writes the real columns of one virtual output plane yv
// (oh × wp) plus the bias into the output plane dst (oh × ow).
func flatCompact[T float](f *flatGeom, dst, yv []T, bias T) {
	if d, ok := any(dst).([]float32); ok && avx2() && f.ow >= 8 {
		src := any(yv).([]float32)
		_, _ = d[f.oh*f.ow-1], src[(f.oh-1)*f.wp+f.ow-1] // the kernel's reach
		copyRows32(&d[0], &src[0], f.oh, f.ow, f.ow, f.wp, float32(bias), true)
		return
	}
	for oh := 0; oh < f.oh; oh++ {
		out, src := dst[oh*f.ow:][:f.ow], yv[oh*f.wp:][:f.ow]
		for i, v := range src {
			out[i] = v + bias
		}
	}
}

// flatForward computes y = w·im2col(x) + b, the samples spread over the cores.
func flatForward[T float](g *convGeom, y, x, w, b []T) {
	j := getJob[flatFwdJob[T]]()
	*j = flatFwdJob[T]{f: newFlatGeom(g), y: y, x: x, w: w, b: b}
	parallelRun(g.n, 1, j)
	putJob(j)
}

// flatDxJob computes the input gradient of samples [lo, hi).
type flatDxJob[T float] struct {
	f        flatGeom
	dx, w, d []T
	wBad     bool // w holds Inf or NaN
}

func (j *flatDxJob[T]) run(lo, hi int) {
	f := &j.f
	buf := convScratch[T](f.scratch())
	defer convRelease(buf)
	dxpad, col, dyv := flatSplit(f, *buf)
	clear(dyv)
	xs, ys := f.c*f.h*f.w, f.out*f.p()
	for n := lo; n < hi; n++ {
		flatOutGrad(f, dyv, j.d[n*ys:][:ys])
		gemm(true, false, f.k(), f.q, f.out, 1, j.w, f.k(), dyv, f.q, 0, col, f.q)
		if j.wBad {
			flatClearGarbage(f, col, f.k())
		}
		clear(dxpad)
		f.taps(func(r, off int) { addTo(dxpad[off:][:f.q], col[r*f.q:][:f.q]) })
		dxn := j.dx[n*xs:][:xs]
		for c := 0; c < f.c; c++ {
			for h := 0; h < f.h; h++ {
				copy(dxn[(c*f.h+h)*f.w:][:f.w], dxpad[(c*f.hp+h+f.ph)*f.wp+f.pw:])
			}
		}
	}
}

// flatInputGrad computes dx = col2im(wᵀ·dy) one sample at a time.
func flatInputGrad[T float](g *convGeom, dx, w, dy []T) {
	j := getJob[flatDxJob[T]]()
	*j = flatDxJob[T]{f: newFlatGeom(g), dx: dx, w: w, d: dy, wBad: nonFinite(w)}
	parallelRun(g.n, 1, j)
	putJob(j)
}

// flatDwJob computes the filter-gradient partial sums of chunks [lo, hi).
//
// With tall set each part is dwᵀ (k × out), the product col·dyᵀ: the k
// filter taps are the rows and the gemm runs its register-blocked kernels.
// Otherwise each part is dw (out × k) = dy·colᵀ, which the gemm computes
// with dot products. Measured per 64 LeNet images (CPU µs): conv2 (out 16,
// k 150, q 140) 709 tall against 886; conv1 (out 6, k 25, q 896) 620 tall
// against 257, because an out of 6 fills only part of a 16-wide tile.
type flatDwJob[T float] struct {
	f            flatGeom
	parts, x, dy []T
	chunks       int
	tall         bool
}

// flatTall says whether flatDwJob computes dwᵀ: when out fills most of a
// 16-wide gemm tile.
func flatTall(out int) bool { return out > 8 }

func (j *flatDwJob[T]) run(lo, hi int) {
	f := &j.f
	buf := convScratch[T](f.scratch())
	defer convRelease(buf)
	xpad, col, dyv := flatSplit(f, *buf)
	clear(dyv) // the garbage entries stay zero from here on
	xs, ys, ws := f.c*f.h*f.w, f.out*f.p(), f.out*f.k()
	for c := lo; c < hi; c++ {
		part, beta := j.parts[c*ws:][:ws], T(0)
		for n := c * f.n / j.chunks; n < (c+1)*f.n/j.chunks; n++ {
			xn := j.x[n*xs:][:xs]
			flatPad(f, xpad, xn)
			flatCols(f, col, xpad)
			if nonFinite(xn) {
				flatClearGarbage(f, col, f.k())
			}
			if j.tall {
				flatOutGradT(f, dyv, j.dy[n*ys:][:ys])
				gemm(false, false, f.k(), f.out, f.q, 1, col, f.q, dyv, f.out, beta, part, f.out)
			} else {
				flatOutGrad(f, dyv, j.dy[n*ys:][:ys])
				gemm(false, true, f.out, f.k(), f.q, 1, dyv, f.q, col, f.q, beta, part, f.k())
			}
			beta = 1
		}
	}
}

// flatOutGradT writes dy of one sample transposed into dyt (q × out), one
// row per virtual position. Like flatOutGrad it leaves the garbage rows
// alone: the caller zeroes dyt once per job.
func flatOutGradT[T float](f *flatGeom, dyt, dyn []T) {
	p := f.p()
	for oh := 0; oh < f.oh; oh++ {
		for ow := 0; ow < f.ow; ow++ {
			row := dyt[(oh*f.wp+ow)*f.out:][:f.out]
			src := dyn[oh*f.ow+ow:]
			for o := range row {
				row[o] = src[o*p]
			}
		}
	}
}

// flatFilterGrad computes dw = Σₙ dyₙ·im2col(xₙ)ᵀ as im2colFilterGrad
// does: per-chunk partial sums added in chunk order, so the bits do not
// depend on the number of cores.
func flatFilterGrad[T float](g *convGeom, dw, x, dy []T) {
	chunks, ws := min(g.n, convGradChunks), len(dw)
	parts := convScratch[T](chunks * ws)
	defer convRelease(parts)
	j := getJob[flatDwJob[T]]()
	tall := flatTall(g.out)
	*j = flatDwJob[T]{f: newFlatGeom(g), parts: *parts, x: x, dy: dy, chunks: chunks, tall: tall}
	parallelRun(chunks, 1, j)
	putJob(j)
	if !tall {
		convSumParts(dw, *parts, chunks)
		return
	}
	convSumPartsT(dw, *parts, chunks, g.out, g.out, ws)
}

// convSumPartsT writes into dw (out × k) the sum of chunks partial sums
// of dwᵀ, each k rows of ld values, ps apart in parts: dw[o][r] = Σ_c
// partᶜ[r][o], the chunks added in order. The output channels are spread
// over the cores: on one, this reduction was a sixth of the serial time
// of a LeNet-5 step.
func convSumPartsT[T float](dw, parts []T, chunks, out, ld, ps int) {
	j := getJob[sumPartsTJob[T]]()
	*j = sumPartsTJob[T]{dw: dw, parts: parts, chunks: chunks, k: len(dw) / out, ld: ld, ps: ps}
	parallelRun(out, 4, j)
	putJob(j)
}

// sumPartsTJob is convSumPartsT for output channels [lo, hi).
type sumPartsTJob[T float] struct {
	dw, parts         []T
	chunks, k, ld, ps int
}

func (j *sumPartsTJob[T]) run(lo, hi int) {
	for c := 0; c < j.chunks; c++ {
		part := j.parts[c*j.ps:]
		for o := lo; o < hi; o++ {
			row := j.dw[o*j.k:][:j.k]
			if c == 0 {
				for r := range row {
					row[r] = part[r*j.ld+o]
				}
				continue
			}
			for r := range row {
				row[r] += part[r*j.ld+o]
			}
		}
	}
}

// convSumParts writes into dw the sum of the chunks partial sums in parts,
// added in chunk order.
func convSumParts[T float](dw, parts []T, chunks int) {
	ws := len(dw)
	copy(dw, parts[:ws])
	for c := 1; c < chunks; c++ {
		addTo(dw, parts[c*ws:][:ws])
	}
}
