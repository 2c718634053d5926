package graph

import (
	"fmt"
	"hash"
	"hash/fnv"

	"github.com/chewxy/hm"
	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// captureOp copies its input into a tensor the caller owns.
//
// The TapeMachine hands a node's output buffer on to later nodes once the
// node has no more readers, so a value read through G.Read after RunAll may
// already hold something else. A capture node copies the value at the moment
// it is computed into dst, which nothing else touches. It returns its input
// unchanged, so whatever later reuses its register reuses the input's buffer.
type captureOp struct {
	dst *tensor.Dense
}

// capture adds a node to n's graph that copies n's value into dst on every run.
func capture(n *G.Node, dst *tensor.Dense) (*G.Node, error) {
	if n.Shape().TotalSize() != dst.Size() {
		return nil, errors.Errorf("capture %v: shape %v does not fit buffer %v", n.Name(), n.Shape(), dst.Shape())
	}
	return G.ApplyOp(captureOp{dst: dst}, n)
}

func (op captureOp) Arity() int { return 1 }

func (op captureOp) Type() hm.Type {
	a := hm.TypeVariable('a')
	return hm.NewFnType(a, a)
}

func (op captureOp) InferShape(ds ...G.DimSizer) (tensor.Shape, error) {
	if s, ok := ds[0].(tensor.Shape); ok {
		return s.Clone(), nil
	}
	return nil, errors.Errorf("capture: expected a shape, got %T", ds[0])
}

func (op captureOp) Do(vs ...G.Value) (G.Value, error) {
	// Float32s and Float64s, unlike Data, do not allocate: this runs for
	// every gradient at every step.
	switch src := vs[0].(type) {
	case *tensor.Dense:
		if src.Dtype() != op.dst.Dtype() {
			return nil, errors.Errorf("capture: %v value into a %v buffer", src.Dtype(), op.dst.Dtype())
		}
		if src.Dtype() == tensor.Float32 {
			copy(op.dst.Float32s(), src.Float32s())
		} else {
			copy(op.dst.Float64s(), src.Float64s())
		}
	case *G.F32:
		op.dst.Float32s()[0] = float32(*src)
	case *G.F64:
		op.dst.Float64s()[0] = float64(*src)
	default:
		return nil, errors.Errorf("capture: unsupported value %T", src)
	}
	return vs[0], nil
}

func (op captureOp) ReturnsPtr() bool      { return true }
func (op captureOp) CallsExtern() bool     { return false }
func (op captureOp) OverwritesInput() int  { return -1 }
func (op captureOp) WriteHash(h hash.Hash) { fmt.Fprintf(h, "capture%p", op.dst) }
func (op captureOp) String() string        { return "capture" }

func (op captureOp) Hashcode() uint32 {
	h := fnv.New32a()
	op.WriteHash(h)
	return h.Sum32()
}
