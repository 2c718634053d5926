package kernels

import kern "github.com/featlearn/featlearn/ops/internal/gemm"

// The direct filter gradient serves float32 stride-1 convolutions with more
// than 8 output channels (LeNet's conv2) on AVX2 CPUs. The flat path copies
// each sample's k × q im2col matrix (84 KB for conv2) and runs a gemm with
// q = oh·wp rows, 30 % of them garbage columns that the output gradient
// zeroes. Here a 6×16 micro-kernel reads the six tap windows of the padded
// sample in place and walks only the oh × ow real positions, skipping the
// wp - ow columns no output reads. The output channels are the kernel's 16
// vector lanes, so the output gradient is transposed per sample (q × out),
// a 6 KB copy.

// With AVX-512 (wide) the kernels are generated ones (asm/conv.go): a
// tile is a few filter rows (taps (c, i, 0..kw-1)) by 16 or 32 channels,
// the taps of a filter row read by displacement from one pointer. Tiles of
// filter rows pad the taps to whole tiles (kR); their padding rows read
// filter row 0 and are dropped.

// directDwGeom extends the flat geometry with the kernel's tiles.
type directDwGeom struct {
	flatGeom
	kR   int // taps rounded up to whole tiles: of directMR, or wide of tap rows × kw
	outR int // output channels rounded up to whole tiles of directNR
	wide bool
}

// dtDwFn is the signature of the generated filter-gradient kernels.
type dtDwFn func(rows, cols int, x *float32, trows *int, bump int, dyt *float32, ldd int, c *float32, ldc int)

// dwMaxKW is the widest filter the wide kernels serve; dwTapRows is the
// number of filter rows a wide tile of v vectors of 16 channels covers
// (both as asm/conv.go generates them).
const dwMaxKW = 5

func dwTapRows(v, kw int) int { return max(1, min(6, 24/(v*kw))) }

func newDirectDwGeom(g *convGeom, wide bool) directDwGeom {
	d := directDwGeom{flatGeom: newFlatGeom(g), wide: wide}
	d.kR = (d.k() + directMR - 1) / directMR * directMR
	if wide {
		// The filter rows, rounded up to whole tiles of both channel
		// blocks' sizes.
		tr1, tr2, rows := dwTapRows(1, g.kw), dwTapRows(2, g.kw), g.c*g.kh
		rr := (rows + tr1 - 1) / tr1 * tr1
		for rr%tr2 != 0 {
			rr += tr1
		}
		d.kR = rr * g.kw
	}
	d.outR = (g.out + directNR - 1) / directNR * directNR
	return d
}

// part is the size of one chunk's partial sum: kR × outR.
func (d *directDwGeom) part() int { return d.kR * d.outR }

// directDwJob computes the partial filter gradients of chunks [lo, hi):
// part c is Σ over the chunk's samples of dwᵀ (kR × outR).
type directDwJob struct {
	d      directDwGeom
	parts  []float32
	x, dy  []float32
	offs   []int // byte offsets of the taps, padded to kR with offset 0; wide: of the filter rows
	chunks int
}

func (j *directDwJob) run(lo, hi int) {
	d := &j.d
	p := d.p()
	at := align64(d.plane)
	buf := convScratch[float32](at + p*d.outR)
	defer convRelease(buf)
	xpad, dyt := (*buf)[:d.plane], (*buf)[at:]
	clear(dyt) // the padding channels stay zero for every sample
	xs, ys := d.c*d.h*d.w, d.out*p
	bump, ldd := (d.wp-d.ow)*4, d.outR*4
	for c := lo; c < hi; c++ {
		part := j.parts[c*d.part():][:d.part()]
		clear(part)
		for n := c * d.n / j.chunks; n < (c+1)*d.n/j.chunks; n++ {
			// The kernel reads real positions only, so an unpadded
			// sample is read where it is.
			xn := j.x[n*xs:][:xs]
			if d.ph != 0 || d.pw != 0 {
				flatPad(&d.flatGeom, xpad, xn)
				xn = xpad
			}
			kern.Transpose32(dyt, d.outR, j.dy[n*ys:][:ys], p, d.out, p)
			if d.wide {
				j.wideTiles(part, xn, dyt, bump)
				continue
			}
			for jb := 0; jb < d.outR; jb += directNR {
				for tb := 0; tb < d.kR; tb += directMR {
					directDw6x16(d.oh, d.ow, &xn[0], &j.offs[tb], bump, &dyt[jb], ldd, &part[tb*d.outR+jb], ldd)
				}
			}
		}
	}
}

