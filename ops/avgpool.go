package ops

import (
	"hash"

	"github.com/chewxy/hm"
	"github.com/featlearn/featlearn/ops/internal/kernels"
	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// AvgPool2D returns the mean of every pooling window of an NCHW input, as
// PyTorch's AvgPool2d with ceil_mode false. With countIncludePad, PyTorch's
// default, every window is divided by KernelH·KernelW, so the padded zeros
// count; without it, by the number of input elements the window covers.
// p must keep the padding within half the kernel, as PyTorch requires, so
// every window covers at least one input element. Each window is summed in
// the input's dtype, row by row, as PyTorch sums it. The batch size is read
// from the input value at run time.
func AvgPool2D(x *G.Node, p PoolParams, countIncludePad bool) (*G.Node, error) {
	if err := p.validate("avgpool"); err != nil {
		return nil, err
	}
	if _, err := p.outShape("avgpool", x.Shape()); err != nil {
		return nil, err
	}
	return apply(avgPoolOp{plainOp: fresh(), p: p, includePad: countIncludePad}, x)
}

// avgPoolOp is the forward average pooling over NCHW tensors.
type avgPoolOp struct {
	plainOp
	p          PoolParams
	includePad bool
}

// avgPoolName names an average pooling op for String and WriteHash.
func avgPoolName(p PoolParams, includePad bool, suffix string) string {
	mode := "exclude"
	if includePad {
		mode = "include"
	}
	return "AvgPool2D" + suffix + "(" + p.String() + ",pad=" + mode + ")"
}

func (op avgPoolOp) Arity() int    { return 1 }
func (op avgPoolOp) Type() hm.Type { return fnType(4, 4) }

func (op avgPoolOp) InferShape(ds ...G.DimSizer) (tensor.Shape, error) {
	shapes, err := inferShapes(ds)
	if err != nil {
		return nil, err
	}
	if err := checkArity(op.String(), len(shapes), 1); err != nil {
		return nil, err
	}
	return op.p.outShape("avgpool", shapes[0])
}

func (op avgPoolOp) Do(inputs ...G.Value) (G.Value, error) { return doAlloc(op, inputs) }

func (op avgPoolOp) UsePreallocDo(prealloc G.Value, inputs ...G.Value) (G.Value, error) {
	if len(inputs) != 1 {
		return nil, checkArity(op.String(), len(inputs), 1)
	}
	x, err := denseOf(inputs[0])
	if err != nil {
		return nil, errors.Wrap(err, op.String())
	}
	out, err := op.p.outDims("avgpool", x.Shape())
	if err != nil {
		return nil, err
	}
	g := kernels.NewAvgGeom(op.p.window(), op.includePad, [4]int(x.Shape()), out)
	y := op.output(prealloc, x.Dtype(), out[:])
	if x.Dtype() == tensor.Float32 {
		kernels.AvgPoolForward(&g, data[float32](y), data[float32](x))
	} else {
		kernels.AvgPoolForward(&g, data[float64](y), data[float64](x))
	}
	return y, nil
}

func (op avgPoolOp) WriteHash(h hash.Hash) { writeHash(h, op.String(), op.p, op.includePad) }
func (op avgPoolOp) Hashcode() uint32      { return hashOf(op) }
func (op avgPoolOp) String() string        { return avgPoolName(op.p, op.includePad, "") }

func (op avgPoolOp) DiffWRT(int) []bool { return []bool{true} }

// SymDiff spreads each output's gradient evenly over its window. The
// gradient op reads only x's shape, not its values.
func (op avgPoolOp) SymDiff(inputs G.Nodes, output, grad *G.Node) (G.Nodes, error) {
	dx, err := apply(avgPoolGradOp{plainOp: fresh(), p: op.p, includePad: op.includePad}, inputs[0], grad)
	if err != nil {
		return nil, err
	}
	return G.Nodes{dx}, nil
}

// avgPoolGradOp computes dL/dx of AvgPool2D from x (for its shape) and dL/dy.
type avgPoolGradOp struct {
	plainOp
	p          PoolParams
	includePad bool
}

func (op avgPoolGradOp) Arity() int    { return 2 }
func (op avgPoolGradOp) Type() hm.Type { return fnType(4, 4, 4) }

func (op avgPoolGradOp) InferShape(ds ...G.DimSizer) (tensor.Shape, error) {
	shapes, err := inferShapes(ds)
	if err != nil {
		return nil, err
	}
	if err := checkArity(op.String(), len(shapes), 2); err != nil {
		return nil, err
	}
	return shapes[0].Clone(), nil
}

func (op avgPoolGradOp) Do(inputs ...G.Value) (G.Value, error) { return doAlloc(op, inputs) }

func (op avgPoolGradOp) UsePreallocDo(prealloc G.Value, inputs ...G.Value) (G.Value, error) {
	if len(inputs) != 2 {
		return nil, checkArity(op.String(), len(inputs), 2)
	}
	var args [2]*tensor.Dense
	ds, err := denseArgs(args[:], inputs)
	if err != nil {
		return nil, errors.Wrap(err, op.String())
	}
	x, dy := ds[0], ds[1]
	out, err := op.p.outDims("avgpool", x.Shape())
	if err != nil {
		return nil, err
	}
	g := kernels.NewAvgGeom(op.p.window(), op.includePad, [4]int(x.Shape()), out)
	if !convShapeIs(dy.Shape(), out[:]...) {
		return nil, errors.Errorf("%v: gradient shape %v, want %v for input %v",
			op, dy.Shape(), tensor.Shape{out[0], out[1], out[2], out[3]}, x.Shape())
	}
	dx := op.output(prealloc, x.Dtype(), x.Shape())
	if x.Dtype() == tensor.Float32 {
		kernels.AvgPoolBackward(&g, data[float32](dx), data[float32](dy))
	} else {
		kernels.AvgPoolBackward(&g, data[float64](dx), data[float64](dy))
	}
	return dx, nil
}

func (op avgPoolGradOp) WriteHash(h hash.Hash) { writeHash(h, op.String(), op.p, op.includePad) }
func (op avgPoolGradOp) Hashcode() uint32      { return hashOf(op) }
func (op avgPoolGradOp) String() string        { return avgPoolName(op.p, op.includePad, "Grad") }

// GlobalAvgPool2D returns the mean of every (H, W) plane of an NCHW input:
// (N, C, H, W) gives (N, C). Each plane is summed in float64, whatever the
// input's dtype, and the mean rounded once.
func GlobalAvgPool2D(x *G.Node) (*G.Node, error) {
	if s := x.Shape(); len(s) != 4 || s[2]*s[3] < 1 {
		return nil, errors.Errorf("globalavgpool: input shape %v is not NCHW with a non-empty plane", s)
	}
	return apply(globalAvgPoolOp{plainOp: fresh()}, x)
}

// globalAvgPoolOp is GlobalAvgPool2D's forward op.
type globalAvgPoolOp struct{ plainOp }

// globalAvgDims checks an NCHW input shape and returns N, C and H·W.
func globalAvgDims(op G.Op, s tensor.Shape) (n, c, hw int, err error) {
	if len(s) != 4 || s[2]*s[3] < 1 {
		return 0, 0, 0, errors.Errorf("%v: input shape %v is not NCHW with a non-empty plane", op, s.Clone())
	}
	return s[0], s[1], s[2] * s[3], nil
}

func (op globalAvgPoolOp) Arity() int    { return 1 }
func (op globalAvgPoolOp) Type() hm.Type { return fnType(4, 2) }

func (op globalAvgPoolOp) InferShape(ds ...G.DimSizer) (tensor.Shape, error) {
	shapes, err := inferShapes(ds)
	if err != nil {
		return nil, err
	}
	if err := checkArity(op.String(), len(shapes), 1); err != nil {
		return nil, err
	}
	n, c, _, err := globalAvgDims(op, shapes[0])
	return tensor.Shape{n, c}, err
}

func (op globalAvgPoolOp) Do(inputs ...G.Value) (G.Value, error) { return doAlloc(op, inputs) }

func (op globalAvgPoolOp) UsePreallocDo(prealloc G.Value, inputs ...G.Value) (G.Value, error) {
	if len(inputs) != 1 {
		return nil, checkArity(op.String(), len(inputs), 1)
	}
	x, err := denseOf(inputs[0])
	if err != nil {
		return nil, errors.Wrap(err, op.String())
	}
	n, c, hw, err := globalAvgDims(op, x.Shape())
	if err != nil {
		return nil, err
	}
	out := [2]int{n, c}
	y := op.output(prealloc, x.Dtype(), out[:])
	if x.Dtype() == tensor.Float32 {
		kernels.GlobalAvgPoolForward(data[float32](y), data[float32](x), hw)
	} else {
		kernels.GlobalAvgPoolForward(data[float64](y), data[float64](x), hw)
	}
	return y, nil
}

func (op globalAvgPoolOp) WriteHash(h hash.Hash) { writeHash(h, op.String()) }
func (op globalAvgPoolOp) Hashcode() uint32      { return hashOf(op) }
func (op globalAvgPoolOp) String() string        { return "GlobalAvgPool2D" }

func (op globalAvgPoolOp) DiffWRT(int) []bool { return []bool{true} }

// SymDiff broadcasts dy/(H·W) over each plane; the gradient op reads only
// x's shape.
func (op globalAvgPoolOp) SymDiff(inputs G.Nodes, output, grad *G.Node) (G.Nodes, error) {
	dx, err := apply(globalAvgPoolGradOp{plainOp: fresh()}, inputs[0], grad)
	if err != nil {
		return nil, err
	}
	return G.Nodes{dx}, nil
}

// globalAvgPoolGradOp computes dL/dx of GlobalAvgPool2D from x and dL/dy.
type globalAvgPoolGradOp struct{ plainOp }

func (op globalAvgPoolGradOp) Arity() int    { return 2 }
func (op globalAvgPoolGradOp) Type() hm.Type { return fnType(4, 2, 4) }

func (op globalAvgPoolGradOp) InferShape(ds ...G.DimSizer) (tensor.Shape, error) {
	shapes, err := inferShapes(ds)
	if err != nil {
		return nil, err
	}
	if err := checkArity(op.String(), len(shapes), 2); err != nil {
		return nil, err
	}
	return shapes[0].Clone(), nil
}

func (op globalAvgPoolGradOp) Do(inputs ...G.Value) (G.Value, error) { return doAlloc(op, inputs) }

func (op globalAvgPoolGradOp) UsePreallocDo(prealloc G.Value, inputs ...G.Value) (G.Value, error) {
	if len(inputs) != 2 {
		return nil, checkArity(op.String(), len(inputs), 2)
	}
	var args [2]*tensor.Dense
	ds, err := denseArgs(args[:], inputs)
	if err != nil {
		return nil, errors.Wrap(err, op.String())
	}
	x, dy := ds[0], ds[1]
	n, c, hw, err := globalAvgDims(op, x.Shape())
	if err != nil {
		return nil, err
	}
	if !convShapeIs(dy.Shape(), n, c) {
		return nil, errors.Errorf("%v: gradient shape %v, want (%d, %d) for input %v", op, dy.Shape(), n, c, x.Shape())
	}
	dx := op.output(prealloc, x.Dtype(), x.Shape())
	if x.Dtype() == tensor.Float32 {
		kernels.GlobalAvgPoolBackward(data[float32](dx), data[float32](dy), hw)
	} else {
		kernels.GlobalAvgPoolBackward(data[float64](dx), data[float64](dy), hw)
	}
	return dx, nil
}

func (op globalAvgPoolGradOp) WriteHash(h hash.Hash) { writeHash(h, op.String()) }
func (op globalAvgPoolGradOp) Hashcode() uint32      { return hashOf(op) }
func (op globalAvgPoolGradOp) String() string        { return "GlobalAvgPool2DGrad" }
