// Package ops holds featlearn's neural-network operations as gorgonia ops.
//
// Every op implements gorgonia's Op, UsePreallocDoer and SDOp, so G.Grad
// differentiates it symbolically and a TapeMachine runs it without
// allocating a fresh output each step. Each op family lives in its own
// file together with its gradient ops and their gradient-check tests; the
// ops check shapes and call the dispatch functions of ops/internal/kernels,
// which choose and run the numeric kernels (generic over float32 and
// float64, with AVX2 and AVX-512 assembly chosen at run time).
//
// The exported constructors (Conv2D, MaxPool2D, ReLU, ...) take and return
// *gorgonia.Node and report bad shapes as errors instead of panicking.
package ops

import (
	"fmt"
	"hash"
	"hash/fnv"
	"unsafe"

	"github.com/chewxy/hm"
	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// float is the set of element types every kernel supports.
type float interface{ ~float32 | ~float64 }

// plainOp supplies the Op methods that are the same for every op here:
// none of them returns a pointer into an input, calls cgo or works in place.
// It also carries the op's output buffer from one run to the next: the
// TapeMachine's Reset drops every register, so without it each step would
// allocate every output afresh. Hashes and equality ignore it.
type plainOp struct {
	out *outputCache
}

// outputCache holds the output an op returned last time.
type outputCache struct {
	last *tensor.Dense
}

// fresh returns a plainOp with an empty output cache of its own. Every op
// value applied to the graph needs one, so no two nodes share a buffer.
func fresh() plainOp { return plainOp{out: &outputCache{}} }

func (plainOp) ReturnsPtr() bool     { return false }
func (plainOp) CallsExtern() bool    { return false }
func (plainOp) OverwritesInput() int { return -1 }

// hashOf hashes an op through its WriteHash, so Hashcode always agrees
// with it and covers every parameter WriteHash writes.
func hashOf(op interface{ WriteHash(hash.Hash) }) uint32 {
	h := fnv.New32a()
	op.WriteHash(h)
	return h.Sum32()
}

// writeHash writes an op's name and every parameter into h.
func writeHash(h hash.Hash, name string, params ...any) {
	fmt.Fprint(h, name)
	for _, p := range params {
		fmt.Fprintf(h, "|%v", p)
	}
}

// tensorOf is the gorgonia type of a dims-dimensional tensor of a.
func tensorOf(dims int, a hm.Type) hm.Type {
	if dims == 0 {
		return a
	}
	return G.TensorType{Dims: dims, Of: a}
}

// fnType builds the function type of an op whose inputs and output are
// tensors of one element type with the given numbers of dimensions.
func fnType(dims ...int) hm.Type {
	a := hm.TypeVariable('a')
	ts := make([]hm.Type, len(dims))
	for i, d := range dims {
		ts[i] = tensorOf(d, a)
	}
	return hm.NewFnType(ts...)
}

// shapeOf returns the shape behind a DimSizer given to InferShape.
func shapeOf(d G.DimSizer) (tensor.Shape, error) {
	if s, ok := d.(tensor.Shape); ok {
		return s, nil
	}
	return nil, errors.Errorf("expected a shape, got %T", d)
}

// inferShapes converts every DimSizer given to InferShape into a shape.
func inferShapes(ds []G.DimSizer) ([]tensor.Shape, error) {
	shapes := make([]tensor.Shape, len(ds))
	for i, d := range ds {
		s, err := shapeOf(d)
		if err != nil {
			return nil, err
		}
		shapes[i] = s
	}
	return shapes, nil
}

// denseOf returns v as a *tensor.Dense of dtype float32 or float64.
func denseOf(v G.Value) (*tensor.Dense, error) {
	d, ok := v.(*tensor.Dense)
	if !ok {
		return nil, errors.Errorf("expected a *tensor.Dense, got %T", v)
	}
	if dt := d.Dtype(); dt != tensor.Float32 && dt != tensor.Float64 {
		return nil, errors.Errorf("unsupported dtype %v (want float32 or float64)", dt)
	}
	return d, nil
}

// densesOf converts every input value to a float *tensor.Dense and checks
// that they all share one dtype.
func densesOf(vs []G.Value) ([]*tensor.Dense, error) {
	ds := make([]*tensor.Dense, len(vs))
	for i, v := range vs {
		d, err := denseOf(v)
		if err != nil {
			return nil, errors.Wrapf(err, "input %d", i)
		}
		if i > 0 && d.Dtype() != ds[0].Dtype() {
			return nil, errors.Errorf("input %d has dtype %v, input 0 has %v", i, d.Dtype(), ds[0].Dtype())
		}
		ds[i] = d
	}
	return ds, nil
}

// data returns the backing slice of a float tensor of element type T.
// tensor.Dense.Data would build the []T by reflection and allocate twice per
// call; Float32s and Float64s only reinterpret the header. The caller has
// checked the dtype.
func data[T float](d *tensor.Dense) []T {
	var z T
	if _, ok := any(z).(float32); ok {
		s := d.Float32s()
		return unsafe.Slice((*T)(unsafe.Pointer(unsafe.SliceData(s))), len(s))
	}
	s := d.Float64s()
	return unsafe.Slice((*T)(unsafe.Pointer(unsafe.SliceData(s))), len(s))
}

// preallocer is implemented by every op; Do delegates to it.
type preallocer interface {
	UsePreallocDo(prealloc G.Value, inputs ...G.Value) (G.Value, error)
}

// doAlloc runs an op's UsePreallocDo without a buffer from the machine; the
// op then writes into its own cached output.
func doAlloc(op preallocer, inputs []G.Value) (G.Value, error) {
	return op.UsePreallocDo(nil, inputs...)
}

// output returns the buffer an op writes its result into: the machine's
// prealloc when it fits, else the op's buffer from the last run when that
// fits, else a new one, which the op keeps for the next run. Preferring
// prealloc lets the machine share memory between nodes; falling back to the
// cache keeps a misfitting prealloc from costing an allocation every step.
func (p plainOp) output(prealloc G.Value, dt tensor.Dtype, shape tensor.Shape) *tensor.Dense {
	if d := fitting(prealloc, dt, shape); d != nil {
		return d
	}
	if p.out != nil && p.out.last != nil {
		if d := fitting(p.out.last, dt, shape); d != nil {
			return d
		}
	}
	d := tensor.New(tensor.Of(dt), tensor.WithShape(shape.Clone()...))
	if p.out != nil {
		p.out.last = d
	}
	return d
}

// fitting returns v as a dense tensor if it has the dtype and shape wanted.
func fitting(v G.Value, dt tensor.Dtype, shape tensor.Shape) *tensor.Dense {
	if d, ok := v.(*tensor.Dense); ok && d != nil && d.Dtype() == dt && d.Shape().Eq(shape) {
		return d
	}
	return nil
}

// checkArity returns an error unless n inputs were given to an op of arity want.
func checkArity(name string, n, want int) error {
	if n != want {
		return errors.Errorf("%s: expected %d inputs, got %d", name, want, n)
	}
	return nil
}

// apply applies op to the nodes and wraps any error with the op's name.
func apply(op G.Op, nodes ...*G.Node) (*G.Node, error) {
	n, err := G.ApplyOp(op, nodes...)
	if err != nil {
		return nil, errors.Wrapf(err, "%v", op)
	}
	return n, nil
}
