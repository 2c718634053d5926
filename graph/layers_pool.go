package graph

import (
	"fmt"

	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"

	"github.com/featlearn/featlearn/ops"
)

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

// Describe says "MaxPool2D kxk", with stride and padding.
func (l *MaxPool2DLayer) Describe() string {
	return fmt.Sprintf("MaxPool2D %dx%d%s", l.w.kernel, l.w.kernel, l.w.suffix(l.w.kernel))
}

// Setup checks the window against the input; pooling has no parameters.
func (l *MaxPool2DLayer) Setup(_ *Scope, in Shape) (Shape, error) {
	return l.w.poolShape(in)
}

// poolShape checks a pooling window against a (C, H, W) input.
func (w window) poolShape(in Shape) (Shape, error) {
	oh, ow, err := w.check(in)
	if err != nil {
		return nil, err
	}
	if 2*w.pad > w.kernel {
		return nil, errors.Errorf("padding %d is more than half the kernel %d", w.pad, w.kernel)
	}
	return Shape{in[0], oh, ow}, nil
}

// Forward applies ops.MaxPool2D. When x is the output of a ReLU, as in
// LeNet's conv-ReLU-pool blocks, it pools the ReLU's input with
// ops.MaxPool2DReLU instead: the same values and gradients without
// writing or reading the ReLU's full-size output. The ReLU node stays in
// the graph for whoever else reads it (Activations does); programs that
// do not need it never compute it. Summary and DOT show the fusion.
func (l *MaxPool2DLayer) Forward(p *Pass, x *G.Node) (*G.Node, error) {
	if in, ok := ops.ReLUInput(x); ok {
		p.fuse(x, "ReLU+MaxPool2D")
		return ops.MaxPool2DReLU(in, l.w.poolParams())
	}
	return ops.MaxPool2D(x, l.w.poolParams())
}

// AvgPool2DLayer averages each window of each channel.
type AvgPool2DLayer struct {
	name       string
	w          window
	excludePad bool
}

// AvgPool2D returns average pooling over kernel×kernel windows; the stride
// defaults to the kernel size. With padding, a window's padded zeros count
// in its average, PyTorch's count_include_pad default; ExcludePad makes it
// average the real values only.
func AvgPool2D(name string, kernel int, opts ...Option) *AvgPool2DLayer {
	return &AvgPool2DLayer{name: name, w: newWindow(kernel, newOptions(opts, nil), kernel)}
}

// ExcludePad averages only the input values of each window, not its padding.
func (l *AvgPool2DLayer) ExcludePad() *AvgPool2DLayer { l.excludePad = true; return l }

// Name returns the layer's name.
func (l *AvgPool2DLayer) Name() string { return l.name }

// Describe says "AvgPool2D kxk", with stride and padding.
func (l *AvgPool2DLayer) Describe() string {
	s := fmt.Sprintf("AvgPool2D %dx%d%s", l.w.kernel, l.w.kernel, l.w.suffix(l.w.kernel))
	if l.excludePad && l.w.pad > 0 {
		s += " excluding padding"
	}
	return s
}

// Setup checks the window against the input; pooling has no parameters.
func (l *AvgPool2DLayer) Setup(_ *Scope, in Shape) (Shape, error) { return l.w.poolShape(in) }

// Forward applies ops.AvgPool2D.
func (l *AvgPool2DLayer) Forward(_ *Pass, x *G.Node) (*G.Node, error) {
	return ops.AvgPool2D(x, l.w.poolParams(), !l.excludePad)
}

// globalAvgPoolLayer averages each channel over all positions.
type globalAvgPoolLayer struct{ name string }

// GlobalAvgPool2D returns the layer that averages each channel of a
// (C, H, W) map to one value, giving a vector of C: the head of
// all-convolutional networks, in place of flattening.
func GlobalAvgPool2D(name string) Layer { return globalAvgPoolLayer{name} }

func (l globalAvgPoolLayer) Name() string     { return l.name }
func (l globalAvgPoolLayer) Describe() string { return "GlobalAvgPool2D" }

func (l globalAvgPoolLayer) Setup(_ *Scope, in Shape) (Shape, error) {
	if len(in) != 3 {
		return nil, shapeError(in, "[channels height width]")
	}
	return Shape{in[0]}, nil
}

func (l globalAvgPoolLayer) Forward(_ *Pass, x *G.Node) (*G.Node, error) {
	return ops.GlobalAvgPool2D(x)
}
