package onnx

import (
	"fmt"
	"strings"

	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/featlearn/featlearn/graph"
	"github.com/featlearn/featlearn/ops"
)

// Layer is an ONNX graph imported as a featlearn layer: its Setup declares
// the graph's initializers as parameters (BatchNormalization's running
// statistics as buffers), and its Forward adds one featlearn op per ONNX
// node to the program, each ONNX node being a layer of its own that
// summaries, pictures and Activations show. Programs of a model holding it
// train like any other: gradients flow to every parameter, BatchNorm uses
// the batch's statistics and Dropout drops while training.
type Layer struct {
	name   string
	input  graph.Shape
	steps  []*step
	in     *value // the graph's input
	output *value // the graph's output
	nodes  int    // ONNX nodes read
}

// step is one layer of the imported graph, applied to the values ins.
type step struct {
	layer graph.Layer
	ins   []*value
	out   *value
	multi *multiLayer // set when the layer reads every value of ins
}

// Name returns the layer's name, the ONNX graph's made valid.
func (l *Layer) Name() string { return l.name }

// Describe says how many ONNX nodes became how many layers.
func (l *Layer) Describe() string {
	return fmt.Sprintf("ONNX graph, %d nodes as %d layers", l.nodes, len(l.steps))
}

// Setup checks the input shape and sets up every node's layer.
func (l *Layer) Setup(s *graph.Scope, in graph.Shape) (graph.Shape, error) {
	if in.String() != l.input.String() {
		return nil, errors.Errorf("input shape %v: the ONNX graph takes %v", in, l.input)
	}
	for _, st := range l.steps {
		out, err := s.Setup(st.layer, st.ins[0].shape)
		if err != nil {
			return nil, err
		}
		if out.String() != graph.Shape(st.out.shape).String() {
			return nil, errors.Errorf("layer %s gives shape %v, the ONNX graph %v", st.layer.Name(), out, st.out.shape)
		}
	}
	return append(graph.Shape(nil), l.output.shape...), nil
}

// Forward applies every node's layer in an order where each follows the
// layers it reads from.
func (l *Layer) Forward(p *graph.Pass, x *G.Node) (*G.Node, error) {
	nodes := map[*value]*G.Node{l.in: x}
	for _, st := range l.steps {
		xs := make([]*G.Node, len(st.ins))
		for i, v := range st.ins {
			if xs[i] = nodes[v]; xs[i] == nil {
				return nil, errors.Errorf("layer %s reads a value no layer before it computes", st.layer.Name())
			}
		}
		if st.multi != nil {
			st.multi.xs = xs
		}
		y, err := p.Apply(st.layer, xs[0])
		if st.multi != nil {
			st.multi.xs = nil
		}
		if err != nil {
			return nil, err
		}
		nodes[st.out] = y
	}
	return nodes[l.output], nil
}

// denseLayer is Gemm or MatMul: y = x·Wᵀ + b, W of shape (out, in).
type denseLayer struct {
	name, kind string
	out        int
	bias       bool
}

func (d *denseLayer) Name() string     { return d.name }
func (d *denseLayer) Describe() string { return fmt.Sprintf("%s %d", d.kind, d.out) }

func (d *denseLayer) Setup(s *graph.Scope, in graph.Shape) (graph.Shape, error) {
	if len(in) != 1 {
		return nil, errors.Errorf("input shape %v: want a vector per example", in)
	}
	return graph.Shape{d.out}, weightBias(s, graph.Shape{d.out, in[0]}, d.bias, d.out)
}

func (d *denseLayer) Forward(p *graph.Pass, x *G.Node) (*G.Node, error) {
	var b *G.Node
	if d.bias {
		b = p.Param("bias")
	}
	return ops.Dense(x, p.Param("weight"), b)
}

// weightBias declares "weight" and, when bias is set, "bias" of out
// values. Both start at zero: Import sets them from the file.
func weightBias(s *graph.Scope, w graph.Shape, bias bool, out int) error {
	if _, err := s.Param("weight", w, graph.Zeros); err != nil {
		return err
	}
	if !bias {
		return nil
	}
	_, err := s.Param("bias", graph.Shape{out}, graph.Zeros, graph.NoDecay())
	return err
}

