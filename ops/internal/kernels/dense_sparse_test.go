package kernels

import (
	"math"
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/featlearn/featlearn/datasets"
	"github.com/featlearn/featlearn/ops/internal/isa"
)

// sparse32 returns rows×cols values, each zero (a fifth of them -0) with
// probability zeros and uniform in [-1, 1) otherwise.
func sparse32(seed uint64, rows, cols int, zeros float64) []float32 {
	rng := rand.New(rand.NewPCG(seed, 7))
	s := make([]float32, rows*cols)
	for i := range s {
		switch r := rng.Float64(); {
		case r < zeros/5:
			s[i] = float32(math.Copysign(0, -1))
		case r < zeros:
		default:
			s[i] = rng.Float32()*2 - 1
		}
	}
	return s
}

// refProduct is C[i][j] = c0[i][j] + Σ_k a(i, k)·b(k, j) in float64.
func refProduct(m, n, k int, c0 []float32, a, b func(i, j int) float32) []float64 {
	c := make([]float64, m*n)
	for i := range m {
		for j := range n {
			if c0 != nil {
				c[i*n+j] = float64(c0[i*n+j])
			}
			for p := range k {
				c[i*n+j] += float64(a(i, p)) * float64(b(p, j))
			}
		}
	}
	return c
}

// checkNear fails unless got and want agree to float32 rounding of sums of
// k terms of magnitude up to 1.
func checkNear(t *testing.T, name string, got []float32, want []float64, k int) {
	t.Helper()
	tol := 1e-6 * float64(k+1)
	for i := range want {
		if d := math.Abs(float64(got[i]) - want[i]); !(d <= tol) {
			t.Fatalf("%s: [%d] = %v, want %v", name, i, got[i], want[i])
		}
	}
}

// sparseShapes covers whole tiles, edge rows and columns, inputs whose
// width is not a multiple of 8 or 16, and MLP's first layer.
var sparseShapes = [][3]int{{6, 16, 16}, {64, 784, 300}, {13, 20, 37}, {7, 9, 17}, {100, 33, 40}, {6, 45, 6}}

func TestSparseForward(t *testing.T) { eachLevel(t, checkSparseForward) }

func checkSparseForward(t *testing.T) {
	if !avx2() {
		t.Skip("no AVX2")
	}
	for si, s := range sparseShapes {
		n, in, out := s[0], s[1], s[2]
		if out < sparseNR {
			continue
		}
		x, w, bias := sparse32(uint64(si), n, in, 0.95), sparse32(uint64(si)+10, out, in, 0), sparse32(uint64(si)+20, n, out, 0)
		ax := func(i, k int) float32 { return x[i*in+k] }
		bw := func(k, j int) float32 { return w[j*in+k] }
		y := append([]float32(nil), bias...)
		if !sparseForwardIf(y, x, w, n, in, out, true) {
			t.Fatalf("%v: sparse input went dense", s)
		}
		checkNear(t, "accumulated", y, refProduct(n, out, in, bias, ax, bw), in)
		for i := range y {
			y[i] = float32(math.NaN())
		}
		if !sparseForwardIf(y, x, w, n, in, out, false) {
			t.Fatalf("%v: sparse input went dense", s)
		}
		checkNear(t, "written", y, refProduct(n, out, in, nil, ax, bw), in)
	}
}

// TestSparseForwardRowOrder checks that a row's output does not depend on
// the rows it is grouped with: the same rows in reverse order give the
// same bits.
func TestSparseForwardRowOrder(t *testing.T) { eachLevel(t, checkSparseForwardRowOrder) }

func checkSparseForwardRowOrder(t *testing.T) {
	if !avx2() {
		t.Skip("no AVX2")
	}
	n, in, out := 50, 100, 32
	x, w := sparse32(1, n, in, 0.97), sparse32(2, out, in, 0)
	rev := make([]float32, len(x))
	for r := range n {
		copy(rev[(n-1-r)*in:][:in], x[r*in:][:in])
	}
	y, yRev := make([]float32, n*out), make([]float32, n*out)
	if !sparseForwardIf(y, x, w, n, in, out, false) || !sparseForwardIf(yRev, rev, w, n, in, out, false) {
		t.Fatal("sparse input went dense")
	}
	for r := range n {
		for j := range out {
			if a, b := y[r*out+j], yRev[(n-1-r)*out+j]; math.Float32bits(a) != math.Float32bits(b) {
				t.Fatalf("row %d column %d: %v in order, %v reversed", r, j, a, b)
			}
		}
	}
}

