package kernels

import (
	"math"
	"math/rand/v2"
	"testing"
)

// stride1Geom is the geometry of a stride-1 convolution of an input
// (n, c, h, w) with filters (out, c, kh, kw) and padding ph, pw.
func stride1Geom(x, w [4]int, ph, pw int) convGeom {
	g := convGeom{n: x[0], c: x[1], h: x[2], w: x[3], out: w[0], kh: w[2], kw: w[3], sh: 1, sw: 1, ph: ph, pw: pw}
	g.oh, g.ow = g.h+2*g.ph-g.kh+1, g.w+2*g.pw-g.kw+1
	return g
}

// normals returns n float32s from a standard normal distribution.
func normals(rng *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = float32(rng.NormFloat64())
	}
	return s
}

// forEachTap calls fn with the flat indices into x, w and y of every
// product of g's convolution, straight from the definition: output (n, o,
// r, s) takes w[o][c][i][j]·x[n][c][r·sh+i-ph][s·sw+j-pw] when that input
// lies inside x.
func forEachTap(g *convGeom, fn func(xi, wi, yi int)) {
	for n := 0; n < g.n; n++ {
		for o := 0; o < g.out; o++ {
			for r := 0; r < g.oh; r++ {
				for s := 0; s < g.ow; s++ {
					yi := ((n*g.out+o)*g.oh+r)*g.ow + s
					for c := 0; c < g.c; c++ {
						for i := 0; i < g.kh; i++ {
							for j := 0; j < g.kw; j++ {
								h, x := r*g.sh+i-g.ph, s*g.sw+j-g.pw
								if h < 0 || h >= g.h || x < 0 || x >= g.w {
									continue
								}
								fn(((n*g.c+c)*g.h+h)*g.w+x, ((o*g.c+c)*g.kh+i)*g.kw+j, yi)
							}
						}
					}
				}
			}
		}
	}
}

// naiveInputGrad32 is dx = Σ w·dy straight from the definition, summed in
// float64.
func naiveInputGrad32(g *convGeom, w, dy []float32) []float64 {
	dx := make([]float64, g.n*g.c*g.h*g.w)
	forEachTap(g, func(xi, wi, yi int) { dx[xi] += float64(w[wi]) * float64(dy[yi]) })
	return dx
}

// TestDirectInputGrad checks the direct float32 input gradient against the
// definition on odd sizes, paddings, batch 1 and several channels, and
// that shapes it does not serve report false.
func TestDirectInputGrad(t *testing.T) { eachLevel(t, checkDirectInputGrad) }

func checkDirectInputGrad(t *testing.T) {
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
		g := stride1Geom(tc.x, tc.w, tc.ph, tc.pw)
		w, dy := normals(rng, g.out*g.k()), normals(rng, g.n*g.out*g.p())
		dx := make([]float32, g.n*g.c*g.h*g.w)
		if p := convInputGradPath(&g, w, dy); avx2() && (p == pathDirect || p == pathDirectT || p == pathDirectT512) != tc.served {
			t.Fatalf("%+v: path %v, want direct %v", g, p, tc.served)
		}
		ConvInputGrad(&g, dx, w, dy)
		for i, v := range naiveInputGrad32(&g, w, dy) {
			if math.Abs(float64(dx[i])-v) > 1e-4*max(1, math.Abs(v)) {
				t.Fatalf("%+v: dx[%d] = %v, want %v", g, i, dx[i], v)
			}
		}
		// Inf in a weight sends the gradient to the gemm path, which keeps
		// it to exactly the inputs that the weight touches.
		w[0] = float32(math.Inf(1))
		if p := convInputGradPath(&g, w, dy); p != pathFlat {
			t.Fatalf("%+v: path %v for non-finite filters", g, p)
		}
		ConvInputGrad(&g, dx, w, dy)
		for i, v := range naiveInputGrad32(&g, w, dy) {
			if math.IsNaN(v) != math.IsNaN(float64(dx[i])) || math.IsInf(v, 0) != math.IsInf(float64(dx[i]), 0) {
				t.Fatalf("%+v with Inf: dx[%d] = %v, want %v", g, i, dx[i], v)
			}
		}
	}
}

