package kernels

import (
	kern "github.com/featlearn/featlearn/ops/internal/gemm"
	"github.com/featlearn/featlearn/ops/internal/workers"
)

// The transposed direct forward serves float32 stride-1 convolutions with
// more than 8 output channels (LeNet's conv2) on AVX2 CPUs. The direct
// forward of conv_direct.go vectorises over 16 positions of the flat
// virtual grid, so for conv2 (a 14-wide input, 10 outputs a row) 30 % of
// what it computes are virtual positions, and its 6-channel panels round
// 16 channels up to 18. Here the channels are the 16 vector lanes and the
// kernel broadcasts the inputs of any six real positions: of conv2's
// 100 positions by 16 channels it computes 102 by 16.

// With AVX-512 (wide) the kernels are generated ones (asm/conv.go): a
// tile is up to four output rows of up to 14 consecutive positions by 16
// or 32 channels, the positions of a row addressed by displacement from
// one pointer, so no position table is read; a row wider than 14 is cut
// into equal chunks, the last one overlapping the one before when they do
// not divide it (the overlap is computed twice and stored twice, the same
// bits). Channel blocks are 32 wide while more than 16 channels are left.

// directTGeom extends the flat geometry with the kernel's tiles.
type directTGeom struct {
	flatGeom
	pR    int // real positions rounded up to whole tiles of directMR
	outR  int // output channels rounded up to whole tiles of directNR
	wide  bool
	chunk int // wide: positions per row chunk
}

// dtFwdFn is the signature of the generated forward kernels.
type dtFwdFn func(k int, w *float32, offs *int, x *float32, rows *int, y *float32, yrows *int, ldy int, b *float32)

// fwdMaxP is the most positions of one row a wide forward tile covers;
// fwdRows is the number of rows it covers for v vectors of 16 channels
// and p positions (both as asm/conv.go generates them).
const fwdMaxP = 14

func fwdRows(v, p int) int { return max(1, min(4, 28/(p*v))) }

// chunkOfRow returns the positions per chunk that cut a row of ow positions
// into equal chunks of at most fwdMaxP.
func chunkOfRow(ow int) int {
	chunks := (ow + fwdMaxP - 1) / fwdMaxP
	return (ow + chunks - 1) / chunks
}

// directTFwdJob computes the forward convolution of samples [lo, hi).
type directTFwdJob struct {
	d    directTGeom
	y, x []float32
	wt   []float32 // per block of 16 channels (wide: 16 or 32), k rows of its weights
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
	var tiles *wideTiles
	if d.wide {
		tiles = wideTileList.Get()
		defer wideTileList.Put(tiles)
	}
	for n := lo; n < hi; n++ {
		// The kernel reads real positions only, so an unpadded sample is
		// read where it is.
		xn := j.x[n*xs:][:xs]
		if d.ph != 0 || d.pw != 0 {
			flatPad(&d.flatGeom, xpad, xn)
			xn = xpad
		}
		if d.wide {
			j.wide(tiles, xn, yt)
		} else {
			for ob := 0; ob < d.outR; ob += directNR {
				for pb := 0; pb < d.pR; pb += directMR {
					directConvT6x16(k, &j.wt[ob*k], &j.offs[0], &xn[0], &j.pos[pb], &yt[pb*d.outR+ob], d.outR*4, &j.bias[ob])
				}
			}
		}
		// yt is positions × channels; y is channels × positions.
		kern.Transpose32(j.y[n*ys:][:ys], p, yt, d.outR, p, d.out)
	}
}

// wideTiles holds a wide tile's row offsets; pooled, because a pointer to
// a stack array would escape through the kernel table's function values.
type wideTiles struct{ rows, yrows [8]int }

var wideTileList workers.FreeList[wideTiles]

// wide computes one sample's yt with the AVX-512 kernels.
func (j *directTFwdJob) wide(t *wideTiles, xn, yt []float32) {
	d := &j.d
	k, ldy := d.k(), d.outR*4
	for cb := 0; cb < d.outR; {
		v := 1
		if d.outR-cb > 16 {
			v = 2
		}
		rows := fwdRows(v, d.chunk)
		fn := dtFwd[v-1][d.chunk]
		for r0 := 0; r0 < d.oh; r0 += rows {
			for s0 := 0; s0 < d.ow; s0 += d.chunk {
				s0 = min(s0, d.ow-d.chunk) // the last chunk overlaps
				for r := range rows {
					rr := min(r0+r, d.oh-1) // past the last row, the last again
					t.rows[r] = (rr*d.wp + s0) * 4
					t.yrows[r] = (rr*d.ow + s0) * ldy
				}
				fn(k, &j.wt[cb*k], &j.offs[0], &xn[0], &t.rows[0], &yt[cb], &t.yrows[0], ldy, &j.bias[cb])
			}
		}
		cb += 16 * v
	}
}

// directTForward computes y = w·im2col(x) + b with the transposed kernels,
// the AVX-512 ones when wide is set, the samples spread over the cores.
func directTForward(g *convGeom, y, x, w, b []float32, wide bool) {
	d := directTGeom{flatGeom: newFlatGeom(g), wide: wide}
	d.pR = (d.p() + directMR - 1) / directMR * directMR
	d.outR = (g.out + directNR - 1) / directNR * directNR
	if wide {
		d.pR, d.chunk = d.p(), chunkOfRow(g.ow)
	}
	k := d.k()
	wt := convScratch[float32](d.outR * k)
	defer convRelease(wt)
	// wt[blk][t][o] = w[blk·bw+o][t] for blocks of bw = 16 channels (wide:
	// 32 while more than 16 are left, then 16), zero past the last channel;
	// block blk starts at its first channel times k.
	clear(*wt)
	for cb := 0; cb < d.outR; {
		bw := directNR
		if wide && d.outR-cb > 16 {
			bw = 32
		}
		for o := cb; o < min(cb+bw, g.out); o++ {
			for t, v := range w[o*k : (o+1)*k] {
				(*wt)[cb*k+t*bw+o-cb] = v
			}
		}
		cb += bw
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
