package kernels

import (
	"math"
	"math/rand/v2"
	"testing"
)

// pooledGrad returns n normal values of which a fraction zeros, chosen at
// random, are zero: an output gradient as max pooling leaves it.
func pooledGrad(rng *rand.Rand, n int, zeros float64) []float32 {
	dy := normals(rng, n)
	for i := range dy {
		if rng.Float64() < zeros {
			dy[i] = 0
		}
	}
	return dy
}

// sparseConvCases are the (n, c, h, w) inputs and (out, c, kh, kw) filters
// of the sparse kernels' tests: LeNet's conv2, an odd channel count, a
// narrow filter, a batch of one, more samples than chunks, and outputs
// narrower than the kernels' eight lanes.
var sparseConvCases = []struct{ x, w [4]int }{
	{[4]int{5, 6, 14, 14}, [4]int{16, 6, 5, 5}},
	{[4]int{3, 3, 9, 11}, [4]int{4, 3, 5, 5}},
	{[4]int{2, 2, 8, 8}, [4]int{3, 2, 5, 3}},
	{[4]int{1, 6, 14, 14}, [4]int{16, 6, 5, 5}},
	{[4]int{37, 1, 6, 9}, [4]int{2, 1, 5, 8}},
	{[4]int{20, 1, 28, 28}, [4]int{6, 1, 5, 5}}, // LeNet conv1, padded 2 in the filter test
	{[4]int{4, 1, 9, 10}, [4]int{3, 1, 5, 4}},
}

// TestSparseFilterGrad checks the sparse filter gradient against the
// definition on sparseConvCases, some of them padded (a batch of one is
// read only from the copy of the last sample). NaN in
// dy must reach exactly the weights it touches; Inf in x, or a dense dy,
// leaves the gradient to the dense kernels.
func TestSparseFilterGrad(t *testing.T) {
	if !avx2() {
		t.Skip("no AVX2")
	}
	rng := rand.New(rand.NewPCG(5, 6))
	for i, tc := range sparseConvCases {
		// Padded convolutions read a padded copy of the batch.
		pads := [][2]int{{0, 0}, {2, 2}, {1, 3}}[i%3]
		g := stride1Geom(tc.x, tc.w, pads[0], pads[1])
		x, dy := normals(rng, g.n*g.c*g.h*g.w), pooledGrad(rng, g.n*g.out*g.p(), 0.8)
		dw := make([]float32, g.out*g.k())
		if !sparseFilterGradIf(&g, dw, x, dy) {
			t.Fatalf("%+v: a pooled gradient went dense", g)
		}
		check := func(what string) {
			for i, v := range naiveFilterGrad32(&g, x, dy) {
				if got := float64(dw[i]); math.IsNaN(v) != math.IsNaN(got) || !math.IsNaN(v) && math.Abs(got-v) > 1e-4*max(1, math.Abs(v)) {
					t.Fatalf("%+v%s: dw[%d] = %v, want %v", g, what, i, dw[i], v)
				}
			}
		}
		check("")
		// A NaN at a position whose window reads no padding, which the
		// definition leaves out (and the kernels, reading it as zeros,
		// would not).
		dy[len(dy)-g.p()+g.ph*g.ow+g.pw] = float32(math.NaN())
		if !sparseFilterGradIf(&g, dw, x, dy) {
			t.Fatalf("%+v: NaN in dy went dense", g)
		}
		check(" with NaN in dy")
		x[len(x)/2] = float32(math.Inf(1))
		if sparseFilterGradIf(&g, dw, x, dy) {
			t.Fatalf("%+v: skipped zeros of dy against an infinite input", g)
		}
		if sparseFilterGradIf(&g, dw, normals(rng, len(x)), normals(rng, len(dy))) {
			t.Fatalf("%+v: a dense gradient took the sparse path", g)
		}
	}
}

