package kernels

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestDropoutDivide checks that the float32 kernel's float64 product gives
// the bits of a float32 division by 1-rate, on random bit patterns of every
// exponent, infinities and NaN included, for rates whose 1-rate is and is
// not a power of two.
func TestDropoutDivide(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, rate := range []float64{0.3, 0.1, 0.5, 0.75, 0.2, 0.9, 1e-7, 0.999999, 1.0 / 3} {
		keep := float32(1 - rate)
		inv := 1 / float64(keep)
		for range 1 << 19 {
			v := math.Float32frombits(r.Uint32())
			got, want := divide(v, keep, inv), v/keep
			if math.Float32bits(got) != math.Float32bits(want) && !(got != got && want != want) {
				t.Fatalf("rate %v: %v (%#x) / %v = %v, want %v", rate, v, math.Float32bits(v), keep, got, want)
			}
		}
	}
}
