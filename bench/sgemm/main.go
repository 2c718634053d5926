// Command sgemm measures featlearn's SGEMM (ops.Sgemm, the kernels the
// layers use) in GFLOP/s on the shapes bench/run.sh reports: the MLP's
// products at batch 64, 1000 and 1, and a large square one for the
// machine's peak. It prints one JSON line per shape, with the same keys as
// bench/sgemm.py prints for OpenBLAS, so that the two compare shape by
// shape. GOMAXPROCS sets the threads.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"time"

	"github.com/featlearn/featlearn/ops"
)

// shape is one product C = op(A)·op(B), op(A) m×k, op(B) k×n.
type shape struct {
	Name           string `json:"shape"`
	TransA, TransB bool
	M, N, K        int
}

// shapes are bench/sgemm.py's, in its order.
var shapes = []shape{
	{"peak_2048", false, false, 2048, 2048, 2048},
	{"mlp_fwd1_b64", false, true, 64, 300, 784},
	{"mlp_fwd2_b64", false, true, 64, 100, 300},
	{"mlp_fwd3_b64", false, true, 64, 10, 100},
	{"mlp_dX2_b64", false, false, 64, 300, 100},
	{"mlp_dX3_b64", false, false, 64, 100, 10},
	{"mlp_dW1_b64", true, false, 300, 784, 64},
	{"mlp_dW2_b64", true, false, 100, 300, 64},
	{"mlp_dW3_b64", true, false, 10, 100, 64},
	{"mlp_fwd1_b1000", false, true, 1000, 300, 784},
	{"mlp_fwd2_b1000", false, true, 1000, 100, 300},
	{"mlp_fwd3_b1000", false, true, 1000, 10, 100},
	{"mlp_fwd1_b1", false, true, 1, 300, 784},
	{"mlp_fwd2_b1", false, true, 1, 100, 300},
}

type result struct {
	Shape   string  `json:"shape"`
	Peer    string  `json:"peer"`
	Threads int     `json:"threads"`
	GFLOPS  float64 `json:"gflops"`
}

func main() {
	seconds := flag.Float64("seconds", 0.3, "time per shape, after a warm-up")
	only := flag.String("shape", "", "measure only this shape")
	flag.Parse()
	rng := rand.New(rand.NewPCG(1, 2))
	enc := json.NewEncoder(os.Stdout)
	level, _ := ops.KernelLevel()
	for _, s := range shapes {
		if *only != "" && s.Name != *only {
			continue
		}
		a, b, c := randSlice(rng, s.M*s.K), randSlice(rng, s.K*s.N), make([]float32, s.M*s.N)
		lda, ldb := s.K, s.N
		if s.TransA {
			lda = s.M
		}
		if s.TransB {
			ldb = s.K
		}
		run := func() {
			if err := ops.Sgemm(s.TransA, s.TransB, s.M, s.N, s.K, 1, a, lda, b, ldb, 0, c, s.N); err != nil {
				fmt.Fprintln(os.Stderr, "sgemm:", err)
				os.Exit(1)
			}
		}
		// The best of several rounds: each is long enough to time, and the
		// best is the steadiest figure on a shared machine.
		run()
		best, rounds := 0.0, 5
		for r := 0; r < rounds; r++ {
			n, start := 0, time.Now()
			for time.Since(start).Seconds() < *seconds/float64(rounds) || n == 0 {
				run()
				n++
			}
			best = max(best, 2*float64(s.M)*float64(s.N)*float64(s.K)*float64(n)/time.Since(start).Seconds()/1e9)
		}
		_ = enc.Encode(result{Shape: s.Name, Peer: "featlearn " + level, Threads: runtime.GOMAXPROCS(0), GFLOPS: best})
	}
}

func randSlice(rng *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = rng.Float32()*2 - 1
	}
	return s
}
