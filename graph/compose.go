package graph

import (
	"fmt"

	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"

	"github.com/featlearn/featlearn/ops"
)

// Node is gorgonia's expression-graph node, under a name of this package
// so that code which only builds layers (a notebook's Func, say) needs no
// import of gorgonia.
type Node = G.Node

// Block is what a Func layer's function builds its graph with: it applies
// layers to any node, joins branches, and declares weights of its own.
// The same function runs when the model is set up (on a scratch graph of
// one example, to find the shapes and parameters) and in every program.
type Block struct {
	p     *Pass
	scope *Scope // set while the model is being set up
}

// Apply applies a layer to x under the block's path and returns its
// output; while the model is set up it sets the layer up first.
func (b *Block) Apply(l Layer, x *G.Node) (*G.Node, error) {
	if l == nil || x == nil {
		return nil, errors.New("apply: nil layer or node")
	}
	if b.scope != nil {
		out, err := b.scope.Setup(l, Shape(x.Shape()[1:]))
		if err != nil {
			return nil, err
		}
		y, err := b.p.Apply(l, x)
		if err == nil && Shape(y.Shape()[1:]).String() != out.String() {
			err = layerErr(join(b.p.path, l.Name()), errors.Errorf("Setup gave output shape %v but Forward built %v", out, y.Shape()[1:]))
		}
		return y, err
	}
	return b.p.Apply(l, x)
}

// Add returns the elementwise sum of two nodes of the same shape, as a
// residual connection adds a block's input to its output.
func (b *Block) Add(x, y *G.Node) (*G.Node, error) {
	return b.p.combine("add", "Add", func(xs ...*G.Node) (*G.Node, error) { return ops.Add(xs[0], xs[1]) }, x, y)
}

// Concat joins nodes along their first axis after the batch: the
// channels of (N, C, H, W) maps, the features of (N, F) vectors. All
// other dimensions must agree.
func (b *Block) Concat(xs ...*G.Node) (*G.Node, error) {
	if len(xs) == 0 {
		return nil, errors.New("concat of no nodes")
	}
	return b.p.combine("concat", "Concat", func(xs ...*G.Node) (*G.Node, error) { return ops.Concat(1, xs...) }, xs...)
}

// ScaleChannels multiplies every channel c of x, an (N, C) or (N, C, H,
// W) node, by w[c], such as a learned gain of the block's own
// (ops.ScaleChannels).
func (b *Block) ScaleChannels(x, w *G.Node) (*G.Node, error) { return ops.ScaleChannels(x, w) }

// Param declares, while the model is set up, a trainable parameter of the
// block named path.name, and returns its node in every program.
func (b *Block) Param(name string, shape Shape, init Initializer, opts ...ParamOption) (*G.Node, error) {
	if b.scope != nil {
		if _, err := b.scope.Param(name, shape, init, opts...); err != nil {
			return nil, err
		}
	}
	n := b.p.Param(name)
	if n == nil {
		return nil, errors.Errorf("no parameter %s", join(b.p.own, name))
	}
	return n, nil
}

// Training says whether the program trains.
func (b *Block) Training() bool { return b.p.Training() }

// FuncLayer is a layer whose graph a function of the user builds.
type FuncLayer struct {
	name string
	fn   func(b *Block, x *G.Node) (*G.Node, error)
}

// Func returns a layer whose forward computation is fn, which may build
// any graph over x with the Block: apply layers, add and concatenate
// branches, declare weights of its own. Parameters are named by the
// layer's path, such as "block1.conv2.weight". The function runs once
// when the model is set up, on a scratch graph of one example, and once
// per program after that; it must build the same graph every time.
func Func(name string, fn func(b *Block, x *G.Node) (*G.Node, error)) *FuncLayer {
	return &FuncLayer{name: name, fn: fn}
}

// Name returns the layer's name.
func (f *FuncLayer) Name() string { return f.name }

// Describe says "Func".
func (f *FuncLayer) Describe() string { return "Func" }

// Setup runs the function on a scratch graph of one example of shape in,
// declaring what it declares, and returns the shape it builds.
func (f *FuncLayer) Setup(s *Scope, in Shape) (Shape, error) {
	if f.fn == nil {
		return nil, errors.New("nil function")
	}
	scratch, err := s.m.scratch(in)
	if err != nil {
		return nil, err
	}
	b := &Block{p: &Pass{prog: scratch.prog, path: s.path, own: s.own, rec: -1}, scope: s}
	out, err := f.fn(b, scratch.input)
	if err != nil {
		return nil, err
	}
	if len(b.p.missing) > 0 {
		return nil, errors.Errorf("asked for %s, which it did not declare", b.p.missing[0])
	}
	if out == nil {
		return nil, errors.New("the function returned no node")
	}
	return Shape(out.Shape()[1:].Clone()), nil
}

