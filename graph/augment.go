package graph

import (
	"fmt"
	"math"
	"strings"

	"github.com/pkg/errors"
)

// Augment says how to distort training images at random, so a model sees
// a slightly different version of every example in every epoch: the
// distortions LeCun et al. (1998) trained LeNet-5 with (translations,
// scalings, shears; 0.95 % test error became 0.8 %), rotations, and the
// horizontal flips of natural photographs. The zero value distorts
// nothing.
//
// Each image is moved by a random affine map about its centre: scaled,
// sheared, rotated, then shifted by whole pixels. Pixels that come from
// outside the image read 0 (MNIST's background; black); between pixels
// the value is interpolated bilinearly. A shift alone moves pixels
// exactly, as padding the image by Shift and cropping it at random does.
type Augment struct {
	// Shift is the largest shift, in whole pixels, each way.
	Shift int `json:"shift,omitempty"`
	// Rotate is the largest rotation, in degrees, either way.
	Rotate float64 `json:"rotate,omitempty"`
	// Scale is the largest relative change of size: 0.1 scales by a
	// factor between 0.9 and 1.1.
	Scale float64 `json:"scale,omitempty"`
	// Shear is the largest horizontal shear angle, in degrees, either way.
	Shear float64 `json:"shear,omitempty"`
	// Flip mirrors half the images left to right: right for photographs,
	// wrong for digits.
	Flip bool `json:"flip,omitempty"`
}

// Limits of the distortions Augment.Check accepts.
const (
	MaxAugmentRotate = 180
	MaxAugmentScale  = 0.5
	MaxAugmentShear  = 45
)

// IsZero says whether a distorts nothing.
func (a Augment) IsZero() bool { return a == Augment{} }

// affine says whether a needs interpolation rather than whole-pixel moves.
func (a Augment) affine() bool { return a.Rotate != 0 || a.Scale != 0 || a.Shear != 0 }

// Check refuses distortions out of range, naming the field.
func (a Augment) Check() error {
	bad := func(v, hi float64) bool { return !(v >= 0 && v <= hi) }
	switch {
	case a.Shift < 0 || a.Shift > 64:
		return errors.Errorf("augment: shift %d pixels, want 0..64", a.Shift)
	case bad(a.Rotate, MaxAugmentRotate):
		return errors.Errorf("augment: rotation %v degrees, want 0..%d", a.Rotate, MaxAugmentRotate)
	case bad(a.Scale, MaxAugmentScale):
		return errors.Errorf("augment: scale %v, want 0..%g", a.Scale, MaxAugmentScale)
	case bad(a.Shear, MaxAugmentShear):
		return errors.Errorf("augment: shear %v degrees, want 0..%d", a.Shear, MaxAugmentShear)
	}
	return nil
}

