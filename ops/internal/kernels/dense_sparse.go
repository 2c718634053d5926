package kernels

import (
	"cmp"
	"encoding/binary"
	"math/bits"
	"slices"

	kern "github.com/featlearn/featlearn/ops/internal/gemm"
	"github.com/featlearn/featlearn/ops/internal/workers"
)

// A dense layer fed raw pixels spends most of its multiply-adds on zeros:
// 81 % of MNIST's pixels are 0, and /255 keeps them 0. When a float32 input
// is sparse enough, the layer's forward product and its weight gradient run
// the 6×16 gather kernel over the steps that are not zero:
//
//   - forward, y += x·wᵀ: six rows of x share one list of the columns where
//     any of them is not zero (35-39 % of MNIST's 784 with the rows grouped,
//     see sparseForward32), read against wᵀ packed in 16-wide panels;
//   - weight gradient, dw = dyᵀ·x: each 16-pixel panel of x has the list of
//     samples whose panel is not all zero (58 % on MNIST).
//
// Skipping a term 0·v is exact for finite v, so the operand that is not
// skipped (w, or dy) must be finite; when it is not, or when too few steps
// would be skipped, the dense GEMM runs instead. Each output element is one
// kernel call's sum over its steps in order, so results do not depend on the
// number of cores. NaN inputs count as not zero.

const (
	sparseMR = 6
	sparseNR = kern.PanelWidth
	// sparseMaxFill is the largest fraction of kept steps at which the
	// gather kernel still beats the dense GEMM. Measured on Zen 4 with
	// MLP's first layer (batch 1000 and 64): the gather kernel runs at
	// 70-80 % of the dense kernel's rate per step.
	sparseMaxFill = 0.7
)

// worthSkipping says whether skipping the zeros of x (n×in) might pay,
// judged on its first rows before any parallel work: at most 35 % of them
// nonzero (MNIST's pixels are 19 %, hidden activations after a ReLU often
// half). The masks then decide.
func worthSkipping(x []float32, n, in int) bool {
	probe := x[:min(n, sparseProbeRows)*in]
	return float64(countNonzero32(probe)) <= sparseMaxProbeFill*float64(len(probe))
}

const (
	sparseProbeRows    = 8
	sparseMaxProbeFill = 0.35
	// sparseMinWork is the smallest product, in multiply-adds, that
	// Dense offers the sparse path: smaller ones do not repay its masks,
	// packing and lists (MLP's first layer at batch 64 is 15 M, LeNet's
	// fc1 3 M).
	sparseMinWork = 8 << 20
)

// sparseBufs holds one call's shared buffers. They live on free lists,
// which the garbage collector does not empty (as it does a sync.Pool), so
// that a warm layer allocates nothing.
type sparseBufs struct {
	masks []uint8   // a bit per value of x, maskStride(in) bytes a row
	order []rowKey  // forward: the rows in the order they are grouped
	kept  []int     // forward: the kept steps of each six-row block
	wt    []float32 // forward: wᵀ in 16-wide panels
	bad   []bool    // forward: the panels holding Inf or NaN
}

var sparseBufList workers.FreeList[sparseBufs]

// sparseTile holds one worker's lists (steps, indices, counts, values)
// and edge tile, for the sparse dense and convolution kernels alike.
type sparseTile struct {
	offs []int
	idx  []int
	cnt  []int
	pack []float32
	vals []float32
	tile [sparseMR * sparseNR]float32
}

var sparseTileList workers.FreeList[sparseTile]

// grown returns s with length n, reallocating only when it is short.
func grown[E any](s []E, n int) []E {
	if cap(s) < n {
		return make([]E, n)
	}
	return s[:n]
}

// maskStride is the bytes of a row's mask: whole 64-bit words, so that
// the forward's unions go a word at a time.
func maskStride(in int) int { return (in + 63) / 64 * 8 }

// rowMasks writes the nonzero masks of rows [lo, hi) of x (rows of in
// values) into masks, maskStride(in) bytes a row, zero past column in.
func rowMasks(masks []uint8, x []float32, in, lo, hi int) {
	mb, ms, full := (in+7)/8, maskStride(in), in&^7
	for r := lo; r < hi; r++ {
		row, m := x[r*in:][:in], masks[r*ms:][:ms]
		clear(m[mb:])
		if full > 0 {
			nonzeroMask32(&row[0], full, &m[0])
		}
		if full < in {
			var last uint8
			for i, v := range row[full:] {
				if v != 0 { // NaN too
					last |= 1 << i
				}
			}
			m[mb-1] = last
		}
	}
}

