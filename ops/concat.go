package ops

import (
	"fmt"
	"hash"

	"github.com/chewxy/hm"
	"github.com/featlearn/featlearn/ops/internal/kernels"
	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Concat joins xs along axis: axis 1 stacks the channels of NCHW tensors or
// the features of (N, F) matrices. The inputs must share their dtype, their
// number of dimensions and every size but the one along axis, and there
// must be at least one. Input i's gradient is its slice of dy. The batch
// size and the other sizes are read from the input values at run time.
func Concat(axis int, xs ...*G.Node) (*G.Node, error) {
	if len(xs) == 0 {
		return nil, errors.New("concat: no inputs")
	}
	shapes := make([]tensor.Shape, len(xs))
	for i, x := range xs {
		shapes[i] = x.Shape()
	}
	if _, err := concatShape(axis, shapes); err != nil {
		return nil, err
	}
	return apply(concatOp{plainOp: fresh(), axis: axis, n: len(xs), dims: len(shapes[0])}, xs...)
}

// concatShape checks that shapes can be joined along axis and returns the
// joined shape.
func concatShape(axis int, shapes []tensor.Shape) (tensor.Shape, error) {
	if len(shapes) == 0 {
		return nil, errors.New("concat: no inputs")
	}
	first := shapes[0]
	if axis < 0 || axis >= len(first) {
		return nil, errors.Errorf("concat: axis %d is out of range for shape %v", axis, first.Clone())
	}
	out := first.Clone()
	for i, s := range shapes[1:] {
		if !concatFits(axis, first, s) {
			return nil, errors.Errorf("concat: input %d of shape %v does not fit input 0 of shape %v along axis %d",
				i+1, s.Clone(), first.Clone(), axis)
		}
		out[axis] += s[axis]
	}
	return out, nil
}

// concatFits reports whether s has a's sizes except along axis.
func concatFits(axis int, a, s tensor.Shape) bool {
	if len(s) != len(a) {
		return false
	}
	for d := range s {
		if d != axis && s[d] != a[d] {
			return false
		}
	}
	return true
}

// concatOp joins its n inputs, each of dims dimensions, along axis. Its
// arity is variable, as gorgonia's own concatenation's, so Arity is -1 and
// Type lists n inputs.
type concatOp struct {
	plainOp
	axis, n, dims int
}

func (op concatOp) Arity() int { return -1 }

func (op concatOp) Type() hm.Type {
	dims := make([]int, op.n+1)
	for i := range dims {
		dims[i] = op.dims
	}
	return fnType(dims...)
}

func (op concatOp) InferShape(ds ...G.DimSizer) (tensor.Shape, error) {
	shapes, err := inferShapes(ds)
	if err != nil {
		return nil, err
	}
	if err := checkArity(op.String(), len(shapes), op.n); err != nil {
		return nil, err
	}
	return concatShape(op.axis, shapes)
}

func (op concatOp) Do(inputs ...G.Value) (G.Value, error) { return doAlloc(op, inputs) }

// concatMaxDims is the most dimensions whose shapes the ops keep on the
// stack; more cost an allocation per run.
const concatMaxDims = 8

func (op concatOp) UsePreallocDo(prealloc G.Value, inputs ...G.Value) (G.Value, error) {
	if len(inputs) != op.n {
		return nil, checkArity(op.String(), len(inputs), op.n)
	}
	first, err := denseOf(inputs[0])
	if err != nil {
		return nil, errors.Wrap(err, op.String())
	}
	s0 := first.Shape()
	if len(s0) != op.dims {
		return nil, errors.Errorf("%v: input 0 has shape %v, want %d dimensions", op, s0, op.dims)
	}
	var buf [concatMaxDims]int
	out := append(tensor.Shape(buf[:0]), s0...)
	for i, v := range inputs[1:] {
		x, err := denseOf(v)
		if err != nil {
			return nil, errors.Wrapf(err, "%v: input %d", op, i+1)
		}
		if x.Dtype() != first.Dtype() || !concatFits(op.axis, s0, x.Shape()) {
			return nil, errors.Errorf("%v: input %d (%v %v) does not fit input 0 (%v %v)",
				op, i+1, x.Dtype(), x.Shape(), first.Dtype(), s0)
		}
		out[op.axis] += x.Shape()[op.axis]
	}
	y := op.output(prealloc, first.Dtype(), out)
	outer, inner := splitAt(out, op.axis)
	off := 0
	for _, v := range inputs {
		x := v.(*tensor.Dense)
		size := x.Shape()[op.axis] * inner
		if y.Dtype() == tensor.Float32 {
			kernels.Concat(data[float32](y), data[float32](x), outer, out[op.axis]*inner, off, size, false)
		} else {
			kernels.Concat(data[float64](y), data[float64](x), outer, out[op.axis]*inner, off, size, false)
		}
		off += size
	}
	return y, nil
}

// splitAt returns the product of the sizes before axis and of those after.
func splitAt(s tensor.Shape, axis int) (outer, inner int) {
	outer, inner = 1, 1
	for d, n := range s {
		if d < axis {
			outer *= n
		} else if d > axis {
			inner *= n
		}
	}
	return outer, inner
}

func (op concatOp) WriteHash(h hash.Hash) { writeHash(h, "Concat", op.axis, op.n, op.dims) }
func (op concatOp) Hashcode() uint32      { return hashOf(op) }
func (op concatOp) String() string        { return fmt.Sprintf("Concat(axis=%d,n=%d)", op.axis, op.n) }

func (op concatOp) DiffWRT(n int) []bool {
	d := make([]bool, n)
	for i := range d {
		d[i] = true
	}
	return d
}

// SymDiff gives input i the slice of dy that its values went to, through
// one slicing op per input.
func (op concatOp) SymDiff(inputs G.Nodes, output, grad *G.Node) (G.Nodes, error) {
	dxs := make(G.Nodes, len(inputs))
	off := 0
	for i, in := range inputs {
		size := in.Shape()[op.axis]
		dx, err := apply(concatGradOp{plainOp: fresh(), index: i, axis: op.axis, off: off, size: size, dims: op.dims}, grad)
		if err != nil {
			return nil, err
		}
		dxs[i], off = dx, off+size
	}
	return dxs, nil
}

// concatGradOp cuts input index's gradient out of dy: the entries off to
// off+size-1 along axis.
type concatGradOp struct {
	plainOp
	index, axis, off, size, dims int
}

func (op concatGradOp) Arity() int    { return 1 }
func (op concatGradOp) Type() hm.Type { return fnType(op.dims, op.dims) }

func (op concatGradOp) InferShape(ds ...G.DimSizer) (tensor.Shape, error) {
	shapes, err := inferShapes(ds)
	if err != nil {
		return nil, err
	}
	if err := checkArity(op.String(), len(shapes), 1); err != nil {
		return nil, err
	}
	if err := op.check(shapes[0]); err != nil {
		return nil, err
	}
	out := shapes[0].Clone()
	out[op.axis] = op.size
	return out, nil
}

// check returns an error unless dy's shape holds the slice.
func (op concatGradOp) check(dy tensor.Shape) error {
	if len(dy) != op.dims || dy[op.axis] < op.off+op.size {
		return errors.Errorf("%v: gradient shape %v does not hold entries %d to %d along axis %d",
			op, dy, op.off, op.off+op.size-1, op.axis)
	}
	return nil
}

func (op concatGradOp) Do(inputs ...G.Value) (G.Value, error) { return doAlloc(op, inputs) }

func (op concatGradOp) UsePreallocDo(prealloc G.Value, inputs ...G.Value) (G.Value, error) {
	if len(inputs) != 1 {
		return nil, checkArity(op.String(), len(inputs), 1)
	}
	dy, err := denseOf(inputs[0])
	if err != nil {
		return nil, errors.Wrap(err, op.String())
	}
	if err := op.check(dy.Shape()); err != nil {
		return nil, err
	}
	var buf [concatMaxDims]int
	out := append(tensor.Shape(buf[:0]), dy.Shape()...)
	out[op.axis] = op.size
	dx := op.output(prealloc, dy.Dtype(), out)
	outer, inner := splitAt(out, op.axis)
	row := dy.Shape()[op.axis] * inner
	if dx.Dtype() == tensor.Float32 {
		kernels.Concat(data[float32](dy), data[float32](dx), outer, row, op.off*inner, op.size*inner, true)
	} else {
		kernels.Concat(data[float64](dy), data[float64](dx), outer, row, op.off*inner, op.size*inner, true)
	}
	return dx, nil
}

func (op concatGradOp) WriteHash(h hash.Hash) {
	writeHash(h, "ConcatGrad", op.index, op.axis, op.off, op.size, op.dims)
}
func (op concatGradOp) Hashcode() uint32 { return hashOf(op) }
func (op concatGradOp) String() string {
	return fmt.Sprintf("ConcatGrad(axis=%d,input=%d,off=%d,size=%d)", op.axis, op.index, op.off, op.size)
}
