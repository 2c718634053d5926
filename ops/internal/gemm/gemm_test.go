package gemm

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/featlearn/featlearn/ops/internal/isa"
)

// testCase is one gemm call with its inputs.
type testCase struct {
	transA, transB bool
	m, n, k        int
	lda, ldb, ldc  int
	alpha, beta    float64
	a, b, c        []float64
	nanC           bool // C holds NaN garbage (only with beta == 0)
	name           string
}

// newCase builds random operands; pad widens the leading dimensions past
// the row length and puts slack after each matrix.
func newCase(rng *rand.Rand, tA, tB bool, m, n, k, pad int, alpha, beta float64) *testCase {
	tc := &testCase{transA: tA, transB: tB, m: m, n: n, k: k, alpha: alpha, beta: beta}
	ar, ac := m, k
	if tA {
		ar, ac = k, m
	}
	br, bc := k, n
	if tB {
		br, bc = n, k
	}
	tc.lda, tc.ldb, tc.ldc = max(1, ac+pad), max(1, bc+pad), max(1, n+pad)
	fill := func(rows, ld int) []float64 {
		s := make([]float64, rows*ld)
		for i := range s {
			s[i] = rng.Float64()*2 - 1
		}
		return s
	}
	tc.a, tc.b, tc.c = fill(ar, tc.lda), fill(br, tc.ldb), fill(m, tc.ldc)
	tc.name = fmt.Sprintf("tA=%v,tB=%v,m=%d,n=%d,k=%d,pad=%d,alpha=%g,beta=%g", tA, tB, m, n, k, pad, alpha, beta)
	return tc
}

// want returns the float64 reference of C and, per element, the sum of the
// magnitudes that went into it, which bounds the rounding error.
func (tc *testCase) want() (c, mag []float64) {
	c = make([]float64, len(tc.c))
	copy(c, tc.c)
	mag = make([]float64, len(tc.c))
	for i := 0; i < tc.m; i++ {
		for j := 0; j < tc.n; j++ {
			var s, abs float64
			for p := 0; p < tc.k; p++ {
				var av, bv float64
				if tc.transA {
					av = tc.a[p*tc.lda+i]
				} else {
					av = tc.a[i*tc.lda+p]
				}
				if tc.transB {
					bv = tc.b[j*tc.ldb+p]
				} else {
					bv = tc.b[p*tc.ldb+j]
				}
				s += av * bv
				abs += math.Abs(av * bv)
			}
			o := i*tc.ldc + j
			v := tc.alpha * s
			mag[o] = math.Abs(tc.alpha) * abs
			if tc.beta != 0 {
				v += tc.beta * tc.c[o]
				mag[o] += math.Abs(tc.beta * tc.c[o])
			}
			c[o] = v
		}
	}
	return c, mag
}

func to32(s []float64) []float32 {
	r := make([]float32, len(s))
	for i, v := range s {
		r[i] = float32(v)
	}
	return r
}

// check runs the case through Sgemm and Dgemm and compares every element of
// C, padding included (which must be left untouched).
func (tc *testCase) check(t *testing.T, call32 func(*testCase, []float32, []float32, []float32), call64 func(*testCase, []float64, []float64, []float64)) {
	t.Helper()
	want, mag := tc.want()
	a32, b32, c32 := to32(tc.a), to32(tc.b), to32(tc.c)
	c64 := append([]float64(nil), tc.c...)
	if tc.nanC {
		for i := 0; i < tc.m; i++ {
			for j := 0; j < tc.n; j++ {
				c32[i*tc.ldc+j] = float32(math.NaN())
				c64[i*tc.ldc+j] = math.NaN()
			}
		}
	}
	call32(tc, a32, b32, c32)
	call64(tc, tc.a, tc.b, c64)
	for i := range want {
		in := i/tc.ldc < tc.m && i%tc.ldc < tc.n
		if !in {
			if c32[i] != float32(tc.c[i]) || c64[i] != tc.c[i] {
				t.Fatalf("%s: element %d outside C changed", tc.name, i)
			}
			continue
		}
		// Each of the k+2 roundings errs by at most eps times the
		// magnitudes summed so far.
		bound := float64(tc.k+4) * mag[i]
		if d := math.Abs(float64(c32[i]) - want[i]); !(d <= 2*bound*0x1p-24+1e-30) {
			t.Fatalf("%s: float32 C[%d,%d] = %g, want %g (error %g, bound %g)", tc.name, i/tc.ldc, i%tc.ldc, c32[i], want[i], d, 2*bound*0x1p-24)
		}
		if d := math.Abs(c64[i] - want[i]); !(d <= 2*bound*0x1p-53+1e-300) {
			t.Fatalf("%s: float64 C[%d,%d] = %g, want %g (error %g)", tc.name, i/tc.ldc, i%tc.ldc, c64[i], want[i], d)
		}
	}
}

