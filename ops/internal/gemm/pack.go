package gemm

import "github.com/featlearn/featlearn/ops/internal/isa"

// PanelWidth is the width of the panels PackTransposedPanels writes.
const PanelWidth = 16

// PackTransposedPanels packs panels [p0, p1) of op(B) = Bᵀ, for a float32
// B stored n×k with row stride ldb, the layout the 6×16 kernels read: panel
// p holds rows 16p to 16p+15 of B as k rows of 16 values, dst[p·16k + 16t
// + j] = b[(16p+j)·ldb + t], zero past row n. dst holds the whole packing,
// ⌈n/16⌉·16·k values; disjoint panel ranges may be packed at once.
func PackTransposedPanels(dst, b []float32, ldb, k, n, p0, p1 int) {
	if k <= 0 || n <= 0 || ldb < k || len(b) < (n-1)*ldb+k {
		panic(errShortB)
	}
	if p1 > (n+PanelWidth-1)/PanelWidth || len(dst) < p1*PanelWidth*k {
		panic(errShortC)
	}
	pr := problem[float32]{transB: true, b: b, ldb: ldb}
	for p := p0; p < p1; p++ {
		j := p * PanelWidth
		packB(dst[j*k:], &pr, 0, k, j, min(PanelWidth, n-j), PanelWidth)
	}
}

// Transpose32 writes the transpose of src, rows × cols with row stride lds,
// into dst, cols × rows with row stride ldd: dst[c·ldd + r] = src[r·lds +
// c]. Whole 8×8 blocks go through the AVX transpose where there is one.
func Transpose32(dst []float32, ldd int, src []float32, lds, rows, cols int) {
	if rows <= 0 || cols <= 0 {
		return
	}
	if lds < cols || ldd < rows || len(src) < (rows-1)*lds+cols || len(dst) < (cols-1)*ldd+rows {
		panic(errShortC)
	}
	if isa.Has(isa.AVX512) && transpose16AVX512 != nil {
		// Blocks of up to 16×16, the edges masked: no element loop.
		for r := 0; r < rows; r += 16 {
			for c := 0; c < cols; c += 16 {
				transpose16AVX512(&dst[c*ldd+r], ldd*4, &src[r*lds+c], lds*4, min(16, rows-r), min(16, cols-c))
			}
		}
		return
	}
	r8, c8 := 0, 0
	if tr := transpose32(); tr != nil {
		r8, c8 = rows&^7, cols&^7
		for r := 0; r < r8; r += 8 {
			for c := 0; c < c8; c += 8 {
				_, _ = src[(r+7)*lds+c+7], dst[(c+7)*ldd+r+7] // the blocks' last elements
				tr(&dst[c*ldd+r], ldd*4, &src[r*lds+c], lds*4)
			}
		}
	}
	// The rest: the rows past the blocks in every column, and the columns
	// past them in the block rows.
	for c := 0; c < cols; c++ {
		r := r8
		if c >= c8 {
			r = 0
		}
		d := dst[c*ldd:][:rows]
		for ; r < rows; r++ {
			d[r] = src[r*lds+c]
		}
	}
}
