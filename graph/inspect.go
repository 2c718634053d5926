package graph

import (
	"fmt"
	"strings"

	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// LayerInfo describes one layer as a prediction runs it: every layer the
// model's top layer holds, at any depth, in the order they run.
type LayerInfo struct {
	Index int    // position in Summary's list, from 0
	Path  string // the layer's path, such as "block1.conv2"
	Name  string // the layer's own name, such as "conv2"
	Kind  string // what it does, such as "Conv2D 6@5x5 pad 2"
	// Depth is 0 for the layers of the model's top layer, 1 for the
	// layers inside those, and so on.
	Depth int
	// Inputs lists the Index of each layer whose output this one reads;
	// -1 is the model's input.
	Inputs []int
	Output Shape // per-example output shape
	Params int   // trainable values the layer and the layers inside it own
	// Container says the layer holds other layers, listed after it.
	Container bool
	// Fused, when set, says how the layer runs as one op with a neighbour,
	// such as a ReLU computed inside the max pooling after it.
	Fused string
}

// Summary lists the model's layers with their per-example output shapes
// and parameter counts, in the order a prediction runs them.
func (m *Model) Summary() ([]LayerInfo, error) {
	out := make([]LayerInfo, len(m.layers))
	copy(out, m.layers)
	return out, nil
}

// FormatSummary renders a model's Summary as an aligned table, nested
// layers indented, that ends with the input shape and the parameter and
// buffer counts.
func FormatSummary(m *Model) (string, error) {
	infos, err := m.Summary()
	if err != nil {
		return "", err
	}
	nameW, kindW := len("layer"), len("kind")
	for _, in := range infos {
		nameW = max(nameW, 2*in.Depth+len(in.Name))
		kindW = max(kindW, len(in.Kind))
	}
	var b strings.Builder
	row := func(idx, name, kind, shape, params, note string) {
		line := fmt.Sprintf("%-3s %-*s  %-*s  %-14s %10s", idx, nameW, name, kindW, kind, shape, params)
		if note != "" {
			line += "  " + note
		}
		b.WriteString(strings.TrimRight(line, " ") + "\n")
	}
	row("#", "layer", "kind", "output", "params", "")
	row("", "input", "", joinShape(m.input), "", "")
	for _, in := range infos {
		row(fmt.Sprint(in.Index), strings.Repeat("  ", in.Depth)+in.Name, in.Kind, joinShape(in.Output), fmt.Sprint(in.Params), in.Fused)
	}
	fmt.Fprintf(&b, "total parameters: %d\n", m.NumParams())
	if n := len(m.buffers); n > 0 {
		size := 0
		for _, p := range m.buffers {
			size += p.Size()
		}
		fmt.Fprintf(&b, "buffers: %d values in %d tensors (not trained)\n", size, n)
	}
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

// Activation is the output of one layer for a batch of examples.
type Activation struct {
	LayerInfo
	// Values holds the n examples' outputs one after another, each of
	// shape Output, row-major.
	Values []float64
}

// Activations runs the model in evaluation mode on n examples stored one
// after another in x and returns every layer's output, in Summary's
// order, for looking inside the network (feature maps of a convolution,
// for example). It builds a fresh graph each call, so it suits inspection
// rather than inner loops.
func (m *Model) Activations(x []float32, n int) (acts []Activation, err error) {
	if n < 1 || len(x) != n*m.input.Size() {
		return nil, errors.Errorf("activations: %d input values for %d examples of shape %v", len(x), n, m.input)
	}
	p, err := m.build(n, false, true)
	if err != nil {
		return nil, err
	}
	recs := p.trace.records
	if len(recs) > 0 && p.trace.children[0] {
		recs = recs[1:] // the top layer's output is its last layer's
	}
	dsts := make([]*tensor.Dense, len(recs))
	for i, r := range recs {
		dsts[i] = newLike(m.dtype, r.output.Shape()...)
		if err := p.capture(r.output, dsts[i]); err != nil {
			return nil, err
		}
	}
	if err := compileAndRun(p, x); err != nil {
		return nil, errors.Wrap(err, "activations")
	}
	for i, d := range dsts {
		acts = append(acts, Activation{LayerInfo: m.layers[i], Values: appendFloats(nil, d)})
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

// DOT returns the model's layer graph in Graphviz DOT form: a box per
// layer with its path, kind and output shape, an arrow per input, layers
// that hold others drawn as clusters around them, and layers fused into
// one op drawn as one box.
func (m *Model) DOT() string {
	var b strings.Builder
	b.WriteString("digraph model {\n  rankdir=TB;\n  node [shape=box, fontname=\"Helvetica\", fontsize=10];\n")
	fmt.Fprintf(&b, "  input [label=\"input\\n%s\", shape=ellipse];\n", joinShape(m.input))
	// A fused layer (a ReLU computed inside the pooling after it) is drawn
	// as part of the layer that runs it: arrows to it go to that one.
	into := map[int]int{}
	for i, in := range m.layers {
		if strings.HasPrefix(in.Fused, "runs inside ") {
			for j := i + 1; j < len(m.layers); j++ {
				if strings.HasSuffix(m.layers[j].Fused, "one op with "+in.Path) {
					into[i] = j
					break
				}
			}
		}
	}
	depth := 0
	for i, in := range m.layers {
		for ; depth > in.Depth; depth-- {
			b.WriteString(strings.Repeat("  ", depth) + "}\n")
		}
		ind := strings.Repeat("  ", depth+1)
		if in.Container {
			fmt.Fprintf(&b, "%ssubgraph cluster_%d {\n%s  label=%q; style=rounded;\n", ind, i, ind, in.Path+": "+in.Kind)
			depth++
			continue
		}
		if _, fused := into[i]; fused {
			continue
		}
		label := in.Path + "\\n" + in.Kind + "\\n" + joinShape(in.Output)
		style := ""
		if in.Fused != "" {
			label = in.Path + "\\n" + in.Fused + "\\n" + in.Kind + "\\n" + joinShape(in.Output)
			style = ", style=bold"
		}
		fmt.Fprintf(&b, "%sl%d [label=\"%s\"%s];\n", ind, i, strings.ReplaceAll(label, "\"", "'"), style)
	}
	for ; depth > 0; depth-- {
		b.WriteString(strings.Repeat("  ", depth) + "}\n")
	}
	for i, in := range m.layers {
		if in.Container {
			continue
		}
		if _, fused := into[i]; fused {
			continue
		}
		inputs := in.Inputs
		for k := 0; k < len(inputs); k++ {
			// The input a fused box reads is its fused layer's input.
			if j, ok := into[inputs[k]]; ok && j == i && inputs[k] >= 0 {
				inputs = append(append(inputs[:k:k], m.layers[inputs[k]].Inputs...), inputs[k+1:]...)
				k--
				continue
			}
			fmt.Fprintf(&b, "  %s -> l%d;\n", m.resolve(inputs[k], into), i)
		}
	}
	b.WriteString("}\n")
	return b.String()
}

// resolve names the box an arrow from layer i starts at: a container's
// output is its last layer's, a fused layer's its fusing layer's.
func (m *Model) resolve(i int, into map[int]int) string {
	for i >= 0 && m.layers[i].Container {
		last := i
		for j := i + 1; j < len(m.layers) && m.layers[j].Depth > m.layers[i].Depth; j++ {
			last = j
		}
		if last == i {
			break
		}
		i = last
	}
	if i < 0 {
		return "input"
	}
	if j, ok := into[i]; ok {
		i = j
	}
	return fmt.Sprintf("l%d", i)
}

// GraphDOT returns, in Graphviz DOT form, the expression graph a
// prediction at a batch size runs: one box per gorgonia node with its op
// and shape, the input and the parameters as ellipses named as in
// checkpoints. It shows what DOT's layer boxes expand to.
func (m *Model) GraphDOT(batch int) (string, error) {
	p, err := m.newProgram(batch, false)
	if err != nil {
		return "", err
	}
	sub := p.Graph.ExactSubgraphRoots(p.roots...)
	var b strings.Builder
	b.WriteString("digraph expr {\n  rankdir=TB;\n  node [fontname=\"Helvetica\", fontsize=10];\n")
	ids := map[*G.Node]int{}
	nodes := sub.AllNodes()
	for i, n := range nodes {
		ids[n] = i
		shape := joinShape(Shape(n.Shape()))
		if n.Op() == nil {
			fmt.Fprintf(&b, "  n%d [label=\"%s\\n%s\", shape=ellipse];\n", i, n.Name(), shape)
			continue
		}
		op := fmt.Sprint(n.Op())
		if op == "capture" {
			op = "output"
		}
		fmt.Fprintf(&b, "  n%d [label=\"%s\\n%s\", shape=box];\n", i, strings.ReplaceAll(op, "\"", "'"), shape)
	}
	for _, n := range nodes {
		kids := sub.From(n.ID())
		var in []*G.Node
		for kids.Next() {
			if k, ok := kids.Node().(*G.Node); ok {
				in = append(in, k)
			}
		}
		for _, k := range in {
			fmt.Fprintf(&b, "  n%d -> n%d;\n", ids[k], ids[n])
		}
	}
	b.WriteString("}\n")
	return b.String(), nil
}