// rowOffsets fills rows with the byte offsets of a tile's six rows, stride
// bytes apart; past the mv real ones it repeats the last, so that the
// kernel reads only real rows (their results are dropped).
func rowOffsets(rows *[sparseMR]int, mv, stride int) {
	for r := range rows {
		rows[r] = min(r, mv-1) * stride
	}
}

// The sparse forward adds x·wᵀ to y (x n×in, w out×in, y n×out; with acc
// false y is overwritten) skipping the zeros of x.
//
// Rows are grouped into blocks of six by a coarse code of where they are
// not zero, so that a block's rows share more of their columns: on MNIST
// that keeps 35 % of the steps at batch 1000 instead of 43 % for rows in
// order. A row's sum is over its own nonzero columns in order either way
// (the others add zeros), so the grouping does not change any bits.
//
// planSparseForward measures x and w: it returns the prepared call when the
// sparse kernel pays (at most sparseMaxFill of the steps kept) and w is
// finite, for runSparseForward to compute, and nil, having released
// everything, otherwise.
//
// With wide (AVX-512) the product takes two full panels a kernel call.
func planSparseForward(y, x, w []float32, n, in, out int, acc, wide bool) *sparseFwdJob {
	bufs := sparseBufList.Get()
	blocks := (n + sparseMR - 1) / sparseMR
	bufs.masks = grown(bufs.masks, n*maskStride(in))
	bufs.order = grown(bufs.order, n)
	bufs.kept = grown(bufs.kept, blocks)

	j := getJob[sparseFwdJob]()
	*j = sparseFwdJob{y: y, x: x, w: w, n: n, in: in, out: out, acc: acc, wide: wide, bufs: bufs}
	j.phase = fwdMasks
	parallelRun(n, 32, j)
	slices.SortFunc(bufs.order, compareRowKeys)
	j.phase = fwdCount
	parallelRun(blocks, 8, j)
	total := 0
	for _, k := range bufs.kept {
		total += k
	}
	if float64(total) > sparseMaxFill*float64(blocks*in) {
		j.release()
		return nil
	}
	panels := (out + sparseNR - 1) / sparseNR
	bufs.wt = grown(bufs.wt, panels*sparseNR*in)
	bufs.bad = grown(bufs.bad, panels)
	j.phase = fwdPack
	parallelRun(panels, 2, j)
	for _, bad := range bufs.bad {
		if bad {
			j.release()
			return nil
		}
	}
	return j
}

// runSparseForward computes a planned call and releases it.
func runSparseForward(j *sparseFwdJob) {
	j.phase = fwdProduct
	parallelRun((j.n+sparseMR-1)/sparseMR, 1, j)
	j.release()
}

// release returns the job and its buffers to their lists.
func (j *sparseFwdJob) release() {
	sparseBufList.Put(j.bufs)
	putJob(j)
}

// rowKey orders the rows of x for grouping: code has bit 63-b set when
// band b of the row's columns holds a value that is not zero.
type rowKey struct {
	code uint64
	row  int
}

func compareRowKeys(a, b rowKey) int {
	if c := cmp.Compare(a.code, b.code); c != 0 {
		return c
	}
	return cmp.Compare(a.row, b.row)
}

// bandCode is the code of a row's mask: up to 64 bands of whole bytes.
func bandCode(m []uint8) uint64 {
	var code uint64
	for q, v := range m {
		if v != 0 {
			code |= 1 << (63 - q*64/len(m))
		}
	}
	return code
}

// The phases of a sparseFwdJob.
const (
	fwdMasks   = iota // over rows: masks and keys
	fwdCount          // over blocks: kept steps
	fwdPack           // over panels of wᵀ
	fwdProduct        // over blocks
)

// sparseFwdJob runs one phase of the sparse forward.
type sparseFwdJob struct {
	y, x, w    []float32
	n, in, out int
	acc        bool
	wide       bool // AVX-512: two panels a kernel call
	phase      int
	bufs       *sparseBufs
}

func (j *sparseFwdJob) run(lo, hi int) {
	mb, ms := (j.in+7)/8, maskStride(j.in)
	switch j.phase {
	case fwdMasks:
		rowMasks(j.bufs.masks, j.x, j.in, lo, hi)
		for r := lo; r < hi; r++ {
			j.bufs.order[r] = rowKey{bandCode(j.bufs.masks[r*ms:][:mb]), r}
		}
	case fwdCount:
		for b := lo; b < hi; b++ {
			rows, mv := j.blockRows(b)
			j.bufs.kept[b] = unionSteps(nil, j.bufs.masks, ms, rows[:mv])
		}
	case fwdPack:
		wt := j.bufs.wt
		kern.PackTransposedPanels(wt, j.w, j.in, j.in, j.out, lo, hi)
		for p := lo; p < hi; p++ {
			j.bufs.bad[p] = !finite32(&wt[p*sparseNR*j.in], sparseNR*j.in)
		}
	case fwdProduct:
		j.product(lo, hi)
	}
}