// Forward runs the function.
func (f *FuncLayer) Forward(p *Pass, x *G.Node) (*G.Node, error) {
	return f.fn(&Block{p: p}, x)
}

// scratchGraph is a graph of one example for setting up a Func layer.
type scratchGraph struct {
	prog  *Program
	input *G.Node
}

// scratch makes an evaluation-mode graph with an input of one example of
// shape in, whose parameter nodes are made on first use.
func (m *Model) scratch(in Shape) (*scratchGraph, error) {
	g := G.NewGraph()
	p := &Program{Graph: g, Batch: 1, model: m, nodes: map[*Param]*G.Node{}, noiseUses: map[string]int{}}
	shape := append([]int{1}, in...)
	x := G.NewTensor(g, m.dtype, len(shape), G.WithShape(shape...), G.WithValue(newLike(m.dtype, shape...)), G.WithName("input"))
	return &scratchGraph{prog: p, input: x}, nil
}

// ResidualLayer adds a stack of layers' output to its input (or to a
// shortcut's output): y = body(x) + shortcut(x), He et al.'s residual
// connection.
type ResidualLayer struct {
	name     string
	body     []Layer
	shortcut []Layer
	after    []Layer
}

// Residual returns the layer body(x) + x, body being the given layers in
// turn; their parameters are named under the block, such as
// "block1.conv1.weight". When the body changes the shape, give a
// Shortcut that maps x to the body's output shape.
func Residual(name string, body ...Layer) *ResidualLayer {
	return &ResidualLayer{name: name, body: body}
}

// Shortcut makes the residual connection add layers(x), such as a 1x1
// strided convolution and a BatchNorm, instead of x itself.
func (r *ResidualLayer) Shortcut(layers ...Layer) *ResidualLayer {
	r.shortcut = layers
	return r
}

// Then applies layers to the sum, such as the ReLU of ResNet's blocks.
func (r *ResidualLayer) Then(layers ...Layer) *ResidualLayer {
	r.after = layers
	return r
}

// Name returns the layer's name.
func (r *ResidualLayer) Name() string { return r.name }

// Body returns the layers of the residual branch.
func (r *ResidualLayer) Body() []Layer { return r.body }

// ShortcutLayers returns the layers of the shortcut, none for identity.
func (r *ResidualLayer) ShortcutLayers() []Layer { return r.shortcut }

// Describe says "Residual" and whether the shortcut is projected.
func (r *ResidualLayer) Describe() string {
	if len(r.shortcut) > 0 {
		return fmt.Sprintf("Residual of %d, shortcut of %d", len(r.body), len(r.shortcut))
	}
	return fmt.Sprintf("Residual of %d", len(r.body))
}

// Setup sets up the body and the shortcut, which must give one shape.
func (r *ResidualLayer) Setup(s *Scope, in Shape) (Shape, error) {
	if len(r.body) == 0 {
		return nil, errors.New("residual with no layers")
	}
	out, err := setupChain(s, r.body, in)
	if err != nil {
		return nil, err
	}
	short := in
	if len(r.shortcut) > 0 {
		if short, err = setupChain(s, r.shortcut, in); err != nil {
			return nil, err
		}
	}
	if out.String() != short.String() {
		return nil, errors.Errorf("the body gives %v but the shortcut %v: add a Shortcut that maps one to the other", out, short)
	}
	return setupChain(s, r.after, out)
}

// Forward adds the body's output to the shortcut's.
func (r *ResidualLayer) Forward(p *Pass, x *G.Node) (*G.Node, error) {
	y, err := applyChain(p, r.body, x)
	if err != nil {
		return nil, err
	}
	short := x
	if len(r.shortcut) > 0 {
		if short, err = applyChain(p, r.shortcut, x); err != nil {
			return nil, err
		}
	}
	sum, err := p.combine("add", "Add", func(xs ...*G.Node) (*G.Node, error) { return ops.Add(xs[0], xs[1]) }, y, short)
	if err != nil {
		return nil, err
	}
	return applyChain(p, r.after, sum)
}

