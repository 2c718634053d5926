package graph

import (
	"fmt"
	"strings"

	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// LayerInfo describes one layer of a model: one step of its top-level
// Sequential, or the whole top layer when that is not a Sequential.
type LayerInfo struct {
	Index  int    // position in the top-level Sequential, from 0
	Name   string // the layer's name, such as "conv1" or "relu"
	Kind   string // what the layer does, such as "Conv2D 6@5x5 pad 2"
	Output Shape  // per-example output shape
	Params int    // trainable values the layer owns
}

// Summary lists the model's layers with their per-example output shapes
// and parameter counts, in order.
func (m *Model) Summary() ([]LayerInfo, error) {
	_, outs, err := m.layerGraph(1)
	if err != nil {
		return nil, err
	}
	layers, counts := m.topLayers()
	infos := make([]LayerInfo, len(layers))
	params := m.params
	for i, l := range layers {
		n := 0
		for _, p := range params[:counts[i]] {
			n += p.Size()
		}
		params = params[counts[i]:]
		infos[i] = LayerInfo{Index: i, Name: l.Name(), Kind: describeLayer(l), Output: Shape(outs[i].Shape()[1:].Clone()), Params: n}
	}
	return infos, nil
}

// FormatSummary renders a model's Summary as an aligned table that ends
// with the input shape and the total parameter count.
func FormatSummary(m *Model) (string, error) {
	infos, err := m.Summary()
	if err != nil {
		return "", err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%-3s %-8s %-28s %-14s %10s\n", "#", "layer", "kind", "output", "params")
	fmt.Fprintf(&b, "%-3s %-8s %-28s %-14s %10s\n", "", "input", "", joinShape(m.input), "")
	for _, in := range infos {
		fmt.Fprintf(&b, "%-3d %-8s %-28s %-14s %10d\n", in.Index, in.Name, in.Kind, joinShape(in.Output), in.Params)
	}
	fmt.Fprintf(&b, "total parameters: %d\n", m.NumParams())
	return b.String(), nil
}

// joinShape writes a shape as 6x28x28.
func joinShape(s Shape) string {
	parts := make([]string, len(s))
	for i, d := range s {
		parts[i] = fmt.Sprint(d)
	}
	return strings.Join(parts, "x")
}

// describeLayer names what a layer does, with its geometry.
func describeLayer(l Layer) string {
	switch l := l.(type) {
	case *DenseLayer:
		return fmt.Sprintf("Dense %d", l.out)
	case *Conv2DLayer:
		return fmt.Sprintf("Conv2D %d@%dx%d%s", l.out, l.w.kernel, l.w.kernel, l.w.suffix(1))
	case *LocallyConnected2DLayer:
		return fmt.Sprintf("LocallyConnected2D %d@%dx%d%s", l.out, l.w.kernel, l.w.kernel, l.w.suffix(1))
	case *MaxPool2DLayer:
		return fmt.Sprintf("MaxPool2D %dx%d%s", l.w.kernel, l.w.kernel, l.w.suffix(l.w.kernel))
	case *SequentialLayer:
		return fmt.Sprintf("Sequential of %d", len(l.layers))
	case activationLayer:
		if l.name == "relu" {
			return "ReLU"
		}
		return strings.ToUpper(l.name[:1]) + l.name[1:]
	case flattenLayer:
		return "Flatten"
	}
	return fmt.Sprintf("%T", l)
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

// Activation is the output of one layer for a batch of examples.
type Activation struct {
	LayerInfo
	// Values holds the n examples' outputs one after another, each of
	// shape Output, row-major.
	Values []float64
}

// Activations runs the model on n examples stored one after another in x
// and returns every layer's output, in layer order, for looking inside
// the network (feature maps of a convolution, for example). It builds a
// fresh graph each call, so it suits inspection rather than inner loops.
func (m *Model) Activations(x []float32, n int) (acts []Activation, err error) {
	if n < 1 || len(x) != n*m.input.Size() {
		return nil, errors.Errorf("activations: %d input values for %d examples of shape %v", len(x), n, m.input)
	}
	infos, err := m.Summary()
	if err != nil {
		return nil, err
	}
	p, outs, err := m.layerGraph(n)
	if err != nil {
		return nil, err
	}
	dsts := make([]*tensor.Dense, len(outs))
	for i, o := range outs {
		dsts[i] = newLike(m.dtype, o.Shape()...)
		if err := p.capture(o, dsts[i]); err != nil {
			return nil, err
		}
	}
	if err := compileAndRun(p, x); err != nil {
		return nil, errors.Wrap(err, "activations")
	}
	for i, d := range dsts {
		acts = append(acts, Activation{LayerInfo: infos[i], Values: appendFloats(nil, d)})
	}
	return acts, nil
}

// compileAndRun compiles a program, feeds it x and runs it once.
func compileAndRun(p *Program, x []float32) (err error) {
	defer recoverTo(&err)
	p.compile()
	setFloats(p.in, x)
	return p.run()
}

// topLayers returns the layers Summary and Activations report on, with the
// number of parameters each owns.
func (m *Model) topLayers() ([]Layer, []int) {
	if s, ok := m.layer.(*SequentialLayer); ok && len(s.counts) == len(s.layers) {
		return s.layers, s.counts
	}
	return []Layer{m.layer}, []int{len(m.params)}
}

// layerGraph builds the model's forward graph for a batch size like
// newProgram, but keeps the output node of every top-level layer.
func (m *Model) layerGraph(batch int) (p *Program, outs []*G.Node, err error) {
	defer recoverTo(&err)
	g := G.NewGraph()
	p = &Program{Graph: g, Batch: batch}
	p.in = newLike(m.dtype, append([]int{batch}, m.input...)...)
	p.Input = G.NewTensor(g, m.dtype, p.in.Dims(), G.WithShape(p.in.Shape().Clone()...), G.WithValue(p.in), G.WithName("input"))
	for _, prm := range m.params {
		v := prm.value
		p.Params = append(p.Params, G.NewTensor(g, m.dtype, v.Dims(), G.WithShape(v.Shape().Clone()...), G.WithValue(v), G.WithName(prm.Name)))
	}
	layers, counts := m.topLayers()
	x, params := p.Input, p.Params
	for i, l := range layers {
		if x, err = l.Forward(x, params[:counts[i]]); err != nil {
			return nil, nil, errors.Wrapf(err, "layer %s", l.Name())
		}
		params = params[counts[i]:]
		outs = append(outs, x)
	}
	p.Output = x
	return p, outs, nil
}
