package kernels

import "sync"

// The direct forward below serves float32 stride-1 convolutions on AVX2
// CPUs with at most 8 output channels (LeNet's conv1, and conv2's input
// gradient, which is a convolution with 6); wider ones go to the
// transposed kernel of conv_direct_t.go. It works on the flat kernels'
// virtual grid (see conv_flat.go) but never writes the im2col matrix: each
// filter tap's row of it is a window of the padded sample, so the
// micro-kernel reads the windows in place through a table of their
// offsets. Per LeNet image that saves writing and re-reading 90 KB of
// columns for conv1, and the gemm's packing of the odd-sized edges.

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

// directFwdJob computes the forward convolution of samples [lo, hi).
type directFwdJob struct {
	d       directGeom
	y, x, b []float32
	wp      []float32 // the filters packed in panels of directMR channels
	offs    []int     // byte offsets of the taps in the padded sample
	live    []int     // per tile of positions: its first and end kernel row
	// skip says that the weights are finite, so that kernel rows reading
	// only zero input rows may be skipped as well as padding.
	skip bool
}

func (j *directFwdJob) run(lo, hi int) {
	d := &j.d
	at := align64(d.plane)
	buf := convScratch[float32](at + d.outR*d.qr)
	defer convRelease(buf)
	xpad, yv := (*buf)[:d.plane], (*buf)[at:]
	k := d.k()
	xs, ys, p := d.c*d.h*d.w, d.out*d.p(), d.p()
	rowTaps := d.c * d.kw // taps per kernel row: the taps are in (i, c, j) order
	for n := lo; n < hi; n++ {
		xn := j.x[n*xs:][:xs]
		flatPad(&d.flatGeom, xpad, xn)
		// A sample's zero rows at the top and bottom (a digit's margins)
		// read like padding.
		r0, r1 := 0, d.h
		if j.skip {
			r0, r1 = nonzeroRows(xn, d.c, d.h, d.w)
		}
		for c := 0; c < d.qr; c += directNR {
			i0, i1 := j.live[2*(c/directNR)], j.live[2*(c/directNR)+1]
			if r0 > 0 || r1 < d.h {
				l0, l1 := d.liveRowsIn(c, r0, r1)
				i0, i1 = max(i0, l0), max(max(i0, l0), min(i1, l1))
			}
			t0, steps := i0*rowTaps, (i1-i0)*rowTaps
			for q := 0; q < d.outR/directMR; q++ {
				out := yv[q*directMR*d.qr+c:]
				if steps == 0 {
					for r := 0; r < directMR; r++ {
						clear(out[r*d.qr:][:directNR])
					}
					continue
				}
				directConv6x16(steps, &j.wp[(q*k+t0)*directMR], &xpad[c], &j.offs[t0], &out[0], d.qr)
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

// liveRows returns the kernel rows [i0, i1) that read a real input row for
// some position of the tile of virtual positions starting at c. The other
// rows read only the zero padding above or below the sample, which adds
// nothing: for the input gradient, whose "input" is the output gradient
// padded by kh-1 rows, that is nearly a third of the work.
func (d *directGeom) liveRows(c int) (i0, i1 int) { return d.liveRowsIn(c, 0, d.h) }

// liveRowsIn is liveRows when only input rows [r0, r1) may be nonzero.
func (d *directGeom) liveRowsIn(c, r0, r1 int) (i0, i1 int) {
	h0, h1 := c/d.wp, min(c+directNR-1, d.q-1)/d.wp
	// Output row r reads padded rows r..r+kh-1; those that may be
	// nonzero are [ph+r0, ph+r1).
	i0 = max(0, d.ph+r0-h1)
	i1 = min(d.kh, d.ph+r1-h0)
	return i0, max(i0, i1)
}

// nonzeroRows returns the rows [r0, r1) of a sample (c planes of h rows of
// w) outside which every row is zero in every plane; r0 == r1 when the
// whole sample is zero. NaN counts as not zero.
func nonzeroRows(x []float32, c, h, w int) (r0, r1 int) {
	// One bit per value from the vector kernel, rows then as bit ranges;
	// without it, or for samples larger than the mask, value by value.
	var mask [1024]uint8
	vector := avx2() && len(x) <= 8*len(mask)
	if vector {
		full := len(x) &^ 7
		if full > 0 {
			nonzeroMask32(&x[0], full, &mask[0])
		}
		for i := full; i < len(x); i++ {
			if x[i] != 0 {
				mask[i/8] |= 1 << (i % 8)
			}
		}
	}
	zero := func(r int) bool {
		for ch := 0; ch < c; ch++ {
			at := (ch*h + r) * w
			if vector {
				if anyBit(&mask, at, w) {
					return false
				}
				continue
			}
			for _, v := range x[at:][:w] {
				if v != 0 {
					return false
				}
			}
		}
		return true
	}
	for r0 < h && zero(r0) {
		r0++
	}
	r1 = h
	for r1 > r0 && zero(r1-1) {
		r1--
	}
	return r0, r1
}

// anyBit reports whether any of bits [at, at+n) of mask is set.
func anyBit(mask *[1024]uint8, at, n int) bool {
	for n > 0 {
		if at%8 == 0 && n >= 8 {
			if mask[at/8] != 0 {
				return true
			}
			at, n = at+8, n-8
			continue
		}
		if mask[at/8]>>(at%8)&1 != 0 {
			return true
		}
		at, n = at+1, n-1
	}
	return false
}

// directTables holds a call's tap offsets, the live kernel rows of each
// tile or the offsets of the output positions; they are pooled here
// because convScratch pools only float buffers.
type directTables struct {
	offs, live, pos []int
	pos32           []int32
}

// growInts returns s resliced to n elements, reallocated if too short.
func growInts(s []int, n int) []int {
	if cap(s) < n {
		return make([]int, n)
	}
	return s[:n]
}

var directTablePool = sync.Pool{New: func() any { return new(directTables) }}

// directForward computes y = w·im2col(x) + b with the direct micro-kernel,
// the samples spread over the cores. The taps are taken kernel row by
// kernel row, (i, c, j), so that the rows a tile skips are a contiguous
// run of them.
func directForward(g *convGeom, y, x, w, b []float32) {
	d := newDirectGeom(g)
	k := d.k()
	wp := convScratch[float32](d.outR * k)
	defer convRelease(wp)
	tb := directTablePool.Get().(*directTables)
	tb.offs = growInts(tb.offs, k)
	// wp[q][t][o] = w[q·6+o][r] for tap t = (i, c, j) and its filter index
	// r = (c, i, j), zero past the last channel so that the padding rows
	// of the last panel compute zeros that are dropped.
	clear(*wp)
	t := 0
	for i := 0; i < g.kh; i++ {
		for c := 0; c < g.c; c++ {
			for jj := 0; jj < g.kw; jj++ {
				r := (c*g.kh+i)*g.kw + jj
				tb.offs[t] = ((c*d.hp+i)*d.wp + jj) * 4
				for o := 0; o < g.out; o++ {
					(*wp)[((o/directMR)*k+t)*directMR+o%directMR] = w[o*k+r]
				}
				t++
			}
		}
	}

	// Skipping padding rows changes nothing unless a weight is Inf or NaN,
	// where 0·Inf would give NaN: keep those rows then, so that every
	// output treats the padding alike.
	tiles := d.qr / directNR
	tb.live = growInts(tb.live, 2*tiles)
	skip := !nonFinite(w)
	for c := 0; c < tiles; c++ {
		tb.live[2*c], tb.live[2*c+1] = 0, g.kh
		if skip {
			tb.live[2*c], tb.live[2*c+1] = d.liveRows(c * directNR)
		}
	}

	j := getJob[directFwdJob]()
	*j = directFwdJob{d: d, y: y, x: x, b: b, wp: *wp, offs: tb.offs, live: tb.live, skip: skip}
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
	ok := flatOK(g) && t.ph >= 0 && t.pw >= 0 &&
		t.h+2*t.ph >= t.kh && t.w+2*t.pw >= t.kw
	return t, ok
}

// directInputGrad computes dx with a direct forward kernel, the
// transposed one when transposed is set (its AVX-512 form when wide is
// set too), which reads the padded dy in
// place: no gemm output to scatter back with one vector add per tap. The
// caller has checked directDxGeom and that w is finite: the padding of dy
// is not part of the gradient's sum, and Inf·0 there would put NaN where
// the gradient has none.
func directInputGrad(g *convGeom, dx, w, dy []float32, transposed, wide bool) {
	t, _ := directDxGeom(g)
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
	if transposed {
		directTForward(&t, dx, dy, *wt, nil, wide)
		return
	}
	directForward(&t, dx, dy, *wt, nil)
}
