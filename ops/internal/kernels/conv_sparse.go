package kernels

import (
	"encoding/binary"
	"math/bits"
)

// Max pooling sends each window's gradient to one of its inputs, and the
// ReLU before it zeroes more, so the output gradient of a convolution
// followed by ReLU and max pooling is mostly zeros: 86-87 % for both of
// LeNet's convolutions while they learn MNIST. The sparse gradients walk
// only the values that are not zero:
//
//   - filter gradient: each value adds itself times the input window it
//     saw to its channel's filter gradient, c·kh·kw multiply-adds done
//     eight lanes at a time;
//   - input gradient: each window of dx stays in registers while the
//     values at its position add themselves times their channels' filters.
//
// Skipping 0·v is exact for finite v, so the operand the zeros would
// multiply (x for the filters, w for the input) must be finite; NaN and Inf
// in the output gradient are not zeros and are added like any other value
// (the input gradient, whose spare lanes would spread them, leaves such a
// gradient to the dense kernels).

// sparseDwMaxFill is the largest fraction of nonzero output gradients for
// which the sparse gradients beat the dense kernels: each value costs
// c·kh·8 lanes of multiply-adds where a dense kernel spends c·kh·kw.
const sparseDwMaxFill = 0.35

// sparseDwProbe is how many samples' output gradients decide the path.
const sparseDwProbe = 4

// sparseShapeOK says whether the sparse kernels serve g (float32
// assumed): five-row filters at most eight wide, stride 1, and no padding
// unless padded is allowed (the filter gradient reads a padded copy).
func sparseShapeOK(g *convGeom, padded bool) bool {
	return g.sh == 1 && g.sw == 1 && g.kh == 5 && g.kw <= 8 && (padded || g.ph == 0 && g.pw == 0)
}

// sparseOutGrad says whether the output gradient dy is sparse enough for
// the sparse kernels, judged on its first sparseDwProbe samples.
func sparseOutGrad(g *convGeom, dy []float32) bool {
	probe := dy[:min(g.n, sparseDwProbe)*g.out*g.p()]
	return float64(countNonzero32(probe)) <= sparseDwMaxFill*float64(len(probe))
}

// countNonzero32 counts the values of s that are not zero (NaN included),
// through the vector kernel's bit masks, 1024 values at a time.
func countNonzero32(s []float32) int {
	var mask [128]uint8
	count := 0
	for len(s) >= 8 {
		n := min(len(s), 8*len(mask)) &^ 7
		nonzeroMask32(&s[0], n, &mask[0])
		for q := 0; q < n/8; q += 8 {
			if q+8 <= n/8 {
				count += bits.OnesCount64(binary.LittleEndian.Uint64(mask[q:]))
				continue
			}
			for _, b := range mask[q : n/8] {
				count += bits.OnesCount8(b)
			}
		}
		s = s[n:]
	}
	for _, v := range s {
		if v != 0 {
			count++
		}
	}
	return count
}

// sparseFilterGrad computes dw = Σₙ dyₙ·im2col(xₙ)ᵀ from the nonzero values
// of dy. The caller has checked that g suits it (sparseShapeOK), that dy
// is sparse enough (judged on its first samples) and that x is finite.
// Like the other filter gradients it sums the batch in fixed chunks added
// in chunk order, so its bits do not depend on the number of cores.
func sparseFilterGrad(g *convGeom, dw, x, dy []float32) {
	if g.ph != 0 || g.pw != 0 {
		// The windows are read from a padded copy of the batch, as an
		// unpadded convolution of it.
		pg := *g
		pg.h, pg.w, pg.ph, pg.pw = g.h+2*g.ph, g.w+2*g.pw, 0, 0
		xp := convScratch[float32](g.n * g.c * pg.h * pg.w)
		defer convRelease(xp)
		pj := getJob[padJob]()
		*pj = padJob{xp: *xp, x: x, g: *g}
		parallelRun(g.n*g.c, 8, pj)
		putJob(pj)
		g, x = &pg, *xp
	}
	chunks := min(g.n, convGradChunks)
	cR := (g.c + 1) / 2 * 2
	part := g.out * cR * g.kh * 8
	parts := convScratch[float32](chunks * part)
	defer convRelease(parts)
	clear(*parts)
	// The kernel reads eight columns from each window's first: past the end
	// of the batch for the last sample's last rows, which it therefore reads
	// from a copy with room after it.
	xs := g.c * g.h * g.w
	last := convScratch[float32](xs + 8)
	defer convRelease(last)
	copy(*last, x[(g.n-1)*xs:][:xs])
	clear((*last)[xs:])
	tb := directTablePool.Get().(*directTables)
	defer directTablePool.Put(tb)
	if cap(tb.pos32) < g.p() {
		tb.pos32 = make([]int32, g.p())
	}
	tb.pos32 = tb.pos32[:g.p()]
	for q := range tb.pos32 {
		tb.pos32[q] = int32((q/g.ow*g.w + q%g.ow) * 4)
	}

	j := getJob[sparseDwJob]()
	*j = sparseDwJob{g: *g, parts: *parts, x: x, last: *last, dy: dy, dw: dw, pos32: tb.pos32, chunks: chunks, cR: cR}
	parallelRun(chunks*g.out, 1, j)
	j.reduce = true
	parallelRun(g.out, 2, j)
	putJob(j)
}

