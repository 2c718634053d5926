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

// PoolParams describes a 2-D pooling window: its size, the step between
// windows and the implicit padding added on each side of the input.
type PoolParams struct {
	KernelH, KernelW int
	StrideH, StrideW int
	PadH, PadW       int
}

// String prints the parameters compactly; the pool ops hash it, so it
// must name every field.
func (p PoolParams) String() string {
	return fmt.Sprintf("k=%dx%d,s=%dx%d,p=%dx%d", p.KernelH, p.KernelW, p.StrideH, p.StrideW, p.PadH, p.PadW)
}

// validate rejects windows that are empty, do not advance or are padded by
// more than half their size. The last rule is PyTorch's: it guarantees that
// every window overlaps the input, so no output is taken from padding alone.
// name, such as "maxpool", starts the error messages.
func (p PoolParams) validate(name string) error {
	switch {
	case p.KernelH < 1 || p.KernelW < 1:
		return errors.Errorf("%s: kernel %dx%d must be at least 1x1", name, p.KernelH, p.KernelW)
	case p.StrideH < 1 || p.StrideW < 1:
		return errors.Errorf("%s: stride %dx%d must be at least 1x1", name, p.StrideH, p.StrideW)
	case p.PadH < 0 || p.PadW < 0:
		return errors.Errorf("%s: padding %dx%d must not be negative", name, p.PadH, p.PadW)
	case 2*p.PadH > p.KernelH || 2*p.PadW > p.KernelW:
		return errors.Errorf("%s: padding %dx%d exceeds half the kernel %dx%d", name, p.PadH, p.PadW, p.KernelH, p.KernelW)
	}
	return nil
}

// outShape returns the NCHW output shape for an NCHW input shape; name
// starts the error messages.
func (p PoolParams) outShape(name string, s tensor.Shape) (tensor.Shape, error) {
	d, err := p.outDims(name, s)
	if err != nil {
		return nil, err
	}
	return tensor.Shape{d[0], d[1], d[2], d[3]}, nil
}

// outDims is outShape as an array, which the kernels' geometry keeps
// without allocating a slice on every call.
func (p PoolParams) outDims(name string, s tensor.Shape) ([4]int, error) {
	if len(s) != 4 {
		return [4]int{}, errors.Errorf("%s: input shape %v is not NCHW", name, s.Clone())
	}
	h, w := s[2]+2*p.PadH, s[3]+2*p.PadW
	if h < p.KernelH || w < p.KernelW {
		return [4]int{}, errors.Errorf("%s: padded input %dx%d is smaller than the kernel %dx%d", name, h, w, p.KernelH, p.KernelW)
	}
	return [4]int{s[0], s[1], (h-p.KernelH)/p.StrideH + 1, (w-p.KernelW)/p.StrideW + 1}, nil
}

// window is p as the kernels take it.
func (p PoolParams) window() kernels.PoolWindow { return kernels.PoolWindow(p) }

// MaxPool2D returns the maximum of every pooling window of an NCHW input.
//
// Padding never wins: it acts as -Inf, and p must keep it within half the
// kernel so that every window holds at least one input element. A NaN in a
// window makes that output NaN, as in PyTorch. Among equal maxima the first
// in row-major window order wins, and it alone receives the gradient.
// The gradient op finds the winners again from x and the output rather
// than storing them, so the op holds nothing but p. The batch size is read
// from the input value at run time.
func MaxPool2D(x *G.Node, p PoolParams) (*G.Node, error) {
	if err := p.validate("maxpool"); err != nil {
		return nil, err
	}
	if x.Dims() != 4 {
		return nil, errors.Errorf("maxpool: input shape %v is not NCHW", x.Shape())
	}
	return apply(maxPoolOp{plainOp: fresh(), p: p}, x)
}

// MaxPool2DReLU returns max(0, MaxPool2D(x)), which equals
// MaxPool2D(ReLU(x)): both functions are non-decreasing, so they commute.
// Fused, the pair never writes or reads ReLU's full-size output, in either
// pass; graph's MaxPool2D layer uses it when its input is a ReLU. A window
// holding a NaN gives 0 here, where ReLU first would give the window's
// largest other element or 0: either way the NaN does not propagate.
func MaxPool2DReLU(x *G.Node, p PoolParams) (*G.Node, error) {
	if err := p.validate("maxpool"); err != nil {
		return nil, err
	}
	if x.Dims() != 4 {
		return nil, errors.Errorf("maxpool: input shape %v is not NCHW", x.Shape())
	}
	return apply(maxPoolOp{plainOp: fresh(), p: p, relu: true}, x)
}

// maxPoolOp is the forward max pooling over NCHW tensors, followed by a
// ReLU when relu is set.
type maxPoolOp struct {
	plainOp
	p    PoolParams
	relu bool
}

// poolName names the op for String and WriteHash.
func poolName(relu bool, suffix string) string {
	if relu {
		return "MaxPool2DReLU" + suffix
	}
	return "MaxPool2D" + suffix
}

func (op maxPoolOp) Arity() int    { return 1 }
func (op maxPoolOp) Type() hm.Type { return fnType(4, 4) }

