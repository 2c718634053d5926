package gemm

import (
	"unsafe"

	"github.com/featlearn/featlearn/ops/internal/isa"
)

// Cache blocking, for Zen 3 and 4: 32 KiB L1d, 512 KiB (Zen 3) or 1 MiB
// (Zen 4) L2 per core, L3 shared. A k block of kc steps keeps a 6×kc A
// micro-panel (6 KiB for float32) and a kc×16 B micro-panel (16 KiB) within
// L1d. Element sizes cancel out: float64 tiles are half as wide, so the
// same kc gives the same bytes.
const (
	kcBlock = 256
	// kcLong replaces kcBlock when the B block is a single micro-panel:
	// nothing is then reused from L1, and fewer k blocks mean fewer passes
	// over C.
	kcLong = 2048
	// bBlockBytes is the size of the packed B block of the large-M loop
	// nest: half of Zen 3's L2, leaving room for the A panels streaming
	// past it and for C.
	bBlockBytes = 256 << 10
	// smallPanels is the most micro-panels of A the small-M loop nest
	// takes.
	smallPanels = 8
	// gotoABytes and gotoBBytes size the packed blocks of the classic loop
	// nest: A in L2, B in L3.
	gotoABytes = 144 << 10
	gotoBBytes = 2 << 20
	// dotKC and dotMC block the dot-product loop nest: four B rows of
	// dotKC float32 fill half of L1, dotMC A rows of them a quarter of L2.
	dotKC = 1024
	dotMC = 48
)

// problem is one call's arguments.
type problem[T float] struct {
	transA, transB bool
	m, n, k        int
	alpha          T
	a              []T
	lda            int
	b              []T
	ldb            int
	beta           T
	c              []T
	ldc            int
	// directA says that A is row-major and its rows can be read in place
	// without crowding L1 (see aliasFree).
	directA bool
}

// part is a piece of a problem for one thread: C[i0:i1, j0:j1] summed over
// k steps [p0, p1), written to c with row stride ldc (C itself, or a private
// buffer when K is split) and with beta applied by the first k block.
type part[T float] struct {
	i0, i1, j0, j1, p0, p1 int
	c                      []T
	ldc                    int
	beta                   T
}

// tiles is the kernel choice for one problem: main for whole tiles and,
// when edge.nr > 0, edge for a right edge at most edge.nr wide.
// short, when short.nr > 0, serves a last micro-panel of at most short.mr
// rows, which main would compute mostly for nothing.
type tiles[T float] struct {
	main, edge, short tiling[T]
	dot               dotFn[T]
	dotMR, dotNR      int
	gemv              gemvFn[T]
}

func chooseTiles[T float](ks *kernelSet[T], n int) tiles[T] {
	if ks.tall.nr > 0 && n <= ks.tall.nr {
		return tiles[T]{main: ks.tall, short: ks.half, dot: ks.dot, dotMR: ks.dotMR, dotNR: ks.dotNR, gemv: ks.gemv}
	}
	return tiles[T]{main: ks.main, edge: ks.half, dot: ks.dot, dotMR: ks.dotMR, dotNR: ks.dotNR, gemv: ks.gemv}
}

// pick returns the tiling for a panel nv columns wide.
func (t *tiles[T]) pick(nv int) *tiling[T] {
	if t.edge.nr > 0 && nv <= t.edge.nr {
		return &t.edge
	}
	return &t.main
}

// panelsWidth is the width of the packed panels of nb columns.
func (t *tiles[T]) panelsWidth(nb int) int {
	nr := t.main.nr
	w := nb / nr * nr
	if rem := nb - w; rem > 0 {
		w += t.pick(rem).nr
	}
	return w
}