// padJob writes planes [lo, hi) of x (g's input) into xp with g's zero
// padding around each.
type padJob struct {
	xp, x []float32
	g     convGeom
}

func (j *padJob) run(lo, hi int) {
	g := &j.g
	hp, wp := g.h+2*g.ph, g.w+2*g.pw
	clear(j.xp[lo*hp*wp : hi*hp*wp])
	for p := lo; p < hi; p++ {
		dst, src := j.xp[(p*hp+g.ph)*wp+g.pw:], j.x[p*g.h*g.w:][:g.h*g.w]
		if avx2() && g.w >= 8 {
			copyRows32(&dst[0], &src[0], g.h, g.w, wp, g.w, 0, false)
			continue
		}
		for r := 0; r < g.h; r++ {
			copy(dst[r*wp:][:g.w], src[r*g.w:][:g.w])
		}
	}
}

// sparseDwJob computes the partial filter gradients of items [lo, hi), an
// item being one output channel of one chunk, or with reduce sums the
// chunks into dw for output channels [lo, hi).
type sparseDwJob struct {
	g          convGeom
	parts      []float32 // per chunk, out × cR × kh × 8
	x, last    []float32
	dy, dw     []float32
	pos32      []int32 // byte offsets of the output positions' windows
	chunks, cR int
	reduce     bool
}

func (j *sparseDwJob) run(lo, hi int) {
	if j.reduce {
		j.sum(lo, hi)
		return
	}
	g := &j.g
	p, xs := g.p(), g.c*g.h*g.w
	t := sparseTileList.Get()
	defer sparseTileList.Put(t)
	per := (g.n + j.chunks - 1) / j.chunks
	t.offs = growInts(t.offs, per*p+8)
	t.pack = grown(t.pack, per*p+8)
	for item := lo; item < hi; item++ {
		c, o := item/g.out, item%g.out
		n0, n1 := c*g.n/j.chunks, (c+1)*g.n/j.chunks
		acc := j.parts[(c*g.out+o)*j.cR*g.kh*8:][:j.cR*g.kh*8]
		// The last sample of the batch reads from its copy.
		inPlace, fromCopy := n1, 0
		if n1 == g.n {
			inPlace, fromCopy = n1-1, 1
		}
		nk := 0
		for n := n0; n < inPlace; n++ {
			nk = j.gather(t, nk, j.dy[(n*g.out+o)*p:][:p], n*xs*4)
		}
		j.accumulate(acc, nk, t, j.x)
		if fromCopy == 1 {
			nk = j.gather(t, 0, j.dy[((g.n-1)*g.out+o)*p:][:p], 0)
			j.accumulate(acc, nk, t, j.last)
		}
	}
}

