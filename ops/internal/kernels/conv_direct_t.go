package kernels

import kern "github.com/featlearn/featlearn/ops/internal/gemm"

// The transposed direct forward serves float32 stride-1 convolutions with
// more than 8 output channels (LeNet's conv2) on AVX2 CPUs. The direct
// forward of conv_direct.go vectorises over 16 positions of the flat
// virtual grid, so for conv2 (a 14-wide input, 10 outputs a row) 30 % of
// what it computes are virtual positions, and its 6-channel panels round
// 16 channels up to 18. Here the channels are the 16 vector lanes and the
// kernel broadcasts the inputs of any six real positions: of conv2's
// 100 positions by 16 channels it computes 102 by 16.

// directTGeom extends the flat geometry with the kernel's tiles.
type directTGeom struct {
	flatGeom
	pR   int // real positions rounded up to whole tiles of directMR
	outR int // output channels rounded up to whole tiles of directNR
}

// directTFwdJob computes the forward convolution of samples [lo, hi).
type directTFwdJob struct {
	d    directTGeom
	y, x []float32
	wt   []float32 // per block of 16 channels, k rows of 16 weights
	bias []float32 // the biases, zero past the last channel (outR)
	offs []int     // byte offsets of the taps in the padded sample
	pos  []int     // byte offsets of the real positions, pR of them
}

func (j *directTFwdJob) run(lo, hi int) {
	d := &j.d
	k, p := d.k(), d.p()
	at := align64(d.plane)
	buf := convScratch[float32](at + d.pR*d.outR)
	defer convRelease(buf)
	xpad, yt := (*buf)[:d.plane], (*buf)[at:]
	xs, ys := d.c*d.h*d.w, d.out*p
	for n := lo; n < hi; n++ {
		// The kernel reads real positions only, so an unpadded sample is
		// read where it is.
		xn := j.x[n*xs:][:xs]
		if d.ph != 0 || d.pw != 0 {
			flatPad(&d.flatGeom, xpad, xn)
			xn = xpad
		}
		for ob := 0; ob < d.outR; ob += directNR {
			for pb := 0; pb < d.pR; pb += directMR {
				directConvT6x16(k, &j.wt[ob*k], &j.offs[0], &xn[0], &j.pos[pb], &yt[pb*d.outR+ob], d.outR*4, &j.bias[ob])
			}
		}
		// yt is positions × channels; y is channels × positions.
		kern.Transpose32(j.y[n*ys:][:ys], p, yt, d.outR, p, d.out)
	}
}

// directTForward computes y = w·im2col(x) + b with the transposed kernel,
// the samples spread over the cores.
func directTForward(g *convGeom, y, x, w, b []float32) {
	d := directTGeom{flatGeom: newFlatGeom(g)}
	d.pR = (d.p() + directMR - 1) / directMR * directMR
	d.outR = (g.out + directNR - 1) / directNR * directNR
	k := d.k()
	wt := convScratch[float32](d.outR * k)
	defer convRelease(wt)
	// wt[ob][t][o] = w[ob·16+o][t], zero past the last channel.
	clear(*wt)
	for o := 0; o < g.out; o++ {
		blk, lane := o/directNR, o%directNR
		for t, v := range w[o*k : (o+1)*k] {
			(*wt)[(blk*k+t)*directNR+lane] = v
		}
	}
	tb := directTablePool.Get().(*directTables)
	defer directTablePool.Put(tb)
	tb.offs = growInts(tb.offs, k)
	d.taps(func(r, off int) { tb.offs[r] = off * 4 })
	tb.pos = growInts(tb.pos, d.pR)
	clear(tb.pos) // positions past the last read position 0; dropped
	for q := 0; q < d.p(); q++ {
		tb.pos[q] = ((q/d.ow)*d.wp + q%d.ow) * 4
	}

	bias := convScratch[float32](d.outR)
	defer convRelease(bias)
	clear(*bias)
	copy(*bias, b) // b may be nil: no bias

	j := getJob[directTFwdJob]()
	*j = directTFwdJob{d: d, y: y, x: x, bias: *bias, wt: *wt, offs: tb.offs, pos: tb.pos}
	parallelRun(g.n, 1, j)
	putJob(j)
}
