package ops

import "sync"

// The direct forward below serves float32 stride-1 convolutions on AVX2
// CPUs, LeNet's among them. It works on the flat kernels' virtual grid (see
// conv_flat.go) but never writes the im2col matrix: each filter tap's row
// of it is a window of the padded sample, so the micro-kernel reads the
// windows in place through a table of their offsets. Per LeNet image that
// saves writing and re-reading 90 KB (conv1) and 84 KB (conv2) of columns,
// and the gemm's packing of the odd-sized edges.

// Tile of the direct micro-kernel: output channels by virtual positions.
const directMR, directNR = 6, 16

// directGeom extends the flat geometry with the kernel's tiles.
type directGeom struct {
	flatGeom
	qr    int // virtual positions rounded up to whole tiles: yv's row stride
	outR  int // output channels rounded up to whole tiles
	plane int // padded sample with slack for the last tile's reads
}

func newDirectGeom(g *convGeom) directGeom {
	d := directGeom{flatGeom: newFlatGeom(g)}
	d.qr = (d.q + directNR - 1) / directNR * directNR
	d.outR = (g.out + directMR - 1) / directMR * directMR
	// The last tile reads qr - q positions past the flat plane's end.
	d.plane = d.flatGeom.plane + d.qr - d.q
	return d
}

// directOK says whether the direct forward serves g with element type T.
func directOK[T float](g *convGeom) bool {
	var z T
	_, f32 := any(z).(float32)
	return f32 && useAVX2 && flatOK(g)
}

// directFwdJob computes the forward convolution of samples [lo, hi).
type directFwdJob struct {
	d       directGeom
	y, x, b []float32
	wp      []float32 // the filters packed in panels of directMR channels
	offs    []int     // byte offsets of the taps in the padded sample
}

func (j *directFwdJob) run(lo, hi int) {
	d := &j.d
	buf := convScratch[float32](d.plane + d.outR*d.qr)
	defer convRelease(buf)
	xpad, yv := (*buf)[:d.plane], (*buf)[d.plane:]
	k := d.k()
	xs, ys, p := d.c*d.h*d.w, d.out*d.p(), d.p()
	for n := lo; n < hi; n++ {
		flatPad(&d.flatGeom, xpad, j.x[n*xs:][:xs])
		for c := 0; c < d.qr; c += directNR {
			for q := 0; q < d.outR/directMR; q++ {
				directConv6x16(k, &j.wp[q*k*directMR], &xpad[c], &j.offs[0], &yv[q*directMR*d.qr+c], d.qr)
			}
		}
		yn := j.y[n*ys:][:ys]
		for o := 0; o < d.out; o++ {
			var bias float32
			if j.b != nil {
				bias = j.b[o]
			}
			flatCompact(&d.flatGeom, yn[o*p:][:p], yv[o*d.qr:][:d.q], bias)
		}
	}
}

// directTables holds a call's packed filters and tap offsets; the offsets
// are pooled here because convScratch pools only float buffers.
type directTables struct{ offs []int }

var directTablePool = sync.Pool{New: func() any { return new(directTables) }}

// directForward computes y = w·im2col(x) + b with the direct micro-kernel,
// the samples spread over the cores.
func directForward(g *convGeom, y, x, w, b []float32) {
	d := newDirectGeom(g)
	k := d.k()
	wp := convScratch[float32](d.outR * k)
	defer convRelease(wp)
	// wp[q][t][o] = w[q·6+o][t], zero past the last channel so that the
	// padding rows of the last panel compute zeros that are dropped.
	clear(*wp)
	for o := 0; o < g.out; o++ {
		q, r := o/directMR, o%directMR
		for t, v := range w[o*k : (o+1)*k] {
			(*wp)[(q*k+t)*directMR+r] = v
		}
	}
	tb := directTablePool.Get().(*directTables)
	if cap(tb.offs) < k {
		tb.offs = make([]int, k)
	}
	tb.offs = tb.offs[:k]
	d.taps(func(r, off int) { tb.offs[r] = off * 4 })

	j := getJob[directFwdJob]()
	*j = directFwdJob{d: d, y: y, x: x, b: b, wp: *wp, offs: tb.offs}
	parallelRun(g.n, 1, j)
	putJob(j)
	directTablePool.Put(tb)
}

// directDxGeom returns the geometry of the forward convolution that
// computes g's input gradient, and whether the direct kernel serves it.
// For stride 1, dx is the "full" convolution of dy with the filters
// flipped in space and with input and output channels swapped: dy, padded
// by kh-1-ph rows and kw-1-pw columns, is the input, and its output has
// exactly dx's h × w positions. Paddings wider than kh-1 would need a
// negative padding here, so those keep the gemm path.
func directDxGeom(g *convGeom) (convGeom, bool) {
	t := convGeom{n: g.n, c: g.out, h: g.oh, w: g.ow, out: g.c, kh: g.kh, kw: g.kw,
		oh: g.h, ow: g.w, sh: 1, sw: 1, ph: g.kh - 1 - g.ph, pw: g.kw - 1 - g.pw}
	ok := flatOK(g) && useAVX2 && t.ph >= 0 && t.pw >= 0 &&
		t.h+2*t.ph >= t.kh && t.w+2*t.pw >= t.kw
	return t, ok
}

// directInputGrad computes dx with the direct forward kernel, which reads
// the padded dy in place: no gemm output to scatter back with one vector
// add per tap. It reports false, computing nothing, when the direct kernel
// does not serve g or w holds Inf or NaN: the padding of dy is not part of
// the gradient's sum, and Inf·0 there would put NaN where the gradient has
// none.
func directInputGrad(g *convGeom, dx, w, dy []float32) bool {
	t, ok := directDxGeom(g)
	if !ok || nonFinite(w) {
		return false
	}
	k := g.kh * g.kw
	wt := convScratch[float32](len(w))
	defer convRelease(wt)
	// wt[c][o][i][j] = w[o][c][kh-1-i][kw-1-j].
	for o := 0; o < g.out; o++ {
		for c := 0; c < g.c; c++ {
			src, dst := w[(o*g.c+c)*k:][:k], (*wt)[(c*g.out+o)*k:][:k]
			for r, v := range src {
				dst[k-1-r] = v
			}
		}
	}
	directForward(&t, dx, dy, *wt, nil)
	return true
}