// TestDirectForwardZeroRows checks the direct forward on samples whose top
// and bottom rows are zero, which it skips like padding: margins of every
// height in LeNet's conv1 and in a three-channel convolution whose margin
// is zero in one channel only, an all-zero sample, and a NaN in a margin,
// which must not be skipped; and the transposed kernel's (LeNet's conv2,
// and a second, partial block of 16 channels with padding). An infinite weight must make the zeros of
// the margins NaN, as the definition does.
func TestDirectForwardZeroRows(t *testing.T) {
	if !avx2() {
		t.Skip("no AVX2")
	}
	rng := rand.New(rand.NewPCG(9, 10))
	for _, tc := range []struct {
		x, w   [4]int
		ph, pw int
	}{
		{[4]int{12, 1, 28, 28}, [4]int{6, 1, 5, 5}, 2, 2},
		{[4]int{6, 3, 9, 7}, [4]int{5, 3, 3, 3}, 1, 0},
		// More than 8 channels take the transposed kernel.
		{[4]int{5, 6, 14, 14}, [4]int{16, 6, 5, 5}, 0, 0},
		{[4]int{3, 2, 8, 9}, [4]int{20, 2, 3, 3}, 1, 1},
	} {
		g := stride1Geom(tc.x, tc.w, tc.ph, tc.pw)
		x, w, b := normals(rng, g.n*g.c*g.h*g.w), normals(rng, g.out*g.k()), normals(rng, g.out)
		zeroMargins(&g, x, true)
		x[(2*g.c*g.h+g.h-1)*g.w] = float32(math.NaN()) // NaN in a margin
		check := func(what string) {
			y := make([]float32, g.n*g.out*g.p())
			directForward(&g, y, x, w, b)
			want := make([]float64, len(y))
			for i := range want {
				want[i] = float64(b[(i/g.p())%g.out])
			}
			forEachTap(&g, func(xi, wi, yi int) { want[yi] += float64(x[xi]) * float64(w[wi]) })
			if nonFinite(w) {
				// The direct kernel treats the padding alike with
				// non-finite weights: 0·Inf there is NaN too.
				padded := g
				padded.h, padded.w, padded.ph, padded.pw = g.h+2*g.ph, g.w+2*g.pw, 0, 0
				xp := make([]float32, g.n*g.c*padded.h*padded.w)
				for r := 0; r < g.n*g.c*g.h; r++ {
					copy(xp[((r/g.h)*padded.h+r%g.h+g.ph)*padded.w+g.pw:], x[r*g.w:][:g.w])
				}
				clear(want)
				for i := range want {
					want[i] = float64(b[(i/g.p())%g.out])
				}
				forEachTap(&padded, func(xi, wi, yi int) { want[yi] += float64(xp[xi]) * float64(w[wi]) })
			}
			for i, v := range want {
				got := float64(y[i])
				if math.IsNaN(v) != math.IsNaN(got) || !math.IsNaN(v) && math.Abs(got-v) > 1e-4*max(1, math.Abs(v)) {
					t.Fatalf("%+v%s: y[%d] = %v, want %v", g, what, i, got, v)
				}
			}
		}
		check("")
		w[len(w)/2] = float32(math.Inf(1))
		check(" with an infinite weight")
	}
}

// BenchmarkConv1ForwardMNIST times LeNet conv1's forward on 64 MNIST
// images, whose zero top and bottom rows it skips.
func BenchmarkConv1ForwardMNIST(b *testing.B) {
	g := stride1Geom([4]int{64, 1, 28, 28}, [4]int{6, 1, 5, 5}, 2, 2)
	rng := rand.New(rand.NewPCG(1, 2))
	x, w, bias := mnistRows(b, 64), normals(rng, g.out*g.k()), normals(rng, g.out)
	y := make([]float32, g.n*g.out*g.p())
	for b.Loop() {
		directForward(&g, y, x, w, bias)
	}
}

// zeroMargins clears the top n%h and bottom n/2 rows of every sample n of
// x (g's input), and with partial the top and bottom of the last channel
// of odd samples stay nonzero (when there are several channels), so that
// a margin must be zero in all of them to count. Sample 0 is all zero.
func zeroMargins(g *convGeom, x []float32, partial bool) {
	for n := 0; n < g.n; n++ {
		top, bottom := n%g.h, min(n/2, g.h)
		for c := 0; c < g.c; c++ {
			if partial && n%2 == 1 && c == g.c-1 && g.c > 1 {
				continue
			}
			plane := x[(n*g.c+c)*g.h*g.w:][:g.h*g.w]
			clear(plane[:top*g.w])
			clear(plane[(g.h-bottom)*g.w:])
		}
	}
	clear(x[:g.c*g.h*g.w])
}
