package ops

import (
	"github.com/pkg/errors"

	G "gorgonia.org/gorgonia"

	kern "github.com/featlearn/featlearn/ops/internal/gemm"
)

// init routes gorgonia's own matrix products (G.Mul, G.MatMul and the
// tensor package's) through the same kernels as ours, so a graph mixing
// gorgonia's ops with featlearn's is fast throughout.
func init() { G.Use(kern.BLAS{}) }

// Sgemm computes C = alpha·op(A)·op(B) + beta·C in float32 for row-major
// matrices with the package's matrix-multiply kernel, for code outside the
// graph (nearest-neighbour distances, for example) that needs it directly.
// op(A) is m×k, op(B) is k×n, C is m×n; lda, ldb and ldc are row strides.
// Slices too short for the dimensions are an error.
func Sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) error {
	ar, ac := m, k
	if transA {
		ar, ac = k, m
	}
	br, bc := k, n
	if transB {
		br, bc = n, k
	}
	if err := checkMatrix("a", a, ar, ac, lda); err != nil {
		return err
	}
	if err := checkMatrix("b", b, br, bc, ldb); err != nil {
		return err
	}
	if err := checkMatrix("c", c, m, n, ldc); err != nil {
		return err
	}
	kern.Sgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
	return nil
}

// checkMatrix returns an error unless s holds a rows×cols row-major matrix
// with row stride ld.
func checkMatrix(name string, s []float32, rows, cols, ld int) error {
	if rows < 0 || cols < 0 || ld < max(cols, 1) {
		return errors.Errorf("sgemm: matrix %s is %dx%d with row stride %d", name, rows, cols, ld)
	}
	if rows > 0 && cols > 0 && len(s) < (rows-1)*ld+cols {
		return errors.Errorf("sgemm: matrix %s (%dx%d, stride %d) needs %d values, has %d", name, rows, cols, ld, (rows-1)*ld+cols, len(s))
	}
	return nil
}
