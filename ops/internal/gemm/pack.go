package gemm

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
