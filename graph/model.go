package graph

import (
	"math/rand/v2"

	"github.com/featlearn/featlearn/internal/tape"
	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Model is a layer with its parameters, ready to be instantiated as a
// Program at any batch size. All programs of a model share its weights.
type Model struct {
	layer    Layer
	input    Shape
	output   Shape
	dtype    tensor.Dtype
	params   []*Param
	programs map[int]*Program
	evals    map[evalKey]*trainProgram
}

// ModelOption configures NewModel.
type ModelOption func(*Model)

// Float64 makes the model compute in float64 instead of float32.
func Float64() ModelOption { return func(m *Model) { m.dtype = tensor.Float64 } }

// NewModel sets up layer for examples of the given input shape and draws
// every initial weight from one generator seeded with seed. A shape that
// does not fit a layer is an error naming the layer and both shapes.
func NewModel(layer Layer, input []int, seed uint64, opts ...ModelOption) (m *Model, err error) {
	defer recoverTo(&err)
	m = &Model{layer: layer, input: append(Shape(nil), input...), dtype: tensor.Float32, programs: map[int]*Program{}}
	for _, opt := range opts {
		opt(m)
	}
	for _, d := range input {
		if d < 1 {
			return nil, errors.Errorf("model input shape %v has a dimension below 1", input)
		}
	}
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	if m.output, m.params, err = layer.Setup(m.input, m.dtype, rng); err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	for _, p := range m.params {
		if seen[p.Name] {
			return nil, errors.Errorf("two parameters are named %s: give the layers distinct names", p.Name)
		}
		seen[p.Name] = true
	}
	return m, nil
}

// recoverTo turns a panic from gorgonia into an error, so none escapes a
// public function.
func recoverTo(err *error) {
	if r := recover(); r != nil {
		*err = errors.Errorf("internal error: %v", r)
	}
}

// Layer returns the model's top layer.
func (m *Model) Layer() Layer { return m.layer }

// InputShape returns the shape of one input example.
func (m *Model) InputShape() Shape { return append(Shape(nil), m.input...) }

// OutputShape returns the shape of the model's output for one example.
func (m *Model) OutputShape() Shape { return append(Shape(nil), m.output...) }

// Params returns the model's parameters in layer order.
func (m *Model) Params() []*Param { return m.params }

// Param returns the parameter with the given name, or nil.
func (m *Model) Param(name string) *Param {
	for _, p := range m.params {
		if p.Name == name {
			return p
		}
	}
	return nil
}

// NumParams returns the total number of trainable values.
func (m *Model) NumParams() int {
	n := 0
	for _, p := range m.params {
		n += p.Size()
	}
	return n
}

// Program is a model instantiated in its own expression graph for one batch
// size, with a TapeMachine to run it.
type Program struct {
	Graph  *G.ExprGraph
	Batch  int
	Input  *G.Node
	Output *G.Node
	Params G.Nodes

	in       *tensor.Dense // bound to Input
	out      *tensor.Dense // a copy of Output after each run
	roots    G.Nodes       // the capture nodes: all the machine has to compute
	computed G.Nodes       // the nodes the machine computes
	vm       G.VM
	tape     *tape.Runner // runs vm in place; nil: fall back to RunAll
}

// newProgram builds the forward graph of m for a batch size.
func (m *Model) newProgram(batch int) (p *Program, err error) {
	defer recoverTo(&err)
	if batch < 1 {
		return nil, errors.Errorf("batch size %d: want at least 1", batch)
	}
	g := G.NewGraph()
	p = &Program{Graph: g, Batch: batch}
	p.in = newLike(m.dtype, append([]int{batch}, m.input...)...)
	p.Input = G.NewTensor(g, m.dtype, p.in.Dims(), G.WithShape(p.in.Shape().Clone()...), G.WithValue(p.in), G.WithName("input"))
	for _, prm := range m.params {
		v := prm.value
		p.Params = append(p.Params, G.NewTensor(g, m.dtype, v.Dims(), G.WithShape(v.Shape().Clone()...), G.WithValue(v), G.WithName(prm.Name)))
	}
	if p.Output, err = m.layer.Forward(p.Input, p.Params); err != nil {
		return nil, errors.Wrapf(err, "building %s", m.layer.Name())
	}
	p.out = newLike(m.dtype, p.Output.Shape()...)
	if err = p.capture(p.Output, p.out); err != nil {
		return nil, err
	}
	return p, nil
}

// capture copies n's value into dst at every run and makes n a root of
// what the machine computes.
func (p *Program) capture(n *G.Node, dst *tensor.Dense) error {
	c, err := capture(n, dst)
	if err != nil {
		return err
	}
	p.roots = append(p.roots, c)
	return nil
}

// compile makes the program's TapeMachine over only the nodes its captures
// need. G.Grad also builds gradients nobody asked for (such as the gradient
// of the first layer's input); leaving them out saves their cost every step.
func (p *Program) compile() {
	sub := p.Graph.ExactSubgraphRoots(p.roots...)
	p.computed = sub.AllNodes()
	p.vm = G.NewTapeMachine(sub)
	// gorgonia's RunAll hands the program to a second goroutine on a
	// locked thread, about 30 µs a run; tape runs it in place. nil: run
	// falls back to RunAll.
	p.tape, _ = tape.New(p.vm)
}

// program returns the cached forward program for a batch size.
func (m *Model) program(batch int) (*Program, error) {
	if p, ok := m.programs[batch]; ok {
		return p, nil
	}
	p, err := m.newProgram(batch)
	if err != nil {
		return nil, err
	}
	p.compile()
	m.programs[batch] = p
	return p, nil
}

// run executes the program once and resets it for the next run.
func (p *Program) run() (err error) {
	defer recoverTo(&err)
	defer p.vm.Reset()
	if p.tape != nil {
		return p.tape.Run()
	}
	return p.vm.RunAll()
}

// Predict runs the model on n examples stored one after another in x and
// returns the n outputs one after another, in batches of at most batch.
func (m *Model) Predict(x []float32, n, batch int) (out []float64, err error) {
	size, outSize := m.input.Size(), m.output.Size()
	if len(x) != n*size {
		return nil, errors.Errorf("predict: %d input values for %d examples of shape %v", len(x), n, m.input)
	}
	if batch < 1 {
		return nil, errors.Errorf("predict: batch size %d", batch)
	}
	out = make([]float64, 0, n*outSize)
	for lo := 0; lo < n; lo += batch {
		k := min(batch, n-lo)
		p, err := m.program(k)
		if err != nil {
			return nil, err
		}
		setFloats(p.in, x[lo*size:(lo+k)*size])
		if err := p.run(); err != nil {
			return nil, errors.Wrap(err, "predict")
		}
		out = appendFloats(out, p.out)
	}
	return out, nil
}

// DOT returns the graph of the model at a batch size in Graphviz DOT form:
// the nodes a prediction computes. A ReLU followed by max pooling shows
// as the one fused pooling node that runs (see MaxPool2DLayer.Forward).
func (m *Model) DOT(batch int) (string, error) {
	p, err := m.newProgram(batch)
	if err != nil {
		return "", err
	}
	return p.Graph.ExactSubgraphRoots(p.roots...).ToDot(), nil
}

// newLike allocates a zero tensor of a dtype and shape.
func newLike(dt tensor.Dtype, shape ...int) *tensor.Dense {
	return tensor.New(tensor.Of(dt), tensor.WithShape(append([]int(nil), shape...)...))
}

// setFloats copies src into a float32 or float64 tensor.
func setFloats(dst *tensor.Dense, src []float32) {
	if dst.Dtype() == tensor.Float32 {
		copy(dst.Float32s(), src)
		return
	}
	d := dst.Float64s()
	for i, v := range src {
		d[i] = float64(v)
	}
}

// first returns the first value of a float32 or float64 tensor, such as a
// captured loss, without the slice appendFloats would allocate.
func first(t *tensor.Dense) float64 {
	if t.Dtype() == tensor.Float64 {
		return t.Float64s()[0]
	}
	return float64(t.Float32s()[0])
}

// appendFloats appends the values of a float32 or float64 tensor as float64.
func appendFloats(dst []float64, src *tensor.Dense) []float64 {
	if src.Dtype() == tensor.Float64 {
		return append(dst, src.Float64s()...)
	}
	for _, v := range src.Float32s() {
		dst = append(dst, float64(v))
	}
	return dst
}