// gather appends the nonzero values of one output-gradient plane and the
// byte offsets of their windows (plus base) to t's lists, which hold nk
// entries and room for 7 more than the plane adds, and returns the new
// count.
func (j *sparseDwJob) gather(t *sparseTile, nk int, plane []float32, base int) int {
	full := len(plane) &^ 7
	if full > 0 {
		nk += compress(&plane[0], &j.pos32[0], full, base, &t.pack[nk], &t.offs[nk])
	}
	for q := full; q < len(plane); q++ {
		if v := plane[q]; v != 0 {
			t.offs[nk], t.pack[nk] = base+int(j.pos32[q]), v
			nk++
		}
	}
	return nk
}

// compress is compressNonzero32, or its AVX-512 form (VCOMPRESSPS, masked
// stores) where the level allows: the same entries either way.
func compress(x *float32, pos *int32, n, base int, vals *float32, offs *int) int {
	if avx512() {
		return compressNonzero512(x, pos, n, base, vals, offs)
	}
	return compressNonzero32(x, pos, n, base, &compressLUT, vals, offs)
}

// compressLUT[m] lists the set bits of m in order, then zeros: the lane
// permutation that packs the chosen lanes of a group of eight first.
var compressLUT = func() (lut [256][8]int32) {
	for m := range lut {
		k := 0
		for b := 0; b < 8; b++ {
			if m>>b&1 != 0 {
				lut[m][k] = int32(b)
				k++
			}
		}
	}
	return lut
}()

// nonzeroEntries writes the indices of plane's nonzero values (NaN
// included), taken from index (index[q] = q), and the values into idx and
// vals, in order, and returns how many there are. Both need room for 7
// entries more than the plane's size.
func nonzeroEntries(idx []int, vals, plane []float32, index []int32) int {
	full, nk := len(plane)&^7, 0
	if full > 0 {
		nk = compress(&plane[0], &index[0], full, 0, &vals[0], &idx[0])
	}
	for q := full; q < len(plane); q++ {
		if v := plane[q]; v != 0 {
			idx[nk], vals[nk] = q, v
			nk++
		}
	}
	return nk
}

// accumulate adds t's nk entries, windows of x, to one output channel's
// accumulators, two input channels at a time.
func (j *sparseDwJob) accumulate(acc []float32, nk int, t *sparseTile, x []float32) {
	if nk == 0 {
		return
	}
	g := &j.g
	plane := g.h * g.w
	if g.c == 1 {
		sparseDw5x1(nk, &t.offs[0], &t.pack[0], &x[0], g.w*4, &acc[0])
		return
	}
	for c := 0; c < g.c; c += 2 {
		next := plane * 4
		if c+1 == g.c {
			next = 0 // an odd last channel pairs with itself; dropped
		}
		sparseDw5x2(nk, &t.offs[0], &t.pack[0], &x[c*plane], next, g.w*4, &acc[c*g.kh*8])
	}
}

// sum writes dw for output channels [lo, hi): the chunks' accumulators
// added into the first chunk's in chunk order, then their first kw lanes.
func (j *sparseDwJob) sum(lo, hi int) {
	g := &j.g
	per := j.cR * g.kh * 8
	part := g.out * per
	acc := j.parts[lo*per : hi*per]
	for ch := 1; ch < j.chunks; ch++ {
		addTo(acc, j.parts[ch*part+lo*per:][:len(acc)])
	}
	for o := lo; o < hi; o++ {
		for c := 0; c < g.c; c++ {
			for i := 0; i < g.kh; i++ {
				copy(j.dw[((o*g.c+c)*g.kh+i)*g.kw:][:g.kw], j.parts[(o*j.cR+c)*g.kh*8+i*8:][:g.kw])
			}
		}
	}
}

