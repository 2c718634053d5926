package graph

import (
	"fmt"
	"math/rand/v2"

	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/featlearn/featlearn/ops"
)

// Shape is the shape of one example, without the batch dimension.
type Shape []int

// Size returns the number of elements of an example of this shape.
func (s Shape) Size() int {
	n := 1
	for _, d := range s {
		n *= d
	}
	return n
}

func (s Shape) String() string { return fmt.Sprint([]int(s)) }

// Layer is one step of a model. Setup runs once per model to check shapes
// and create parameters; Forward runs once per program to add the layer's
// nodes to that program's graph.
type Layer interface {
	// Name names the layer in errors and prefixes its parameter names.
	Name() string
	// Setup checks the per-example input shape, creates the layer's
	// parameters with initial values drawn from rng and returns the
	// per-example output shape.
	Setup(in Shape, dt tensor.Dtype, rng *rand.Rand) (out Shape, params []*Param, err error)
	// Forward adds the layer to the graph of x, whose first dimension is the
	// batch. params holds the nodes of the parameters Setup created, in order.
	Forward(x *G.Node, params []*G.Node) (*G.Node, error)
}

// shapeError reports that a layer cannot take an input shape.
func shapeError(layer string, got Shape, want string) error {
	return errors.Errorf("layer %s: input shape %v does not fit: want %s", layer, got, want)
}

// Option configures a layer.
type Option func(*options)

type options struct {
	stride, pad int
	init        Initializer
	noBias      bool
}

func newOptions(opts []Option, init Initializer) options {
	o := options{init: init}
	for _, opt := range opts {
		opt(&o)
	}
	return o
}

// Stride sets the step between neighbouring windows of a convolution or pooling.
func Stride(s int) Option { return func(o *options) { o.stride = s } }

// Pad sets the zero padding added on every side of a convolution's or pooling's input.
func Pad(p int) Option { return func(o *options) { o.pad = p } }

// WithInit sets the initializer of a layer's weights.
func WithInit(init Initializer) Option { return func(o *options) { o.init = init } }

// NoBias leaves out a layer's bias.
func NoBias() Option { return func(o *options) { o.noBias = true } }

// SequentialLayer runs its layers one after another.
type SequentialLayer struct {
	name   string
	layers []Layer
	counts []int // number of parameters of each layer, known after Setup
}

// Sequential chains layers: the output of each is the input of the next.
func Sequential(name string, layers ...Layer) *SequentialLayer {
	return &SequentialLayer{name: name, layers: layers}
}

// Name returns the name given to Sequential.
func (s *SequentialLayer) Name() string { return s.name }

// Layers returns the chained layers.
func (s *SequentialLayer) Layers() []Layer { return s.layers }

// Setup sets up every layer in turn.
func (s *SequentialLayer) Setup(in Shape, dt tensor.Dtype, rng *rand.Rand) (Shape, []*Param, error) {
	var all []*Param
	s.counts = make([]int, len(s.layers))
	for i, l := range s.layers {
		out, params, err := l.Setup(in, dt, rng)
		if err != nil {
			return nil, nil, err
		}
		s.counts[i] = len(params)
		all = append(all, params...)
		in = out
	}
	return in, all, nil
}

// Forward applies every layer in turn.
func (s *SequentialLayer) Forward(x *G.Node, params []*G.Node) (*G.Node, error) {
	if len(s.counts) != len(s.layers) {
		return nil, errors.Errorf("layer %s: Forward before Setup", s.name)
	}
	for i, l := range s.layers {
		var err error
		if x, err = l.Forward(x, params[:s.counts[i]]); err != nil {
			return nil, errors.Wrapf(err, "layer %s", l.Name())
		}
		params = params[s.counts[i]:]
	}
	return x, nil
}

// activationLayer applies an elementwise nonlinearity from ops.
type activationLayer struct {
	name string
	f    func(*G.Node) (*G.Node, error)
}

// ReLU is the layer max(x, 0).
func ReLU() Layer { return activationLayer{"relu", ops.ReLU} }

// Sigmoid is the layer 1/(1+exp(-x)).
func Sigmoid() Layer { return activationLayer{"sigmoid", ops.Sigmoid} }

// Tanh is the layer tanh(x).
func Tanh() Layer { return activationLayer{"tanh", ops.Tanh} }

// Softmax is the layer exp(x_i)/Σ exp(x_j) over the last axis.
func Softmax() Layer { return activationLayer{"softmax", ops.Softmax} }

func (a activationLayer) Name() string { return a.name }

func (a activationLayer) Setup(in Shape, _ tensor.Dtype, _ *rand.Rand) (Shape, []*Param, error) {
	return append(Shape(nil), in...), nil, nil
}

func (a activationLayer) Forward(x *G.Node, _ []*G.Node) (*G.Node, error) { return a.f(x) }

// flattenLayer reshapes each example to a vector.
type flattenLayer struct{}

// Flatten turns each example into a vector, as between conv and dense layers.
func Flatten() Layer { return flattenLayer{} }

func (flattenLayer) Name() string { return "flatten" }

func (flattenLayer) Setup(in Shape, _ tensor.Dtype, _ *rand.Rand) (Shape, []*Param, error) {
	return Shape{in.Size()}, nil, nil
}

func (flattenLayer) Forward(x *G.Node, _ []*G.Node) (*G.Node, error) {
	s := x.Shape()
	if len(s) == 2 {
		return x, nil
	}
	return G.Reshape(x, tensor.Shape{s[0], s.TotalSize() / s[0]})
}