// TestSparseInputGrad checks the sparse input gradient against the
// definition on the shapes of TestSparseFilterGrad, dx filled with NaN
// beforehand (every value must be written); Inf in w or NaN in dy, or a
// dense dy, leaves dx to the dense kernels and untouched.
func TestSparseInputGrad(t *testing.T) {
	if !avx2() {
		t.Skip("no AVX2")
	}
	rng := rand.New(rand.NewPCG(7, 8))
	for _, tc := range sparseConvCases {
		g := stride1Geom(tc.x, tc.w, 0, 0)
		w, dy := normals(rng, g.out*g.k()), pooledGrad(rng, g.n*g.out*g.p(), 0.8)
		dx := make([]float32, g.n*g.c*g.h*g.w)
		for i := range dx {
			dx[i] = float32(math.NaN())
		}
		if !sparseInputGradIf(&g, dx, w, dy) {
			t.Fatalf("%+v: a pooled gradient went dense", g)
		}
		for i, v := range naiveInputGrad32(&g, w, dy) {
			if math.Abs(float64(dx[i])-v) > 1e-4*max(1, math.Abs(v)) {
				t.Fatalf("%+v: dx[%d] = %v, want %v", g, i, dx[i], v)
			}
		}
		clear(dx)
		dy[0] = float32(math.NaN())
		w2 := append([]float32(nil), w...)
		w2[len(w2)-1] = float32(math.Inf(-1))
		if sparseInputGradIf(&g, dx, w, dy) || sparseInputGradIf(&g, dx, w2, pooledGrad(rng, len(dy), 0.8)) || sparseInputGradIf(&g, dx, w, normals(rng, len(dy))) {
			t.Fatalf("%+v: NaN in dy, Inf in w or a dense gradient took the sparse path", g)
		}
		for i, v := range dx {
			if v != 0 {
				t.Fatalf("%+v: a fallback wrote dx[%d]", g, i)
			}
		}
	}
	// More output channels than a window's mask has bits.
	g := stride1Geom([4]int{1, 1, 6, 6}, [4]int{65, 1, 5, 5}, 0, 0)
	if sparseInputGradIf(&g, make([]float32, 36), normals(rng, g.out*g.k()), pooledGrad(rng, g.out*g.p(), 0.9)) {
		t.Fatal("65 output channels took the sparse path")
	}
}

// pooledZeros is the fraction of zeros in LeNet conv2's output gradient
// while it learns MNIST: 86 % over the first epoch (2x2 max pooling
// leaves at most one value in four, the ReLU fewer).
const pooledZeros = 0.86

// BenchmarkConv2FilterGradPooled times LeNet conv2's filter gradient at
// batch 64 on an output gradient as sparse as in training, by the sparse
// kernel and by the dense ones.
func BenchmarkConv2FilterGradPooled(b *testing.B) {
	g := stride1Geom([4]int{64, 6, 14, 14}, [4]int{16, 6, 5, 5}, 0, 0)
	rng := rand.New(rand.NewPCG(1, 2))
	x, dy := normals(rng, g.n*g.c*g.h*g.w), pooledGrad(rng, g.n*g.out*g.p(), pooledZeros)
	dw := make([]float32, g.out*g.k())
	b.Run("sparse", func(b *testing.B) {
		for b.Loop() {
			sparseFilterGradIf(&g, dw, x, dy)
		}
	})
	b.Run("dense", func(b *testing.B) {
		for b.Loop() {
			directDwFilterGrad(&g, dw, x, dy, avx512())
		}
	})
}

// BenchmarkConv2InputGradPooled is BenchmarkConv2FilterGradPooled for the
// input gradient.
func BenchmarkConv2InputGradPooled(b *testing.B) {
	g := stride1Geom([4]int{64, 6, 14, 14}, [4]int{16, 6, 5, 5}, 0, 0)
	rng := rand.New(rand.NewPCG(1, 2))
	w, dy := normals(rng, g.out*g.k()), pooledGrad(rng, g.n*g.out*g.p(), pooledZeros)
	dx := make([]float32, g.n*g.c*g.h*g.w)
	b.Run("sparse", func(b *testing.B) {
		for b.Loop() {
			sparseInputGradIf(&g, dx, w, dy)
		}
	})
	b.Run("dense", func(b *testing.B) {
		for b.Loop() {
			directInputGrad(&g, dx, w, dy, true, avx512())
		}
	})
}

