package graph

import (
	"math/rand/v2"

	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/featlearn/featlearn/internal/tape"
)

// Model is a layer with its parameters and buffers, ready to be
// instantiated as a Program at any batch size, training or not. All
// programs of a model share its tensors.
type Model struct {
	layer   Layer
	input   Shape
	output  Shape
	dtype   tensor.Dtype
	seed    uint64
	params  []*Param          // trainable, in the order Setup declared them
	buffers []*Param          // not trainable, in the same order
	byName  map[string]*Param // both, by name
	rng     *rand.Rand        // draws initial weights while the model is set up
	layers  []LayerInfo       // what a prediction runs, layer by layer
	// setupShapes holds the output shapes Setup gave each layer path, in
	// the order the layers were set up, for the check that Forward builds
	// them.
	setupShapes map[string][]Shape

	programs map[int]*Program // evaluation-mode forward programs by batch size
	evals    map[evalKey]*trainProgram
	// step is the number of training steps taken, set by the trainer
	// before every step; stochastic layers draw their noise from it.
	step uint64
	// layoutOnly marks the model CheckLayout sets up to learn the names
	// and shapes of its tensors without allocating them.
	layoutOnly bool
}

// ModelOption configures NewModel.
type ModelOption func(*Model)

// Float64 makes the model compute in float64 instead of float32.
func Float64() ModelOption { return func(m *Model) { m.dtype = tensor.Float64 } }

// NewModel sets up layer for examples of the given input shape, draws
// every initial weight from one generator seeded with seed and checks the
// model by building it once: a shape that does not fit, a parameter
// declared twice or never used, a Forward that disagrees with its Setup,
// each is an error naming the layer. The seed also fixes the noise of
// stochastic layers such as Dropout.
func NewModel(layer Layer, input []int, seed uint64, opts ...ModelOption) (m *Model, err error) {
	defer recoverTo(&err)
	if layer == nil {
		return nil, errors.New("model: nil layer")
	}
	m = &Model{layer: layer, input: append(Shape(nil), input...), dtype: tensor.Float32, seed: seed,
		byName: map[string]*Param{}, programs: map[int]*Program{}, setupShapes: map[string][]Shape{}}
	for _, opt := range opts {
		opt(m)
	}
	if len(input) == 0 {
		return nil, errors.New("model input shape is empty: give the shape of one example")
	}
	for _, d := range input {
		if d < 1 {
			return nil, errors.Errorf("model input shape %v has a dimension below 1", input)
		}
	}
	if err := checkName(layer.Name()); err != nil {
		return nil, layerErr(layer.Name(), err)
	}
	m.rng = rand.New(rand.NewPCG(seed, 0x5eed))
	top := &Scope{m: m, own: layer.Name()}
	if m.output, err = layer.Setup(top, m.InputShape()); err != nil {
		return nil, layerErr(layer.Name(), err)
	}
	m.rng = nil
	if err := m.check(); err != nil {
		return nil, err
	}
	return m, nil
}

// check builds the model's prediction program once, traced: it must give
// the output shape Setup promised and use every parameter; the trace
// becomes the model's layer table.
func (m *Model) check() error {
	p, err := m.build(1, false, true)
	if err != nil {
		return err
	}
	if got := Shape(p.Output.Shape()[1:]); got.String() != m.output.String() {
		return layerErr(m.layer.Name(), errors.Errorf("Setup gave output shape %v but Forward built %v", m.output, got))
	}
	for i, prm := range m.params {
		if p.Graph.To(p.Params[i].ID()).Len() == 0 {
			return layerErr(prm.layer, errors.Errorf("parameter %s is declared but Forward never uses it", prm.Name))
		}
	}
	m.layers = p.trace.infos(m)
	return nil
}

// recoverTo turns a panic from gorgonia into an error, so none escapes a
// public function.
func recoverTo(err *error) {
	if r := recover(); r != nil {
		*err = errors.Errorf("internal error: %v", r)
	}
}

// Name returns the name of the model's top layer.
func (m *Model) Name() string { return m.layer.Name() }

// Layer returns the model's top layer.
func (m *Model) Layer() Layer { return m.layer }

// Dtype returns the element type of the model's tensors.
func (m *Model) Dtype() tensor.Dtype { return m.dtype }