// convLayer is Conv with one group and no dilation.
type convLayer struct {
	name           string
	out, kh, kw, c int
	p              ops.ConvParams
	bias           bool
}

func (c *convLayer) Name() string { return c.name }
func (c *convLayer) Describe() string {
	return fmt.Sprintf("Conv %d@%dx%d %v", c.out, c.kh, c.kw, c.p)
}

func (c *convLayer) Setup(s *graph.Scope, in graph.Shape) (graph.Shape, error) {
	if len(in) != 3 || in[0] != c.c {
		return nil, errors.Errorf("input shape %v: want %d channels", in, c.c)
	}
	oh := (in[1]+2*c.p.PadH-c.kh)/c.p.StrideH + 1
	ow := (in[2]+2*c.p.PadW-c.kw)/c.p.StrideW + 1
	return graph.Shape{c.out, oh, ow}, weightBias(s, graph.Shape{c.out, c.c, c.kh, c.kw}, c.bias, c.out)
}

func (c *convLayer) Forward(p *graph.Pass, x *G.Node) (*G.Node, error) {
	var b *G.Node
	if c.bias {
		b = p.Param("bias")
	}
	return ops.Conv2D(x, p.Param("weight"), b, c.p)
}

// poolLayer is MaxPool or AveragePool.
type poolLayer struct {
	name       string
	max        bool
	p          ops.PoolParams
	includePad bool
}

func (l *poolLayer) Name() string { return l.name }
func (l *poolLayer) Describe() string {
	if l.max {
		return "MaxPool " + l.p.String()
	}
	return fmt.Sprintf("AveragePool %v count_include_pad %v", l.p, l.includePad)
}

func (l *poolLayer) Setup(_ *graph.Scope, in graph.Shape) (graph.Shape, error) {
	if len(in) != 3 {
		return nil, errors.Errorf("input shape %v: want (C, H, W)", in)
	}
	return graph.Shape{in[0], (in[1]+2*l.p.PadH-l.p.KernelH)/l.p.StrideH + 1, (in[2]+2*l.p.PadW-l.p.KernelW)/l.p.StrideW + 1}, nil
}

func (l *poolLayer) Forward(_ *graph.Pass, x *G.Node) (*G.Node, error) {
	if l.max {
		return ops.MaxPool2D(x, l.p)
	}
	return ops.AvgPool2D(x, l.p, l.includePad)
}

// gapLayer is GlobalAveragePool: with keep set it keeps ONNX's (1, 1)
// plane, without it gives a vector, as when a Flatten follows.
type gapLayer struct {
	name string
	keep bool
}

func (l *gapLayer) Name() string     { return l.name }
func (l *gapLayer) Describe() string { return "GlobalAveragePool" }

func (l *gapLayer) Setup(_ *graph.Scope, in graph.Shape) (graph.Shape, error) {
	if len(in) != 3 {
		return nil, errors.Errorf("input shape %v: want (C, H, W)", in)
	}
	if l.keep {
		return graph.Shape{in[0], 1, 1}, nil
	}
	return graph.Shape{in[0]}, nil
}

func (l *gapLayer) Forward(_ *graph.Pass, x *G.Node) (*G.Node, error) {
	y, err := ops.GlobalAvgPool2D(x)
	if err != nil || !l.keep {
		return y, err
	}
	s := y.Shape()
	return G.Reshape(y, tensor.Shape{s[0], s[1], 1, 1})
}

// fnLayer applies a function of one node that keeps the shape.
type fnLayer struct {
	name, kind string
	f          func(*G.Node) (*G.Node, error)
}

func (l *fnLayer) Name() string                                              { return l.name }
func (l *fnLayer) Describe() string                                          { return l.kind }
func (l *fnLayer) Setup(_ *graph.Scope, in graph.Shape) (graph.Shape, error) { return in, nil }
func (l *fnLayer) Forward(_ *graph.Pass, x *G.Node) (*G.Node, error)         { return l.f(x) }

// reshapeLayer gives every example a new shape of as many values.
type reshapeLayer struct {
	name, kind string
	to         graph.Shape
}

