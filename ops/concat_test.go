package ops

import (
	"strings"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

func concat(axis int) builder {
	return func(xs ...*G.Node) (*G.Node, error) { return Concat(axis, xs...) }
}

// naiveConcat joins xs along axis, element by element: output index
// (o, k, i), with o over the axes before axis and i over those after, comes
// from the input whose range along axis holds k.
func naiveConcat(axis int, xs ...*tensor.Dense) *tensor.Dense {
	shape := xs[0].Shape().Clone()
	shape[axis] = 0
	for _, x := range xs {
		shape[axis] += x.Shape()[axis]
	}
	outer, inner := 1, 1
	for d, n := range shape {
		if d < axis {
			outer *= n
		} else if d > axis {
			inner *= n
		}
	}
	var out []float64
	for o := 0; o < outer; o++ {
		for _, x := range xs {
			k := x.Shape()[axis]
			for j := 0; j < k*inner; j++ {
				out = append(out, x.Float64s()[o*k*inner+j])
			}
		}
	}
	return t64(out, shape...)
}

func TestConcatByHand(t *testing.T) {
	a, b := t64([]float64{1, 2, 3, 4}, 2, 2), t64([]float64{5, 6}, 2, 1)
	checkForward(t, concat(1), t64([]float64{1, 2, 5, 3, 4, 6}, 2, 3), a, b)
	checkForward(t, concat(0), t64([]float64{1, 2, 3, 4, 5, 6, 7, 8}, 4, 2), a, t64([]float64{5, 6, 7, 8}, 2, 2))
}

func TestConcatForward(t *testing.T) {
	cases := []struct {
		axis   int
		shapes [][]int
	}{
		{1, [][]int{{2, 3, 4, 5}, {2, 1, 4, 5}, {2, 2, 4, 5}}},
		{3, [][]int{{2, 3, 4, 5}, {2, 3, 4, 1}, {2, 3, 4, 2}}},
		{0, [][]int{{1, 3, 2}, {2, 3, 2}}},
		{1, [][]int{{4, 7}, {4, 2}, {4, 1}}},
		{1, [][]int{{3, 2, 2}}},
		{1, [][]int{{64, 16, 10, 10}, {64, 8, 10, 10}}}, // spreads over the cores
	}
	for i, c := range cases {
		xs := make([]*tensor.Dense, len(c.shapes))
		for k, s := range c.shapes {
			xs[k] = randT(uint64(10*i+k), s...)
		}
		checkForward(t, concat(c.axis), naiveConcat(c.axis, xs...), xs...)
	}
}

func TestConcatGrad(t *testing.T) {
	checkGrad(t, concat(1), randT(1, 2, 3, 2, 2), randT(2, 2, 1, 2, 2), randT(3, 2, 2, 2, 2))
	checkGrad(t, concat(3), randT(4, 2, 2, 3, 2), randT(5, 2, 2, 3, 1), randT(6, 2, 2, 3, 3))
	checkGrad(t, concat(1), randT(7, 3, 4), randT(8, 3, 2), randT(9, 3, 1))
	checkGrad(t, concat(0), randT(10, 2, 3))
	// The same input twice gets the sum of its two slices.
	checkGrad(t, func(xs ...*G.Node) (*G.Node, error) { return Concat(1, xs[0], xs[1], xs[0]) }, randT(11, 2, 3), randT(12, 2, 2))
}

func TestConcatErrors(t *testing.T) {
	if _, err := Concat(1); err == nil {
		t.Error("no inputs: no error")
	}
	_, err := compile(t, concat(1), tensor.Float64, randT(1, 2, 3, 4), randT(2, 2, 3, 5))
	if err == nil || !strings.Contains(err.Error(), "(2, 3, 4)") || !strings.Contains(err.Error(), "(2, 3, 5)") {
		t.Errorf("mismatched sizes: error %v, want one naming both shapes", err)
	}
	if _, err := compile(t, concat(1), tensor.Float64, randT(1, 2, 3), randT(2, 2, 3, 1)); err == nil {
		t.Error("mismatched ranks: no error")
	}
	for _, axis := range []int{-1, 2} {
		if _, err := compile(t, concat(axis), tensor.Float64, randT(1, 2, 3), randT(2, 2, 3)); err == nil {
			t.Errorf("axis %d: no error", axis)
		}
	}
	op := concatOp{axis: 1, n: 2, dims: 2}
	if _, err := op.Do(randT(1, 2, 3), randT(2, 3, 3)); err == nil {
		t.Error("values that do not fit: no error")
	}
	if _, err := (concatGradOp{axis: 1, off: 2, size: 2, dims: 2}).Do(randT(1, 2, 3)); err == nil {
		t.Error("gradient too small for the slice: no error")
	}
}