// wideTiles adds one sample's products to part with the AVX-512 kernels,
// channel blocks of 32 while more than 16 channels are left.
func (j *directDwJob) wideTiles(part, xn, dyt []float32, bump int) {
	d := &j.d
	ldd := d.outR * 4
	for cb := 0; cb < d.outR; {
		v := 1
		if d.outR-cb > 16 {
			v = 2
		}
		tr, fn := dwTapRows(v, d.kw), dtDw[v-1][d.kw]
		for r := 0; r*d.kw < d.kR; r += tr {
			fn(d.oh, d.ow, &xn[0], &j.offs[r], bump, &dyt[cb], ldd, &part[r*d.kw*d.outR+cb], ldd)
		}
		cb += 16 * v
	}
}

// directDwFilterGrad computes dw = Σₙ dyₙ·im2col(xₙ)ᵀ with the 6×16
// kernel, or with wide the AVX-512 kernels (kw ≤ dwMaxKW). Like
// flatFilterGrad it sums the batch in fixed chunks, added in chunk order,
// so the bits do not depend on the number of cores.
func directDwFilterGrad(g *convGeom, dw, x, dy []float32, wide bool) {
	d := newDirectDwGeom(g, wide)
	chunks := min(g.n, convGradChunks)
	parts := convScratch[float32](chunks * d.part())
	defer convRelease(parts)
	tb := directTablePool.Get().(*directTables)
	defer directTablePool.Put(tb)
	tb.offs = growInts(tb.offs, d.kR)
	clear(tb.offs) // the padding taps (wide: filter rows) read offset 0 and are dropped
	if wide {
		for r := 0; r < g.c*g.kh; r++ {
			tb.offs[r] = (r/g.kh*d.hp*d.wp + r%g.kh*d.wp) * 4
		}
	} else {
		d.taps(func(r, off int) { tb.offs[r] = off * 4 })
	}

	j := getJob[directDwJob]()
	*j = directDwJob{d: d, parts: *parts, x: x, dy: dy, offs: tb.offs, chunks: chunks}
	parallelRun(chunks, 1, j)
	putJob(j)

	convSumPartsT(dw, *parts, chunks, g.out, d.outR, d.part())
}

// The narrow filter gradient serves stride-1 convolutions with at most 8
// output channels (LeNet's conv1), too few for the 16 lanes above. Each
// weight is a dot product over the virtual positions of the output
// gradient and a tap window of the padded sample, read in place: a kernel
// call computes six output channels by two taps. The flat path's im2col
// copy of each sample (90 KB for conv1) is gone.

// narrowGeom extends the flat geometry with the kernel's padding.
type narrowGeom struct {
	flatGeom
	q8   int // virtual positions rounded up to the kernel's 8
	outR int // output channels rounded up to whole tiles of 6
}

// narrowDwJob computes the partial filter gradients (out × k) of chunks
// [lo, hi).
type narrowDwJob struct {
	d      narrowGeom
	parts  []float32
	x, dy  []float32
	offs   []int // element offsets of the taps, an even number of them
	rows   []int // the taps' kernel rows
	chunks int
}