// blockRows returns the rows of block b and how many there are; past them
// the last one repeats.
func (j *sparseFwdJob) blockRows(b int) (rows [sparseMR]int, mv int) {
	keys := j.bufs.order[b*sparseMR : min(b*sparseMR+sparseMR, j.n)]
	for r := range rows {
		rows[r] = keys[min(r, len(keys)-1)].row
	}
	return rows, len(keys)
}

// unionSteps counts the columns where any of rows is not zero (masks ms
// bytes a row) and, when offs is not nil, lists them as the forward's
// step offsets.
func unionSteps(offs []int, masks []uint8, ms int, rows []int) int {
	nk := 0
	for q := 0; q < ms; q += 8 {
		var u uint64
		for _, r := range rows {
			u |= binary.LittleEndian.Uint64(masks[r*ms+q:])
		}
		if offs == nil {
			nk += bits.OnesCount64(u)
			continue
		}
		for ; u != 0; u &= u - 1 {
			k := q*8 + bits.TrailingZeros64(u)
			offs[2*nk], offs[2*nk+1] = k*4, k*sparseNR*4
			nk++
		}
	}
	return nk
}

// product computes the output rows of blocks [lo, hi). A block's rows are
// anywhere in x and y; a repeated last row computes and stores the same
// values twice.
func (j *sparseFwdJob) product(lo, hi int) {
	t := sparseTileList.Get()
	defer sparseTileList.Put(t)
	in, out, ms := j.in, j.out, maskStride(j.in)
	t.offs = grown(t.offs, 2*in)
	var xrows, yrows [sparseMR]int
	for b := lo; b < hi; b++ {
		rows, mv := j.blockRows(b)
		nk := unionSteps(t.offs, j.bufs.masks, ms, rows[:mv])
		for r, row := range rows {
			xrows[r], yrows[r] = row*in*4, row*out*4
		}
		for c := 0; c < out; c += sparseNR {
			nv := min(sparseNR, out-c)
			panel := &j.bufs.wt[c*in]
			switch {
			case nk == 0:
				if !j.acc {
					for _, row := range rows[:mv] {
						clear(j.y[row*out+c:][:nv])
					}
				}
			case j.wide && c+2*sparseNR <= out:
				// Two full panels at once.
				gather6x32(nk, &t.offs[0], &j.x[0], &xrows[0], panel, &j.bufs.wt[(c+sparseNR)*in], &j.y[c], &yrows[0], j.acc)
				c += sparseNR
			case nv == sparseNR:
				gather6x16(nk, &t.offs[0], &j.x[0], &xrows[0], panel, &j.y[c], &yrows[0], j.acc)
			default:
				for r, row := range rows[:mv] {
					copy(t.tile[r*sparseNR:][:nv], j.y[row*out+c:][:nv])
				}
				gather6x16(nk, &t.offs[0], &j.x[0], &xrows[0], panel, &t.tile[0], &tileRows[0], j.acc)
				for r, row := range rows[:mv] {
					copy(j.y[row*out+c:][:nv], t.tile[r*sparseNR:][:nv])
				}
			}
		}
	}
}

// tileRows are the byte offsets of the rows of a sparseTile's tile.
var tileRows = [sparseMR]int{0, 64, 128, 192, 256, 320}

// clearTile zeroes an mv×nv tile at dst, rows ld apart.
func clearTile(dst []float32, ld, mv, nv int) {
	for r := 0; r < mv; r++ {
		clear(dst[r*ld:][:nv])
	}
}

// The sparse weight gradient writes dw = dyᵀ·x (dy n×out, x n×in, dw
// out×in) skipping, for each 16-column panel of x, the samples whose panel
// is all zero.
//
// planSparseWeightGrad measures x and dy: it returns the prepared call
// when the sparse kernel pays (at most sparseMaxFill of the panels kept)
// and dy is finite, for runSparseWeightGrad to compute, and nil, having
// released everything, otherwise.
//
// With wide (AVX-512) the product takes two full panels a kernel call,
// over the samples either of them keeps: a sample that one of them does not
// keep adds 0·dy = 0 to its sums, which changes no bits.
func planSparseWeightGrad(dw, x, dy []float32, n, in, out int, wide bool) *sparseGradJob {
	bufs := sparseBufList.Get()
	ms, panels := maskStride(in), (in+sparseNR-1)/sparseNR
	bufs.masks = grown(bufs.masks, n*ms)

	j := getJob[sparseGradJob]()
	*j = sparseGradJob{dw: dw, x: x, dy: dy, n: n, in: in, out: out, masks: bufs.masks, bufs: bufs, wide: wide}
	parallelRun(n, 32, j)
	kept := 0
	for s := 0; s < n; s++ {
		m := bufs.masks[s*ms:][:ms]
		for p := 0; p < panels; p++ {
			if panelMask(m, p) != 0 {
				kept++
			}
		}
	}
	if float64(kept) > sparseMaxFill*float64(n*panels) || !allFinite32(dy[:n*out]) {
		j.release()
		return nil
	}
	return j
}

