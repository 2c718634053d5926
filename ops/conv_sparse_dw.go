package ops

import (
	"encoding/binary"
	"math/bits"
)

// Max pooling sends each window's gradient to one of its inputs, and the
// ReLU before it zeroes more, so the output gradient of a convolution
// followed by ReLU and max pooling is mostly zeros (LeNet's conv2: at most
// one value in four is not zero). The sparse filter gradient walks only the
// values that are not: each adds itself times the input window it saw to
// its channel's filter gradient, c·kh·kw multiply-adds done eight lanes at a
// time. Skipping 0·x is exact for finite x, so the input must be finite;
// NaN and Inf in the output gradient are not zeros and are added like any
// other value.

// sparseDwMaxFill is the largest fraction of nonzero output gradients for
// which the sparse filter gradient beats the dense kernels: each value
// costs c·kh·8 lanes of multiply-adds where a dense kernel spends c·kh·kw.
const sparseDwMaxFill = 0.35

// sparseDwProbe is how many samples' output gradients decide the path.
const sparseDwProbe = 4

// sparseDwOK says whether sparseFilterGrad serves g (float32 assumed): the
// kernel takes five-row filters at most eight wide, stride 1, no padding.
func sparseDwOK(g *convGeom) bool {
	return useAVX2 && g.sh == 1 && g.sw == 1 && g.ph == 0 && g.pw == 0 && g.kh == 5 && g.kw <= 8
}

// sparseOutGrad says whether the output gradient dy is sparse enough for
// the sparse kernels, judged on its first sparseDwProbe samples.
func sparseOutGrad(g *convGeom, dy []float32) bool {
	probe := dy[:min(g.n, sparseDwProbe)*g.out*g.p()]
	nonzero := 0
	for _, v := range probe {
		if v != 0 {
			nonzero++
		}
	}
	return float64(nonzero) <= sparseDwMaxFill*float64(len(probe))
}

// sparseFilterGrad computes dw = Σₙ dyₙ·im2col(xₙ)ᵀ from the nonzero values
// of dy and reports whether it did; it leaves dw untouched and returns
// false when g does not suit it, dy is too dense (judged on its first
// samples) or x holds Inf or NaN. Like the other filter gradients it sums
// the batch in fixed chunks added in chunk order, so its bits do not depend
// on the number of cores.
func sparseFilterGrad(g *convGeom, dw, x, dy []float32) bool {
	if !sparseDwOK(g) {
		return false
	}
	if !sparseOutGrad(g, dy) || !allFinite32(x) {
		return false
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
	tb.pos = growInts(tb.pos, g.p())
	for q := range tb.pos {
		tb.pos[q] = (q/g.ow*g.w + q%g.ow) * 4
	}

	j := getJob[sparseDwJob]()
	*j = sparseDwJob{g: *g, parts: *parts, x: x, last: *last, dy: dy, dw: dw, pos: tb.pos, chunks: chunks, cR: cR}
	parallelRun(chunks*g.out, 1, j)
	j.reduce = true
	parallelRun(g.out, 2, j)
	putJob(j)
	return true
}

// sparseDwJob computes the partial filter gradients of items [lo, hi), an
// item being one output channel of one chunk, or with reduce sums the
// chunks into dw for output channels [lo, hi).
type sparseDwJob struct {
	g          convGeom
	parts      []float32 // per chunk, out × cR × kh × 8
	x, last    []float32
	dy, dw     []float32
	pos        []int // byte offsets of the output positions' windows
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
	t.offs = growInts(t.offs, per*p)
	t.pack = grown(t.pack, per*p)
	t.idx = growInts(t.idx, p)
	var mask [64]uint8
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
			nk = j.gather(t, nk, &mask, j.dy[(n*g.out+o)*p:][:p], n*xs*4)
		}
		j.accumulate(acc, nk, t, j.x)
		if fromCopy == 1 {
			nk = j.gather(t, 0, &mask, j.dy[((g.n-1)*g.out+o)*p:][:p], 0)
			j.accumulate(acc, nk, t, j.last)
		}
	}
}

// gather appends the nonzero values of one output-gradient plane and the
// byte offsets of their windows (plus base) to t's lists, which hold nk
// entries, and returns the new count.
func (j *sparseDwJob) gather(t *sparseTile, nk int, mask *[64]uint8, plane []float32, base int) int {
	m := planeNonzeros(t.idx, mask, plane)
	for _, q := range t.idx[:m] {
		t.offs[nk], t.pack[nk] = base+j.pos[q], plane[q]
		nk++
	}
	return nk
}