func (j *narrowDwJob) run(lo, hi int) {
	d := &j.d
	k, p := d.k(), d.p()
	// The windows of the last taps read up to q8 - q positions past the
	// padded plane.
	xlen := align64(d.plane + d.q8 - d.q)
	buf := convScratch[float32](xlen + d.outR*d.q8)
	defer convRelease(buf)
	xpad, dyv := (*buf)[:xlen], (*buf)[xlen:]
	clear(xpad[d.plane:])
	clear(dyv) // garbage positions and padding rows stay zero
	xs, ys := d.c*d.h*d.w, d.out*p
	var sums [12]float32
	for c := lo; c < hi; c++ {
		part := j.parts[c*d.out*k:][:d.out*k]
		clear(part)
		for n := c * d.n / j.chunks; n < (c+1)*d.n/j.chunks; n++ {
			xn, dyn := j.x[n*xs:][:xs], j.dy[n*ys:][:ys]
			flatPad(&d.flatGeom, xpad[:d.plane], xn)
			if !allFinite32(xn) {
				// The windows' virtual positions read real inputs, which
				// the zero output gradient there would turn from Inf or
				// NaN into NaN: sum over the real positions only.
				j.realPositions(part, xpad, dyn)
				continue
			}
			// Output rows whose windows read only a sample's zero top and
			// bottom rows (a digit's margins) add nothing while dy is
			// finite: each pair of taps sums over the rows that reach the
			// sample's nonzero rows [r0, r1).
			r0, r1 := 0, d.h
			if allFinite32(dyn) {
				if r0, r1 = nonzeroRows(xn, d.c, d.h, d.w); r0 == r1 {
					continue
				}
			}
			for o := 0; o < d.out; o++ {
				if d.ow >= 8 {
					copyRows32(&dyv[o*d.q8], &dyn[o*p], d.oh, d.ow, d.wp, d.ow, 0, false)
					continue
				}
				for r := 0; r < d.oh; r++ {
					copy(dyv[o*d.q8+r*d.wp:][:d.ow], dyn[(o*d.oh+r)*d.ow:][:d.ow])
				}
			}
			for ob := 0; ob < d.outR; ob += 6 {
				for t := 0; t < len(j.offs); t += 2 {
					g0, g1 := j.liveGroups(t, r0, r1)
					if g0 == g1 {
						continue
					}
					directDwDot6x2(g1-g0, &dyv[ob*d.q8+g0*8], d.q8*4, &xpad[j.offs[t]+g0*8], &xpad[j.offs[t+1]+g0*8], &sums[0])
					for o := ob; o < min(ob+6, d.out); o++ {
						part[o*k+t] += sums[2*(o-ob)]
						if t+1 < k {
							part[o*k+t+1] += sums[2*(o-ob)+1]
						}
					}
				}
			}
		}
	}
}

// liveGroups returns the groups [g0, g1) of eight virtual positions that
// the windows of taps t and t+1 need when only input rows [r0, r1) may be
// nonzero: output row r reads padded row r + i for a tap in kernel row i.
func (j *narrowDwJob) liveGroups(t, r0, r1 int) (g0, g1 int) {
	d := &j.d
	if r0 == 0 && r1 == d.h {
		return 0, d.q8 / 8
	}
	// rows[t] and rows[t+1] are the taps' kernel rows.
	i0, i1 := j.rows[t], j.rows[t+1]
	ra := max(0, d.ph+r0-max(i0, i1))
	rb := min(d.oh, d.ph+r1-min(i0, i1))
	if ra >= rb {
		return 0, 0
	}
	return ra * d.wp / 8, min(d.q8/8, (rb*d.wp+7)/8)
}

// realPositions adds one sample's filter gradient to part, summing over
// the real output positions only.
func (j *narrowDwJob) realPositions(part, xpad, dyn []float32) {
	d := &j.d
	k := d.k()
	for o := 0; o < d.out; o++ {
		for t := 0; t < k; t++ {
			var s float32
			for r := 0; r < d.oh; r++ {
				xr, dr := xpad[j.offs[t]+r*d.wp:][:d.ow], dyn[(o*d.oh+r)*d.ow:][:d.ow]
				for i, v := range dr {
					s += v * xr[i]
				}
			}
			part[o*k+t] += s
		}
	}
}

// narrowFilterGrad computes dw for at most 8 output channels.
func narrowFilterGrad(g *convGeom, dw, x, dy []float32) {
	d := narrowGeom{flatGeom: newFlatGeom(g)}
	d.q8 = (d.q + 7) / 8 * 8
	d.outR = (g.out + 5) / 6 * 6
	k := g.k()
	chunks := min(g.n, convGradChunks)
	parts := convScratch[float32](chunks * g.out * k)
	defer convRelease(parts)
	tb := directTablePool.Get().(*directTables)
	defer directTablePool.Put(tb)
	n := (k + 1) / 2 * 2
	tb.offs = growInts(tb.offs, n)
	tb.offs[n-1] = 0 // an odd last tap pairs with tap 0, whose sums are dropped
	d.taps(func(r, off int) { tb.offs[r] = off })
	tb.live = growInts(tb.live, n)
	for t, off := range tb.offs {
		tb.live[t] = off / d.wp % d.hp
	}

	j := getJob[narrowDwJob]()
	*j = narrowDwJob{d: d, parts: *parts, x: x, dy: dy, offs: tb.offs, rows: tb.live, chunks: chunks}
	parallelRun(chunks, 1, j)
	putJob(j)
	convSumParts(dw, *parts, chunks)
}