func (op maxPoolOp) InferShape(ds ...G.DimSizer) (tensor.Shape, error) {
	shapes, err := inferShapes(ds)
	if err != nil {
		return nil, err
	}
	if err := checkArity(op.String(), len(shapes), 1); err != nil {
		return nil, err
	}
	return op.p.outShape("maxpool", shapes[0])
}

func (op maxPoolOp) Do(inputs ...G.Value) (G.Value, error) { return doAlloc(op, inputs) }

func (op maxPoolOp) UsePreallocDo(prealloc G.Value, inputs ...G.Value) (G.Value, error) {
	if len(inputs) != 1 {
		return nil, checkArity(op.String(), len(inputs), 1)
	}
	x, err := denseOf(inputs[0])
	if err != nil {
		return nil, errors.Wrap(err, op.String())
	}
	out, err := op.p.outDims("maxpool", x.Shape())
	if err != nil {
		return nil, err
	}
	g := kernels.NewPoolGeom(op.p.window(), [4]int(x.Shape()), out)
	y := op.output(prealloc, x.Dtype(), out[:])
	if x.Dtype() == tensor.Float32 {
		kernels.MaxPoolForward(&g, data[float32](y), data[float32](x), op.relu)
	} else {
		kernels.MaxPoolForward(&g, data[float64](y), data[float64](x), op.relu)
	}
	return y, nil
}

func (op maxPoolOp) WriteHash(h hash.Hash) { writeHash(h, poolName(op.relu, ""), op.p) }
func (op maxPoolOp) Hashcode() uint32      { return hashOf(op) }
func (op maxPoolOp) String() string        { return poolName(op.relu, "") + "(" + op.p.String() + ")" }

func (op maxPoolOp) DiffWRT(int) []bool { return []bool{true} }

// SymDiff routes each output gradient to the input that won its window.
// The winners are found again in the backward op from x and the output y
// rather than stored, because an op is a hashed value shared by graphs and
// must stay stateless; y turns the search into an equality test.
func (op maxPoolOp) SymDiff(inputs G.Nodes, output, grad *G.Node) (G.Nodes, error) {
	gradOp := maxPoolGradOp(op)
	gradOp.plainOp = fresh() // its own output buffer, not the forward op's
	dx, err := apply(gradOp, inputs[0], output, grad)
	if err != nil {
		return nil, err
	}
	return G.Nodes{dx}, nil
}

// maxPoolGradOp computes dL/dx of max pooling (and the ReLU after it,
// when relu is set) from x, y and dL/dy.
type maxPoolGradOp struct {
	plainOp
	p    PoolParams
	relu bool
}

func (op maxPoolGradOp) Arity() int    { return 3 }
func (op maxPoolGradOp) Type() hm.Type { return fnType(4, 4, 4, 4) }

func (op maxPoolGradOp) InferShape(ds ...G.DimSizer) (tensor.Shape, error) {
	shapes, err := inferShapes(ds)
	if err != nil {
		return nil, err
	}
	if err := checkArity(op.String(), len(shapes), 3); err != nil {
		return nil, err
	}
	return shapes[0].Clone(), nil
}

func (op maxPoolGradOp) Do(inputs ...G.Value) (G.Value, error) { return doAlloc(op, inputs) }

func (op maxPoolGradOp) UsePreallocDo(prealloc G.Value, inputs ...G.Value) (G.Value, error) {
	if len(inputs) != 3 {
		return nil, checkArity(op.String(), len(inputs), 3)
	}
	var args [3]*tensor.Dense
	ds, err := denseArgs(args[:], inputs)
	if err != nil {
		return nil, errors.Wrap(err, op.String())
	}
	x, y, dy := ds[0], ds[1], ds[2]
	out, err := op.p.outDims("maxpool", x.Shape())
	if err != nil {
		return nil, err
	}
	g := kernels.NewPoolGeom(op.p.window(), [4]int(x.Shape()), out)
	if !convShapeIs(y.Shape(), out[:]...) || !convShapeIs(dy.Shape(), out[:]...) {
		return nil, errors.Errorf("%v: output shape %v and gradient shape %v, want %v for input %v",
			op, y.Shape(), dy.Shape(), tensor.Shape{out[0], out[1], out[2], out[3]}, x.Shape())
	}
	dx := op.output(prealloc, x.Dtype(), x.Shape())
	if x.Dtype() == tensor.Float32 {
		kernels.MaxPoolBackward(&g, data[float32](dx), data[float32](x), data[float32](y), data[float32](dy), op.relu)
	} else {
		kernels.MaxPoolBackward(&g, data[float64](dx), data[float64](x), data[float64](y), data[float64](dy), op.relu)
	}
	return dx, nil
}

func (op maxPoolGradOp) WriteHash(h hash.Hash) { writeHash(h, poolName(op.relu, "Grad"), op.p) }
func (op maxPoolGradOp) Hashcode() uint32      { return hashOf(op) }
func (op maxPoolGradOp) String() string        { return poolName(op.relu, "Grad") + "(" + op.p.String() + ")" }
