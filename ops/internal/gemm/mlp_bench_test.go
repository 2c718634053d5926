package gemm

import (
	"math/rand/v2"
	"syscall"
	"testing"
	"time"
)

// mlpShapes are the products of the 784-300-100-10 MLP: the dense forward
// x·wᵀ (NT), the input gradient dy·w (NN) and the weight gradient dyᵀ·x
// (TN), at batch 64 (training), 1000 (inference) and 1 (latency).
var mlpShapes = []struct {
	name           string
	transA, transB bool
	m, n, k        int
}{
	{"fwd1_b64", false, true, 64, 300, 784},
	{"fwd2_b64", false, true, 64, 100, 300},
	{"fwd3_b64", false, true, 64, 10, 100},
	{"dX2_b64", false, false, 64, 300, 100},
	{"dX3_b64", false, false, 64, 100, 10},
	{"dW1_b64", true, false, 300, 784, 64},
	{"dW2_b64", true, false, 100, 300, 64},
	{"dW3_b64", true, false, 10, 100, 64},
	{"fwd1_b1000", false, true, 1000, 300, 784},
	{"fwd2_b1000", false, true, 1000, 100, 300},
	{"fwd3_b1000", false, true, 1000, 10, 100},
	{"fwd1_b1", false, true, 1, 300, 784},
	{"fwd2_b1", false, true, 1, 100, 300},
	{"fwd3_b1", false, true, 1, 10, 100},
}

func BenchmarkSgemmMLP(b *testing.B) {
	for _, s := range mlpShapes {
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
		b.Run(s.name, func(b *testing.B) {
			b.ReportAllocs()
			Sgemm(s.transA, s.transB, s.m, s.n, s.k, 1, a, lda, bm, ldb, 0, c, s.n)
			cpu := cpuTime()
			for b.Loop() {
				Sgemm(s.transA, s.transB, s.m, s.n, s.k, 1, a, lda, bm, ldb, 0, c, s.n)
			}
			b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			// CPU time is the steadier figure on a shared machine; with
			// -cpu 1 it is the kernel's own.
			if d := (cpuTime() - cpu).Seconds(); d > 0 {
				b.ReportMetric(flops*float64(b.N)/d/1e9, "cpu-GFLOP/s")
			}
		})
	}
}

// cpuTime returns the process's user and system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