// planeNonzeros writes the indices of the values of plane that are not
// zero into idx, in order, and returns how many there are.
func planeNonzeros(idx []int, mask *[64]uint8, plane []float32) int {
	nk := 0
	if len(plane) > 8*len(mask) {
		// Planes larger than the mask go value by value.
		for q, v := range plane {
			if v != 0 {
				idx[nk] = q
				nk++
			}
		}
		return nk
	}
	full := len(plane) &^ 7
	*mask = [64]uint8{}
	if full > 0 {
		nonzeroMask32(&plane[0], full, &mask[0])
	}
	for q := full; q < len(plane); q++ {
		if plane[q] != 0 {
			mask[q/8] |= 1 << (q % 8)
		}
	}
	for w := 0; w*64 < len(plane); w++ {
		for m := binary.LittleEndian.Uint64(mask[w*8:]); m != 0; m &= m - 1 {
			idx[nk] = w*64 + bits.TrailingZeros64(m)
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
// nonzero values of dy and reports whether it did; it leaves dx untouched
// and returns false when g does not suit it, dy is too dense, or w or dy
// hold Inf or NaN (the kernel's zero lanes would turn those into NaN next
// to the window). Each nonzero value adds itself times its channel's
// filters to the window of dx it came from. The kernel keeps a position's
// window of three channels in registers while all of its values are
// added, in channel order, so each window is read and written once; each
// sample is one worker's, so the bits do not depend on the number of
// cores.
func sparseInputGrad(g *convGeom, dx, w, dy []float32) bool {
	if !sparseDwOK(g) || !sparseOutGrad(g, dy) || !allFinite32(w) || !allFinite32(dy) {
		return false
	}
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
	*j = sparseDxJob{g: *g, c3: c3, dx: dx, dy: dy, wp: *wp, pos: tb.pos}
	parallelRun(g.n, 1, j)
	putJob(j)
	return true
}

// sparseDxJob computes the input gradients of samples [lo, hi).
type sparseDxJob struct {
	g          convGeom
	c3         int // channels rounded up to whole groups of three
	dx, dy, wp []float32
	pos        []int // byte offsets of the output positions' windows
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
	most := sparseDxGroup * g.out * p
	t.offs = growInts(t.offs, 2*most)
	t.pack = grown(t.pack, most)
	t.idx = growInts(t.idx, most)
	keys := sparseDxGroup * p
	t.cnt = growInts(t.cnt, 2*keys+sparseDxGroup*g.out)
	counts, next := t.cnt[:keys], t.cnt[keys:2*keys]
	found := t.cnt[2*keys:]
	var mask [64]uint8
	filters := j.c3 * g.kh * 8 * 4
	for n0 := lo; n0 < hi; n0 += sparseDxGroup {
		group := min(sparseDxGroup, hi-n0)
		dyg := j.dy[n0*g.out*p:][:group*g.out*p]
		// The nonzero values, plane by plane, then sorted by position and
		// sample (a counting sort; a position's values stay in channel
		// order).
		clear(counts)
		for sp := 0; sp < group*g.out; sp++ {
			sn := sp / g.out
			found[sp] = planeNonzeros(t.idx[sp*p:], &mask, dyg[sp*p:][:p])
			for _, q := range t.idx[sp*p:][:found[sp]] {
				counts[q*sparseDxGroup+sn]++
			}
		}
		windows, at := 0, 0
		for key, k := range counts {
			next[key] = at
			at += k
			if k > 0 {
				windows++
			}
		}
		for sp, m := range found[:group*g.out] {
			sn, o := sp/g.out, sp%g.out
			for _, q := range t.idx[sp*p:][:m] {
				key := q*sparseDxGroup + sn
				e := next[key]
				next[key]++
				t.offs[2*e], t.offs[2*e+1] = sn*stride*4+j.pos[q], o*filters
				t.pack[e] = dyg[sp*p+q]
			}
		}
		for key, k := range counts {
			if k > 0 {
				t.offs[2*(next[key]-1)+1] |= 1 // the window's last value
			}
		}
		sc := (*buf)[:group*stride]
		clear(sc)
		for c := 0; windows > 0 && c < g.c; c += 3 {
			sparseDx5x3(windows, &t.offs[0], &t.pack[0], &sc[c*plane], &j.wp[c*g.kh*8], plane*4, g.w*4)
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