func (l *reshapeLayer) Name() string     { return l.name }
func (l *reshapeLayer) Describe() string { return fmt.Sprintf("%s to %v", l.kind, l.to) }

func (l *reshapeLayer) Setup(_ *graph.Scope, in graph.Shape) (graph.Shape, error) {
	if in.Size() != l.to.Size() {
		return nil, errors.Errorf("input shape %v does not reshape to %v", in, l.to)
	}
	return append(graph.Shape(nil), l.to...), nil
}

func (l *reshapeLayer) Forward(_ *graph.Pass, x *G.Node) (*G.Node, error) {
	if graph.Shape(x.Shape()[1:]).String() == l.to.String() {
		return x, nil
	}
	return G.Reshape(x, append(tensor.Shape{x.Shape()[0]}, l.to...))
}

// multiLayer is a node over several values, Add or Concat; Layer.Forward
// hands it every input before applying it.
type multiLayer struct {
	name, kind string
	out        graph.Shape
	f          func(xs ...*G.Node) (*G.Node, error)
	xs         []*G.Node
}

func (l *multiLayer) Name() string                                             { return l.name }
func (l *multiLayer) Describe() string                                         { return l.kind }
func (l *multiLayer) Setup(_ *graph.Scope, _ graph.Shape) (graph.Shape, error) { return l.out, nil }

func (l *multiLayer) Forward(_ *graph.Pass, _ *G.Node) (*G.Node, error) {
	if len(l.xs) == 0 {
		return nil, errors.New("applied without its inputs")
	}
	return l.f(l.xs...)
}

// scaleLayer is Mul by a per-channel constant, a trainable "weight" of C
// values (ops.ScaleChannels).
type scaleLayer struct {
	name string
	c    int
}

func (l *scaleLayer) Name() string     { return l.name }
func (l *scaleLayer) Describe() string { return fmt.Sprintf("Mul by %d channel scales", l.c) }

func (l *scaleLayer) Setup(s *graph.Scope, in graph.Shape) (graph.Shape, error) {
	if (len(in) != 1 && len(in) != 3) || in[0] != l.c {
		return nil, errors.Errorf("input shape %v: want %d channels", in, l.c)
	}
	_, err := s.Param("weight", graph.Shape{l.c}, graph.Ones, graph.NoDecay())
	return in, err
}

func (l *scaleLayer) Forward(p *graph.Pass, x *G.Node) (*G.Node, error) {
	return ops.ScaleChannels(x, p.Param("weight"))
}

// nest gives layer l the path path: l under its last part, inside a
// group layer for each part before, so that its parameters are named
// path.weight as the ONNX file names them.
func nest(path string, l graph.Layer) graph.Layer {
	if !strings.Contains(path, ".") && path == l.Name() {
		return l
	}
	parts := strings.Split(path, ".")
	var out graph.Layer = &renamed{name: parts[len(parts)-1], inner: l}
	for i := len(parts) - 2; i >= 0; i-- {
		out = &group{name: parts[i], child: out}
	}
	return out
}

// renamed is a layer under another name: its parameters are named after
// that one.
type renamed struct {
	name  string
	inner graph.Layer
}

func (r *renamed) Name() string { return r.name }

func (r *renamed) Describe() string {
	if d, ok := r.inner.(graph.Describer); ok {
		return d.Describe()
	}
	return fmt.Sprintf("%T", r.inner)
}

func (r *renamed) Setup(s *graph.Scope, in graph.Shape) (graph.Shape, error) {
	return r.inner.Setup(s, in)
}
func (r *renamed) Forward(p *graph.Pass, x *G.Node) (*G.Node, error) { return r.inner.Forward(p, x) }

// group holds one layer, adding its name to the layer's path.
type group struct {
	name  string
	child graph.Layer
}

func (g *group) Name() string     { return g.name }
func (g *group) Describe() string { return "ONNX name scope" }
func (g *group) Setup(s *graph.Scope, in graph.Shape) (graph.Shape, error) {
	return s.Setup(g.child, in)
}
func (g *group) Forward(p *graph.Pass, x *G.Node) (*G.Node, error) { return p.Apply(g.child, x) }
