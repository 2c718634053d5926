package kernels

// The dense layer's dispatch: y = x·wᵀ + b with x (n, in), w (out, in),
// b (out) or nil, y (n, out).

// denseSparseOK says whether the sparse kernels may serve a float32
// product of n rows, in inputs and out outputs: AVX2, at least rows rows,
// 8 inputs and cols outputs (the kernels' tiles), and x at most 35 %
// nonzero in its first rows. The plans then measure the whole of x and
// decide.
func denseSparseOK(x []float32, n, in, out, rows, cols int) bool {
	return avx2() && n >= rows && in >= 8 && out >= cols && worthSkipping(x, n, in)
}

// DenseForward computes y = x·wᵀ + b: by the sparse gather kernel when x is
// float32, the product has at least sparseMinWork multiply-adds and x is
// mostly zeros (denseSparseOK, then planSparseForward, which
// measures the steps a block of six rows keeps and checks w), else by the
// SGEMM.
func DenseForward[T float](y, x, w, b []T, n, in, out int) {
	var beta T
	if b != nil {
		for r := range n {
			copy(y[r*out:(r+1)*out], b)
		}
		beta = 1
	}
	if x32 := f32(x); x32 != nil && n*in*out >= sparseMinWork && denseSparseOK(x32, n, in, out, sparseMR, sparseNR) {
		if j := planSparseForward(f32(y), x32, f32(w), n, in, out, b != nil, avx512()); j != nil {
			runSparseForward(j)
			return
		}
	}
	gemm(false, true, n, out, in, 1, x, in, w, in, beta, y, out)
}

// DenseInputGrad computes dx = dy·w (n, in) by the SGEMM.
func DenseInputGrad[T float](dx, w, dy []T, n, in, out int) {
	gemm(false, false, n, in, out, 1, dy, out, w, in, 0, dx, in)
}

// DenseWeightGrad computes dw = dyᵀ·x (out, in): by the sparse kernel when
// x is float32 and mostly zeros (denseSparseOK, then planSparseWeightGrad,
// which measures the samples each 16-column panel keeps and checks dy),
// else by the SGEMM.
func DenseWeightGrad[T float](dw, x, dy []T, n, in, out int) {
	if x32 := f32(x); x32 != nil && n*in*out >= sparseMinWork && denseSparseOK(x32, n, in, out, 1, sparseMR) && in >= sparseNR {
		if j := planSparseWeightGrad(f32(dw), x32, f32(dy), n, in, out, avx512()); j != nil {
			runSparseWeightGrad(j)
			return
		}
	}
	gemm(true, false, out, in, n, 1, dy, out, x, in, 0, dw, in)
}

// DenseBiasGrad computes db, the column sums of dy (n, out), row by row, so
// each column sums in the same order as a plain loop; addTo does eight
// columns at once.
func DenseBiasGrad[T float](db, dy []T, n, out int) {
	clear(db)
	for r := range n {
		addTo(db[:out], dy[r*out:(r+1)*out])
	}
}
