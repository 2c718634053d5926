package graph

import (
	"fmt"
	"math/rand/v2"

	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/featlearn/featlearn/ops"
)

// weightsAndBias creates "<name>.weight" of wShape initialised by init and,
// unless noBias, a zero "<name>.bias" of bShape.
func weightsAndBias(name string, o options, dt tensor.Dtype, rng *rand.Rand, fanIn, fanOut int, wShape, bShape []int) []*Param {
	w := newParam(name+".weight", true, dt, wShape...)
	initParam(w, o.init, rng, fanIn, fanOut)
	if o.noBias {
		return []*Param{w}
	}
	return []*Param{w, newParam(name+".bias", false, dt, bShape...)}
}

// biasNode returns the bias node among params, or nil when there is none.
func biasNode(params []*G.Node) *G.Node {
	if len(params) > 1 {
		return params[1]
	}
	return nil
}

// DenseLayer is a fully connected layer y = x·Wᵀ + b with W of shape (out, in).
type DenseLayer struct {
	name string
	out  int
	o    options
}

// Dense returns a fully connected layer with out units. Its input must be a
// vector per example (put a Flatten before it otherwise). Weights start Glorot
// uniform unless WithInit says otherwise; the bias starts at zero.
func Dense(name string, out int, opts ...Option) *DenseLayer {
	return &DenseLayer{name: name, out: out, o: newOptions(opts, Glorot)}
}

// Name returns the layer's name.
func (l *DenseLayer) Name() string { return l.name }

// Setup creates W (out, in) and b (out).
func (l *DenseLayer) Setup(in Shape, dt tensor.Dtype, rng *rand.Rand) (Shape, []*Param, error) {
	if len(in) != 1 {
		return nil, nil, shapeError(l.name, in, "a vector [n] per example (add a Flatten layer)")
	}
	if l.out < 1 {
		return nil, nil, errors.Errorf("layer %s: %d output units", l.name, l.out)
	}
	params := weightsAndBias(l.name, l.o, dt, rng, in[0], l.out, []int{l.out, in[0]}, []int{l.out})
	return Shape{l.out}, params, nil
}

// Forward applies ops.Dense.
func (l *DenseLayer) Forward(x *G.Node, params []*G.Node) (*G.Node, error) {
	return ops.Dense(x, params[0], biasNode(params))
}

// window holds the geometry shared by convolution, locally connected and
// pooling layers: a square kernel, a stride and zero padding.
type window struct{ kernel, stride, pad int }

// outSize returns the output side length for an input side n.
func (w window) outSize(n int) int { return (n+2*w.pad-w.kernel)/w.stride + 1 }

// check validates the window against a (C, H, W) input and returns the
// output height and width.
func (w window) check(layer string, in Shape) (oh, ow int, err error) {
	if len(in) != 3 {
		return 0, 0, shapeError(layer, in, "[channels height width]")
	}
	if w.kernel < 1 || w.stride < 1 || w.pad < 0 {
		return 0, 0, errors.Errorf("layer %s: kernel %d, stride %d, pad %d: want kernel, stride >= 1 and pad >= 0", layer, w.kernel, w.stride, w.pad)
	}
	if in[1]+2*w.pad < w.kernel || in[2]+2*w.pad < w.kernel {
		return 0, 0, shapeError(layer, in, fmt.Sprintf("height and width >= %d for a %dx%d kernel with padding %d", w.kernel-2*w.pad, w.kernel, w.kernel, w.pad))
	}
	return w.outSize(in[1]), w.outSize(in[2]), nil
}

func (w window) convParams() ops.ConvParams {
	return ops.ConvParams{StrideH: w.stride, StrideW: w.stride, PadH: w.pad, PadW: w.pad}
}

func newWindow(kernel int, o options, defaultStride int) window {
	w := window{kernel: kernel, stride: o.stride, pad: o.pad}
	if w.stride == 0 {
		w.stride = defaultStride
	}
	return w
}

// Conv2DLayer is a 2-D convolution over NCHW input with shared filters.
type Conv2DLayer struct {
	name string
	out  int
	w    window
	o    options
}

// Conv2D returns a convolution with out filters of size kernel×kernel,
// stride 1 and no padding unless Stride and Pad say otherwise. Filters
// start Glorot uniform unless WithInit says otherwise.
func Conv2D(name string, out, kernel int, opts ...Option) *Conv2DLayer {
	o := newOptions(opts, Glorot)
	return &Conv2DLayer{name: name, out: out, w: newWindow(kernel, o, 1), o: o}
}

