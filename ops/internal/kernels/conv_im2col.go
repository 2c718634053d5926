package kernels

// The im2col kernels of Conv2D: every stride, every padding, float32 and
// float64.

// im2colForward computes y = w·im2col(x) + b one sample at a time, the
// samples spread over the cores. The bias is written first and gemm adds
// the product onto it, so no repeated bias tensor is ever built.
func im2colForward[T float](g *convGeom, y, x, w, b []T) {
	j := getJob[convFwdJob[T]]()
	*j = convFwdJob[T]{g: *g, y: y, x: x, w: w, b: b}
	parallelRun(g.n, 1, j)
	putJob(j)
}

// convFwdJob is im2colForward's loop over samples [lo, hi).
type convFwdJob[T float] struct {
	g          convGeom
	y, x, w, b []T
}

func (j *convFwdJob[T]) run(lo, hi int) {
	g := &j.g
	k, p, xs, ys := g.k(), g.p(), g.c*g.h*g.w, g.out*g.p()
	col := convScratch[T](k * p)
	defer convRelease(col)
	for n := lo; n < hi; n++ {
		cols := convCols(g, *col, j.x[n*xs:][:xs])
		yn := j.y[n*ys:][:ys]
		beta := T(0)
		if j.b != nil {
			for o, bo := range j.b {
				convFill(yn[o*p:][:p], bo)
			}
			beta = 1
		}
		gemm(false, false, g.out, p, k, 1, j.w, k, cols, p, beta, yn, p)
	}
}

// convCols returns the im2col matrix (k × p) of one sample, which is the
// sample itself for pointwise convolutions.
func convCols[T float](g *convGeom, col, xn []T) []T {
	if g.pointwise() {
		return xn
	}
	convIm2col(g, col, xn)
	return col
}

// im2colInputGrad computes dx = col2im(wᵀ·dy) one sample at a time.
func im2colInputGrad[T float](g *convGeom, dx, w, dy []T) {
	j := getJob[convDxJob[T]]()
	*j = convDxJob[T]{g: *g, dx: dx, w: w, dy: dy}
	parallelRun(g.n, 1, j)
	putJob(j)
}

// convDxJob is im2colInputGrad's loop over samples [lo, hi).
type convDxJob[T float] struct {
	g         convGeom
	dx, w, dy []T
}

func (j *convDxJob[T]) run(lo, hi int) {
	g := &j.g
	k, p, xs, ys := g.k(), g.p(), g.c*g.h*g.w, g.out*g.p()
	col := convScratch[T](k * p)
	defer convRelease(col)
	for n := lo; n < hi; n++ {
		dxn, dyn := j.dx[n*xs:][:xs], j.dy[n*ys:][:ys]
		if g.pointwise() {
			gemm(true, false, k, p, g.out, 1, j.w, k, dyn, p, 0, dxn, p)
			continue
		}
		gemm(true, false, k, p, g.out, 1, j.w, k, dyn, p, 0, *col, p)
		clear(dxn)
		convCol2im(g, dxn, *col)
	}
}

// convGradChunks is the number of batch chunks whose filter gradients are
// summed separately. It depends on nothing but the batch size, so the
// reduction order, and with it every bit of dw, is the same on any number
// of cores.
const convGradChunks = 16

// im2colFilterGrad computes dw = Σₙ dyₙ·im2col(xₙ)ᵀ as per-chunk partial
// sums added in chunk order.
func im2colFilterGrad[T float](g *convGeom, dw, x, dy []T) {
	chunks := min(g.n, convGradChunks)
	parts := convScratch[T](chunks * len(dw))
	defer convRelease(parts)
	j := getJob[convDwJob[T]]()
	*j = convDwJob[T]{g: *g, parts: *parts, x: x, dy: dy, chunks: chunks}
	parallelRun(chunks, 1, j)
	putJob(j)
	convSumParts(dw, *parts, chunks)
}

