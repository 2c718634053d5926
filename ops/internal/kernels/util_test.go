package kernels

import (
	"math/rand/v2"
	"syscall"
	"testing"
	"time"

	"github.com/featlearn/featlearn/ops/internal/isa"
)

// randFloats returns n values uniform in [-1, 1), fixed by seed (the
// values ops' tests draw for a tensor of n elements).
func randFloats(seed uint64, n int) []float64 {
	r := rand.New(rand.NewPCG(seed, 7))
	s := make([]float64, n)
	for i := range s {
		s[i] = 2*r.Float64() - 1
	}
	return s
}

// eachLevel runs f once at every instruction-set level the machine has,
// the pure-Go paths included, as a subtest named after the level.
func eachLevel(t *testing.T, f func(t *testing.T)) {
	t.Helper()
	for _, l := range isa.Available() {
		t.Run(l.String(), func(t *testing.T) {
			defer isa.Set(isa.Set(l))
			f(t)
		})
	}
}

// The sparse paths as the dispatch takes them: each reports whether its
// path serves the arguments and computes only when it does.

func sparseFilterGradIf(g *ConvGeom, dw, x, dy []float32) bool {
	if convFilterGradPath(g, x, dy) != pathSparse {
		return false
	}
	sparseFilterGrad(g, dw, x, dy)
	return true
}

func sparseInputGradIf(g *ConvGeom, dx, w, dy []float32) bool {
	if convInputGradPath(g, w, dy) != pathSparse {
		return false
	}
	sparseInputGrad(g, dx, w, dy)
	return true
}

func sparseForwardIf(y, x, w []float32, n, in, out int, acc bool) bool {
	if !denseSparseOK(x, n, in, out, sparseMR, sparseNR) {
		return false
	}
	j := planSparseForward(y, x, w, n, in, out, acc, avx512())
	if j == nil {
		return false
	}
	runSparseForward(j)
	return true
}

func sparseWeightGradIf(dw, x, dy []float32, n, in, out int) bool {
	if !denseSparseOK(x, n, in, out, 1, sparseMR) || in < sparseNR {
		return false
	}
	j := planSparseWeightGrad(dw, x, dy, n, in, out, avx512())
	if j == nil {
		return false
	}
	runSparseWeightGrad(j)
	return true
}

// cpuTime returns the process's user and system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportCPU reports, besides the wall-clock figures, the CPU time per
// operation since start (a steadier figure than wall time on a loaded
// machine; with -cpu 1 it is the kernel's own time) and GFLOP/s of that
// CPU time for an operation of flops.
func reportCPU(b *testing.B, start time.Duration, flops float64) {
	cpu := (cpuTime() - start).Seconds() / float64(b.N)
	b.ReportMetric(cpu*1e9, "cpu-ns/op")
	if cpu > 0 && flops > 0 {
		b.ReportMetric(flops/cpu/1e9, "cpu-GFLOP/s")
	}
}
