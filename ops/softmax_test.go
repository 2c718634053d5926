package ops

import (
	"math"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

func xent(xs ...*G.Node) (*G.Node, error) { return SoftmaxCrossEntropy(xs[0], xs[1]) }

// xentWith is xent against constant labels. compile's input nodes are
// unnamed, and gorgonia merges unnamed inputs of equal type and shape, so
// (N, C) targets cannot be a second input next to (N, C) logits.
func xentWith(labels *tensor.Dense) builder {
	return func(xs ...*G.Node) (*G.Node, error) {
		return SoftmaxCrossEntropy(xs[0], G.NewConstant(as(labels, xs[0].Dtype())))
	}
}

func scalarT(v float64) *tensor.Dense { return tensor.New(tensor.FromScalar(v)) }

// refSoftmax is the textbook softmax of each row of length n, without the
// max shift: only for moderate logits.
func refSoftmax(x []float64, n int, log bool) []float64 {
	out := make([]float64, len(x))
	for r := 0; r < len(x); r += n {
		var s float64
		for _, v := range x[r : r+n] {
			s += math.Exp(v)
		}
		for i, v := range x[r : r+n] {
			out[r+i] = math.Exp(v) / s
			if log {
				out[r+i] = v - math.Log(s)
			}
		}
	}
	return out
}

func TestSoftmaxForward(t *testing.T) {
	for _, shape := range [][]int{{5}, {3, 4}, {2, 3, 2}, {4, 1}} {
		x := randT(3, shape...)
		n := shape[len(shape)-1]
		checkForward(t, unary(Softmax), t64(refSoftmax(x.Float64s(), n, false), shape...), x)
		checkForward(t, unary(LogSoftmax), t64(refSoftmax(x.Float64s(), n, true), shape...), x)
	}
}

// TestSoftmaxLargeLogits needs the per-row maximum: a global one, as in
// gorgonia, underflows every row but the one holding it.
func TestSoftmaxLargeLogits(t *testing.T) {
	x := t64([]float64{1e4, 0, -1e4, -1e4, -1e4, 1 - 1e4, 1e4, 1e4, 1e4}, 3, 3)
	e, z := math.Exp(-1), 1+2*math.Exp(-1)
	checkForward(t, unary(Softmax), t64([]float64{1, 0, 0, e / z, e / z, 1 / z, 1. / 3, 1. / 3, 1. / 3}, 3, 3), x)
	lz := math.Log(z)
	checkForward(t, unary(LogSoftmax), t64([]float64{0, -1e4, -2e4, -1 - lz, -1 - lz, -lz, -math.Log(3), -math.Log(3), -math.Log(3)}, 3, 3), x)
}

func TestSoftmaxGrad(t *testing.T) {
	for _, f := range []func(*G.Node) (*G.Node, error){Softmax, LogSoftmax} {
		checkGrad(t, unary(f), randT(1, 6))
		checkGrad(t, unary(f), randT(2, 3, 4))
		checkGrad(t, unary(f), randT(3, 2, 2, 3))
		checkGrad(t, unary(f), randT(4, 3, 1))
	}
}

func TestSoftmaxErrors(t *testing.T) {
	g := G.NewGraph()
	s := G.NewScalar(g, tensor.Float64, G.WithName("s"))
	if _, err := Softmax(s); err == nil {
		t.Error("Softmax of a scalar: no error")
	}
	if _, err := (softmaxGradOp{}).Do(randT(1, 2, 3), randT(1, 3, 2)); err == nil {
		t.Error("gradient of the wrong shape: no error")
	}
}

func TestSoftmaxCrossEntropyForward(t *testing.T) {
	x := t64([]float64{1, 2, 3, 1, 1, 1}, 2, 3)
	lse := math.Log(math.E + math.Exp(2) + math.Exp(3))
	want := scalarT(((lse - 3) + math.Log(3)) / 2)
	checkForward(t, xent, want, x, t64([]float64{2, 0}, 2))
	checkForward(t, xentWith(t64([]float64{0, 0, 1, 1, 0, 0}, 2, 3)), want, x)
	soft := t64([]float64{0.2, 0.3, 0.5, 0, 0.5, 0.5}, 2, 3)
	checkForward(t, xentWith(soft), scalarT((0.2*(lse-1)+0.3*(lse-2)+0.5*(lse-3)+math.Log(3))/2), x)
}

func TestSoftmaxCrossEntropyLargeLogits(t *testing.T) {
	x := t64([]float64{1e4, 0, -1e4, -1e4, 1e4, 0}, 2, 3)
	checkForward(t, xent, scalarT(1e4), x, t64([]float64{0, 0}, 2))
	checkForward(t, xent, scalarT(0), x, t64([]float64{0, 1}, 2))
	checkForward(t, xentWith(t64([]float64{0, 0, 1, 0, 1, 0}, 2, 3)), scalarT(1e4), x)
}

func TestSoftmaxCrossEntropyGrad(t *testing.T) {
	checkGradWRT(t, xent, []int{0}, randT(1, 4, 3), t64([]float64{2, 0, 1, 1}, 4))
	checkGrad(t, xentWith(t64([]float64{0, 0, 0, 1, 0, 1, 0, 0, 0, 0}, 2, 5)), randT(2, 2, 5))
	// Soft targets need not sum to 1: the gradient stays exact.
	checkGrad(t, xentWith(randT(4, 3, 4)), randT(3, 3, 4))
	// A scalar upstream gradient that is not 1 scales the result.
	checkGradWRT(t, times3(xent), []int{0}, randT(5, 3, 4), t64([]float64{3, 0, 2}, 3))
}

func TestSoftmaxCrossEntropyBadLabels(t *testing.T) {
	checkBadLabels(t, xent, xentGradOp{labelDims: 1}, randT(1, 2, 3))
}

func TestSoftmaxCrossEntropyShapeErrors(t *testing.T) {
	for _, c := range [][2][]int{
		{{6}, {6}}, {{2, 3}, {3}}, {{2, 3}, {2, 4}}, {{2, 3}, {2, 3, 1}}, {{2, 3, 1}, {2}},
	} {
		if _, err := compile(t, xent, tensor.Float64, randT(1, c[0]...), randT(2, c[1]...)); err == nil {
			t.Errorf("logits %v, labels %v: no error", c[0], c[1])
		}
	}
}

func BenchmarkSoftmaxCrossEntropy64x10(b *testing.B) {
	labels := make([]float64, 64)
	for i := range labels {
		labels[i] = float64(i % 10)
	}
	benchForwardBackward(b, xent, []int{0}, randT(1, 64, 10), t64(labels, 64))
}

func BenchmarkSoftmax64x10(b *testing.B) {
	benchForwardBackward(b, unary(Softmax), nil, randT(1, 64, 10))
}

// TestSoftmaxCrossEntropyLabelsNotDifferentiable: G.Grad refuses them
// instead of returning a made-up gradient.
func TestSoftmaxCrossEntropyLabelsNotDifferentiable(t *testing.T) {
	g := G.NewGraph()
	x := G.NewMatrix(g, tensor.Float64, G.WithShape(2, 3), G.WithName("x"))
	l := G.NewVector(g, tensor.Float64, G.WithShape(2), G.WithName("l"))
	loss, err := SoftmaxCrossEntropy(x, l)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := G.Grad(loss, x, l); err == nil {
		t.Error("gradient with respect to the labels: no error")
	}
}

// TestSoftmaxCrossEntropyGradScalarForms: the upstream gradient may come
// as a gorgonia scalar of either width or as a one-element tensor.
func TestSoftmaxCrossEntropyGradScalarForms(t *testing.T) {
	x, l := randT(1, 2, 3), t64([]float64{1, 2}, 2)
	want, err := (xentGradOp{labelDims: 1}).Do(x, l, G.NewF64(2))
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range []G.Value{G.NewF32(2), t64([]float64{2}, 1)} {
		got, err := (xentGradOp{labelDims: 1}).Do(x, l, g)
		if err != nil {
			t.Fatalf("%T: %v", g, err)
		}
		assertClose(t, "dx", toF64(t, got), toF64(t, want), want.Shape(), got.Shape(), 1e-15)
	}
	if _, err := (xentGradOp{labelDims: 1}).Do(x, l, randT(1, 2)); err == nil {
		t.Error("two-element upstream gradient: no error")
	}
}