// runPart computes one part with the loop nest that suits its shape.
func runPart[T float](ws *workspace[T], pr *problem[T], t *tiles[T], pt *part[T]) {
	switch {
	case useDot(pr, t, pt.i1-pt.i0):
		runDot(pr, t, pt)
	case pt.i1-pt.i0 <= smallPanels*t.main.mr:
		runSmallM(ws, pr, t, pt)
	case pt.j1-pt.j0 <= t.main.nr || pr.directA:
		runLargeM(ws, pr, t, pt)
	default:
		runGoto(ws, pr, t, pt)
	}
}

// useDot says whether an mp-row part of pr goes to the dot-product kernel:
// A·Bᵀ with k long enough to amortise the final horizontal sums, and few
// enough rows of A that packing B would not pay off. Measured on Zen 4,
// single thread: 6×25×784 runs at 72 GFLOP/s instead of 13 with packing,
// 64×784×300 at 81 instead of 67; 300³ breaks even, and 1024³ (61 against
// 103) and k = 16 (27 against 80) are better packed.
//
// The AVX-512 dot tile (3×8) also takes parts with more rows when N is at
// least dotWideMinN: Zen 5, one thread, CPU time, the MLP's second layer
// at batch 1000 (1000×100×300) at 137-138 GFLOP/s instead of 111 packed,
// its first (1000×300×784) alike at 148-149; the third (N = 10) is better
// packed, 106 against 70.
func useDot[T float](pr *problem[T], t *tiles[T], mp int) bool {
	return t.dot != nil && pr.transB && !pr.transA && pr.k >= dotMinK &&
		(mp <= dotMaxM || t.dotNR >= 8 && pr.n >= dotWideMinN)
}

// dotMinK and dotMaxM bound the products useDot sends to the dot kernel,
// dotWideMinN the ones it sends to the AVX-512 one.
const dotMinK, dotMaxM, dotWideMinN = 32, 128, 64

// runDot computes A·Bᵀ tile by tile with the dot-product kernel, reading
// both operands in place. A tile's rows of B (a k block of them) stay in L1
// while the rows of a block of A, in L2, stream past them.
func runDot[T float](pr *problem[T], t *tiles[T], pt *part[T]) {
	if pt.i1-pt.i0 == 1 && t.gemv != nil {
		runGemv(pr, t, pt)
		return
	}
	mr, nr := t.dotMR, t.dotNR
	kc, mc := dotKC, dotMC
	for pc := pt.p0; pc < pt.p1; pc += kc {
		kb := min(kc, pt.p1-pc)
		beta := pt.beta
		if pc != pt.p0 {
			beta = 1
		}
		for ic := pt.i0; ic < pt.i1; ic += mc {
			ie := min(ic+mc, pt.i1)
			for jr := pt.j0; jr < pt.j1; jr += nr {
				nv := min(nr, pt.j1-jr)
				for ir := ic; ir < ie; ir += mr {
					t.dot(kb, &pr.a[ir*pr.lda+pc], pr.lda, &pr.b[jr*pr.ldb+pc], pr.ldb, &pt.c[ir*pt.ldc+jr], pt.ldc, pr.alpha, beta, min(mr, ie-ir), nv)
				}
			}
		}
	}
}

// runGemv is runDot for a single row of A (batch-1 inference): the row
// stays in L1 while B streams past it, eight rows at a time. There is no k
// blocking: nothing but the one row of A is reused.
func runGemv[T float](pr *problem[T], t *tiles[T], pt *part[T]) {
	const nr = 8
	i, kb := pt.i0, pt.p1-pt.p0
	for jr := pt.j0; jr < pt.j1; jr += nr {
		t.gemv(kb, &pr.a[i*pr.lda+pt.p0], &pr.b[jr*pr.ldb+pt.p0], pr.ldb, &pt.c[i*pt.ldc+jr], pr.alpha, pt.beta, min(nr, pt.j1-jr))
	}
}

