package kernels

import (
	"math"
	"testing"

	"github.com/featlearn/featlearn/datasets"
)

// kernelSpecials are the values the elementwise kernels must treat as the
// Go loops do.
var kernelSpecials = []float64{math.NaN(), math.Inf(1), math.Inf(-1), 0, math.Copysign(0, -1), 1e-40, -1e-40, 3, -3}

// kernelInput returns n values mixing specials and seeded random numbers.
func kernelInput(seed uint64, n int) []float32 {
	r := randFloats(seed, max(n, 1))
	s := make([]float32, n)
	for i := range s {
		s[i] = float32(r[i])
		if i%5 == 0 {
			s[i] = float32(kernelSpecials[(i/5)%len(kernelSpecials)])
		}
	}
	return s
}

// sameBits reports the first index where a and b differ in bits, or -1.
func sameBits(a, b []float32) int {
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			return i
		}
	}
	return -1
}

// TestElementwiseKernels checks the vector loops bit for bit against the
// scalar definitions, at every length around the vector and unroll widths.
func TestElementwiseKernels(t *testing.T) {
	for n := 0; n <= 75; n++ {
		x, y, dy := kernelInput(1, n), kernelInput(2, n), kernelInput(3, n)
		got, want := make([]float32, n), make([]float32, n)
		reluForward(got, x)
		for i, v := range x {
			if v > 0 {
				want[i] = v
			}
		}
		if i := sameBits(got, want); i >= 0 {
			t.Fatalf("relu n=%d: [%d] = %v, want %v (x %v)", n, i, got[i], want[i], x[i])
		}
		reluBackward(got, y, dy)
		for i, v := range y {
			want[i] = 0
			if v > 0 {
				want[i] = dy[i]
			}
		}
		if i := sameBits(got, want); i >= 0 {
			t.Fatalf("relu grad n=%d: [%d] = %v, want %v", n, i, got[i], want[i])
		}
		for _, slope := range []float32{0.01, -0.5, 0} {
			leakyScale(got, y, dy, slope)
			for i, v := range y {
				want[i] = dy[i] * slope
				if v > 0 {
					want[i] = dy[i]
				}
			}
			if i := sameBits(got, want); i >= 0 && !(math.IsNaN(float64(got[i])) && math.IsNaN(float64(want[i]))) {
				t.Fatalf("leaky n=%d slope %v: [%d] = %v, want %v (x %v, a %v)", n, slope, i, got[i], want[i], y[i], dy[i])
			}
		}
		copy(got, x)
		addTo(got, dy)
		for i := range want {
			want[i] = x[i] + dy[i]
		}
		if i := sameBits(got, want); i >= 0 && !(math.IsNaN(float64(got[i])) && math.IsNaN(float64(want[i]))) {
			t.Fatalf("addTo n=%d: [%d] = %v, want %v", n, i, got[i], want[i])
		}
	}
}

// TestPool2x2MaxBits checks the vector 2x2 maxima bit for bit against Go's
// max, ±0 included (NaN payloads aside), at every width from 8 windows up.
func TestPool2x2MaxBits(t *testing.T) {
	for n := 8; n <= 40; n++ {
		r0, r1 := kernelInput(uint64(n), 2*n), kernelInput(uint64(n+100), 2*n)
		got, want := make([]float32, n), make([]float32, n)
		if !avx2() {
			t.Skip("no vector kernel on this CPU")
		}
		pool2x2MaxRow32(got, r0, r1)
		for i := range want {
			want[i] = max(r0[2*i], r0[2*i+1], r1[2*i], r1[2*i+1])
		}
		for i := range got {
			g, w := got[i], want[i]
			if math.Float32bits(g) != math.Float32bits(w) && !(g != g && w != w) {
				t.Fatalf("n=%d: window %d max = %v (%#x), want %v (%#x)", n, i, g, math.Float32bits(g), w, math.Float32bits(w))
			}
		}
	}
}

