package ops

import (
	"hash"

	"github.com/chewxy/hm"
	"github.com/featlearn/featlearn/ops/internal/kernels"
	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Add returns a + b elementwise for two tensors of the same shape and
// dtype, such as the two branches of a residual connection. It does not
// broadcast: shapes that differ are an error. Its gradient passes dy
// unchanged to both inputs, without a copy.
func Add(a, b *G.Node) (*G.Node, error) {
	if !a.Shape().Eq(b.Shape()) {
		return nil, errors.Errorf("add: shapes %v and %v differ", a.Shape(), b.Shape())
	}
	return apply(addOp{plainOp: fresh()}, a, b)
}

// addOp is Add's op; it needs no gradient op.
type addOp struct{ plainOp }

func (op addOp) Arity() int { return 2 }

func (op addOp) Type() hm.Type {
	a := hm.TypeVariable('a')
	return hm.NewFnType(a, a, a)
}

func (op addOp) InferShape(ds ...G.DimSizer) (tensor.Shape, error) {
	shapes, err := inferShapes(ds)
	if err != nil {
		return nil, err
	}
	if len(shapes) != 2 || !shapes[0].Eq(shapes[1]) {
		return nil, errors.Errorf("add: shapes %v differ", shapes)
	}
	return shapes[0].Clone(), nil
}

func (op addOp) Do(inputs ...G.Value) (G.Value, error) { return doAlloc(op, inputs) }

func (op addOp) UsePreallocDo(prealloc G.Value, inputs ...G.Value) (G.Value, error) {
	if len(inputs) != 2 {
		return nil, checkArity(op.String(), len(inputs), 2)
	}
	var args [2]*tensor.Dense
	ds, err := denseArgs(args[:], inputs)
	if err != nil {
		return nil, errors.Wrap(err, op.String())
	}
	a, b := ds[0], ds[1]
	if !a.Shape().Eq(b.Shape()) {
		return nil, errors.Errorf("add: shapes %v and %v differ", a.Shape(), b.Shape())
	}
	y := op.output(prealloc, a.Dtype(), a.Shape())
	if a.Dtype() == tensor.Float32 {
		kernels.Add(data[float32](y), data[float32](a), data[float32](b))
	} else {
		kernels.Add(data[float64](y), data[float64](a), data[float64](b))
	}
	return y, nil
}

func (op addOp) WriteHash(h hash.Hash) { writeHash(h, op.String()) }
func (op addOp) Hashcode() uint32      { return hashOf(op) }
func (op addOp) String() string        { return "Add" }

func (op addOp) DiffWRT(int) []bool { return []bool{true, true} }

// SymDiff returns the upstream gradient itself for both inputs, as
// gorgonia's own Add does; G.Grad sums it where an input is used twice.
func (op addOp) SymDiff(inputs G.Nodes, output, grad *G.Node) (G.Nodes, error) {
	return G.Nodes{grad, grad}, nil
}