// setupChain sets up layers one after another under s.
func setupChain(s *Scope, layers []Layer, in Shape) (Shape, error) {
	for _, l := range layers {
		var err error
		if in, err = s.Setup(l, in); err != nil {
			return nil, err
		}
	}
	return in, nil
}

// applyChain applies layers one after another under p.
func applyChain(p *Pass, layers []Layer, x *G.Node) (*G.Node, error) {
	for _, l := range layers {
		var err error
		if x, err = p.Apply(l, x); err != nil {
			return nil, err
		}
	}
	return x, nil
}

// ConcatLayer applies branches to one input and joins their outputs along
// the channels, as an Inception module does.
type ConcatLayer struct {
	name     string
	branches []Layer
}

// Concat returns the layer that applies every branch to its input and
// concatenates their outputs along the first axis after the batch (the
// channels of maps). Branch outputs must agree in every other dimension.
func Concat(name string, branches ...Layer) *ConcatLayer {
	return &ConcatLayer{name: name, branches: branches}
}

// Name returns the layer's name.
func (c *ConcatLayer) Name() string { return c.name }

// Branches returns the branches.
func (c *ConcatLayer) Branches() []Layer { return c.branches }

// Describe says how many branches it joins.
func (c *ConcatLayer) Describe() string { return fmt.Sprintf("Concat of %d", len(c.branches)) }

// Setup sets up every branch and checks that their outputs can be joined.
func (c *ConcatLayer) Setup(s *Scope, in Shape) (Shape, error) {
	if len(c.branches) == 0 {
		return nil, errors.New("concat of no branches")
	}
	var out Shape
	for i, br := range c.branches {
		o, err := s.Setup(br, in)
		if err != nil {
			return nil, err
		}
		switch {
		case i == 0:
			out = append(Shape(nil), o...)
		case len(o) != len(out) || Shape(o[1:]).String() != Shape(out[1:]).String():
			return nil, errors.Errorf("branch %s gives %v, branch %s %v: only the first dimension may differ",
				br.Name(), o, c.branches[0].Name(), out)
		default:
			out[0] += o[0]
		}
	}
	return out, nil
}

// Forward applies the branches and joins them.
func (c *ConcatLayer) Forward(p *Pass, x *G.Node) (*G.Node, error) {
	outs := make([]*G.Node, len(c.branches))
	for i, br := range c.branches {
		var err error
		if outs[i], err = p.Apply(br, x); err != nil {
			return nil, err
		}
	}
	if len(outs) == 1 {
		return outs[0], nil
	}
	return p.combine("concat", "Concat", func(xs ...*G.Node) (*G.Node, error) { return ops.Concat(1, xs...) }, outs...)
}

// BasicBlock returns ResNet's basic block (He et al. 2016): 3x3
// convolution (with the stride), BatchNorm, ReLU, 3x3 convolution,
// BatchNorm, added to a shortcut, then a ReLU. The shortcut is x itself,
// or a strided 1x1 convolution and BatchNorm (proj, proj_bn) when the
// block changes the shape. Its layers are named as in torchvision:
// conv1, bn1, conv2, bn2.
func BasicBlock(name string, out, stride int) Layer {
	he := WithInit(He)
	r := Residual(name,
		Conv2D("conv1", out, 3, Stride(stride), Pad(1), NoBias(), he), BatchNorm("bn1"), ReLU(),
		Conv2D("conv2", out, 3, Pad(1), NoBias(), he), BatchNorm("bn2")).Then(ReLU())
	return &basicBlock{ResidualLayer: r, out: out, stride: stride}
}

// basicBlock adds BasicBlock's projection shortcut when the input's shape
// calls for one, which only Setup knows.
type basicBlock struct {
	*ResidualLayer
	out, stride int
}

// Describe says "BasicBlock" with its width and stride.
func (b *basicBlock) Describe() string {
	return fmt.Sprintf("BasicBlock %d stride %d", b.out, b.stride)
}

func (b *basicBlock) Setup(s *Scope, in Shape) (Shape, error) {
	b.shortcut = nil
	if len(in) == 3 && (in[0] != b.out || b.stride != 1) {
		b.shortcut = []Layer{Conv2D("proj", b.out, 1, Stride(b.stride), NoBias(), WithInit(He)), BatchNorm("proj_bn")}
	}
	return b.ResidualLayer.Setup(s, in)
}