// aliasFree reports whether the mr rows of an A micro-panel read in place,
// k elements each (at most a k block), spread over L1d (64 sets of 64-byte
// lines, 8 ways) with at most 3 lines in any set, leaving the other ways to
// the B panel streaming through. Row strides near a multiple of 4 KiB put
// every row in the same sets; the panel would then be evicted while it is
// being reused. Lines shared by consecutive short rows count once.
func aliasFree(ld, size, mr, k int) bool {
	var sets [64]int
	bytes := min(k, kcBlock) * size
	next := 0 // the first line not counted yet
	for r := 0; r < mr; r++ {
		first := r * ld * size / 64
		// One more line than the row needs, for a row that does not
		// start on a line boundary.
		last := (r*ld*size+bytes-1)/64 + 1
		for l := max(first, next); l <= last; l++ {
			sets[l%64]++
		}
		next = max(next, last+1)
	}
	for _, n := range sets {
		if n > 3 {
			return false
		}
	}
	return true
}

// runLargeM serves tall parts whose A can be read in place: it packs a
// kc×nc block of B, which stays in L2, and streams A past it one
// micro-panel at a time; each A micro-panel stays in L1 while it meets every
// B micro-panel of the block. A is never packed, except for a short last
// micro-panel.
func runLargeM[T float](ws *workspace[T], pr *problem[T], t *tiles[T], pt *part[T]) {
	mr, nr := t.main.mr, t.main.nr
	var z T
	size := int(unsafe.Sizeof(z))
	kc, nc := kcBlock, max(nr, bBlockBytes/(kcBlock*size)/nr*nr)
	if pt.j1-pt.j0 <= nr {
		kc = kcLong
		if pr.transA {
			// Neighbouring micro-panels of a transposed A share cache
			// lines, so a k block of it must stay in L2 between them.
			kc = max(kcBlock, min(kcLong, bBlockBytes/(pr.lda*size)))
		}
	}
	for jc := pt.j0; jc < pt.j1; jc += nc {
		nb := min(nc, pt.j1-jc)
		for pc := pt.p0; pc < pt.p1; pc += kc {
			kb := min(kc, pt.p1-pc)
			beta := pt.beta
			if pc != pt.p0 {
				beta = 1
			}
			bb := grow(&ws.b, kb*t.panelsWidth(nb))
			for jr := 0; jr < nb; jr += nr {
				nv := min(nr, nb-jr)
				packB(bb[jr*kb:], pr, pc, kb, jc+jr, nv, t.pick(nv).nr)
			}
			for ir := pt.i0; ir < pt.i1; ir += mr {
				mv := min(mr, pt.i1-ir)
				short := t.short.nr > 0 && mv <= t.short.mr
				mrq := mr
				if short {
					mrq = t.short.mr
				}
				ap, rsa, csa, strided := aPanel(ws, pr, ir, mv, mrq, pc, kb, nb > nr)
				for jr := 0; jr < nb; jr += nr {
					nv := min(nr, nb-jr)
					kt := t.pick(nv)
					if short {
						kt = &t.short
					}
					f := kt.p
					if strided {
						f = kt.s
					}
					f(kb, ap, rsa, csa, &bb[jr*kb], kt.nr, &pt.c[ir*pt.ldc+jc+jr], pt.ldc, pr.alpha, beta, mv, nv)
				}
			}
		}
	}
}

// aPanel returns the A micro-panel of rows [ir, ir+mv) and k steps
// [pc, pc+kb): read in place when the layout allows it, packed otherwise.
// A transposed A is read in place only when it is not reused: its rows are
// scattered over kb cache lines, which would crowd B out of L1.
func aPanel[T float](ws *workspace[T], pr *problem[T], ir, mv, mr, pc, kb int, reused bool) (ap *T, rsa, csa int, strided bool) {
	if mv == mr {
		if !pr.transA && (pr.directA || !reused) {
			return &pr.a[ir*pr.lda+pc], pr.lda, 1, true
		}
		if pr.transA && !reused {
			return &pr.a[pc*pr.lda+ir], 1, pr.lda, false
		}
	}
	buf := grow(&ws.a, kb*mr)
	packA(buf, pr, ir, mv, mr, pc, kb)
	return &buf[0], 1, mr, false
}