// String describes the distortions, such as "shift 2, rotate 10°,
// flip", or "none".
func (a Augment) String() string {
	var parts []string
	if a.Shift > 0 {
		parts = append(parts, fmt.Sprintf("shift %d", a.Shift))
	}
	if a.Rotate > 0 {
		parts = append(parts, fmt.Sprintf("rotate %g°", a.Rotate))
	}
	if a.Scale > 0 {
		parts = append(parts, fmt.Sprintf("scale %g", a.Scale))
	}
	if a.Shear > 0 {
		parts = append(parts, fmt.Sprintf("shear %g°", a.Shear))
	}
	if a.Flip {
		parts = append(parts, "flip")
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}

// distortion is one example's draw: a whole-pixel shift, a flip and the
// inverse of the linear part (output offsets to source offsets).
type distortion struct {
	dx, dy     int
	flip       bool
	a, b, c, d float64 // source = [a b; c d] · output, about the centre
}

// draws is a splitmix64 stream: written out here, like EpochOrder, so
// that the distortions of a checkpointed run never change with Go.
type draws struct{ s uint64 }

func (r *draws) next() uint64 {
	r.s += 0x9e3779b97f4a7c15
	z := r.s
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// symmetric returns a number uniform in [-limit, limit).
func (r *draws) symmetric(limit float64) float64 {
	return limit * (2*float64(r.next()>>11)/(1<<53) - 1)
}

// draw returns the distortion of example i in an epoch: a pure function
// of seed, epoch and i, so batches, cores and resumed runs all agree. It
// always draws the same six numbers in the same order, so turning one
// distortion off leaves the others as they were.
func (a Augment) draw(seed uint64, epoch, i int) distortion {
	r := draws{s: mix64(seed ^ mix64(uint64(epoch)<<40^uint64(i)^0xa46))}
	flip := r.next()&1 == 1
	n := uint64(2*a.Shift + 1)
	dx, dy := int(r.next()%n)-a.Shift, int(r.next()%n)-a.Shift // modulo bias below 2^-57
	theta := r.symmetric(a.Rotate) * math.Pi / 180
	scale := 1 + r.symmetric(a.Scale)
	shear := math.Tan(r.symmetric(a.Shear) * math.Pi / 180)
	// Forward: rotate · shear · scale. Its inverse, [a b; c d], maps an
	// output offset from the centre back into the source.
	sin, cos := math.Sincos(theta)
	m00, m01 := cos*scale, (cos*shear-sin)*scale
	m10, m11 := sin*scale, (sin*shear+cos)*scale
	det := m00*m11 - m01*m10
	return distortion{dx: dx, dy: dy, flip: flip && a.Flip,
		a: m11 / det, b: -m01 / det, c: -m10 / det, d: m00 / det}
}

// distort writes one image's channels, distorted by t, into dst through
// the per-channel map from byte values (lut, 256 entries a channel) or,
// between pixels, from interpolated ones (norm).
func distort(dst []float32, src []uint8, channels, rows, cols int, t distortion, affine bool, lut [][256]float32, norm []normalise) {
	plane := rows * cols
	if !affine {
		for ch := range channels {
			s, o, l := src[ch*plane:(ch+1)*plane], dst[ch*plane:(ch+1)*plane], &lut[ch]
			zero := l[0]
			for y := range rows {
				sy := y - t.dy
				for x := range cols {
					sx := x - t.dx
					if t.flip {
						sx = cols - 1 - sx
					}
					v := zero
					if sy >= 0 && sy < rows && sx >= 0 && sx < cols {
						v = l[s[sy*cols+sx]]
					}
					o[y*cols+x] = v
				}
			}
		}
		return
	}
	cx, cy := float64(cols)/2, float64(rows)/2
	for y := range rows {
		v := float64(y) + 0.5 - cy - float64(t.dy)
		for x := range cols {
			u := float64(x) + 0.5 - cx - float64(t.dx)
			// The source point in pixel-index coordinates (centres at
			// whole numbers).
			sx, sy := cx+t.a*u+t.b*v-0.5, cy+t.c*u+t.d*v-0.5
			if t.flip {
				sx = float64(cols) - 1 - sx
			}
			x0, y0 := math.Floor(sx), math.Floor(sy)
			fx, fy := sx-x0, sy-y0
			ix, iy := int(x0), int(y0)
			for ch := range channels {
				s := src[ch*plane : (ch+1)*plane]
				at := func(px, py int) float64 {
					if px < 0 || py < 0 || px >= cols || py >= rows {
						return 0
					}
					return float64(s[py*cols+px])
				}
				val := (1-fy)*((1-fx)*at(ix, iy)+fx*at(ix+1, iy)) + fy*((1-fx)*at(ix, iy+1)+fx*at(ix+1, iy+1))
				dst[ch*plane+y*cols+x] = norm[ch].apply(val)
			}
		}
	}
}

// normalise maps a byte value, possibly fractional, to an input:
// (value/255 - mean) / std.
type normalise struct {
	mean, invStd float64
	none         bool // value/255 exactly as ops.ScalePixels rounds it
}

func (n normalise) apply(v float64) float32 {
	if n.none {
		return float32(v) / 255
	}
	return float32((v/255 - n.mean) * n.invStd)
}
