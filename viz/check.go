package viz

import (
	"image"
	"math"

	"github.com/pkg/errors"
)

// MaxSide is the largest width or height, in pixels, of any picture this
// package makes. It is far above anything a lecture needs and far below what
// would exhaust memory (MaxSide² RGBA pixels is 1 GiB).
const MaxSide = 16384

// positive reports an error unless every named size is at least 1.
func positive(names []string, vals ...int) error {
	for i, v := range vals {
		if v < 1 {
			return errors.Errorf("%s must be positive, got %d", names[i], v)
		}
	}
	return nil
}

// side multiplies the factors of one picture dimension and reports an error
// when the product exceeds MaxSide; it checks at every step so that hostile
// sizes cannot overflow int before the check.
func side(what string, factors ...int) (int, error) {
	p := 1
	for _, f := range factors {
		if f < 0 {
			return 0, errors.Errorf("%s: negative size %d", what, f)
		}
		if f != 0 && p > MaxSide/f {
			return 0, errors.Errorf("%s is larger than %d pixels", what, MaxSide)
		}
		p *= f
	}
	if p > MaxSide {
		return 0, errors.Errorf("%s is larger than %d pixels", what, MaxSide)
	}
	return p, nil
}

// addSides adds picture lengths that were each checked by side; the sum is
// checked again because margins and padding can push it over MaxSide.
func addSides(what string, parts ...int) (int, error) {
	s := 0
	for _, p := range parts {
		if p < 0 || p > MaxSide {
			return 0, errors.Errorf("%s: bad length %d", what, p)
		}
		s += p
		if s > MaxSide {
			return 0, errors.Errorf("%s is larger than %d pixels", what, MaxSide)
		}
	}
	return s, nil
}

// checkLen verifies that a flat slice holds exactly the product of dims
// values; the product is computed with overflow checks because the dims come
// from callers.
func checkLen(what string, n int, dims ...int) error {
	p := 1
	for _, d := range dims {
		if d < 1 {
			return errors.Errorf("%s: dimension %d is not positive", what, d)
		}
		if p > math.MaxInt32/d {
			return errors.Errorf("%s: dimensions %v are too large", what, dims)
		}
		p *= d
	}
	if n != p {
		return errors.Errorf("%s: have %d values, dimensions %v need %d", what, n, dims, p)
	}
	return nil
}

// finite reports the first NaN or infinite value: a diverged model's weights
// cannot be drawn honestly, and silently painting them grey would hide it.
func finite(what string, v []float64) error {
	for i, x := range v {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return errors.Errorf("%s: value %d is %v", what, i, x)
		}
	}
	return nil
}

// maxAbs returns the largest magnitude in v, 0 for an empty slice.
func maxAbs(v []float64) float64 {
	m := 0.0
	for _, x := range v {
		if a := math.Abs(x); a > m {
			m = a
		}
	}
	return m
}

// checkScale validates a caller's scale; scale <= 0 asks for the largest
// magnitude of the data instead.
func checkScale(scale float64, data ...[]float64) (float64, error) {
	if math.IsNaN(scale) || math.IsInf(scale, 0) {
		return 0, errors.Errorf("scale is %v", scale)
	}
	if scale > 0 {
		return scale, nil
	}
	m := 0.0
	for _, d := range data {
		m = math.Max(m, maxAbs(d))
	}
	return m, nil
}

// checkImage rejects nil and empty images, which would otherwise make the
// layout code divide by zero or draw nothing without saying why.
func checkImage(what string, img image.Image) error {
	if img == nil {
		return errors.Errorf("%s is nil", what)
	}
	b := img.Bounds()
	if b.Dx() < 1 || b.Dy() < 1 {
		return errors.Errorf("%s is empty (%dx%d)", what, b.Dx(), b.Dy())
	}
	return nil
}