// TestSparseKernelsNoAllocs checks that the sparse paths, once warm,
// allocate nothing: they run every training step.
func TestSparseKernelsNoAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector's sync.Pool drops buffers")
	}
	if !avx2() {
		t.Skip("no AVX2")
	}
	rng := rand.New(rand.NewPCG(1, 2))
	g1 := stride1Geom([4]int{16, 1, 28, 28}, [4]int{6, 1, 5, 5}, 2, 2)
	g2 := stride1Geom([4]int{16, 6, 14, 14}, [4]int{16, 6, 5, 5}, 0, 0)
	x1, dy1 := normals(rng, g1.n*g1.c*g1.h*g1.w), pooledGrad(rng, g1.n*g1.out*g1.p(), pooledZeros)
	x2, dy2 := normals(rng, g2.n*g2.c*g2.h*g2.w), pooledGrad(rng, g2.n*g2.out*g2.p(), pooledZeros)
	w2 := normals(rng, g2.out*g2.k())
	dw1, dw2, dx2 := make([]float32, g1.out*g1.k()), make([]float32, g2.out*g2.k()), make([]float32, len(x2))
	n, in, out := 64, 784, 300
	x, w, dyd := sparse32(1, n, in, 0.97), sparse32(2, out, in, 0), sparse32(3, n, out, 0)
	y, dw := make([]float32, n*out), make([]float32, out*in)
	for _, c := range []struct {
		name string
		run  func() bool
	}{
		{"padded filter gradient", func() bool { return sparseFilterGradIf(&g1, dw1, x1, dy1) }},
		{"filter gradient", func() bool { return sparseFilterGradIf(&g2, dw2, x2, dy2) }},
		{"input gradient", func() bool { return sparseInputGradIf(&g2, dx2, w2, dy2) }},
		{"dense forward", func() bool { return sparseForwardIf(y, x, w, n, in, out, true) }},
		{"dense weight gradient", func() bool { return sparseWeightGradIf(dw, x, dyd, n, in, out) }},
	} {
		if !c.run() {
			t.Fatalf("%s: went dense", c.name)
		}
		if a := testing.AllocsPerRun(10, func() { c.run() }); a != 0 {
			t.Errorf("%s allocates %v times per call", c.name, a)
		}
	}
}

// TestCompressNonzero checks the vector compress against a plain loop on
// groups with every count of nonzero values, -0 (a zero), NaN and Inf
// (not zeros).
func TestCompressNonzero(t *testing.T) { eachLevel(t, checkCompressNonzero) }

// checkCompressNonzero checks compress against a plain loop on groups
// with every count of nonzero values, -0 (a zero), NaN and Inf (not
// zeros), and, for the AVX-512 form, a half group at the end and that
// nothing past the entries written is touched.
func checkCompressNonzero(t *testing.T) {
	if !avx2() {
		t.Skip("no AVX2")
	}
	rng := rand.New(rand.NewPCG(3, 3))
	n := 8*300 + 8
	x, pos := pooledGrad(rng, n, 0.5), make([]int32, n)
	for i := range pos {
		pos[i] = int32(rng.IntN(1 << 20))
	}
	x[3], x[10], x[17], x[30] = float32(math.Copysign(0, -1)), float32(math.NaN()), float32(math.Inf(-1)), 0
	clear(x[40:48]) // an empty group
	vals, offs := make([]float32, n+8), make([]int, n+8)
	for i := range vals {
		vals[i], offs[i] = -7, -7
	}
	k := compress(&x[0], &pos[0], n, 1000, &vals[0], &offs[0])
	if avx512() {
		for i := k; i < len(vals); i++ {
			if vals[i] != -7 || offs[i] != -7 {
				t.Fatalf("entry %d of %d written: %v at %v", i, k, vals[i], offs[i])
			}
		}
	}
	i := 0
	for q, v := range x {
		if v == 0 {
			continue
		}
		if i >= k || offs[i] != 1000+int(pos[q]) || math.Float32bits(vals[i]) != math.Float32bits(v) {
			t.Fatalf("entry %d: got %v at %v of %d, want %v at %v", i, vals[i], offs[i], k, v, 1000+int(pos[q]))
		}
		i++
	}
	if i != k {
		t.Fatalf("kept %d values, want %d", k, i)
	}
}

func TestCountNonzero(t *testing.T) {
	if !avx2() {
		t.Skip("no AVX2")
	}
	rng := rand.New(rand.NewPCG(4, 4))
	for _, n := range []int{0, 5, 8, 13, 1024, 1031, 3000} {
		x := pooledGrad(rng, n, 0.7)
		if n > 3 {
			x[1], x[2] = float32(math.NaN()), float32(math.Copysign(0, -1))
		}
		want := 0
		for _, v := range x {
			if v != 0 {
				want++
			}
		}
		if got := countNonzero32(x); got != want {
			t.Fatalf("%d values: counted %d nonzero, want %d", n, got, want)
		}
	}
}
