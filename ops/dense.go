package ops

import (
	"hash"

	"github.com/chewxy/hm"
	"github.com/featlearn/featlearn/ops/internal/kernels"
	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Dense returns the fully connected layer x·wᵀ + b for x of shape (N, in),
// w of shape (out, in), PyTorch's layout, and b of shape (out), or no bias
// when b is nil. The bias is written into the output before the matrix
// product accumulates onto it, so no (N, out) copy of b is ever built.
func Dense(x, w, b *G.Node) (*G.Node, error) {
	op := denseOp{plainOp: fresh(), bias: b != nil}
	var bs tensor.Shape
	if b != nil {
		bs = b.Shape()
	}
	if _, err := op.outShape(x.Shape(), w.Shape(), bs); err != nil {
		return nil, err
	}
	if b == nil {
		return apply(op, x, w)
	}
	return apply(op, x, w, b)
}

// denseOp is Dense with (bias true) or without a bias input.
type denseOp struct {
	plainOp
	bias bool
}

// outShape checks the shapes of x, w and b (nil without bias) and returns
// the output shape (N, out).
func (op denseOp) outShape(x, w, b tensor.Shape) (tensor.Shape, error) {
	out, err := op.outDims(x, w, b)
	if err != nil {
		return nil, err
	}
	return tensor.Shape{out[0], out[1]}, nil
}

// outDims is outShape as an array, which the forward pass uses so that a
// step allocates no shape.
func (op denseOp) outDims(x, w, b tensor.Shape) ([2]int, error) {
	if len(x) != 2 || len(w) != 2 || x[1] != w[1] {
		return [2]int{}, errors.Errorf("dense: x %v and w %v: want x (N, in) and w (out, in)", x.Clone(), w.Clone())
	}
	if op.bias && (len(b) != 1 || b[0] != w[0]) {
		return [2]int{}, errors.Errorf("dense: w %v and b %v: want b (out) for w (out, in)", w.Clone(), b.Clone())
	}
	return [2]int{x[0], w[0]}, nil
}

func (op denseOp) Arity() int {
	if op.bias {
		return 3
	}
	return 2
}

func (op denseOp) Type() hm.Type {
	if op.bias {
		return fnType(2, 2, 1, 2)
	}
	return fnType(2, 2, 2)
}

func (op denseOp) InferShape(ds ...G.DimSizer) (tensor.Shape, error) {
	shapes, err := inferShapes(ds)
	if err != nil {
		return nil, err
	}
	if err := checkArity(op.String(), len(shapes), op.Arity()); err != nil {
		return nil, err
	}
	shapes = append(shapes, nil) // b's shape when there is no bias
	return op.outShape(shapes[0], shapes[1], shapes[2])
}

func (op denseOp) Do(inputs ...G.Value) (G.Value, error) { return doAlloc(op, inputs) }

func (op denseOp) UsePreallocDo(prealloc G.Value, inputs ...G.Value) (G.Value, error) {
	if err := checkArity(op.String(), len(inputs), op.Arity()); err != nil {
		return nil, err
	}
	var args [3]*tensor.Dense
	ds, err := denseArgs(args[:], inputs)
	if err != nil {
		return nil, errors.Wrap(err, op.String())
	}
	x, w := ds[0], ds[1]
	var b *tensor.Dense
	var bs tensor.Shape
	if op.bias {
		b, bs = ds[2], ds[2].Shape()
	}
	out, err := op.outDims(x.Shape(), w.Shape(), bs)
	if err != nil {
		return nil, err
	}
	y := op.output(prealloc, x.Dtype(), out[:])
	if x.Dtype() == tensor.Float32 {
		kernels.DenseForward(data[float32](y), data[float32](x), data[float32](w), dataOrNil[float32](b), out[0], x.Shape()[1], out[1])
	} else {
		kernels.DenseForward(data[float64](y), data[float64](x), data[float64](w), dataOrNil[float64](b), out[0], x.Shape()[1], out[1])
	}
	return y, nil
}

// dataOrNil is data for an optional tensor.
func dataOrNil[T float](d *tensor.Dense) []T {
	if d == nil {
		return nil
	}
	return data[T](d)
}

func (op denseOp) WriteHash(h hash.Hash) { writeHash(h, "Dense", op.bias) }
func (op denseOp) Hashcode() uint32      { return hashOf(op) }

func (op denseOp) String() string {
	if op.bias {
		return "Dense"
	}
	return "DenseNoBias"
}

func (op denseOp) DiffWRT(n int) []bool {
	d := make([]bool, n)
	for i := range d {
		d[i] = true
	}
	return d
}

// SymDiff applies one gradient op per input, so G.Grad builds only the
// products whose results some requested gradient depends on.
func (op denseOp) SymDiff(inputs G.Nodes, output, grad *G.Node) (G.Nodes, error) {
	dx, err := apply(denseGradOp{plainOp: fresh(), wrt: denseWRTx}, inputs[1], grad)
	if err != nil {
		return nil, err
	}
	dw, err := apply(denseGradOp{plainOp: fresh(), wrt: denseWRTw}, inputs[0], grad)
	if err != nil {
		return nil, err
	}
	if !op.bias {
		return G.Nodes{dx, dw}, nil
	}
	db, err := apply(denseGradOp{plainOp: fresh(), wrt: denseWRTb}, grad)
	if err != nil {
		return nil, err
	}
	return G.Nodes{dx, dw, db}, nil
}

// denseWRT names the input a denseGradOp differentiates with respect to.
type denseWRT int

const (
	denseWRTx denseWRT = iota // dx = dy·w from (w, dy)
	denseWRTw                 // dw = dyᵀ·x from (x, dy)
	denseWRTb                 // db = column sums of dy, from (dy)
)

// denseGradOp computes one of Dense's input gradients.
type denseGradOp struct {
	plainOp
	wrt denseWRT
}

func (op denseGradOp) Arity() int {
	if op.wrt == denseWRTb {
		return 1
	}
	return 2
}

func (op denseGradOp) Type() hm.Type {
	if op.wrt == denseWRTb {
		return fnType(2, 1)
	}
	return fnType(2, 2, 2)
}

// gradShape checks the inputs' shapes and returns the gradient's shape:
// a is w (for dx) or x (for dw) and dy is the output gradient.
func (op denseGradOp) gradShape(shapes []tensor.Shape) (tensor.Shape, error) {
	dims, n, err := op.gradDims(shapes)
	if err != nil {
		return nil, err
	}
	return append(tensor.Shape(nil), dims[:n]...), nil
}

// gradDims is gradShape as an array and a length, which the backward pass
// uses so that a step allocates no shape.
func (op denseGradOp) gradDims(shapes []tensor.Shape) (dims [2]int, n int, err error) {
	if len(shapes) != op.Arity() {
		return dims, 0, errors.Errorf("%v: expected %d inputs, got %d", op, op.Arity(), len(shapes))
	}
	dy := shapes[len(shapes)-1]
	if len(dy) != 2 {
		return dims, 0, errors.Errorf("%v: gradient %v is not (N, out)", op, dy.Clone())
	}
	switch op.wrt {
	case denseWRTx:
		if w := shapes[0]; len(w) != 2 || w[0] != dy[1] {
			return dims, 0, errors.Errorf("%v: w %v and gradient %v: want w (out, in) and gradient (N, out)", op, w.Clone(), dy.Clone())
		}
		return [2]int{dy[0], shapes[0][1]}, 2, nil
	case denseWRTw:
		if x := shapes[0]; len(x) != 2 || x[0] != dy[0] {
			return dims, 0, errors.Errorf("%v: x %v and gradient %v: want x (N, in) and gradient (N, out)", op, x.Clone(), dy.Clone())
		}
		return [2]int{dy[1], shapes[0][1]}, 2, nil
	}
	return [2]int{dy[1]}, 1, nil
}

func (op denseGradOp) InferShape(ds ...G.DimSizer) (tensor.Shape, error) {
	shapes, err := inferShapes(ds)
	if err != nil {
		return nil, err
	}
	return op.gradShape(shapes)
}

func (op denseGradOp) Do(inputs ...G.Value) (G.Value, error) { return doAlloc(op, inputs) }

func (op denseGradOp) UsePreallocDo(prealloc G.Value, inputs ...G.Value) (G.Value, error) {
	var args [3]*tensor.Dense
	ds, err := denseArgs(args[:], inputs)
	if err != nil {
		return nil, errors.Wrap(err, op.String())
	}
	var shapeArgs [3]tensor.Shape
	shapes := shapeArgs[:len(ds)]
	for i, d := range ds {
		shapes[i] = d.Shape()
	}
	dims, nd, err := op.gradDims(shapes)
	if err != nil {
		return nil, err
	}
	out := dims[:nd]
	a, dy := ds[0], ds[len(ds)-1]
	n, in, outDim := dy.Shape()[0], out[len(out)-1], dy.Shape()[1]
	g := op.output(prealloc, a.Dtype(), out)
	if g.Dtype() == tensor.Float32 {
		denseBackward(op.wrt, data[float32](g), data[float32](a), data[float32](dy), n, in, outDim)
	} else {
		denseBackward(op.wrt, data[float64](g), data[float64](a), data[float64](dy), n, in, outDim)
	}
	return g, nil
}

func (op denseGradOp) WriteHash(h hash.Hash) { writeHash(h, "DenseGrad", op.wrt) }
func (op denseGradOp) Hashcode() uint32      { return hashOf(op) }
func (op denseGradOp) String() string        { return "DenseGrad" + "XWB"[op.wrt:op.wrt+1] }

// denseBackward writes into g the gradient wrt names, given dy (n, out)
// and a, which is w (out, in) for dx, x (n, in) for dw and unused for db.
func denseBackward[T float](wrt denseWRT, g, a, dy []T, n, in, out int) {
	switch wrt {
	case denseWRTx:
		kernels.DenseInputGrad(g, a, dy, n, in, out)
	case denseWRTw:
		kernels.DenseWeightGrad(g, a, dy, n, in, out)
	default:
		kernels.DenseBiasGrad(g, dy, n, out)
	}
}
