package graph

import (
	"math"
	"math/rand/v2"

	"github.com/pkg/errors"
	"gorgonia.org/tensor"
)

// Param is one named tensor of a model: a trainable parameter such as
// "conv1.weight", or a buffer such as "bn1.running_mean", which the model
// keeps and checkpoints save but no optimizer touches. Only Scope.Param and
// Scope.Buffer make them, inside a layer's Setup.
type Param struct {
	// Name is the layer's path and the parameter's own name, such as
	// "block1.conv2.weight".
	Name string
	// Decay says whether weight decay applies (weights yes, biases and
	// normalisation scales no).
	Decay  bool
	buffer bool
	layer  string // path of the layer that declared it, for messages
	value  *tensor.Dense
	shape  Shape // the declared shape, which a layout-only Param has without a value
}

// Shape returns the parameter's shape.
func (p *Param) Shape() []int {
	if p.value == nil {
		return append([]int(nil), p.shape...)
	}
	return []int(p.value.Shape().Clone())
}

// Size returns the number of elements of the parameter.
func (p *Param) Size() int {
	if p.value == nil {
		return p.shape.Size()
	}
	return p.value.Size()
}

// Buffer says whether p is a buffer: state that is saved with the model
// but not trained, such as BatchNorm's running statistics.
func (p *Param) Buffer() bool { return p.buffer }

// Layer returns the path of the layer that declared p, such as "block1.bn1".
func (p *Param) Layer() string { return p.layer }

// Float64s returns a copy of the parameter's values as float64.
func (p *Param) Float64s() []float64 { return appendFloats(nil, p.value) }

// Set overwrites the parameter's values; vals must have Size() elements.
func (p *Param) Set(vals []float64) error {
	if len(vals) != p.Size() {
		return errors.Errorf("param %s: got %d values, want %d", p.Name, len(vals), p.Size())
	}
	setFromFloat64s(p.value, vals)
	return nil
}

// Tensor returns the tensor that holds the parameter's values. Programs
// bind to it directly, so writing into it changes the model.
func (p *Param) Tensor() *tensor.Dense { return p.value }

// newParam allocates a zero trainable parameter of a dtype and shape.
func newParam(name string, decay bool, dt tensor.Dtype, shape ...int) *Param {
	return &Param{Name: name, Decay: decay, value: newLike(dt, shape...)}
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

// Zeros fills with 0 and draws nothing: biases start here.
func Zeros(_ *rand.Rand, _, _ int, w []float64) { clear(w) }

// Ones fills with 1 and draws nothing: normalisation scales start here.
func Ones(rng *rand.Rand, fanIn, fanOut int, w []float64) { Constant(1)(rng, fanIn, fanOut, w) }

// Constant returns an initializer filling with v.
func Constant(v float64) Initializer {
	return func(_ *rand.Rand, _, _ int, w []float64) {
		for i := range w {
			w[i] = v
		}
	}
}

// ParamOption configures Scope.Param.
type ParamOption func(*paramOptions)

type paramOptions struct {
	noDecay        bool
	fanIn, fanOut  int
	fansFromCaller bool
}

// NoDecay exempts a parameter from weight decay, as biases are.
func NoDecay() ParamOption { return func(o *paramOptions) { o.noDecay = true } }

// Fans sets the fan-in and fan-out the initializer sees. By default they
// follow PyTorch: for a shape (out, in, k...) fan-in is in·Πk and fan-out
// out·Πk; for a vector both are its length.
func Fans(in, out int) ParamOption {
	return func(o *paramOptions) { o.fanIn, o.fanOut, o.fansFromCaller = in, out, true }
}

// fans returns PyTorch's fan-in and fan-out of a weight shape.
func fans(shape Shape) (in, out int) {
	if len(shape) < 2 {
		n := shape.Size()
		return n, n
	}
	field := Shape(shape[2:]).Size()
	return shape[1] * field, shape[0] * field
}