// runGoto is the classic GotoBLAS loop nest, for parts large in M and N
// whose A cannot be read in place: a kc×nc block of B is packed into L3, an
// mc×kc block of A into L2, and each packed B micro-panel stays in L1 while
// it meets every A micro-panel of the block.
func runGoto[T float](ws *workspace[T], pr *problem[T], t *tiles[T], pt *part[T]) {
	mr, nr := t.main.mr, t.main.nr
	var z T
	size := int(unsafe.Sizeof(z))
	kc := kcBlock
	mc := max(mr, gotoABytes/(kc*size)/mr*mr)
	nc := max(nr, gotoBBytes/(kc*size)/nr*nr)
	for jc := pt.j0; jc < pt.j1; jc += nc {
		nb := min(nc, pt.j1-jc)
		for pc := pt.p0; pc < pt.p1; pc += kc {
			kb := min(kc, pt.p1-pc)
			beta := pt.beta
			if pc != pt.p0 {
				beta = 1
			}
			bb := grow(&ws.b, kb*t.panelsWidth(nb))
			for jr := 0; jr < nb; jr += nr {
				nv := min(nr, nb-jr)
				packB(bb[jr*kb:], pr, pc, kb, jc+jr, nv, t.pick(nv).nr)
			}
			for ic := pt.i0; ic < pt.i1; ic += mc {
				mb := min(mc, pt.i1-ic)
				panels := (mb + mr - 1) / mr
				ab := grow(&ws.a, panels*mr*kb)
				for q := 0; q < panels; q++ {
					packA(ab[q*mr*kb:], pr, ic+q*mr, min(mr, mb-q*mr), mr, pc, kb)
				}
				for jr := 0; jr < nb; jr += nr {
					nv := min(nr, nb-jr)
					kt := t.pick(nv)
					for q := 0; q < panels; q++ {
						ir := ic + q*mr
						kt.p(kb, &ab[q*mr*kb], 1, mr, &bb[jr*kb], kt.nr, &pt.c[ir*pt.ldc+jc+jr], pt.ldc, pr.alpha, beta, min(mr, mb-q*mr), nv)
					}
				}
			}
		}
	}
}