func callPublic32(tc *testCase, a, b, c []float32) {
	Sgemm(tc.transA, tc.transB, tc.m, tc.n, tc.k, float32(tc.alpha), a, tc.lda, b, tc.ldb, float32(tc.beta), c, tc.ldc)
}

func callPublic64(tc *testCase, a, b, c []float64) {
	Dgemm(tc.transA, tc.transB, tc.m, tc.n, tc.k, tc.alpha, a, tc.lda, b, tc.ldb, tc.beta, c, tc.ldc)
}

// eachPath runs f once at every instruction-set level the CPU has, the
// pure-Go fallback included.
func eachPath(t *testing.T, f func(t *testing.T)) {
	for _, l := range isa.Available() {
		t.Run(l.String(), func(t *testing.T) {
			defer isa.Set(isa.Set(l))
			f(t)
		})
	}
	if isa.Detected() < isa.AVX512 {
		t.Logf("this CPU has %v: the faster kernels are not tested", isa.Detected())
	}
}

var dims = []int{1, 2, 3, 5, 6, 7, 8, 9, 11, 12, 13, 16, 17, 23, 31, 37, 64, 97}

func TestRandomShapes(t *testing.T) {
	eachPath(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(1, 2))
		for it := 0; it < 400; it++ {
			m, n, k := dims[rng.IntN(len(dims))], dims[rng.IntN(len(dims))], dims[rng.IntN(len(dims))]
			pad := []int{0, 0, 1, 7}[rng.IntN(4)]
			alpha := []float64{1, -1, 0.5, 2.5}[rng.IntN(4)]
			beta := []float64{0, 1, -0.75, 2}[rng.IntN(4)]
			tc := newCase(rng, it&1 != 0, it&2 != 0, m, n, k, pad, alpha, beta)
			tc.nanC = beta == 0
			tc.check(t, callPublic32, callPublic64)
		}
	})
}

// TestLargeShapes covers the blocked loop nests: several k blocks, several
// B blocks, long k, and the shapes of the networks this package serves.
func TestLargeShapes(t *testing.T) {
	shapes := [][3]int{
		{130, 530, 300}, {60, 2100, 5}, {6, 784, 25}, {16, 100, 150}, {25, 784, 6}, {6, 25, 784},
		{64, 120, 400}, {64, 300, 784}, {25, 6, 5000}, {1000, 6, 25}, {500, 16, 150},
		{13, 1030, 300}, {150, 16, 3000}, {37, 3, 2100},
	}
	eachPath(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(3, 4))
		for _, s := range shapes {
			for tr := 0; tr < 4; tr++ {
				beta := []float64{0, 1, 0.5}[rng.IntN(3)]
				tc := newCase(rng, tr&1 != 0, tr&2 != 0, s[0], s[1], s[2], rng.IntN(3), 1.5, beta)
				tc.nanC = beta == 0
				tc.check(t, callPublic32, callPublic64)
			}
		}
	})
}

// TestOneRow covers the single-row A·Bᵀ products of batch-1 inference
// (sdot1x8): every width of the last group of B rows, k with and without
// a remainder of 8, and the batch-1 MLP shapes.
func TestOneRow(t *testing.T) {
	eachPath(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(7, 8))
		for _, n := range []int{1, 2, 3, 5, 7, 8, 9, 15, 16, 17, 100, 300} {
			for _, k := range []int{32, 33, 39, 40, 300, 784} {
				beta := []float64{0, 1, -0.5}[rng.IntN(3)]
				tc := newCase(rng, false, true, 1, n, k, rng.IntN(3), 1.25, beta)
				tc.nanC = beta == 0
				tc.check(t, callPublic32, callPublic64)
			}
		}
	})
}

