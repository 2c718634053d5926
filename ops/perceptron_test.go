package ops

import (
	"math"
	"sort"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

func perceptron(xs ...*G.Node) (*G.Node, error) { return PerceptronLoss(xs[0], xs[1]) }

func TestPerceptronLossForward(t *testing.T) {
	// Row 0 guesses class 1 (score 3) but is class 2 (score 2): 1.
	// Row 1 guesses its own class 0: 0. Row 2 guesses class 0 (5) for
	// class 2 (-1): 6.
	s := t64([]float64{1, 3, 2, 5, 1, 0, 5, 4, -1}, 3, 3)
	checkForward(t, perceptron, scalarT(7.0/3), s, t64([]float64{2, 0, 2}, 3))
	// A tie for the highest score costs nothing whichever class is true.
	checkForward(t, perceptron, scalarT(0), t64([]float64{2, 2, 1}, 1, 3), t64([]float64{1}, 1))
	checkForward(t, perceptron, scalarT(3), t64([]float64{2, 2, -1}, 1, 3), t64([]float64{2}, 1))
}

// TestPerceptronLossGradValues: the gradient is (e_guess - e_truth)/N,
// zero for a right guess, with the first of tied classes as the guess.
func TestPerceptronLossGradValues(t *testing.T) {
	s := t64([]float64{1, 3, 2, 5, 1, 0, 2, 2, 1, 0, 4, 4}, 4, 3)
	y := t64([]float64{2, 0, 1, 2}, 4)
	got, err := (perceptronGradOp{}).Do(s, y, G.NewF64(4))
	if err != nil {
		t.Fatal(err)
	}
	want := []float64{0, 1, -1, 0, 0, 0, 1, -1, 0, 0, 1, -1}
	assertClose(t, "ds", toF64(t, got), want, s.Shape(), got.Shape(), 0)
	got32, err := (perceptronGradOp{}).Do(as(s, tensor.Float32), as(y, tensor.Float32), G.NewF32(4))
	if err != nil {
		t.Fatal(err)
	}
	assertClose(t, "ds32", toF64(t, got32), want, s.Shape(), got32.Shape(), 0)
}

// minGap returns the smallest distance between a row's highest score and
// any other score of the row: the loss is linear within that distance.
func minGap(s *tensor.Dense) float64 {
	c := s.Shape()[1]
	gap := math.Inf(1)
	for r := 0; r < s.Shape()[0]; r++ {
		row := append([]float64(nil), s.Float64s()[r*c:(r+1)*c]...)
		sort.Float64s(row)
		gap = math.Min(gap, row[c-1]-row[c-2])
	}
	return gap
}

// TestPerceptronLossGrad checks the gradient against central differences.
// The loss is piecewise linear, so the points must lie away from ties:
// each row's top two scores are checked to be far more than the finite
// difference step apart.
func TestPerceptronLossGrad(t *testing.T) {
	cases := []struct {
		s *tensor.Dense
		y []float64
	}{
		{randT(1, 4, 3), []float64{2, 0, 1, 1}},
		{randT(2, 6, 10), []float64{9, 0, 3, 3, 7, 5}},
		{randT(3, 1, 2), []float64{1}},
	}
	for _, c := range cases {
		if g := minGap(c.s); g < 1e-3 {
			t.Fatalf("scores %v have a near tie (gap %g): pick another seed", c.s.Shape(), g)
		}
		checkGradWRT(t, perceptron, []int{0}, c.s, t64(c.y, len(c.y)))
	}
	// A scalar upstream gradient that is not 1 scales the result.
	checkGradWRT(t, times3(perceptron), []int{0}, randT(5, 3, 4), t64([]float64{3, 0, 2}, 3))
}

func TestPerceptronLossBadLabels(t *testing.T) {
	checkBadLabels(t, perceptron, perceptronGradOp{}, randT(1, 2, 3))
}

func TestPerceptronLossShapeErrors(t *testing.T) {
	for _, c := range [][2][]int{
		{{6}, {6}}, {{2, 3}, {3}}, {{2, 3}, {2, 3}}, {{2, 3, 1}, {2}},
	} {
		if _, err := compile(t, perceptron, tensor.Float64, randT(1, c[0]...), randT(2, c[1]...)); err == nil {
			t.Errorf("scores %v, labels %v: no error", c[0], c[1])
		}
	}
	if _, err := (perceptronGradOp{}).Do(randT(1, 2, 3), t64([]float64{0, 1}, 2), randT(1, 2)); err == nil {
		t.Error("two-element upstream gradient: no error")
	}
}

// TestPerceptronLossLabelsNotDifferentiable: G.Grad refuses the labels.
func TestPerceptronLossLabelsNotDifferentiable(t *testing.T) {
	g := G.NewGraph()
	x := G.NewMatrix(g, tensor.Float64, G.WithShape(2, 3), G.WithName("x"))
	l := G.NewVector(g, tensor.Float64, G.WithShape(2), G.WithName("l"))
	loss, err := PerceptronLoss(x, l)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := G.Grad(loss, x, l); err == nil {
		t.Error("gradient with respect to the labels: no error")
	}
}

// TestPerceptronLossHashes: the loss and its gradient op hash apart from
// each other and from softmax cross-entropy over the same inputs.
func TestPerceptronLossHashes(t *testing.T) {
	hashes := map[uint32]string{}
	for _, op := range []G.Op{perceptronOp{}, perceptronGradOp{}, xentOp{labelDims: 1}, xentGradOp{labelDims: 1}} {
		if prev, ok := hashes[op.Hashcode()]; ok {
			t.Errorf("%v and %v hash alike", op, prev)
		}
		hashes[op.Hashcode()] = op.String()
	}
}