// sparseInputGrad computes dx, the transposed convolution of dy, from the
// nonzero values of dy. The caller has checked that g suits it (and has at
// most 64 output channels, a bit each in a window's mask), that dy is
// sparse enough, and that w and dy are finite (the kernel's zero lanes
// would turn Inf or NaN into NaN next to the window). Each nonzero value adds itself times its channel's
// filters to the window of dx it came from. The kernel keeps a position's
// window of three channels in registers while all of its values are
// added, in channel order, so each window is read and written once; each
// sample is one worker's, so the bits do not depend on the number of
// cores.
func sparseInputGrad(g *convGeom, dx, w, dy []float32) {
	// wp[o][c][i] holds row i of filter (o, c) in eight lanes, zero past kw
	// and for the channels that round c up to whole groups of three.
	c3 := (g.c + 2) / 3 * 3
	wp := convScratch[float32](g.out * c3 * g.kh * 8)
	defer convRelease(wp)
	clear(*wp)
	for o := 0; o < g.out; o++ {
		for r := 0; r < g.c*g.kh; r++ {
			copy((*wp)[(o*c3*g.kh+r)*8:][:g.kw], w[(o*g.c*g.kh+r)*g.kw:][:g.kw])
		}
	}
	tb := directTablePool.Get().(*directTables)
	defer directTablePool.Put(tb)
	tb.pos = growInts(tb.pos, g.p())
	for q := range tb.pos {
		tb.pos[q] = (q/g.ow*g.w + q%g.ow) * 4
	}
	j := getJob[sparseDxJob]()
	if cap(tb.pos32) < g.p() {
		tb.pos32 = make([]int32, g.p())
	}
	tb.pos32 = tb.pos32[:g.p()]
	for q := range tb.pos32 {
		tb.pos32[q] = int32(q)
	}
	*j = sparseDxJob{g: *g, c3: c3, dx: dx, dy: dy, wp: *wp, pos: tb.pos, index: tb.pos32}
	parallelRun(g.n, 1, j)
	putJob(j)
}

// sparseDxJob computes the input gradients of samples [lo, hi).
type sparseDxJob struct {
	g          convGeom
	c3         int // channels rounded up to whole groups of three
	dx, dy, wp []float32
	pos        []int   // byte offsets of the output positions' windows
	index      []int32 // 0, 1, 2, ...: the positions' indices
}

func (j *sparseDxJob) run(lo, hi int) {
	g := &j.g
	p, plane := g.p(), g.h*g.w
	// Samples are built in copies with room after them: the kernel's
	// lanes past the last window of the last channel write past the
	// sample, where the next sample may belong to another worker.
	stride := align64(j.c3*plane + 8)
	buf := convScratch[float32](sparseDxGroup * stride)
	defer convRelease(buf)
	t := sparseTileList.Get()
	defer sparseTileList.Put(t)
	keys := sparseDxGroup * p
	t.cnt = growInts(t.cnt, keys)
	t.offs = growInts(t.offs, 3*keys)
	t.idx = growInts(t.idx, p+8)
	t.vals = grown(t.vals, p+8)
	masks := t.cnt[:keys]
	filters := j.c3 * g.kh * 8 * 4
	for n0 := lo; n0 < hi; n0 += sparseDxGroup {
		group := min(sparseDxGroup, hi-n0)
		dyg := j.dy[n0*g.out*p:][:group*g.out*p]
		// Per window (position and sample, the samples taking turns),
		// the output channels whose value there is not zero.
		clear(masks)
		for sp := 0; sp < group*g.out; sp++ {
			sn, o := sp/g.out, sp%g.out
			m := nonzeroEntries(t.idx, t.vals, dyg[sp*p:][:p], j.index)
			for _, q := range t.idx[:m] {
				masks[q*sparseDxGroup+sn] |= 1 << o
			}
		}
		windows := 0
		for key, m := range masks {
			if m == 0 {
				continue
			}
			q, sn := key/sparseDxGroup, key%sparseDxGroup
			w := t.offs[3*windows:][:3]
			w[0], w[1], w[2] = sn*stride*4+j.pos[q], (sn*g.out*p+q)*4, m
			windows++
		}
		sc := (*buf)[:group*stride]
		clear(sc)
		for c := 0; windows > 0 && c < g.c; c += 3 {
			sparseDx5x3m(windows, &t.offs[0], &dyg[0], &j.wp[c*g.kh*8], &sc[c*plane], plane*4, g.w*4, p*4, filters)
		}
		for sn := 0; sn < group; sn++ {
			copy(j.dx[(n0+sn)*g.c*plane:][:g.c*plane], sc[sn*stride:][:g.c*plane])
		}
	}
}

// sparseDxGroup is how many samples sparseDxJob interleaves: the windows
// of one sample overlap, so each waits for the one before it to be
// written, while those of different samples can be added at once.
const sparseDxGroup = 4
