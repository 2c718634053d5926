package graph

import (
	"math"

	"github.com/pkg/errors"
	"gorgonia.org/tensor"
)

// ClipGradNorm scales the gradients grads in place so that their global L2
// norm, taken over all of them together as one vector, is at most about
// maxNorm, and returns that norm as it was before clipping. It is
// PyTorch's torch.nn.utils.clip_grad_norm_(params, max_norm) with norm_type
// 2: every gradient is multiplied by min(1, maxNorm/(norm + 1e-6)), in its
// own dtype. So, as in PyTorch, gradients whose norm exceeds maxNorm - 1e-6
// are scaled, by a factor just under 1 when the norm is within 1e-6 of the
// limit, and all others are left untouched bit for bit. The squares are
// summed in float64, whatever the gradients' dtype, and the sum is
// rescaled rather than overflowing for float64 gradients beyond 1e154.
//
// maxNorm must be above 0; +Inf measures the norm and clips nothing. A NaN
// or infinite norm, from a NaN or infinite gradient value, is an error that
// names it and the first such gradient, and leaves every gradient as it
// was. Gradients must be float32 or float64.
func ClipGradNorm(grads []*tensor.Dense, maxNorm float64) (norm float64, err error) {
	if !(maxNorm > 0) {
		return 0, errors.Errorf("clip grad norm: maxNorm is %v, want > 0", maxNorm)
	}
	for i, g := range grads {
		switch {
		case g == nil:
			return 0, errors.Errorf("clip grad norm: gradient %d is nil", i)
		case g.Dtype() != tensor.Float32 && g.Dtype() != tensor.Float64:
			return 0, errors.Errorf("clip grad norm: gradient %d is %v, want float32 or float64", i, g.Dtype())
		}
	}
	var sum float64
	for _, g := range grads {
		sum += sumSquares(g, 1)
	}
	norm = math.Sqrt(sum)
	if math.IsInf(sum, 0) || math.IsNaN(sum) {
		if norm, err = rescaledNorm(grads); err != nil {
			return norm, err
		}
	}
	coef := maxNorm / (norm + 1e-6)
	if coef >= 1 {
		return norm, nil
	}
	for _, g := range grads {
		if g.Dtype() == tensor.Float32 {
			c, d := float32(coef), g.Float32s()
			for i := range d {
				d[i] *= c
			}
			continue
		}
		d := g.Float64s()
		for i := range d {
			d[i] *= coef
		}
	}
	return norm, nil
}

// sumSquares returns the sum of (x·scale)² over the values of g, a float32
// or float64 tensor, in float64. Four running sums, added in a fixed order,
// keep the loop from waiting on one addition chain; each product is
// rounded before it is added, so no multiply-add is fused on any CPU.
func sumSquares(g *tensor.Dense, scale float64) float64 {
	if g.Dtype() == tensor.Float32 {
		return sumSquares32(g.Float32s(), scale)
	}
	return sumSquares64(g.Float64s(), scale)
}

func sumSquares32(d []float32, scale float64) float64 {
	var s0, s1, s2, s3 float64
	i := 0
	for ; i+4 <= len(d); i += 4 {
		x0, x1, x2, x3 := float64(d[i])*scale, float64(d[i+1])*scale, float64(d[i+2])*scale, float64(d[i+3])*scale
		s0, s1, s2, s3 = s0+float64(x0*x0), s1+float64(x1*x1), s2+float64(x2*x2), s3+float64(x3*x3)
	}
	for ; i < len(d); i++ {
		x := float64(d[i]) * scale
		s0 += float64(x * x)
	}
	return (s0 + s1) + (s2 + s3)
}

func sumSquares64(d []float64, scale float64) float64 {
	var s0, s1, s2, s3 float64
	i := 0
	for ; i+4 <= len(d); i += 4 {
		x0, x1, x2, x3 := d[i]*scale, d[i+1]*scale, d[i+2]*scale, d[i+3]*scale
		s0, s1, s2, s3 = s0+float64(x0*x0), s1+float64(x1*x1), s2+float64(x2*x2), s3+float64(x3*x3)
	}
	for ; i < len(d); i++ {
		x := d[i] * scale
		s0 += float64(x * x)
	}
	return (s0 + s1) + (s2 + s3)
}

// rescaledNorm is the global norm of grads when the plain sum of squares
// is not finite: an error if some value is NaN or infinite, else the norm
// computed on the values scaled (exactly) by the power of two just above
// the largest magnitude, so that the squares cannot overflow.
func rescaledNorm(grads []*tensor.Dense) (float64, error) {
	big := 0.0
	for i, g := range grads {
		m, bad := maxAbs(g)
		if bad != 0 {
			norm := math.Inf(1)
			if math.IsNaN(bad) {
				norm = math.NaN()
			}
			return norm, errors.Errorf("clip grad norm: the gradients' norm is %v: gradient %d holds %v; gradients left as they were", norm, i, bad)
		}
		big = max(big, m)
	}
	_, exp := math.Frexp(big)
	var sum float64
	for _, g := range grads {
		sum += sumSquares(g, math.Ldexp(1, -exp))
	}
	return math.Ldexp(math.Sqrt(sum), exp), nil
}

// maxAbs returns the largest magnitude among the values of g, a float32 or
// float64 tensor, and its first NaN or infinite value, or 0 if it has none.
func maxAbs(g *tensor.Dense) (big, bad float64) {
	var vals []float64
	if g.Dtype() == tensor.Float32 {
		vals = appendFloats(nil, g)
	} else {
		vals = g.Float64s()
	}
	for _, x := range vals {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return big, x
		}
		big = max(big, math.Abs(x))
	}
	return big, 0
}