// Seed returns the seed NewModel was given.
func (m *Model) Seed() uint64 { return m.seed }

// InputShape returns the shape of one input example.
func (m *Model) InputShape() Shape { return append(Shape(nil), m.input...) }

// OutputShape returns the shape of the model's output for one example.
func (m *Model) OutputShape() Shape { return append(Shape(nil), m.output...) }

// Params returns the model's trainable parameters in the order the layers
// declared them.
func (m *Model) Params() []*Param { return m.params }

// Buffers returns the model's buffers: state saved with it but not
// trained, such as BatchNorm's running statistics.
func (m *Model) Buffers() []*Param { return m.buffers }

// Param returns the parameter or buffer with the given name, or nil.
func (m *Model) Param(name string) *Param { return m.byName[name] }

// NumParams returns the total number of trainable values.
func (m *Model) NumParams() int {
	n := 0
	for _, p := range m.params {
		n += p.Size()
	}
	return n
}

// Program is a model instantiated in its own expression graph for one batch
// size and mode, with a TapeMachine to run it.
type Program struct {
	Graph *G.ExprGraph
	Batch int
	// Training says whether the program trains (batch statistics,
	// dropout) or evaluates.
	Training bool
	Input    *G.Node
	Output   *G.Node
	// Params holds the nodes of the model's trainable parameters, in the
	// order of Model.Params.
	Params G.Nodes

	model     *Model
	nodes     map[*Param]*G.Node
	noiseUses map[string]int
	afterStep []func() error
	trace     *trace

	in       *tensor.Dense // bound to Input
	out      *tensor.Dense // a copy of Output after each run
	roots    G.Nodes       // the capture nodes: all the machine has to compute
	computed G.Nodes       // the nodes the machine computes
	vm       G.VM
	tape     *tape.Runner // runs vm in place; nil: fall back to RunAll
}

// build makes the graph of m for a batch size and mode; traced, it records
// every layer applied.
func (m *Model) build(batch int, training, traced bool) (p *Program, err error) {
	defer recoverTo(&err)
	if batch < 1 {
		return nil, errors.Errorf("batch size %d: want at least 1", batch)
	}
	g := G.NewGraph()
	p = &Program{Graph: g, Batch: batch, Training: training, model: m,
		nodes: map[*Param]*G.Node{}, noiseUses: map[string]int{}}
	if traced {
		p.trace = newTrace()
	}
	p.in = newLike(m.dtype, append([]int{batch}, m.input...)...)
	p.Input = G.NewTensor(g, m.dtype, p.in.Dims(), G.WithShape(p.in.Shape().Clone()...), G.WithValue(p.in), G.WithName("input"))
	for _, prm := range m.params {
		p.Params = append(p.Params, p.node(prm))
	}
	top := &Pass{prog: p, own: m.layer.Name(), rec: -1}
	if p.Output, err = top.forward(m.layer, p.Input); err != nil {
		return nil, err
	}
	return p, nil
}

// node returns the node bound to a parameter's tensor, made on first use.
func (p *Program) node(prm *Param) *G.Node {
	if n, ok := p.nodes[prm]; ok {
		return n
	}
	v := prm.value
	n := G.NewTensor(p.Graph, p.model.dtype, v.Dims(), G.WithShape(v.Shape().Clone()...), G.WithValue(v), G.WithName(prm.Name))
	p.nodes[prm] = n
	return n
}

// newProgram builds the forward program of m for a batch size and mode,
// capturing its output.
func (m *Model) newProgram(batch int, training bool) (*Program, error) {
	p, err := m.build(batch, training, false)
	if err != nil {
		return nil, err
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

// program returns the cached evaluation-mode program for a batch size.
func (m *Model) program(batch int) (*Program, error) {
	if p, ok := m.programs[batch]; ok {
		return p, nil
	}
	p, err := m.newProgram(batch, false)
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
		err = p.tape.Run()
	} else {
		err = p.vm.RunAll()
	}
	return cleanVMError(err)
}

// Predict runs the model in evaluation mode on n examples stored one after
// another in x and returns the n outputs one after another, in batches of
// at most batch.
func (m *Model) Predict(x []float32, n, batch int) (out []float64, err error) {
	size, outSize := m.input.Size(), m.output.Size()
	if n < 1 || len(x) != n*size {
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