// runSmallM serves parts only a few micro-panels tall: their A
// micro-panels stay in L1 or L2 for a k block, and each B micro-panel, read
// in place where possible, is used for all of them before moving on.
// Packing B would cost as much as using it a few times.
func runSmallM[T float](ws *workspace[T], pr *problem[T], t *tiles[T], pt *part[T]) {
	mr := t.main.mr
	rows := pt.i1 - pt.i0
	panels := (rows + mr - 1) / mr
	// A micro-panel meets more than one B micro-panel only when N is
	// wider than a tile; otherwise nothing is reused and long k blocks
	// save passes over C.
	reused := pt.j1-pt.j0 > t.main.nr
	kc := kcBlock
	if !reused {
		kc = kcLong
		if pr.transA {
			// As in runLargeM: keep a k block of the panels' lines in L2.
			var z T
			kc = max(kcBlock, min(kcLong, bBlockBytes/(pr.lda*int(unsafe.Sizeof(z)))))
		}
	}
	// Whole A micro-panels are read in place when the layout allows it
	// (see aPanel); the rest are packed, once per k block.
	inPlace := rows / mr
	if pr.transA && reused || !pr.transA && !pr.directA && reused {
		inPlace = 0
	}
	// A short last micro-panel (always packed) may take the short kernel.
	shortQ := -1
	if t.short.nr > 0 && rows%mr != 0 && rows%mr <= t.short.mr {
		shortQ = panels - 1
	}
	for pc := pt.p0; pc < pt.p1; pc += kc {
		kb := min(kc, pt.p1-pc)
		beta := pt.beta
		if pc != pt.p0 {
			beta = 1
		}
		ab := grow(&ws.a, (panels-inPlace)*mr*kb)
		for q := inPlace; q < panels; q++ {
			ir := pt.i0 + q*mr
			mrq := mr
			if q == shortQ {
				mrq = t.short.mr
			}
			packA(ab[(q-inPlace)*mr*kb:], pr, ir, min(mr, pt.i1-ir), mrq, pc, kb)
		}
		for jr := pt.j0; jr < pt.j1; jr += t.main.nr {
			nv := min(t.main.nr, pt.j1-jr)
			kt := t.pick(nv)
			bp, rsb := bPanel(ws, pr, pc, kb, jr, nv, kt.nr)
			for q := 0; q < panels; q++ {
				ir := pt.i0 + q*mr
				mv := min(mr, pt.i1-ir)
				c := &pt.c[ir*pt.ldc+jr]
				if q == shortQ {
					t.short.p(kb, &ab[(q-inPlace)*mr*kb], 1, t.short.mr, bp, rsb, c, pt.ldc, pr.alpha, beta, mv, nv)
					continue
				}
				switch {
				case q >= inPlace:
					kt.p(kb, &ab[(q-inPlace)*mr*kb], 1, mr, bp, rsb, c, pt.ldc, pr.alpha, beta, mv, nv)
				case pr.transA:
					kt.p(kb, &pr.a[pc*pr.lda+ir], 1, pr.lda, bp, rsb, c, pt.ldc, pr.alpha, beta, mv, nv)
				default:
					kt.s(kb, &pr.a[ir*pr.lda+pc], pr.lda, 1, bp, rsb, c, pt.ldc, pr.alpha, beta, mv, nv)
				}
			}
		}
	}
}

// bPanel returns the B micro-panel of k steps [pc, pc+kb) and columns
// [j, j+nv), w columns wide, and its row stride. A row-major B is read in
// place, even when nv < w as long as the slice goes on past the panel's
// last row: the kernel then reads w-nv columns too many, but they only
// reach lanes of C that it does not store.
func bPanel[T float](ws *workspace[T], pr *problem[T], pc, kb, j, nv, w int) (*T, int) {
	if !pr.transB && (nv == w || (pc+kb-1)*pr.ldb+j+w <= len(pr.b)) {
		return &pr.b[pc*pr.ldb+j], pr.ldb
	}
	bb := grow(&ws.b, kb*w)
	packB(bb, pr, pc, kb, j, nv, w)
	return &bb[0], w
}

// packB packs k steps [pc, pc+kb) of columns [j, j+nv) of op(B) into dst as
// kb rows of w elements, zero padded from nv to w.
func packB[T float](dst []T, pr *problem[T], pc, kb, j, nv, w int) {
	dst = dst[:kb*w]
	b, ldb := pr.b, pr.ldb
	if !pr.transB {
		if nv == w && w == 16 {
			// The common case, as fixed-size copies the compiler turns into
			// vector moves instead of memmove calls.
			for p := 0; p < kb; p++ {
				o := (pc+p)*ldb + j
				*(*[16]T)(dst[p*16:]) = *(*[16]T)(b[o:])
			}
			return
		}
		// Narrow panels: element loops beat copy and clear calls.
		for p := 0; p < kb; p++ {
			row := dst[p*w : p*w+w]
			o := (pc+p)*ldb + j
			for jj, v := range b[o : o+nv] {
				row[jj] = v
			}
			for jj := nv; jj < w; jj++ {
				row[jj] = 0
			}
		}
		return
	}
	if tr := transpose32(); nv == w && w%8 == 0 && tr != nil {
		if d32, ok := any(dst).([]float32); ok {
			packBT(tr, d32, any(b).([]float32), ldb, pc, kb, j, w)
			return
		}
	}
	// op(B)[p][j] = b[j*ldb+p]: gather one column of the panel at a time,
	// so that reads are sequential and writes stride through a buffer that
	// is in L1.
	if nv < w {
		clear(dst)
	}
	for jj := 0; jj < nv; jj++ {
		src := b[(j+jj)*ldb+pc:][:kb]
		d := dst[jj:]
		for p, v := range src {
			d[p*w] = v
		}
	}
}