func TestSparseWeightGrad(t *testing.T) { eachLevel(t, checkSparseWeightGrad) }

func checkSparseWeightGrad(t *testing.T) {
	if !avx2() {
		t.Skip("no AVX2")
	}
	for si, s := range sparseShapes {
		n, in, out := s[0], s[1], s[2]
		if in < sparseNR {
			continue
		}
		// x is exactly as long as it must be, so a narrow last panel
		// cannot be read past the end of the last sample.
		x, dy := sparse32(uint64(si), n, in, 0.95), sparse32(uint64(si)+10, n, out, 0.3)
		dw := make([]float32, out*in)
		for i := range dw {
			dw[i] = float32(math.NaN())
		}
		if !sparseWeightGradIf(dw, x, dy, n, in, out) {
			t.Fatalf("%v: sparse input went dense", s)
		}
		want := refProduct(out, in, n, nil, func(i, k int) float32 { return dy[k*out+i] }, func(k, j int) float32 { return x[k*in+j] })
		checkNear(t, "dw", dw, want, n)
	}
}

// TestSparseFallsBack checks that the dense GEMM keeps what skipping zeros
// would change or not speed up: a dense input, and Inf or NaN in the
// operand the zeros would multiply. Nothing is written then.
func TestSparseFallsBack(t *testing.T) { eachLevel(t, checkSparseFallsBack) }

func checkSparseFallsBack(t *testing.T) {
	if !avx2() {
		t.Skip("no AVX2")
	}
	n, in, out := 12, 64, 32
	x, w, dy := sparse32(1, n, in, 0.97), sparse32(2, out, in, 0), sparse32(3, n, out, 0)
	if !sparseForwardIf(make([]float32, n*out), x, w, n, in, out, true) || !sparseWeightGradIf(make([]float32, out*in), x, dy, n, in, out) {
		t.Fatal("sparse input went dense")
	}
	y, dw := make([]float32, n*out), make([]float32, out*in)
	denseX := sparse32(4, n, in, 0.2)
	if sparseForwardIf(y, denseX, w, n, in, out, true) || sparseWeightGradIf(dw, denseX, dy, n, in, out) {
		t.Error("a dense input took the sparse path")
	}
	w[5*in+3] = float32(math.Inf(1))
	if sparseForwardIf(y, x, w, n, in, out, true) {
		t.Error("the forward skipped zeros of x against an infinite weight")
	}
	dy[n*out-1] = float32(math.NaN())
	if sparseWeightGradIf(dw, x, dy, n, in, out) {
		t.Error("the weight gradient skipped zeros of x against a NaN gradient")
	}
	for i := range y {
		if y[i] != 0 || dw[i] != 0 {
			t.Fatal("a fallback wrote its output")
		}
	}
}

// TestSparseNaNInput checks that a NaN in x is not skipped as a zero.
func TestSparseNaNInput(t *testing.T) { eachLevel(t, checkSparseNaNInput) }

func checkSparseNaNInput(t *testing.T) {
	if !avx2() {
		t.Skip("no AVX2")
	}
	n, in, out := 12, 64, 32
	x, w, dy := sparse32(1, n, in, 0.97), sparse32(2, out, in, 0), sparse32(3, n, out, 0)
	x[7*in+40] = float32(math.NaN())
	y, dw := make([]float32, n*out), make([]float32, out*in)
	if !sparseForwardIf(y, x, w, n, in, out, false) || !sparseWeightGradIf(dw, x, dy, n, in, out) {
		t.Fatal("sparse input went dense")
	}
	for j := range out {
		if !math.IsNaN(float64(y[7*out+j])) || !math.IsNaN(float64(dw[j*in+40])) {
			t.Fatalf("column %d: y %v, dw %v, want NaN from the NaN input", j, y[7*out+j], dw[j*in+40])
		}
	}
}

// TestSparseDenseOp runs DenseForward and DenseWeightGrad on a sparse
// float32 input, at every level, and compares them with float64.
func TestSparseDenseOp(t *testing.T) { eachLevel(t, checkSparseDenseOp) }

