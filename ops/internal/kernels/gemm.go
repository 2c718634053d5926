package kernels

import kern "github.com/featlearn/featlearn/ops/internal/gemm"

// gemm computes C = alpha·op(A)·op(B) + beta·C for row-major matrices, where
// op(A) is m×k, op(B) is k×n and C is m×n; transA and transB say whether A
// and B are stored transposed. lda, ldb and ldc are the row strides.
//
// It is the one matrix-multiply entry point of the package's kernels. It
// hands the work to ops/internal/gemm, whose AVX2+FMA micro-kernels (with a
// pure-Go fallback elsewhere) split large problems over the cores.
func gemm[T float](transA, transB bool, m, n, k int, alpha T, a []T, lda int, b []T, ldb int, beta T, c []T, ldc int) {
	switch a := any(a).(type) {
	case []float32:
		kern.Sgemm(transA, transB, m, n, k, float32(alpha), a, lda, any(b).([]float32), ldb, float32(beta), any(c).([]float32), ldc)
	case []float64:
		kern.Dgemm(transA, transB, m, n, k, float64(alpha), a, lda, any(b).([]float64), ldb, float64(beta), any(c).([]float64), ldc)
	}
}