// TestSplits forces every way of splitting a problem across parts, on
// shapes where the parts are uneven.
func TestSplits(t *testing.T) {
	eachPath(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(5, 6))
		for _, s := range [][3]int{{97, 131, 300}, {20, 45, 700}, {7, 5, 1000}, {200, 9, 260}, {5, 3, 2}} {
			for split := splitNone; split <= splitK; split++ {
				for _, parts := range []int{2, 3} {
					for tr := 0; tr < 4; tr++ {
						tc := newCase(rng, tr&1 != 0, tr&2 != 0, s[0], s[1], s[2], 1, -0.5, 0.25)
						call32 := func(tc *testCase, a, b, c []float32) {
							pr := problem[float32]{tc.transA, tc.transB, tc.m, tc.n, tc.k, float32(tc.alpha), a, tc.lda, b, tc.ldb, float32(tc.beta), c, tc.ldc, false}
							runSplit(&pr, prepare(kernels32(), &pr), split, parts)
						}
						call64 := func(tc *testCase, a, b, c []float64) {
							pr := problem[float64]{tc.transA, tc.transB, tc.m, tc.n, tc.k, tc.alpha, a, tc.lda, b, tc.ldb, tc.beta, c, tc.ldc, false}
							runSplit(&pr, prepare(kernels64(), &pr), split, parts)
						}
						tc.name += fmt.Sprintf(",split=%d,parts=%d", split, parts)
						tc.check(t, call32, call64)
					}
				}
			}
		}
	})
}

// TestNaNPropagates checks that a NaN or Inf in A reaches C, as in ops'
// generic gemm: nothing may skip zero elements of B.
func TestNaNPropagates(t *testing.T) {
	eachPath(t, func(t *testing.T) {
		for _, m := range []int{3, 40} {
			n, k := 33, 20
			a := make([]float32, m*k)
			b := make([]float32, k*n)
			c := make([]float32, m*n)
			a[2*k+5] = float32(math.Inf(1))
			Sgemm(false, false, m, n, k, 1, a, k, b, n, 0, c, n)
			for j := 0; j < n; j++ {
				if !math.IsNaN(float64(c[2*n+j])) {
					t.Fatalf("m=%d: C[2,%d] = %g, want NaN (Inf·0)", m, j, c[2*n+j])
				}
				if c[n+j] != 0 {
					t.Fatalf("m=%d: C[1,%d] = %g, want 0", m, j, c[n+j])
				}
			}
		}
	})
}

func TestSpecialScalars(t *testing.T) {
	eachPath(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(7, 8))
		for _, s := range [][3]int{{5, 7, 0}, {5, 7, 3}, {70, 90, 80}} {
			for _, ab := range [][2]float64{{0, 0}, {0, 1}, {0, -2}, {1, 0}, {1, 1}, {-3, 0.5}} {
				tc := newCase(rng, false, true, s[0], s[1], s[2], 2, ab[0], ab[1])
				tc.nanC = ab[1] == 0
				tc.check(t, callPublic32, callPublic64)
			}
		}
	})
}

func TestEmpty(t *testing.T) {
	// Nothing may be touched, not even a nil C.
	Sgemm(false, false, 0, 5, 3, 1, make([]float32, 15), 3, make([]float32, 15), 5, 0, nil, 5)
	Sgemm(false, false, 5, 0, 3, 1, make([]float32, 15), 3, nil, 1, 0, nil, 1)
	Dgemm(true, true, 0, 0, 0, 1, nil, 1, nil, 1, 0, nil, 1)
}

func TestPanics(t *testing.T) {
	a, b, c := make([]float32, 12), make([]float32, 12), make([]float32, 9)
	for _, tt := range []struct {
		want string
		f    func()
	}{
		{errM, func() { Sgemm(false, false, -1, 3, 4, 1, a, 4, b, 3, 0, c, 3) }},
		{errN, func() { Sgemm(false, false, 3, -1, 4, 1, a, 4, b, 3, 0, c, 3) }},
		{errK, func() { Sgemm(false, false, 3, 3, -1, 1, a, 4, b, 3, 0, c, 3) }},
		{errLdA, func() { Sgemm(false, false, 3, 3, 4, 1, a, 3, b, 3, 0, c, 3) }},
		{errLdA, func() { Sgemm(true, false, 3, 3, 4, 1, a, 2, b, 3, 0, c, 3) }},
		{errLdB, func() { Sgemm(false, false, 3, 3, 4, 1, a, 4, b, 2, 0, c, 3) }},
		{errLdB, func() { Sgemm(false, true, 3, 3, 4, 1, a, 4, b, 3, 0, c, 3) }},
		{errLdC, func() { Sgemm(false, false, 3, 3, 4, 1, a, 4, b, 3, 0, c, 2) }},
		{errShortA, func() { Sgemm(false, false, 3, 3, 4, 1, a[:11], 4, b, 3, 0, c, 3) }},
		{errShortB, func() { Sgemm(false, false, 3, 3, 4, 1, a, 4, b[:11], 3, 0, c, 3) }},
		{errShortC, func() { Sgemm(false, false, 3, 3, 4, 1, a, 4, b, 3, 0, c[:8], 3) }},
	} {
		func() {
			defer func() {
				if r := recover(); r != tt.want {
					t.Errorf("panic %v, want %q", r, tt.want)
				}
			}()
			tt.f()
		}()
	}
}

