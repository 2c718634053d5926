package gemm

import (
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
)

// gorgonia.Use needs every precision of gonum's interface.
var _ interface {
	blas.Float32
	blas.Float64
	blas.Complex64
	blas.Complex128
} = BLAS{}

// TestBLASMatchesGonum compares BLAS with gonum's own implementation, which
// fixes the meaning of the arguments (row-major, transpose flags).
func TestBLASMatchesGonum(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	trans := []blas.Transpose{blas.NoTrans, blas.Trans, blas.ConjTrans}
	for it := 0; it < 200; it++ {
		m, n, k := 1+rng.IntN(70), 1+rng.IntN(70), 1+rng.IntN(70)
		tA, tB := trans[rng.IntN(3)], trans[rng.IntN(3)]
		lda, ldb, ldc := k+rng.IntN(3), n+rng.IntN(3), n+rng.IntN(3)
		ar, br := m, k
		if tA != blas.NoTrans {
			lda, ar = m+rng.IntN(3), k
		}
		if tB != blas.NoTrans {
			ldb, br = k+rng.IntN(3), n
		}
		alpha, beta := rng.Float64()*4-2, []float64{0, 1, rng.Float64()}[rng.IntN(3)]
		a, b, c := make([]float64, ar*lda), make([]float64, br*ldb), make([]float64, m*ldc)
		for _, s := range [][]float64{a, b, c} {
			for i := range s {
				s[i] = rng.Float64()*2 - 1
			}
		}
		want64, got64 := append([]float64(nil), c...), append([]float64(nil), c...)
		gonum.Implementation{}.Dgemm(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, want64, ldc)
		BLAS{}.Dgemm(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, got64, ldc)
		a32, b32, c32 := to32(a), to32(b), to32(c)
		want32, got32 := append([]float32(nil), c32...), append([]float32(nil), c32...)
		gonum.Implementation{}.Sgemm(tA, tB, m, n, k, float32(alpha), a32, lda, b32, ldb, float32(beta), want32, ldc)
		BLAS{}.Sgemm(tA, tB, m, n, k, float32(alpha), a32, lda, b32, ldb, float32(beta), got32, ldc)
		for i := range c {
			// Both sum the same products in different orders.
			if d := math.Abs(got64[i] - want64[i]); d > 1e-13*float64(k) {
				t.Fatalf("Dgemm %v %v %dx%dx%d: C[%d] = %v, gonum %v", tA, tB, m, n, k, i, got64[i], want64[i])
			}
			if d := math.Abs(float64(got32[i] - want32[i])); d > 1e-5*float64(k) {
				t.Fatalf("Sgemm %v %v %dx%dx%d: C[%d] = %v, gonum %v", tA, tB, m, n, k, i, got32[i], want32[i])
			}
		}
	}
}

func TestBLASBadTranspose(t *testing.T) {
	defer func() {
		if r := recover(); r != "blas: illegal transpose" {
			t.Errorf("panic %v", r)
		}
	}()
	BLAS{}.Sgemm(blas.Transpose('x'), blas.NoTrans, 1, 1, 1, 1, []float32{1}, 1, []float32{1}, 1, 0, []float32{0}, 1)
}
