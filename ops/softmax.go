package ops

import (
	"hash"
	"math"

	"github.com/chewxy/hm"
	"github.com/featlearn/featlearn/ops/internal/kernels"
	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Softmax returns exp(x) normalised to sum 1 along the last axis of x, a
// tensor of rank 1 or more. Each row is shifted by its own maximum, so
// logits of any magnitude give finite results; a NaN or +Inf in a row
// makes that row NaN.
func Softmax(x *G.Node) (*G.Node, error) { return softmaxOf(x, false) }

// LogSoftmax returns log(Softmax(x)) along the last axis of x, computed as
// x - max - log(sum(exp(x - max))) so that it never takes log(0) of an
// underflowed probability.
func LogSoftmax(x *G.Node) (*G.Node, error) { return softmaxOf(x, true) }

func softmaxOf(x *G.Node, log bool) (*G.Node, error) {
	op := softmaxOp{plainOp: fresh(), log: log}
	if x.Dims() < 1 {
		return nil, errors.Errorf("%v: input must have at least one axis, got shape %v", op, x.Shape())
	}
	return apply(op, x)
}

// softmaxOp is Softmax (log false) or LogSoftmax (log true) over the last
// axis. The two must hash apart: gorgonia itself merges them.
type softmaxOp struct {
	plainOp
	log bool
}

func (op softmaxOp) Arity() int { return 1 }

func (op softmaxOp) Type() hm.Type {
	a := hm.TypeVariable('a')
	return hm.NewFnType(a, a)
}

func (op softmaxOp) InferShape(ds ...G.DimSizer) (tensor.Shape, error) {
	shapes, err := inferShapes(ds)
	if err != nil {
		return nil, err
	}
	if err := checkArity(op.String(), len(shapes), 1); err != nil {
		return nil, err
	}
	if len(shapes[0]) < 1 {
		return nil, errors.Errorf("%v: input must have at least one axis, got shape %v", op, shapes[0])
	}
	return shapes[0].Clone(), nil
}

func (op softmaxOp) Do(inputs ...G.Value) (G.Value, error) { return doAlloc(op, inputs) }

func (op softmaxOp) UsePreallocDo(prealloc G.Value, inputs ...G.Value) (G.Value, error) {
	if err := checkArity(op.String(), len(inputs), 1); err != nil {
		return nil, err
	}
	x, err := denseOf(inputs[0])
	if err != nil {
		return nil, errors.Wrap(err, op.String())
	}
	n, err := rowLen(op, x.Shape())
	if err != nil {
		return nil, err
	}
	y := op.output(prealloc, x.Dtype(), x.Shape())
	if x.Dtype() == tensor.Float32 {
		kernels.SoftmaxForward(op.log, data[float32](y), data[float32](x), n)
	} else {
		kernels.SoftmaxForward(op.log, data[float64](y), data[float64](x), n)
	}
	return y, nil
}

func (op softmaxOp) WriteHash(h hash.Hash) { writeHash(h, op.String()) }
func (op softmaxOp) Hashcode() uint32      { return hashOf(op) }

func (op softmaxOp) String() string {
	if op.log {
		return "LogSoftmax"
	}
	return "Softmax"
}

func (op softmaxOp) DiffWRT(int) []bool { return []bool{true} }

// SymDiff expresses the gradient through the output y alone:
// dx = y·(dy - Σ dy·y) for Softmax and dx = dy - exp(y)·Σ dy for LogSoftmax.
func (op softmaxOp) SymDiff(inputs G.Nodes, output, grad *G.Node) (G.Nodes, error) {
	gradOp := softmaxGradOp(op)
	gradOp.plainOp = fresh() // its own output buffer, not the forward op's
	dx, err := apply(gradOp, output, grad)
	if err != nil {
		return nil, err
	}
	return G.Nodes{dx}, nil
}

// rowLen returns the length of the last axis, the rows softmax normalises.
func rowLen(op G.Op, s tensor.Shape) (int, error) {
	if len(s) < 1 || s[len(s)-1] < 1 {
		return 0, errors.Errorf("%v: input must have a non-empty last axis, got shape %v", op, s)
	}
	return s[len(s)-1], nil
}

// softmaxGradOp computes dL/dx of Softmax or LogSoftmax from y and dL/dy.
type softmaxGradOp struct {
	plainOp
	log bool
}

func (op softmaxGradOp) Arity() int { return 2 }

func (op softmaxGradOp) Type() hm.Type {
	a := hm.TypeVariable('a')
	return hm.NewFnType(a, a, a)
}

func (op softmaxGradOp) InferShape(ds ...G.DimSizer) (tensor.Shape, error) {
	shapes, err := inferShapes(ds)
	if err != nil {
		return nil, err
	}
	if len(shapes) != 2 || !shapes[0].Eq(shapes[1]) {
		return nil, errors.Errorf("%v: output and gradient shapes differ: %v", op, shapes)
	}
	return shapes[0].Clone(), nil
}

func (op softmaxGradOp) Do(inputs ...G.Value) (G.Value, error) { return doAlloc(op, inputs) }

func (op softmaxGradOp) UsePreallocDo(prealloc G.Value, inputs ...G.Value) (G.Value, error) {
	if err := checkArity(op.String(), len(inputs), 2); err != nil {
		return nil, err
	}
	var args [3]*tensor.Dense
	ds, err := denseArgs(args[:], inputs)
	if err != nil {
		return nil, errors.Wrap(err, op.String())
	}
	y, dy := ds[0], ds[1]
	if !y.Shape().Eq(dy.Shape()) {
		return nil, errors.Errorf("%v: output shape %v and gradient shape %v differ", op, y.Shape(), dy.Shape())
	}
	n, err := rowLen(op, y.Shape())
	if err != nil {
		return nil, err
	}
	dx := op.output(prealloc, y.Dtype(), y.Shape())
	if y.Dtype() == tensor.Float32 {
		kernels.SoftmaxBackward(op.log, data[float32](dx), data[float32](y), data[float32](dy), n)
	} else {
		kernels.SoftmaxBackward(op.log, data[float64](dx), data[float64](y), data[float64](dy), n)
	}
	return dx, nil
}

func (op softmaxGradOp) WriteHash(h hash.Hash) { writeHash(h, op.String()) }
func (op softmaxGradOp) Hashcode() uint32      { return hashOf(op) }
func (op softmaxGradOp) String() string        { return softmaxOp(op).String() + "Grad" }

// SoftmaxCrossEntropy returns the mean over the batch of the cross-entropy
// between softmax(logits) and the labels, a scalar.
//
// logits is (N, C). labels is either (N), class indices stored in the
// logits' float type, or (N, C), per-class targets such as one-hot rows or
// probabilities. Row n contributes Σ_c t_c·(logsumexp(x_n) - x_nc), computed
// from the row maximum so that it stays finite for large logits; the sum
// over rows is divided by N, not N·C. Indices are checked when the graph
// runs: one that is not an integer in [0, C) makes Do fail, naming it.
// Targets are not checked; the gradient, (softmax·Σ_c t_c - t)/N times the
// upstream gradient, is exact for any targets and is (softmax - t)/N for
// targets that sum to 1. labels receive no gradient.
func SoftmaxCrossEntropy(logits, labels *G.Node) (*G.Node, error) {
	op := xentOp{plainOp: fresh(), labelDims: labels.Dims()}
	if _, err := op.check(logits.Shape(), labels.Shape()); err != nil {
		return nil, err
	}
	return apply(op, logits, labels)
}

// xentOp is SoftmaxCrossEntropy; labelDims (1 or 2) tells indices from
// targets.
type xentOp struct {
	plainOp
	labelDims int
}

// check validates the logits and labels shapes and returns C.
func (op xentOp) check(logits, labels tensor.Shape) (int, error) {
	ok := len(logits) == 2 && len(labels) == op.labelDims && labels[0] == logits[0]
	if ok && op.labelDims == 2 {
		ok = labels[1] == logits[1]
	}
	if !ok || (op.labelDims != 1 && op.labelDims != 2) {
		return 0, errors.Errorf("softmax cross-entropy: logits %v and labels %v: want logits (N, C) and labels (N) or (N, C)", logits, labels)
	}
	if logits[0] < 1 || logits[1] < 1 {
		return 0, errors.Errorf("softmax cross-entropy: logits %v are empty", logits)
	}
	return logits[1], nil
}

func (op xentOp) Arity() int    { return 2 }
func (op xentOp) Type() hm.Type { return fnType(2, op.labelDims, 0) }

func (op xentOp) InferShape(ds ...G.DimSizer) (tensor.Shape, error) {
	shapes, err := inferShapes(ds)
	if err != nil {
		return nil, err
	}
	if err := checkArity(op.String(), len(shapes), 2); err != nil {
		return nil, err
	}
	if _, err := op.check(shapes[0], shapes[1]); err != nil {
		return nil, err
	}
	return tensor.ScalarShape(), nil
}

func (op xentOp) Do(inputs ...G.Value) (G.Value, error) { return doAlloc(op, inputs) }

// UsePreallocDo returns a gorgonia scalar (*F32 or *F64), the value type
// the graph gives scalar nodes; prealloc is ignored because scalars are
// not worth reusing.
func (op xentOp) UsePreallocDo(_ G.Value, inputs ...G.Value) (G.Value, error) {
	x, t, c, err := op.operands(inputs, 2)
	if err != nil {
		return nil, err
	}
	if x.Dtype() == tensor.Float32 {
		return G.NewF32(float32(kernels.XentForward(data[float32](x), data[float32](t), c, op.labelDims == 1))), nil
	}
	return G.NewF64(kernels.XentForward(data[float64](x), data[float64](t), c, op.labelDims == 1)), nil
}

// operands checks the inputs of xentOp or xentGradOp (want of them) and
// returns the logits, the labels (with validated indices) and C.
func (op xentOp) operands(inputs []G.Value, want int) (x, t *tensor.Dense, c int, err error) {
	if err = checkArity(op.String(), len(inputs), want); err != nil {
		return nil, nil, 0, err
	}
	var args [2]*tensor.Dense
	ds, err := denseArgs(args[:], inputs[:2])
	if err != nil {
		return nil, nil, 0, errors.Wrap(err, op.String())
	}
	x, t = ds[0], ds[1]
	if c, err = op.check(x.Shape(), t.Shape()); err != nil {
		return nil, nil, 0, err
	}
	if op.labelDims == 1 {
		err = errors.Wrap(checkLabels(t, c), "softmax cross-entropy")
	}
	return x, t, c, err
}

// checkLabels returns an error naming the first label that is not an
// integer class index in [0, c). Every op taking class indices uses it.
func checkLabels(t *tensor.Dense, c int) error {
	if t.Dtype() == tensor.Float32 {
		return badLabel(data[float32](t), c)
	}
	return badLabel(data[float64](t), c)
}

func badLabel[T float](labels []T, c int) error {
	for i, l := range labels {
		v := float64(l)
		if !(v >= 0 && v < float64(c)) || v != math.Trunc(v) {
			return errors.Errorf("label %v of row %d is not a class index in [0, %d)", v, i, c)
		}
	}
	return nil
}

func (op xentOp) WriteHash(h hash.Hash) { writeHash(h, "SoftmaxCrossEntropy", op.labelDims) }
func (op xentOp) Hashcode() uint32      { return hashOf(op) }
func (op xentOp) String() string        { return "SoftmaxCrossEntropy" }

func (op xentOp) DiffWRT(int) []bool { return []bool{true, false} }

func (op xentOp) SymDiff(inputs G.Nodes, output, grad *G.Node) (G.Nodes, error) {
	gradOp := xentGradOp(op)
	gradOp.plainOp = fresh() // its own output buffer, not the forward op's
	dx, err := apply(gradOp, inputs[0], inputs[1], grad)
	if err != nil {
		return nil, err
	}
	return G.Nodes{dx, nil}, nil
}

// xentGradOp computes dL/dlogits of SoftmaxCrossEntropy from the logits,
// the labels and the scalar dL/dloss.
type xentGradOp struct {
	plainOp
	labelDims int
}

func (op xentGradOp) Arity() int    { return 3 }
func (op xentGradOp) Type() hm.Type { return fnType(2, op.labelDims, 0, 2) }

func (op xentGradOp) InferShape(ds ...G.DimSizer) (tensor.Shape, error) {
	shapes, err := inferShapes(ds)
	if err != nil {
		return nil, err
	}
	if err := checkArity(op.String(), len(shapes), 3); err != nil {
		return nil, err
	}
	if _, err := xentOp(op).check(shapes[0], shapes[1]); err != nil {
		return nil, err
	}
	return shapes[0].Clone(), nil
}

func (op xentGradOp) Do(inputs ...G.Value) (G.Value, error) { return doAlloc(op, inputs) }

func (op xentGradOp) UsePreallocDo(prealloc G.Value, inputs ...G.Value) (G.Value, error) {
	x, t, c, err := xentOp(op).operands(inputs, 3)
	if err != nil {
		return nil, err
	}
	g, err := scalarValue(inputs[2])
	if err != nil {
		return nil, errors.Wrap(err, op.String())
	}
	dx := op.output(prealloc, x.Dtype(), x.Shape())
	scale := g / float64(x.Shape()[0])
	if x.Dtype() == tensor.Float32 {
		kernels.XentBackward(data[float32](dx), data[float32](x), data[float32](t), c, op.labelDims == 1, scale)
	} else {
		kernels.XentBackward(data[float64](dx), data[float64](x), data[float64](t), c, op.labelDims == 1, scale)
	}
	return dx, nil
}

func (op xentGradOp) WriteHash(h hash.Hash) { writeHash(h, "SoftmaxCrossEntropyGrad", op.labelDims) }
func (op xentGradOp) Hashcode() uint32      { return hashOf(op) }
func (op xentGradOp) String() string        { return "SoftmaxCrossEntropyGrad" }

// scalarValue reads a scalar gradient: gorgonia passes *F32 or *F64, but a
// one-element tensor is accepted too.
func scalarValue(v G.Value) (float64, error) {
	switch d := v.Data().(type) {
	case float64:
		return d, nil
	case float32:
		return float64(d), nil
	case []float64:
		if len(d) == 1 {
			return d[0], nil
		}
	case []float32:
		if len(d) == 1 {
			return float64(d[0]), nil
		}
	}
	return 0, errors.Errorf("expected a scalar gradient, got %v of shape %v", v.Dtype(), v.Shape())
}
