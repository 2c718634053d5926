package gemm_test

import (
	"math"
	"testing"

	"github.com/featlearn/featlearn/ops/internal/gemm"
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// counting counts the Sgemm calls that reach gemm.BLAS.
type counting struct {
	gemm.BLAS
	calls *int
}

func (c counting) Sgemm(tA, tB blas.Transpose, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, cm []float32, ldc int) {
	*c.calls++
	c.BLAS.Sgemm(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, cm, ldc)
}

// TestGorgoniaUse runs a MatMul and its gradient through gorgonia with
// gemm.BLAS plugged in, and checks both.
func TestGorgoniaUse(t *testing.T) {
	var calls int
	G.Use(counting{calls: &calls})
	defer G.Use(gonum.Implementation{}) // gorgonia's default

	const m, k, n = 7, 33, 19
	xs, ws := make([]float32, m*k), make([]float32, k*n)
	for i := range xs {
		xs[i] = float32(i%11) - 5
	}
	for i := range ws {
		ws[i] = float32(i%7)*0.25 - 0.5
	}
	g := G.NewGraph()
	x := G.NewMatrix(g, tensor.Float32, G.WithShape(m, k), G.WithName("x"), G.WithValue(tensor.New(tensor.WithShape(m, k), tensor.WithBacking(xs))))
	w := G.NewMatrix(g, tensor.Float32, G.WithShape(k, n), G.WithName("w"), G.WithValue(tensor.New(tensor.WithShape(k, n), tensor.WithBacking(ws))))
	y := G.Must(G.Mul(x, w))
	var yv G.Value
	G.Read(y, &yv)
	cost := G.Must(G.Sum(y))
	if _, err := G.Grad(cost, x); err != nil {
		t.Fatal(err)
	}
	vm := G.NewTapeMachine(g)
	defer vm.Close()
	if err := vm.RunAll(); err != nil {
		t.Fatal(err)
	}
	if calls == 0 {
		t.Fatal("gorgonia did not call gemm.BLAS.Sgemm")
	}
	got := yv.Data().([]float32)
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			var s float64
			for p := 0; p < k; p++ {
				s += float64(xs[i*k+p]) * float64(ws[p*n+j])
			}
			if math.Abs(float64(got[i*n+j])-s) > 1e-4 {
				t.Fatalf("y[%d,%d] = %v, want %v", i, j, got[i*n+j], s)
			}
		}
	}
	// d sum(x·w) / dx[i][p] = sum_j w[p][j].
	xg, err := x.Grad()
	if err != nil {
		t.Fatal(err)
	}
	dx := xg.Data().([]float32)
	for i := 0; i < m; i++ {
		for p := 0; p < k; p++ {
			var s float64
			for j := 0; j < n; j++ {
				s += float64(ws[p*n+j])
			}
			if math.Abs(float64(dx[i*k+p])-s) > 1e-4 {
				t.Fatalf("dx[%d,%d] = %v, want %v", i, p, dx[i*k+p], s)
			}
		}
	}
}
