package ops

import (
	"strings"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

func add(xs ...*G.Node) (*G.Node, error) { return Add(xs[0], xs[1]) }

// naiveAdd is the elementwise sum.
func naiveAdd(a, b *tensor.Dense) *tensor.Dense {
	out := make([]float64, a.Size())
	for i := range out {
		out[i] = a.Float64s()[i] + b.Float64s()[i]
	}
	return t64(out, a.Shape()...)
}

func TestAddForward(t *testing.T) {
	a, b := t64([]float64{1, 2, 3, -4, 0.5, 6}, 2, 3), t64([]float64{10, -2, 0.25, 4, 0.5, -7}, 2, 3)
	checkForward(t, add, t64([]float64{11, 0, 3.25, 0, 1, -1}, 2, 3), a, b)
	for _, shape := range [][]int{{7}, {2, 3, 4, 5}, {64, 6, 14, 14}} { // the last spreads over the cores
		a, b := randT(1, shape...), randT(2, shape...)
		checkForward(t, add, naiveAdd(a, b), a, b)
	}
}

func TestAddGrad(t *testing.T) {
	checkGrad(t, add, randT(1, 2, 3, 4), randT(2, 2, 3, 4))
	checkGrad(t, add, randT(3, 5), randT(4, 5))
	// x + x: G.Grad sums the gradient passed to both inputs.
	checkGrad(t, func(xs ...*G.Node) (*G.Node, error) { return Add(xs[0], xs[0]) }, randT(5, 3, 2))
}

func TestAddErrors(t *testing.T) {
	_, err := compile(t, add, tensor.Float64, randT(1, 2, 3), randT(2, 3, 2))
	if err == nil || !strings.Contains(err.Error(), "(2, 3)") || !strings.Contains(err.Error(), "(3, 2)") {
		t.Errorf("error %v, want one naming both shapes", err)
	}
	if _, err := (addOp{}).Do(randT(1, 2, 3), randT(2, 6)); err == nil {
		t.Error("values of different shapes: no error")
	}
}
