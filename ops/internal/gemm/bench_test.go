package gemm

import (
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
)

// benchShapes are the products the networks of this project run, batch 64,
// plus the usual square sizes. "conv" shapes are im2col GEMMs, batched over
// the images or per image as ops/conv.go does them.
var benchShapes = []struct {
	name           string
	transA, transB bool
	m, n, k        int
}{
	{"square1024", false, false, 1024, 1024, 1024},
	{"square256", false, false, 256, 256, 256},
	{"conv1_fwd_batch", false, false, 64 * 28 * 28, 6, 25},
	{"conv1_dW_batch", true, false, 25, 6, 64 * 28 * 28},
	{"conv1_dX_batch", false, true, 64 * 28 * 28, 25, 6},
	{"conv2_fwd_batch", false, false, 64 * 10 * 10, 16, 150},
	{"conv2_dW_batch", true, false, 150, 16, 64 * 10 * 10},
	{"conv2_dX_batch", false, true, 64 * 10 * 10, 150, 16},
	{"conv1_fwd_image", false, false, 6, 28 * 28, 25},
	{"conv1_dX_image", true, false, 25, 28 * 28, 6},
	{"conv1_dW_image", false, true, 6, 25, 28 * 28},
	{"conv2_fwd_image", false, false, 16, 10 * 10, 150},
	{"conv2_dW_image", false, true, 16, 150, 10 * 10},
	{"fc1_fwd", false, false, 64, 120, 400},
	{"fc1_dW", true, false, 400, 120, 64},
	{"fc1_dX", false, true, 64, 400, 120},
	{"mlp1_fwd", false, false, 64, 300, 784},
	{"mlp1_dW", true, false, 784, 300, 64},
	{"mlp1_dX", false, true, 64, 784, 300},
	{"mlp2_fwd", false, false, 64, 100, 300},
}

func BenchmarkSgemm(b *testing.B) {
	for _, s := range benchShapes {
		lda, ldb := s.k, s.n
		if s.transA {
			lda = s.m
		}
		if s.transB {
			ldb = s.k
		}
		rng := rand.New(rand.NewPCG(1, 1))
		a, bm, c := randSlice(rng, s.m*s.k), randSlice(rng, s.k*s.n), randSlice(rng, s.m*s.n)
		flops := 2 * float64(s.m) * float64(s.n) * float64(s.k)
		report := func(b *testing.B) {
			b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		}
		b.Run(s.name+"/featlearn", func(b *testing.B) {
			b.ReportAllocs()
			// One warm-up call grows the pack buffers, which later calls
			// reuse; b.Loop resets the counters when it starts.
			Sgemm(s.transA, s.transB, s.m, s.n, s.k, 1, a, lda, bm, ldb, 0, c, s.n)
			for b.Loop() {
				Sgemm(s.transA, s.transB, s.m, s.n, s.k, 1, a, lda, bm, ldb, 0, c, s.n)
			}
			report(b)
		})
		b.Run(s.name+"/gonum", func(b *testing.B) {
			b.ReportAllocs()
			tA, tB := blas.NoTrans, blas.NoTrans
			if s.transA {
				tA = blas.Trans
			}
			if s.transB {
				tB = blas.Trans
			}
			for b.Loop() {
				gonum.Implementation{}.Sgemm(tA, tB, s.m, s.n, s.k, 1, a, lda, bm, ldb, 0, c, s.n)
			}
			report(b)
		})
	}
}

func randSlice(rng *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = rng.Float32()*2 - 1
	}
	return s
}