func checkSparseDenseOp(t *testing.T) {
	n, in, out := 128, 256, 256 // past sparseMinWork
	x := sparse32(1, n, in, 0.95)
	f32of := func(v []float64) []float32 {
		s := make([]float32, len(v))
		for i, f := range v {
			s[i] = float32(f)
		}
		return s
	}
	f64of := func(v []float32) []float64 {
		s := make([]float64, len(v))
		for i, f := range v {
			s[i] = float64(f)
		}
		return s
	}
	w, b, dy := f32of(randFloats(2, out*in)), f32of(randFloats(3, out)), f32of(randFloats(4, n*out))
	if avx2() && !(sparseForwardIf(make([]float32, n*out), x, w, n, in, out, false) &&
		sparseWeightGradIf(make([]float32, out*in), x, dy, n, in, out)) {
		t.Fatal("the input would not take the sparse path")
	}
	y, y64 := make([]float32, n*out), make([]float64, n*out)
	DenseForward(y, x, w, b, n, in, out)
	DenseForward(y64, f64of(x), f64of(w), f64of(b), n, in, out)
	checkNear(t, "DenseForward", y, y64, in)
	dw, dw64 := make([]float32, out*in), make([]float64, out*in)
	DenseWeightGrad(dw, x, dy, n, in, out)
	DenseWeightGrad(dw64, f64of(x), f64of(dy), n, in, out)
	checkNear(t, "DenseWeightGrad", dw, dw64, n)
}

// mnistRows returns the first n MNIST training images as rows of 784
// values in [0, 1], or skips the benchmark where MNIST is not available.
func mnistRows(b *testing.B, n int) []float32 {
	m, err := datasets.LoadMNIST("")
	if err != nil {
		b.Skip(err)
	}
	x := make([]float32, n*784)
	for i, p := range m.Train.Images[:n*784] {
		x[i] = float32(p) / 255
	}
	return x
}

func benchFirstLayer(b *testing.B, n int, x []float32) {
	in, out := 784, 300
	w, dy := sparse32(2, out, in, 0), sparse32(3, n, out, 0)
	y, dw := make([]float32, n*out), make([]float32, out*in)
	b.Run("forward", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			DenseForward(y, x, w, nil, n, in, out)
		}
		b.ReportMetric(float64(2*n*in*out)*float64(b.N)/b.Elapsed().Seconds()/1e9, "dense-GFLOP/s")
	})
	b.Run("weightgrad", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			DenseWeightGrad(dw, x, dy, n, in, out)
		}
		b.ReportMetric(float64(2*n*in*out)*float64(b.N)/b.Elapsed().Seconds()/1e9, "dense-GFLOP/s")
	})
}

// The MLP's first layer (784 -> 300) on MNIST images, and on dense inputs
// for comparison; dense-GFLOP/s counts the multiply-adds a dense product
// does, so it compares the two directly.
func BenchmarkFirstLayerMNIST64(b *testing.B)   { benchFirstLayer(b, 64, mnistRows(b, 64)) }
func BenchmarkFirstLayerMNIST1000(b *testing.B) { benchFirstLayer(b, 1000, mnistRows(b, 1000)) }
func BenchmarkFirstLayerDense64(b *testing.B)   { benchFirstLayer(b, 64, sparse32(1, 64, 784, 0)) }
func BenchmarkFirstLayerDense1000(b *testing.B) { benchFirstLayer(b, 1000, sparse32(1, 1000, 784, 0)) }

// TestSparseSameBits checks that the sparse products give the same bits
// at the AVX2 and AVX-512 levels (both add each element's steps in order
// with one FMA each; the wide weight gradient's extra steps add 0·dy) and
// on one core or two.
func TestSparseSameBits(t *testing.T) {
	if !avx512() {
		t.Skip("no AVX-512")
	}
	n, in, out := 64, 784, 300
	x, w, dy := sparse32(1, n, in, 0.97), sparse32(2, out, in, 0), sparse32(3, n, out, 0)
	run := func(l isa.Level, procs int) (y, dw []float32) {
		defer isa.Set(isa.Set(l))
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
		y, dw = make([]float32, n*out), make([]float32, out*in)
		if !sparseForwardIf(y, x, w, n, in, out, false) || !sparseWeightGradIf(dw, x, dy, n, in, out) {
			t.Fatal("sparse input went dense")
		}
		return y, dw
	}
	y0, dw0 := run(isa.AVX2, 2)
	for _, c := range []struct {
		l     isa.Level
		procs int
	}{{isa.AVX512, 2}, {isa.AVX512, 1}, {isa.AVX2, 1}} {
		y, dw := run(c.l, c.procs)
		if i := sameBits(y, y0); i >= 0 {
			t.Fatalf("%v on %d cores: y[%d] = %v, %v at avx2 on 2", c.l, c.procs, i, y[i], y0[i])
		}
		if i := sameBits(dw, dw0); i >= 0 {
			t.Fatalf("%v on %d cores: dw[%d] = %v, %v at avx2 on 2", c.l, c.procs, i, dw[i], dw0[i])
		}
	}
}