// runSparseWeightGrad computes a planned call and releases it.
func runSparseWeightGrad(j *sparseGradJob) {
	j.product = true
	parallelRun((j.in+sparseNR-1)/sparseNR, 1, j)
	j.release()
}

// release returns the job and its buffers to their lists.
func (j *sparseGradJob) release() {
	sparseBufList.Put(j.bufs)
	putJob(j)
}

// panelMask is the mask bits of a row for the 16 columns of panel p.
func panelMask(m []uint8, p int) uint16 {
	v := uint16(m[2*p])
	if 2*p+1 < len(m) {
		v |= uint16(m[2*p+1]) << 8
	}
	return v
}

// allFinite32 reports whether s holds no Inf or NaN.
func allFinite32(s []float32) bool {
	full := len(s) &^ 7
	if full > 0 && !finite32(&s[0], full) {
		return false
	}
	return !nonFinite(s[full:])
}

// sparseGradJob computes the row masks of samples [lo, hi) of x, or with
// product the weight gradient's panels [lo, hi).
type sparseGradJob struct {
	dw, x, dy  []float32
	n, in, out int
	masks      []uint8
	product    bool
	wide       bool // AVX-512: two panels a kernel call
	bufs       *sparseBufs
}

func (j *sparseGradJob) run(lo, hi int) {
	if !j.product {
		rowMasks(j.masks, j.x, j.in, lo, hi)
		return
	}
	t := sparseTileList.Get()
	defer sparseTileList.Put(t)
	n, in, out, ms := j.n, j.in, j.out, maskStride(j.in)
	t.offs = grown(t.offs, 2*n)
	var rows, crows [sparseMR]int
	for p := lo; p < hi; p++ {
		c := p * sparseNR
		nv := min(sparseNR, in-c)
		pair := j.wide && p+1 < hi && c+2*sparseNR <= in
		// The panel's steps: the samples whose panel (or pair of panels)
		// is not all zero.
		nk := 0
		for s := 0; s < n; s++ {
			m := j.masks[s*ms:][:ms]
			if panelMask(m, p) != 0 || pair && panelMask(m, p+1) != 0 {
				t.offs[2*nk], t.offs[2*nk+1] = s*out*4, s*in*4
				nk++
			}
		}
		if pair {
			for i := 0; i < out; i += sparseMR {
				mv := min(sparseMR, out-i)
				dst := j.dw[i*in+c:]
				if nk == 0 {
					clearTile(dst, in, mv, 2*sparseNR)
					continue
				}
				rowOffsets(&rows, mv, 4)
				rowOffsets(&crows, mv, in*4)
				gather6x32(nk, &t.offs[0], &j.dy[i], &rows[0], &j.x[c], &j.x[c+sparseNR], &dst[0], &crows[0], false)
			}
			p++
			continue
		}
		b, bOK := j.x[c:], true
		if nk > 0 && nv < sparseNR {
			// The kernel reads 16 columns: a narrow last panel is read in
			// place only while that stays inside x.
			last := t.offs[2*nk-1] / 4
			bOK = last+c+sparseNR <= len(j.x)
		}
		if !bOK {
			t.pack = grown(t.pack, nk*sparseNR)
			for q := 0; q < nk; q++ {
				row := t.pack[q*sparseNR:][:sparseNR]
				clear(row[nv:])
				copy(row, j.x[t.offs[2*q+1]/4+c:][:nv])
				t.offs[2*q+1] = q * sparseNR * 4
			}
			b = t.pack
		}
		for i := 0; i < out; i += sparseMR {
			mv := min(sparseMR, out-i)
			dst := j.dw[i*in+c:]
			if nk == 0 {
				clearTile(dst, in, mv, nv)
				continue
			}
			// Past the mv real rows the last one repeats.
			rowOffsets(&rows, mv, 4)
			rowOffsets(&crows, mv, in*4)
			if nv == sparseNR {
				gather6x16(nk, &t.offs[0], &j.dy[i], &rows[0], &b[0], &dst[0], &crows[0], false)
				continue
			}
			gather6x16(nk, &t.offs[0], &j.dy[i], &rows[0], &b[0], &t.tile[0], &tileRows[0], false)
			for r := 0; r < mv; r++ {
				copy(dst[r*in:][:nv], t.tile[r*sparseNR:][:nv])
			}
		}
	}
}
