package ops

import (
	"math"
	"math/rand/v2"
	"testing"
)

// naiveInputGrad32 is dx = Σ w·dy straight from the definition, summed in
// float64: dx[c][h][w] gets w[o][c][i][j]·dy[o][r][s] for every output
// position (r, s) whose window covers (h, w) at tap (i, j).
func naiveInputGrad32(g *convGeom, w, dy []float32) []float64 {
	dx := make([]float64, g.n*g.c*g.h*g.w)
	for n := 0; n < g.n; n++ {
		for o := 0; o < g.out; o++ {
			for r := 0; r < g.oh; r++ {
				for s := 0; s < g.ow; s++ {
					d := float64(dy[((n*g.out+o)*g.oh+r)*g.ow+s])
					for c := 0; c < g.c; c++ {
						for i := 0; i < g.kh; i++ {
							for j := 0; j < g.kw; j++ {
								h, x := r*g.sh+i-g.ph, s*g.sw+j-g.pw
								if h < 0 || h >= g.h || x < 0 || x >= g.w {
									continue
								}
								dx[((n*g.c+c)*g.h+h)*g.w+x] += float64(w[((o*g.c+c)*g.kh+i)*g.kw+j]) * d
							}
						}
					}
				}
			}
		}
	}
	return dx
}

// TestDirectInputGrad checks the direct float32 input gradient against the
// definition on odd sizes, paddings, batch 1 and several channels, and
// that shapes it does not serve report false.
func TestDirectInputGrad(t *testing.T) {
	if !useAVX2 {
		t.Skip("no AVX2")
	}
	cases := []struct {
		x, w   [4]int // (n, c, h, w) and (out, c, kh, kw)
		ph, pw int
		served bool
	}{
		{[4]int{1, 1, 5, 5}, [4]int{1, 1, 3, 3}, 0, 0, true},
		{[4]int{2, 3, 7, 9}, [4]int{4, 3, 3, 2}, 1, 0, true},
		{[4]int{3, 6, 14, 14}, [4]int{16, 6, 5, 5}, 0, 0, true}, // LeNet conv2
		{[4]int{2, 1, 28, 28}, [4]int{6, 1, 5, 5}, 2, 2, true},  // LeNet conv1
		{[4]int{1, 2, 4, 3}, [4]int{7, 2, 2, 3}, 1, 2, true},
		{[4]int{1, 2, 3, 4}, [4]int{2, 2, 2, 2}, 3, 2, false}, // padding beyond the filter
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for _, tc := range cases {
		g := convGeom{n: tc.x[0], c: tc.x[1], h: tc.x[2], w: tc.x[3], out: tc.w[0], kh: tc.w[2], kw: tc.w[3], sh: 1, sw: 1, ph: tc.ph, pw: tc.pw}
		g.oh, g.ow = g.h+2*g.ph-g.kh+1, g.w+2*g.pw-g.kw+1
		w := make([]float32, g.out*g.k())
		dy := make([]float32, g.n*g.out*g.p())
		for i := range w {
			w[i] = float32(rng.NormFloat64())
		}
		for i := range dy {
			dy[i] = float32(rng.NormFloat64())
		}
		dx := make([]float32, g.n*g.c*g.h*g.w)
		if got := directInputGrad(&g, dx, w, dy); got != tc.served {
			t.Fatalf("%+v: served %v, want %v", g, got, tc.served)
		}
		if !tc.served {
			continue
		}
		for i, v := range naiveInputGrad32(&g, w, dy) {
			if math.Abs(float64(dx[i])-v) > 1e-4*max(1, math.Abs(v)) {
				t.Fatalf("%+v: dx[%d] = %v, want %v", g, i, dx[i], v)
			}
		}
		// Inf in a weight sends the gradient to the gemm path, which keeps
		// it to exactly the inputs that the weight touches.
		w[0] = float32(math.Inf(1))
		if directInputGrad(&g, dx, w, dy) {
			t.Fatalf("%+v: the direct path served non-finite filters", g)
		}
		flatInputGrad(&g, dx, w, dy)
		for i, v := range naiveInputGrad32(&g, w, dy) {
			if math.IsNaN(v) != math.IsNaN(float64(dx[i])) || math.IsInf(v, 0) != math.IsInf(float64(dx[i]), 0) {
				t.Fatalf("%+v with Inf: dx[%d] = %v, want %v", g, i, dx[i], v)
			}
		}
	}
}