// TestSumTo64 checks the float64 sum of float32 rows, vector and scalar
// parts, against a plain float64 loop, and that Inf and NaN propagate.
func TestSumTo64(t *testing.T) {
	for n := 0; n <= 70; n++ {
		x := make([]float32, n)
		for i := range x {
			x[i] = float32(math.Sin(float64(i)*1.7)) * float32(1+i%5)
		}
		var want float64
		for _, v := range x {
			want += float64(v)
		}
		if got := sumTo64(x); math.Abs(got-want) > 1e-12*max(1, math.Abs(want)) {
			t.Fatalf("n %d: sum %v, want %v", n, got, want)
		}
		if n > 0 {
			x[n-1] = float32(math.Inf(1))
			if got := sumTo64(x); !math.IsInf(got, 1) {
				t.Fatalf("n %d with +Inf: sum %v", n, got)
			}
			x[0] = float32(math.NaN())
			if got := sumTo64(x); !math.IsNaN(got) {
				t.Fatalf("n %d with NaN: sum %v", n, got)
			}
		}
	}
}

// TestScalePixels checks every byte value, at every offset of a vector and
// in a tail, against Go's float32 division.
func TestScalePixels(t *testing.T) {
	pixels := make([]uint8, 256*3+5)
	for i := range pixels {
		pixels[i] = uint8(i * 7)
	}
	dst := make([]float32, len(pixels))
	if n := ScalePixels(dst, pixels); n != len(pixels) {
		t.Fatalf("converted %d of %d pixels", n, len(pixels))
	}
	if n := ScalePixels(dst[:5], pixels); n != 5 {
		t.Fatalf("converted %d pixels into 5 places", n)
	}
	for i, p := range pixels {
		if want := float32(p) / 255; math.Float32bits(dst[i]) != math.Float32bits(want) {
			t.Fatalf("pixel %d (%d): %v, want %v", i, p, dst[i], want)
		}
	}
}

// BenchmarkScalePixels converts a batch of 64 MNIST-sized images, against
// the scalar table lookup of datasets.PixelsToFloat32.
func BenchmarkScalePixels(b *testing.B) {
	pixels := make([]uint8, 64*784)
	for i := range pixels {
		pixels[i] = uint8(i * 13)
	}
	dst := make([]float32, len(pixels))
	b.Run("vector", func(b *testing.B) {
		for b.Loop() {
			ScalePixels(dst, pixels)
		}
	})
	b.Run("table", func(b *testing.B) {
		for b.Loop() {
			datasets.PixelsToFloat32(pixels, dst)
		}
	})
}

// TestCopyRows checks the strided row copy with and without a bias on rows
// whose width is not a multiple of 8, and that without a bias -0 stays -0.
func TestCopyRows(t *testing.T) {
	if !avx2() {
		t.Skip("no AVX2")
	}
	const rows, n, lds, ldd = 3, 13, 17, 15
	src := make([]float32, rows*lds)
	for i := range src {
		src[i] = float32(i) - 20
	}
	src[lds+4] = float32(math.Copysign(0, -1))
	for _, bias := range []bool{false, true} {
		dst := make([]float32, rows*ldd)
		for i := range dst {
			dst[i] = 99
		}
		copyRows32(&dst[0], &src[0], rows, n, ldd, lds, 0.5, bias)
		for r := range rows {
			for i := range ldd {
				want := float32(99)
				if i < n {
					want = src[r*lds+i]
					if bias {
						want += 0.5
					}
				}
				if got := dst[r*ldd+i]; math.Float32bits(got) != math.Float32bits(want) {
					t.Fatalf("bias %v: row %d [%d] = %v, want %v", bias, r, i, got, want)
				}
			}
		}
	}
}

// TestCopyRows512 checks the AVX-512 strided copy on widths around its
// 16-value steps, and that nothing past a row is written.
func TestCopyRows512(t *testing.T) {
	if !avx512() {
		t.Skip("no AVX-512")
	}
	for _, n := range []int{1, 7, 14, 15, 16, 17, 28, 31, 32, 33, 50} {
		const rows = 3
		lds, ldd := n+3, n+5
		src := make([]float32, rows*lds)
		for i := range src {
			src[i] = float32(i) + 0.5
		}
		dst := make([]float32, rows*ldd)
		for i := range dst {
			dst[i] = -1
		}
		copyRows512(&dst[0], &src[0], rows, n, ldd*4, lds*4)
		for r := range rows {
			for i := range ldd {
				want := float32(-1)
				if i < n {
					want = src[r*lds+i]
				}
				if got := dst[r*ldd+i]; got != want {
					t.Fatalf("n %d: row %d [%d] = %v, want %v", n, r, i, got, want)
				}
			}
		}
	}
}