// Name returns the layer's name.
func (l *Conv2DLayer) Name() string { return l.name }

// Setup creates filters (out, in, k, k) and a bias (out).
func (l *Conv2DLayer) Setup(in Shape, dt tensor.Dtype, rng *rand.Rand) (Shape, []*Param, error) {
	oh, ow, err := l.w.check(l.name, in)
	if err != nil {
		return nil, nil, err
	}
	k := l.w.kernel
	params := weightsAndBias(l.name, l.o, dt, rng, in[0]*k*k, l.out*k*k, []int{l.out, in[0], k, k}, []int{l.out})
	return Shape{l.out, oh, ow}, params, nil
}

// Forward applies ops.Conv2D.
func (l *Conv2DLayer) Forward(x *G.Node, params []*G.Node) (*G.Node, error) {
	return ops.Conv2D(x, params[0], biasNode(params), l.w.convParams())
}

// LocallyConnected2DLayer is the lecture's locally connected layer: like a
// convolution, but every output position has its own filter.
type LocallyConnected2DLayer struct {
	name string
	out  int
	w    window
	o    options
}

// LocallyConnected2D returns a locally connected layer with out filters of
// size kernel×kernel at every output position.
func LocallyConnected2D(name string, out, kernel int, opts ...Option) *LocallyConnected2DLayer {
	o := newOptions(opts, Glorot)
	return &LocallyConnected2DLayer{name: name, out: out, w: newWindow(kernel, o, 1), o: o}
}

// Name returns the layer's name.
func (l *LocallyConnected2DLayer) Name() string { return l.name }

// Setup creates filters (out, OH, OW, in, k, k) and a bias (out, OH, OW).
func (l *LocallyConnected2DLayer) Setup(in Shape, dt tensor.Dtype, rng *rand.Rand) (Shape, []*Param, error) {
	oh, ow, err := l.w.check(l.name, in)
	if err != nil {
		return nil, nil, err
	}
	k := l.w.kernel
	params := weightsAndBias(l.name, l.o, dt, rng, in[0]*k*k, l.out*k*k,
		[]int{l.out, oh, ow, in[0], k, k}, []int{l.out, oh, ow})
	return Shape{l.out, oh, ow}, params, nil
}

// Forward applies ops.LocallyConnected2D.
func (l *LocallyConnected2DLayer) Forward(x *G.Node, params []*G.Node) (*G.Node, error) {
	return ops.LocallyConnected2D(x, params[0], biasNode(params), l.w.convParams())
}

// MaxPool2DLayer takes the maximum over each window of each channel.
type MaxPool2DLayer struct {
	name string
	w    window
}

// MaxPool2D returns max pooling over kernel×kernel windows; the stride
// defaults to the kernel size (non-overlapping windows).
func MaxPool2D(name string, kernel int, opts ...Option) *MaxPool2DLayer {
	return &MaxPool2DLayer{name: name, w: newWindow(kernel, newOptions(opts, nil), kernel)}
}

// Name returns the layer's name.
func (l *MaxPool2DLayer) Name() string { return l.name }

// Setup checks the window against the input; pooling has no parameters.
func (l *MaxPool2DLayer) Setup(in Shape, _ tensor.Dtype, _ *rand.Rand) (Shape, []*Param, error) {
	oh, ow, err := l.w.check(l.name, in)
	if err != nil {
		return nil, nil, err
	}
	if 2*l.w.pad > l.w.kernel {
		return nil, nil, errors.Errorf("layer %s: padding %d is more than half the kernel %d", l.name, l.w.pad, l.w.kernel)
	}
	return Shape{in[0], oh, ow}, nil, nil
}

// Forward applies ops.MaxPool2D. When x is the output of a ReLU, as in
// LeNet's conv-ReLU-pool blocks, it pools the ReLU's input with
// ops.MaxPool2DReLU instead: the same values and gradients without
// writing or reading the ReLU's full-size output. The ReLU node stays in
// the graph for whoever else reads it (Activations does); programs that
// do not need it never compute it.
func (l *MaxPool2DLayer) Forward(x *G.Node, _ []*G.Node) (*G.Node, error) {
	k, s, p := l.w.kernel, l.w.stride, l.w.pad
	pp := ops.PoolParams{KernelH: k, KernelW: k, StrideH: s, StrideW: s, PadH: p, PadW: p}
	if in, ok := ops.ReLUInput(x); ok {
		return ops.MaxPool2DReLU(in, pp)
	}
	return ops.MaxPool2D(x, pp)
}