// convDwJob is im2colFilterGrad's loop over chunks [lo, hi).
type convDwJob[T float] struct {
	g            convGeom
	parts, x, dy []T
	chunks       int
}

func (j *convDwJob[T]) run(lo, hi int) {
	g := &j.g
	k, p, xs, ys, ws := g.k(), g.p(), g.c*g.h*g.w, g.out*g.p(), g.out*g.k()
	col := convScratch[T](k * p)
	defer convRelease(col)
	for c := lo; c < hi; c++ {
		part, beta := j.parts[c*ws:][:ws], T(0)
		for n := c * g.n / j.chunks; n < (c+1)*g.n/j.chunks; n++ {
			cols := convCols(g, *col, j.x[n*xs:][:xs])
			gemm(false, true, g.out, k, p, 1, j.dy[n*ys:][:ys], p, cols, p, beta, part, k)
			beta = 1
		}
	}
}

// convFill sets every element of s to v.
func convFill[T float](s []T, v T) {
	for i := range s {
		s[i] = v
	}
}

// convSpan returns the range [lo, hi) of output indices o whose input index
// o·stride + k - pad falls inside [0, size), so the copy loops need no
// bounds tests.
func convSpan(k, pad, stride, size, outSize int) (lo, hi int) {
	if d := pad - k; d > 0 {
		lo = min(outSize, (d+stride-1)/stride)
	}
	if last := size - 1 + pad - k; last >= 0 {
		hi = min(outSize, last/stride+1)
	}
	return lo, max(lo, hi)
}

// convIm2col writes the patches of one sample xn (C×H×W) into col (k × p): row
// (c, i, j) holds input pixel (c, o_h·sh+i-ph, o_w·sw+j-pw) of every output
// position, zero where that pixel is padding.
func convIm2col[T float](g *convGeom, col, xn []T) {
	p, hw := g.p(), g.h*g.w
	for r := 0; r < g.k(); r++ {
		c, i, j := r/(g.kh*g.kw), r/g.kw%g.kh, r%g.kw
		row, xc := col[r*p:][:p], xn[c*hw:][:hw]
		r0, r1 := convSpan(i, g.ph, g.sh, g.h, g.oh)
		c0, c1 := convSpan(j, g.pw, g.sw, g.w, g.ow)
		clear(row[:r0*g.ow])
		clear(row[r1*g.ow:])
		for oh := r0; oh < r1; oh++ {
			out, in := row[oh*g.ow:][:g.ow], xc[(oh*g.sh+i-g.ph)*g.w:][:g.w]
			clear(out[:c0])
			clear(out[c1:])
			iw := c0*g.sw + j - g.pw
			if g.sw == 1 {
				copy(out[c0:c1], in[iw:])
				continue
			}
			for ow := c0; ow < c1; ow++ {
				out[ow] = in[iw]
				iw += g.sw
			}
		}
	}
}

// convCol2im adds every row of col (k × p) back onto the input pixels im2col
// read it from; dxn must be zeroed by the caller.
func convCol2im[T float](g *convGeom, dxn, col []T) {
	p, hw := g.p(), g.h*g.w
	for r := 0; r < g.k(); r++ {
		c, i, j := r/(g.kh*g.kw), r/g.kw%g.kh, r%g.kw
		row, xc := col[r*p:][:p], dxn[c*hw:][:hw]
		r0, r1 := convSpan(i, g.ph, g.sh, g.h, g.oh)
		c0, c1 := convSpan(j, g.pw, g.sw, g.w, g.ow)
		for oh := r0; oh < r1; oh++ {
			out, in := row[oh*g.ow:][:g.ow], xc[(oh*g.sh+i-g.ph)*g.w:][:g.w]
			iw := c0*g.sw + j - g.pw
			for _, v := range out[c0:c1] {
				in[iw] += v
				iw += g.sw
			}
		}
	}
}