// transpose8x8AVX2 and transpose16AVX512 are transpose8x8 and
// transpose16 where the build has them.
var (
	transpose8x8AVX2  func(dst *float32, ldd int, src *float32, lds int)
	transpose16AVX512 func(dst *float32, ldd int, src *float32, lds int, rows, cols int)
)

// transpose32 returns the kernel that transposes an 8×8 float32 block (see
// transpose8x8) at the current level, nil where there is none.
func transpose32() func(dst *float32, ldd int, src *float32, lds int) {
	if isa.Has(isa.AVX2) {
		return transpose8x8AVX2
	}
	return nil
}

// packBT is packB for a full float32 panel, w wide (a multiple of 8), of a
// transposed B: dst[p·w + jj] = b[(j+jj)·ldb + pc + p], by 8×8 blocks
// transposed by tr, the last k steps of a block that does not fill 8 one
// at a time.
func packBT(tr func(dst *float32, ldd int, src *float32, lds int), dst, b []float32, ldb, pc, kb, j, w int) {
	p := 0
	for ; p+8 <= kb; p += 8 {
		for jj := 0; jj < w; jj += 8 {
			src := b[(j+jj)*ldb+pc+p:]
			_, _ = src[7*ldb+7], dst[(p+7)*w+jj+7] // the blocks' last elements
			tr(&dst[p*w+jj], w*4, &src[0], ldb*4)
		}
	}
	for ; p < kb; p++ {
		row := dst[p*w : p*w+w]
		for jj := range row {
			row[jj] = b[(j+jj)*ldb+pc+p]
		}
	}
}

// packA packs rows [ir, ir+mv) and k steps [pc, pc+kb) of op(A) into dst
// as kb columns of mr elements, zero padded from mv to mr.
func packA[T float](dst []T, pr *problem[T], ir, mv, mr, pc, kb int) {
	dst = dst[:kb*mr]
	a, lda := pr.a, pr.lda
	if pr.transA {
		for p := 0; p < kb; p++ {
			col := dst[p*mr : p*mr+mr]
			o := (pc+p)*lda + ir
			for r, v := range a[o : o+mv] {
				col[r] = v
			}
			for r := mv; r < mr; r++ {
				col[r] = 0
			}
		}
		return
	}
	if mv == 6 && mr == 6 {
		// The main tile height, unrolled so that each column of the
		// panel is written in one go.
		r0 := a[ir*lda+pc:][:kb]
		r1 := a[(ir+1)*lda+pc:][:kb]
		r2 := a[(ir+2)*lda+pc:][:kb]
		r3 := a[(ir+3)*lda+pc:][:kb]
		r4 := a[(ir+4)*lda+pc:][:kb]
		r5 := a[(ir+5)*lda+pc:][:kb]
		for p := range r0 {
			d := dst[p*6 : p*6+6 : p*6+6]
			d[0], d[1], d[2], d[3], d[4], d[5] = r0[p], r1[p], r2[p], r3[p], r4[p], r5[p]
		}
		return
	}
	if mv < mr {
		clear(dst)
	}
	for r := 0; r < mv; r++ {
		src := a[(ir+r)*lda+pc:][:kb]
		d := dst[r:]
		for p, v := range src {
			d[p*mr] = v
		}
	}
}

// grow returns (*s)[:n], reallocating only when the capacity is short, so
// that workspaces reach their working size once and then stop allocating.
func grow[T float](s *[]T, n int) []T {
	if cap(*s) < n {
		*s = make([]T, n)
	}
	return (*s)[:n]
}
