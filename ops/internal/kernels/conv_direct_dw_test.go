package kernels

import (
	"math"
	"math/rand/v2"
	"testing"
)

// naiveFilterGrad32 is dw = Σ dy·x straight from the definition, summed in
// float64.
func naiveFilterGrad32(g *convGeom, x, dy []float32) []float64 {
	dw := make([]float64, g.out*g.k())
	forEachTap(g, func(xi, wi, yi int) { dw[wi] += float64(x[xi]) * float64(dy[yi]) })
	return dw
}

// TestDirectFilterGrad checks the direct float32 filter gradient against
// the definition: LeNet's conv2, channel counts that leave part of a
// 16-lane tile or a second tile, tap counts that leave part of a 6-tap
// tile, paddings, and batches split into several chunks. An Inf or NaN in
// x must reach exactly the weights it touches.
func TestDirectFilterGrad(t *testing.T) { eachLevel(t, checkDirectFilterGrad) }

func checkDirectFilterGrad(t *testing.T) {
	cases := []struct {
		x, w   [4]int // (n, c, h, w) and (out, c, kh, kw)
		ph, pw int
		served bool
	}{
		{[4]int{3, 6, 14, 14}, [4]int{16, 6, 5, 5}, 0, 0, true}, // LeNet conv2
		{[4]int{20, 2, 7, 9}, [4]int{9, 2, 3, 2}, 1, 0, true},
		{[4]int{2, 3, 5, 6}, [4]int{17, 3, 3, 3}, 1, 1, true},
		{[4]int{1, 1, 4, 4}, [4]int{33, 1, 2, 2}, 0, 1, true},
		{[4]int{2, 1, 28, 28}, [4]int{6, 1, 5, 5}, 2, 2, true}, // LeNet conv1: the narrow kernel
		{[4]int{18, 2, 5, 7}, [4]int{8, 2, 3, 2}, 1, 1, true},
		{[4]int{1, 3, 4, 4}, [4]int{1, 3, 2, 2}, 0, 0, true},
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for _, tc := range cases {
		g := stride1Geom(tc.x, tc.w, tc.ph, tc.pw)
		x, dy := normals(rng, g.n*g.c*g.h*g.w), normals(rng, g.n*g.out*g.p())
		dw := make([]float32, g.out*g.k())
		if p := convFilterGradPath(&g, x, dy); avx2() && (p == pathDirectDw || p == pathDirectDw512 || p == pathNarrow) != tc.served {
			t.Fatalf("%+v: path %v, want direct %v", g, p, tc.served)
		}
		ConvFilterGrad(&g, dw, x, dy)
		for i, v := range naiveFilterGrad32(&g, x, dy) {
			if math.Abs(float64(dw[i])-v) > 1e-4*max(1, math.Abs(v)) {
				t.Fatalf("%+v: dw[%d] = %v, want %v", g, i, dw[i], v)
			}
		}
		x[len(x)/2] = float32(math.Inf(1))
		x[1] = float32(math.NaN())
		ConvFilterGrad(&g, dw, x, dy)
		for i, v := range naiveFilterGrad32(&g, x, dy) {
			if math.IsNaN(v) != math.IsNaN(float64(dw[i])) || math.IsInf(v, 0) != math.IsInf(float64(dw[i]), 0) {
				t.Fatalf("%+v with Inf and NaN: dw[%d] = %v, want %v", g, i, dw[i], v)
			}
		}
	}
}

// TestNarrowFilterGradZeroRows checks the narrow filter gradient on
// samples with zero top and bottom rows, which it skips: LeNet's conv1
// with margins of every height, an all-zero sample, and a NaN in dy at a
// position whose window reads a margin, which must reach every weight.
func TestNarrowFilterGradZeroRows(t *testing.T) { eachLevel(t, checkNarrowFilterGradZeroRows) }

func checkNarrowFilterGradZeroRows(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	for _, tc := range []struct {
		x, w   [4]int
		ph, pw int
	}{
		{[4]int{30, 1, 28, 28}, [4]int{6, 1, 5, 5}, 2, 2},
		{[4]int{9, 2, 7, 8}, [4]int{4, 2, 3, 3}, 1, 1},
	} {
		g := stride1Geom(tc.x, tc.w, tc.ph, tc.pw)
		x, dy := normals(rng, g.n*g.c*g.h*g.w), normals(rng, g.n*g.out*g.p())
		zeroMargins(&g, x, false)
		check := func(what string) {
			dw := make([]float32, g.out*g.k())
			if p := convFilterGradPath(&g, x, dy); avx2() && p != pathNarrow {
				t.Fatalf("%+v: path %v, want narrow", g, p)
			}
			ConvFilterGrad(&g, dw, x, dy)
			for i, v := range naiveFilterGrad32(&g, x, dy) {
				if got := float64(dw[i]); math.IsNaN(v) != math.IsNaN(got) || !math.IsNaN(v) && math.Abs(got-v) > 1e-4*max(1, math.Abs(v)) {
					t.Fatalf("%+v%s: dw[%d] = %v, want %v", g, what, i, got, v)
				}
			}
		}
		check("")
		// Sample 3's output row 2 reads its three zero top rows, and no
		// padding when the filter fits: the NaN must reach every tap.
		dy[(3*g.out*g.oh+2)*g.ow+g.ow/2] = float32(math.NaN())
		check(" with NaN in dy")
	}
}

// BenchmarkConv1FilterGradMNIST times LeNet conv1's filter gradient on 64
// MNIST images and an output gradient as sparse as max pooling leaves it.
func BenchmarkConv1FilterGradMNIST(b *testing.B) {
	g := stride1Geom([4]int{64, 1, 28, 28}, [4]int{6, 1, 5, 5}, 2, 2)
	rng := rand.New(rand.NewPCG(1, 2))
	x, dy := mnistRows(b, 64), pooledGrad(rng, g.n*g.out*g.p(), pooledZeros)
	dw := make([]float32, g.out*g.k())
	for b.Loop() {
		ConvFilterGrad(&g, dw, x, dy)
	}
}
