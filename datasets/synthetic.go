package datasets

import (
	"math"

	"github.com/pkg/errors"
)

// Points is a small labelled set of points: N rows of Dim coordinates in X,
// row-major, and a class per point in Labels.
type Points struct {
	X      []float64
	Labels []int
	N, Dim int
}

// XOR returns the four XOR points (0,0), (0,1), (1,0) and (1,1), labelled
// with the exclusive or of their coordinates: the smallest problem no
// linear model solves.
func XOR() *Points {
	return &Points{
		X:      []float64{0, 0, 0, 1, 1, 0, 1, 1},
		Labels: []int{0, 1, 1, 0},
		N:      4, Dim: 2,
	}
}

// Blobs returns two Gaussian clouds of perClass points each, class 0
// around (-1, -1) and class 1 around (1, 1), with standard deviation
// spread: linearly separable while spread stays well below 1.
func Blobs(perClass int, spread float64, seed uint64) (*Points, error) {
	return cloud(perClass, spread, seed, func(class int, t float64) (x, y float64) {
		c := float64(2*class - 1)
		return c, c
	})
}

// Moons returns two interleaving half circles of perClass points each,
// with Gaussian noise of standard deviation noise: separable only by a
// curved boundary.
func Moons(perClass int, noise float64, seed uint64) (*Points, error) {
	return cloud(perClass, noise, seed, func(class int, t float64) (x, y float64) {
		a := math.Pi * t
		if class == 0 {
			return math.Cos(a), math.Sin(a)
		}
		return 1 - math.Cos(a), 0.5 - math.Sin(a)
	})
}

// Rings returns two concentric rings of perClass points each, class 0 of
// radius 0.5 inside class 1 of radius 1.5, with Gaussian noise of standard
// deviation noise. No line separates them in the plane, yet the single
// feature x*x + y*y does: the classic feature-space picture.
func Rings(perClass int, noise float64, seed uint64) (*Points, error) {
	return cloud(perClass, noise, seed, func(class int, t float64) (x, y float64) {
		r, a := 0.5+float64(class), 2*math.Pi*t
		return r * math.Cos(a), r * math.Sin(a)
	})
}

// cloud draws perClass points per class: shape maps a class and a uniform
// t in [0, 1) to a point, and Gaussian noise of deviation sd is added.
// Classes alternate, so any prefix of the points is balanced.
func cloud(perClass int, sd float64, seed uint64, shape func(class int, t float64) (x, y float64)) (*Points, error) {
	if perClass <= 0 {
		return nil, errors.Errorf("%d points per class, want a positive number", perClass)
	}
	if sd < 0 || math.IsNaN(sd) || math.IsInf(sd, 0) {
		return nil, errors.Errorf("noise %v, want a finite number >= 0", sd)
	}
	rng := newRand(seed)
	p := &Points{X: make([]float64, 0, 4*perClass), Labels: make([]int, 0, 2*perClass), N: 2 * perClass, Dim: 2}
	for i := 0; i < p.N; i++ {
		class := i % 2
		x, y := shape(class, rng.Float64())
		p.X = append(p.X, x+sd*rng.NormFloat64(), y+sd*rng.NormFloat64())
		p.Labels = append(p.Labels, class)
	}
	return p, nil
}

// Point returns point i's coordinates as a view into X.
func (p *Points) Point(i int) []float64 { return p.X[i*p.Dim : (i+1)*p.Dim : (i+1)*p.Dim] }

// Subset returns copies of the points at idx, in that order.
func (p *Points) Subset(idx []int) (*Points, error) {
	out := &Points{X: make([]float64, 0, len(idx)*p.Dim), Labels: make([]int, 0, len(idx)), N: len(idx), Dim: p.Dim}
	for j, i := range idx {
		if i < 0 || i >= p.N {
			return nil, errors.Errorf("subset index %d (position %d) is outside 0..%d", i, j, p.N-1)
		}
		out.X = append(out.X, p.Point(i)...)
		out.Labels = append(out.Labels, p.Labels[i])
	}
	return out, nil
}

// Float32s returns the coordinates converted to float32.
func (p *Points) Float32s() []float32 {
	out := make([]float32, len(p.X))
	for i, v := range p.X {
		out[i] = float32(v)
	}
	return out
}

// LabelsFloat64 returns the labels as float64 values, for models with one
// output trained against 0 and 1.
func (p *Points) LabelsFloat64() []float64 {
	out := make([]float64, len(p.Labels))
	for i, l := range p.Labels {
		out[i] = float64(l)
	}
	return out
}

// LabelsFloat32 is LabelsFloat64 in float32.
func (p *Points) LabelsFloat32() []float32 {
	out := make([]float32, len(p.Labels))
	for i, l := range p.Labels {
		out[i] = float32(l)
	}
	return out
}
