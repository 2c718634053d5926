package ops

import (
	"hash"
	"math"
	"strconv"

	"github.com/chewxy/hm"
	"github.com/featlearn/featlearn/ops/internal/kernels"
	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// ReLU returns max(x, 0) elementwise.
func ReLU(x *G.Node) (*G.Node, error) {
	return apply(activationOp{plainOp: fresh(), act: kernels.ActReLU}, x)
}

// ReLUInput returns x's input when x is the output of ReLU, for layers
// that fuse a ReLU into what follows it.
func ReLUInput(x *G.Node) (*G.Node, bool) {
	op, ok := x.Op().(activationOp)
	if !ok || op.act != kernels.ActReLU || x.Graph() == nil {
		return nil, false
	}
	children := x.Graph().From(x.ID())
	if children.Len() != 1 || !children.Next() {
		return nil, false
	}
	in, ok := children.Node().(*G.Node)
	return in, ok
}

// Sigmoid returns 1/(1+exp(-x)) elementwise.
func Sigmoid(x *G.Node) (*G.Node, error) {
	return apply(activationOp{plainOp: fresh(), act: kernels.ActSigmoid}, x)
}

// Tanh returns tanh(x) elementwise.
func Tanh(x *G.Node) (*G.Node, error) {
	return apply(activationOp{plainOp: fresh(), act: kernels.ActTanh}, x)
}

// LeakyReLU returns x where x > 0 and slope·x elsewhere, elementwise, as
// PyTorch's LeakyReLU with negative_slope = slope. Its gradient is dy where
// x > 0 and slope·dy elsewhere, x == 0 included, as in PyTorch. The slope
// may be 0 or negative; it must be finite.
func LeakyReLU(x *G.Node, slope float64) (*G.Node, error) {
	if math.IsNaN(slope) || math.IsInf(slope, 0) {
		return nil, errors.Errorf("LeakyReLU: slope %v is not finite", slope)
	}
	return apply(activationOp{plainOp: fresh(), act: kernels.ActLeakyReLU, slope: slope}, x)
}

// activationOp applies one elementwise nonlinearity to a tensor of any shape.
// slope is LeakyReLU's negative slope, 0 for the other activations.
type activationOp struct {
	plainOp
	act   kernels.Activation
	slope float64
}

func (op activationOp) Arity() int { return 1 }

func (op activationOp) Type() hm.Type {
	a := hm.TypeVariable('a')
	return hm.NewFnType(a, a)
}

func (op activationOp) InferShape(ds ...G.DimSizer) (tensor.Shape, error) {
	if err := checkArity(op.String(), len(ds), 1); err != nil {
		return nil, err
	}
	s, err := shapeOf(ds[0])
	return s.Clone(), err
}

func (op activationOp) Do(inputs ...G.Value) (G.Value, error) { return doAlloc(op, inputs) }

func (op activationOp) UsePreallocDo(prealloc G.Value, inputs ...G.Value) (G.Value, error) {
	if len(inputs) != 1 {
		return nil, checkArity(op.String(), len(inputs), 1)
	}
	x, err := denseOf(inputs[0])
	if err != nil {
		return nil, errors.Wrap(err, op.String())
	}
	y := op.output(prealloc, x.Dtype(), x.Shape())
	if x.Dtype() == tensor.Float32 {
		kernels.Activate(op.act, data[float32](y), data[float32](x), float32(op.slope))
	} else {
		kernels.Activate(op.act, data[float64](y), data[float64](x), op.slope)
	}
	return y, nil
}

func (op activationOp) WriteHash(h hash.Hash) { writeHash(h, op.String(), op.slope) }
func (op activationOp) Hashcode() uint32      { return hashOf(op) }
func (op activationOp) String() string        { return actName(op.act, op.slope, "") }

// actName names an kernels.Activation op; LeakyReLU shows its slope.
func actName(act kernels.Activation, slope float64, suffix string) string {
	if act == kernels.ActLeakyReLU {
		return act.String() + suffix + "(" + strconv.FormatFloat(slope, 'g', -1, 64) + ")"
	}
	return act.String() + suffix
}

func (op activationOp) DiffWRT(int) []bool { return []bool{true} }

// SymDiff expresses the gradient through the output y alone: ReLU' is
// [y > 0], sigmoid' is y(1-y) and tanh' is 1-y². LeakyReLU's comes from the
// input x instead: with a negative slope, y > 0 does not tell x > 0.
func (op activationOp) SymDiff(inputs G.Nodes, output, grad *G.Node) (G.Nodes, error) {
	from := output
	if op.act == kernels.ActLeakyReLU {
		from = inputs[0]
	}
	dx, err := apply(activationGradOp{plainOp: fresh(), act: op.act, slope: op.slope}, from, grad)
	if err != nil {
		return nil, err
	}
	return G.Nodes{dx}, nil
}

// activationGradOp computes dL/dx from the kernels.Activation's output y and dL/dy,
// or for LeakyReLU from its input x and dL/dy.
type activationGradOp struct {
	plainOp
	act   kernels.Activation
	slope float64
}

func (op activationGradOp) Arity() int { return 2 }

func (op activationGradOp) Type() hm.Type {
	a := hm.TypeVariable('a')
	return hm.NewFnType(a, a, a)
}

func (op activationGradOp) InferShape(ds ...G.DimSizer) (tensor.Shape, error) {
	shapes, err := inferShapes(ds)
	if err != nil {
		return nil, err
	}
	if len(shapes) != 2 || !shapes[0].Eq(shapes[1]) {
		return nil, errors.Errorf("%v: output and gradient shapes differ: %v", op, shapes)
	}
	return shapes[0].Clone(), nil
}

func (op activationGradOp) Do(inputs ...G.Value) (G.Value, error) { return doAlloc(op, inputs) }

func (op activationGradOp) UsePreallocDo(prealloc G.Value, inputs ...G.Value) (G.Value, error) {
	if len(inputs) != 2 {
		return nil, checkArity(op.String(), len(inputs), 2)
	}
	var args [2]*tensor.Dense
	ds, err := denseArgs(args[:], inputs)
	if err != nil {
		return nil, errors.Wrap(err, op.String())
	}
	y, dy := ds[0], ds[1]
	dx := op.output(prealloc, y.Dtype(), y.Shape())
	if y.Dtype() == tensor.Float32 {
		kernels.ActivateGrad(op.act, data[float32](dx), data[float32](y), data[float32](dy), float32(op.slope))
	} else {
		kernels.ActivateGrad(op.act, data[float64](dx), data[float64](y), data[float64](dy), op.slope)
	}
	return dx, nil
}

func (op activationGradOp) WriteHash(h hash.Hash) { writeHash(h, op.String(), op.slope) }
func (op activationGradOp) Hashcode() uint32      { return hashOf(op) }
func (op activationGradOp) String() string        { return actName(op.act, op.slope, "Grad") }