// TestPlan checks the split chosen for the shapes this package was tuned
// for, so that a change to the cost model that serialises them shows up.
func TestPlan(t *testing.T) {
	if isa.Current() != isa.AVX2 {
		defer isa.Set(isa.Set(isa.AVX2))
		if isa.Current() != isa.AVX2 {
			t.Skip("the plans below are for the AVX2 kernels")
		}
	}
	for _, tt := range []struct {
		tA, tB  bool
		m, n, k int
		split   int
	}{
		{false, false, 1024, 1024, 1024, splitM},
		{false, false, 64 * 28 * 28, 6, 25, splitM},
		{false, false, 64 * 100, 16, 150, splitM},
		{false, true, 64 * 28 * 28, 25, 6, splitM},
		{true, false, 25, 6, 64 * 28 * 28, splitK},
		{false, true, 64, 784, 300, splitN},
		{false, false, 6, 28 * 28, 25, splitNone},
		{false, false, 4, 4, 4, splitNone},
	} {
		pr := problem[float32]{transA: tt.tA, transB: tt.tB, m: tt.m, n: tt.n, k: tt.k, lda: tt.k, ldb: tt.n}
		if tt.tA {
			pr.lda = tt.m
		}
		if tt.tB {
			pr.ldb = tt.k
		}
		tl := prepare(kernels32(), &pr)
		if split, _ := plan(&pr, &tl, 2); split != tt.split {
			t.Errorf("%dx%dx%d: split %d, want %d", tt.m, tt.n, tt.k, split, tt.split)
		}
	}
}

// TestNoAllocs checks that warm calls do not allocate, split or not.
func TestNoAllocs(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(2))
	for _, s := range [][3]int{{64, 120, 400}, {6, 784, 25}, {256, 256, 256}, {25, 6, 5000}} {
		m, n, k := s[0], s[1], s[2]
		a, b, c := make([]float32, m*k), make([]float32, k*n), make([]float32, m*n)
		f := func() { Sgemm(true, false, m, n, k, 1, a, m, b, n, 0, c, n) }
		f()
		if allocs := testing.AllocsPerRun(20, f); allocs != 0 {
			t.Errorf("%v: %v allocations per call", s, allocs)
		}
	}
}

// TestConcurrentCalls runs split products from several goroutines at once,
// so that workers reach jobs late and jobs are recycled under them.
func TestConcurrentCalls(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(3))
	rng := rand.New(rand.NewPCG(11, 12))
	tc := newCase(rng, false, true, 120, 90, 200, 0, 1, 0)
	want, _ := tc.want()
	a, b := to32(tc.a), to32(tc.b)
	pr := problem[float32]{transB: true, m: tc.m, n: tc.n, k: tc.k, lda: tc.lda, ldb: tc.ldb}
	tl := prepare(kernels32(), &pr)
	if split, _ := plan(&pr, &tl, 3); split == splitNone {
		t.Fatal("the test product is not split")
	}
	errs := make(chan error, 4)
	for g := 0; g < 4; g++ {
		go func() {
			c := make([]float32, len(tc.c))
			for it := 0; it < 30; it++ {
				Sgemm(false, true, tc.m, tc.n, tc.k, 1, a, tc.lda, b, tc.ldb, 0, c, tc.ldc)
				for i := range c {
					if math.Abs(float64(c[i])-want[i]) > 1e-3 {
						errs <- fmt.Errorf("call %d: C[%d] = %v, want %v", it, i, c[i], want[i])
						return
					}
				}
			}
			errs <- nil
		}()
	}
	for g := 0; g < 4; g++ {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
}

