package gemm

import (
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
)

// BLAS is gonum's pure-Go BLAS with Sgemm and Dgemm replaced by this
// package's. gorgonia.Use(gemm.BLAS{}) makes gorgonia's and tensor's MatMul
// use them; every other routine stays gonum's.
//
// gonum's blas interface is row-major (unlike the Fortran reference BLAS),
// with the same argument order as Sgemm, so the methods only translate the
// transpose flags.
type BLAS struct{ gonum.Implementation }

var _ blas.Float32Level3 = BLAS{}

// Sgemm computes C = alpha·op(A)·op(B) + beta·C with this package's Sgemm.
// blas.ConjTrans means blas.Trans for real matrices.
func (BLAS) Sgemm(tA, tB blas.Transpose, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	Sgemm(transposed(tA), transposed(tB), m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// Dgemm computes C = alpha·op(A)·op(B) + beta·C with this package's Dgemm.
// blas.ConjTrans means blas.Trans for real matrices.
func (BLAS) Dgemm(tA, tB blas.Transpose, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int) {
	Dgemm(transposed(tA), transposed(tB), m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

func transposed(t blas.Transpose) bool {
	switch t {
	case blas.NoTrans:
		return false
	case blas.Trans, blas.ConjTrans:
		return true
	}
	panic("blas: illegal transpose")
}
