package graph

import (
	"math"
	"math/rand/v2"

	"github.com/pkg/errors"
	"gorgonia.org/tensor"
)

// Param is one named, trainable tensor of a model, such as "conv1.weight".
type Param struct {
	// Name follows the layer: "<layer>.weight" or "<layer>.bias".
	Name string
	// Decay says whether weight decay applies (weights yes, biases no).
	Decay bool
	value *tensor.Dense
}

// Shape returns the parameter's shape.
func (p *Param) Shape() []int { return []int(p.value.Shape().Clone()) }

// Size returns the number of elements of the parameter.
func (p *Param) Size() int { return p.value.Size() }

// Float64s returns a copy of the parameter's values as float64.
func (p *Param) Float64s() []float64 {
	switch d := p.value.Data().(type) {
	case []float64:
		return append([]float64(nil), d...)
	case []float32:
		out := make([]float64, len(d))
		for i, v := range d {
			out[i] = float64(v)
		}
		return out
	}
	return nil
}

// Set overwrites the parameter's values; vals must have Size() elements.
func (p *Param) Set(vals []float64) error {
	if len(vals) != p.Size() {
		return errors.Errorf("param %s: got %d values, want %d", p.Name, len(vals), p.Size())
	}
	switch d := p.value.Data().(type) {
	case []float64:
		copy(d, vals)
	case []float32:
		for i, v := range vals {
			d[i] = float32(v)
		}
	}
	return nil
}

// Tensor returns the tensor that holds the parameter's values. Programs bind
// to it directly, so writing into it changes the model.
func (p *Param) Tensor() *tensor.Dense { return p.value }

// newParam allocates a zero parameter of the given dtype and shape.
func newParam(name string, decay bool, dt tensor.Dtype, shape ...int) *Param {
	return &Param{Name: name, Decay: decay, value: tensor.New(tensor.Of(dt), tensor.WithShape(shape...))}
}

// Initializer fills a weight of the given fan-in and fan-out with values
// drawn from rng.
type Initializer func(rng *rand.Rand, fanIn, fanOut int, w []float64)

// Uniform returns an initializer drawing from U(-a, a).
func Uniform(a float64) Initializer {
	return func(rng *rand.Rand, _, _ int, w []float64) {
		for i := range w {
			w[i] = (2*rng.Float64() - 1) * a
		}
	}
}

// Glorot draws from U(-s, s) with s = sqrt(6/(fanIn+fanOut)), which keeps
// activation variance steady through sigmoid and tanh layers.
func Glorot(rng *rand.Rand, fanIn, fanOut int, w []float64) {
	Uniform(math.Sqrt(6/float64(fanIn+fanOut)))(rng, fanIn, fanOut, w)
}

// He draws from U(-s, s) with s = sqrt(6/fanIn), the variance-preserving
// choice for ReLU layers (He et al. 2015).
func He(rng *rand.Rand, fanIn, fanOut int, w []float64) {
	Uniform(math.Sqrt(6/float64(fanIn)))(rng, fanIn, fanOut, w)
}

// initParam fills p by init and stores the result in p's dtype.
func initParam(p *Param, init Initializer, rng *rand.Rand, fanIn, fanOut int) {
	w := make([]float64, p.Size())
	init(rng, fanIn, fanOut, w)
	_ = p.Set(w) // sizes match by construction
}