// TestPackBTransposed checks the vector packing of a transposed B panel
// against the element loop, for k block lengths around the 8×8 blocks.
func TestPackBTransposed(t *testing.T) {
	if transpose32() == nil {
		t.Skip("no vector transpose at this level")
	}
	const n, ldb = 40, 53 // columns 5 to 36 are packed
	b := make([]float32, n*ldb)
	for i := range b {
		b[i] = float32(i)
	}
	for _, w := range []int{16, 32} {
		for _, kb := range []int{1, 7, 8, 9, 16, 23} {
			pr := problem[float32]{transB: true, b: b, ldb: ldb}
			got := make([]float32, kb*w)
			packB(got, &pr, 3, kb, 5, w, w)
			for p := 0; p < kb; p++ {
				for jj := 0; jj < w; jj++ {
					if want := b[(5+jj)*ldb+3+p]; got[p*w+jj] != want {
						t.Fatalf("w %d kb %d: panel[%d][%d] = %v, want %v", w, kb, p, jj, got[p*w+jj], want)
					}
				}
			}
		}
	}
}

func TestTranspose32(t *testing.T) { eachPath(t, checkTranspose32) }

// checkTranspose32 checks Transpose32 on blocks around the 8×8 and 16×16
// tiles, and that nothing past the rows of dst is written.
func checkTranspose32(t *testing.T) {
	for _, s := range [][2]int{{1, 1}, {8, 8}, {100, 16}, {13, 21}, {16, 7}, {3, 9}, {16, 16}, {17, 33}, {49, 32}, {196, 16}, {31, 47}} {
		rows, cols := s[0], s[1]
		lds, ldd := cols+3, rows+5
		src := make([]float32, rows*lds)
		for i := range src {
			src[i] = float32(i)
		}
		dst := make([]float32, cols*ldd)
		for i := range dst {
			dst[i] = -1
		}
		Transpose32(dst, ldd, src, lds, rows, cols)
		for c := 0; c < cols; c++ {
			for r := 0; r < ldd; r++ {
				want := float32(-1)
				if r < rows {
					want = src[r*lds+c]
				}
				if got := dst[c*ldd+r]; got != want {
					t.Fatalf("%dx%d: dst[%d][%d] = %v, want %v", rows, cols, c, r, got, want)
				}
			}
		}
	}
}

// TestAVX512SameBits checks that the AVX-512 dot-product kernel gives the
// AVX2 one's bits (each element sums its k steps in sdot3x4's eight lanes
// and folds them in its order), on A·Bᵀ products that take it. (Other
// products may be blocked or split differently at the two levels.)
func TestAVX512SameBits(t *testing.T) {
	if isa.Detected() < isa.AVX512 {
		t.Skip("no AVX-512")
	}
	rng := rand.New(rand.NewPCG(7, 8))
	for it := 0; it < 300; it++ {
		m, n, k := dims[rng.IntN(len(dims))], dims[rng.IntN(len(dims))], dims[rng.IntN(len(dims))]
		if it%3 == 0 {
			m, n, k = 64, []int{10, 100, 300}[it%9/3], []int{32, 100, 300, 784}[it%4]
		}
		if k < dotMinK || m > dotMaxM { // larger m may take the dot kernel at one level only
			continue
		}
		tc := newCase(rng, false, true, m, n, k, it%2, 1, []float64{0, 1, -0.75}[it%3])
		to32 := func(v []float64) []float32 {
			s := make([]float32, len(v))
			for i, f := range v {
				s[i] = float32(f)
			}
			return s
		}
		a, b := to32(tc.a), to32(tc.b)
		run := func(l isa.Level) []float32 {
			defer isa.Set(isa.Set(l))
			c := to32(tc.c)
			callPublic32(tc, a, b, c)
			return c
		}
		c2, c5 := run(isa.AVX2), run(isa.AVX512)
		for i := range c2 {
			if math.Float32bits(c2[i]) != math.Float32bits(c5[i]) {
				t.Fatalf("%dx%dx%d transA %v transB %v: C[%d] = %v at avx512, %v at avx2", m, n, k, tc.transA, tc.transB, i, c5[i], c2[i])
			}
		}
	}
}
