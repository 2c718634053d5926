package graph

import (
	"fmt"

	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"

	"github.com/featlearn/featlearn/ops"
)

// weightAndBias declares "weight" of wShape initialised by o.init and,
// unless o.noBias, a zero "bias" of bShape without weight decay.
func weightAndBias(s *Scope, o options, wShape, bShape Shape, extra ...ParamOption) error {
	if _, err := s.Param("weight", wShape, o.init, extra...); err != nil {
		return err
	}
	if o.noBias {
		return nil
	}
	_, err := s.Param("bias", bShape, Zeros, NoDecay())
	return err
}

// biasOf returns the layer's bias node, or nil when it has none.
func biasOf(p *Pass, o options) *G.Node {
	if o.noBias {
		return nil
	}
	return p.Param("bias")
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

// Units returns the number of outputs.
func (l *DenseLayer) Units() int { return l.out }

// Describe says "Dense N".
func (l *DenseLayer) Describe() string { return fmt.Sprintf("Dense %d", l.out) }

// Setup declares W (out, in) and b (out).
func (l *DenseLayer) Setup(s *Scope, in Shape) (Shape, error) {
	if len(in) != 1 {
		return nil, shapeError(in, "a vector [n] per example (add a Flatten layer)")
	}
	if l.out < 1 {
		return nil, errors.Errorf("%d output units", l.out)
	}
	return Shape{l.out}, weightAndBias(s, l.o, Shape{l.out, in[0]}, Shape{l.out})
}

// Forward applies ops.Dense.
func (l *DenseLayer) Forward(p *Pass, x *G.Node) (*G.Node, error) {
	return ops.Dense(x, p.Param("weight"), biasOf(p, l.o))
}

// window holds the geometry shared by convolution, locally connected and
// pooling layers: a square kernel, a stride and zero padding.
type window struct{ kernel, stride, pad int }

// outSize returns the output side length for an input side n.
func (w window) outSize(n int) int { return (n+2*w.pad-w.kernel)/w.stride + 1 }

// check validates the window against a (C, H, W) input and returns the
// output height and width.
func (w window) check(in Shape) (oh, ow int, err error) {
	if len(in) != 3 {
		return 0, 0, shapeError(in, "[channels height width]")
	}
	if w.kernel < 1 || w.stride < 1 || w.pad < 0 {
		return 0, 0, errors.Errorf("kernel %d, stride %d, pad %d: want kernel, stride >= 1 and pad >= 0", w.kernel, w.stride, w.pad)
	}
	if in[1]+2*w.pad < w.kernel || in[2]+2*w.pad < w.kernel {
		return 0, 0, shapeError(in, fmt.Sprintf("height and width >= %d for a %dx%d kernel with padding %d", w.kernel-2*w.pad, w.kernel, w.kernel, w.pad))
	}
	return w.outSize(in[1]), w.outSize(in[2]), nil
}

func (w window) convParams() ops.ConvParams {
	return ops.ConvParams{StrideH: w.stride, StrideW: w.stride, PadH: w.pad, PadW: w.pad}
}

func (w window) poolParams() ops.PoolParams {
	k, s, p := w.kernel, w.stride, w.pad
	return ops.PoolParams{KernelH: k, KernelW: k, StrideH: s, StrideW: s, PadH: p, PadW: p}
}

// suffix mentions a stride other than the default and any padding.
func (w window) suffix(defaultStride int) string {
	s := ""
	if w.stride != defaultStride {
		s += fmt.Sprintf(" stride %d", w.stride)
	}
	if w.pad != 0 {
		s += fmt.Sprintf(" pad %d", w.pad)
	}
	return s
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

// Describe says "Conv2D out@kxk", with stride and padding.
func (l *Conv2DLayer) Describe() string {
	return fmt.Sprintf("Conv2D %d@%dx%d%s", l.out, l.w.kernel, l.w.kernel, l.w.suffix(1))
}

// Setup declares filters (out, in, k, k) and a bias (out).
func (l *Conv2DLayer) Setup(s *Scope, in Shape) (Shape, error) {
	oh, ow, err := l.w.check(in)
	if err != nil {
		return nil, err
	}
	if l.out < 1 {
		return nil, errors.Errorf("%d filters", l.out)
	}
	k := l.w.kernel
	return Shape{l.out, oh, ow}, weightAndBias(s, l.o, Shape{l.out, in[0], k, k}, Shape{l.out})
}

// Forward applies ops.Conv2D.
func (l *Conv2DLayer) Forward(p *Pass, x *G.Node) (*G.Node, error) {
	return ops.Conv2D(x, p.Param("weight"), biasOf(p, l.o), l.w.convParams())
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

// Describe says "LocallyConnected2D out@kxk", with stride and padding.
func (l *LocallyConnected2DLayer) Describe() string {
	return fmt.Sprintf("LocallyConnected2D %d@%dx%d%s", l.out, l.w.kernel, l.w.kernel, l.w.suffix(1))
}

// Setup declares filters (out, OH, OW, in, k, k) and a bias (out, OH, OW).
// The initializer sees one position's fans, as for a convolution.
func (l *LocallyConnected2DLayer) Setup(s *Scope, in Shape) (Shape, error) {
	oh, ow, err := l.w.check(in)
	if err != nil {
		return nil, err
	}
	if l.out < 1 {
		return nil, errors.Errorf("%d filters", l.out)
	}
	k := l.w.kernel
	err = weightAndBias(s, l.o, Shape{l.out, oh, ow, in[0], k, k}, Shape{l.out, oh, ow}, Fans(in[0]*k*k, l.out*k*k))
	return Shape{l.out, oh, ow}, err
}

// Forward applies ops.LocallyConnected2D.
func (l *LocallyConnected2DLayer) Forward(p *Pass, x *G.Node) (*G.Node, error) {
	return ops.LocallyConnected2D(x, p.Param("weight"), biasOf(p, l.o), l.w.convParams())
}
