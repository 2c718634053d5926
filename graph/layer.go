package graph

import (
	"fmt"
	"regexp"

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

// Layer is one step of a model, as Keras has it: Setup runs once, when
// NewModel builds the model, and Forward once per program the model
// builds (training at batch 64, evaluation at batch 500, prediction at
// batch 1, ...).
//
// A layer of one's own declares its weights in Setup with s.Param and
// reads them in Forward with p.Param:
//
//	func (l *Scale) Setup(s *graph.Scope, in graph.Shape) (graph.Shape, error) {
//		_, err := s.Param("weight", graph.Shape{in[0]}, graph.Ones)
//		return in, err
//	}
//	func (l *Scale) Forward(p *graph.Pass, x *G.Node) (*G.Node, error) {
//		return G.BroadcastHadamardProd(x, p.Param("weight"), nil, []byte{0})
//	}
type Layer interface {
	// Name names the layer in errors and in the paths of its parameters.
	Name() string
	// Setup checks the per-example input shape, declares the layer's
	// parameters and buffers on s (and sets up the layers it holds with
	// s.Setup) and returns the per-example output shape.
	Setup(s *Scope, in Shape) (Shape, error)
	// Forward adds the layer to the graph of x, whose first dimension is
	// the batch, and returns its output node.
	Forward(p *Pass, x *G.Node) (*G.Node, error)
}

// Describer is a Layer that says what it does in summaries and pictures,
// such as "Conv2D 6@5x5 pad 2". Other layers show their Go type.
type Describer interface {
	Describe() string
}

// describeLayer names what a layer does.
func describeLayer(l Layer) string {
	if d, ok := l.(Describer); ok {
		return d.Describe()
	}
	return typePrefix.ReplaceAllString(fmt.Sprintf("%T", l), "")
}

// typePrefix is the pointer star and package of a %T name.
var typePrefix = regexp.MustCompile(`^\*?([^.]*\.)?`)

// shapeError reports that a layer cannot take an input shape; the layer's
// path is added by the Scope that set it up.
func shapeError(got Shape, want string) error {
	return errors.Errorf("input shape %v does not fit: want %s", got, want)
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

// NoBias leaves out a layer's bias, as before a BatchNorm, whose shift
// makes a bias redundant.
func NoBias() Option { return func(o *options) { o.noBias = true } }

// SequentialLayer runs its layers one after another.
type SequentialLayer struct {
	name   string
	layers []Layer
}

// Sequential chains layers: the output of each is the input of the next.
// As the model's top layer it adds nothing to its layers' paths (conv1's
// weight is "conv1.weight"); inside another layer it does
// ("features.conv1.weight"), as a PyTorch nn.Sequential attribute does.
func Sequential(name string, layers ...Layer) *SequentialLayer {
	return &SequentialLayer{name: name, layers: layers}
}

// Name returns the name given to Sequential.
func (s *SequentialLayer) Name() string { return s.name }

// Layers returns the chained layers.
func (s *SequentialLayer) Layers() []Layer { return s.layers }

// Describe says how many layers it chains.
func (s *SequentialLayer) Describe() string { return fmt.Sprintf("Sequential of %d", len(s.layers)) }

// Setup sets up every layer in turn.
func (s *SequentialLayer) Setup(sc *Scope, in Shape) (Shape, error) {
	if len(s.layers) == 0 {
		return nil, errors.New("sequential of no layers")
	}
	for _, l := range s.layers {
		var err error
		if in, err = sc.Setup(l, in); err != nil {
			return nil, err
		}
	}
	return in, nil
}

// Forward applies every layer in turn.
func (s *SequentialLayer) Forward(p *Pass, x *G.Node) (*G.Node, error) {
	for _, l := range s.layers {
		var err error
		if x, err = p.Apply(l, x); err != nil {
			return nil, err
		}
	}
	return x, nil
}

// activationLayer applies an elementwise nonlinearity from ops.
type activationLayer struct {
	name, kind string
	f          func(*G.Node) (*G.Node, error)
}

// ReLU is the layer max(x, 0).
func ReLU() Layer { return activationLayer{"relu", "ReLU", ops.ReLU} }

// Sigmoid is the layer 1/(1+exp(-x)).
func Sigmoid() Layer { return activationLayer{"sigmoid", "Sigmoid", ops.Sigmoid} }

// Tanh is the layer tanh(x).
func Tanh() Layer { return activationLayer{"tanh", "Tanh", ops.Tanh} }

// Softmax is the layer exp(x_i)/Σ exp(x_j) over the last axis.
func Softmax() Layer { return activationLayer{"softmax", "Softmax", ops.Softmax} }

// LeakyReLU is the layer x for x > 0 and slope·x otherwise; PyTorch's
// default slope is 0.01.
func LeakyReLU(slope float64) Layer {
	return activationLayer{"leaky_relu", fmt.Sprintf("LeakyReLU %g", slope),
		func(x *G.Node) (*G.Node, error) { return ops.LeakyReLU(x, slope) }}
}

func (a activationLayer) Name() string     { return a.name }
func (a activationLayer) Describe() string { return a.kind }

func (a activationLayer) Setup(_ *Scope, in Shape) (Shape, error) { return in, nil }

func (a activationLayer) Forward(_ *Pass, x *G.Node) (*G.Node, error) { return a.f(x) }

// flattenLayer reshapes each example to a vector.
type flattenLayer struct{}

// Flatten turns each example into a vector, as between conv and dense layers.
func Flatten() Layer { return flattenLayer{} }

func (flattenLayer) Name() string     { return "flatten" }
func (flattenLayer) Describe() string { return "Flatten" }

func (flattenLayer) Setup(_ *Scope, in Shape) (Shape, error) { return Shape{in.Size()}, nil }

func (flattenLayer) Forward(_ *Pass, x *G.Node) (*G.Node, error) {
	s := x.Shape()
	if len(s) == 2 {
		return x, nil
	}
	return G.Reshape(x, tensor.Shape{s[0], s.TotalSize() / s[0]})
}

// cleanVMError drops gorgonia's "Failed to carry ...:" wrapping from an
// error a run returned, leaving the op's own message.
func cleanVMError(err error) error {
	if err == nil {
		return nil
	}
	msg := carryPrefix.ReplaceAllString(err.Error(), "")
	if msg == err.Error() {
		return err
	}
	return errors.New(msg)
}

var carryPrefix = regexp.MustCompile(`Failed to carry[^:]*: `)
