package graph

import (
	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"

	"github.com/featlearn/featlearn/ops"
)

// Perceptron is the perceptron criterion against class indices (one float
// per example holding 0, 1, ...): the mean over the batch of the score of
// the class the model guesses minus the score of the true class.
//
// Its gradient with respect to the scores is +1 at the guess and -1 at the
// truth, divided by the batch size, and zero for a right guess. Under SGD
// with learning rate 1 and batch size 1 on a bias-free Dense layer, one
// step therefore adds the input to the true class's weights and subtracts
// it from the guessed class's weights: the classic perceptron rule and
// Hinton's digit-template learning, derived by G.Grad instead of written
// by hand.
type Perceptron struct{}

// Name returns "perceptron".
func (Perceptron) Name() string { return "perceptron" }

// TargetShape is a scalar class index per example.
func (Perceptron) TargetShape(Shape) Shape { return Shape{} }

// Build applies ops.PerceptronLoss.
func (Perceptron) Build(output, target *G.Node) (*G.Node, error) {
	if output.Dims() != 2 {
		return nil, errors.Errorf("perceptron: output shape %v, want (batch, classes)", output.Shape())
	}
	return ops.PerceptronLoss(output, target)
}

// Correct counts the examples whose guess, the first class of highest
// score, is the target class.
func (Perceptron) Correct(out []float64, target []float32, n int) int {
	return CrossEntropy{}.Correct(out, target, n)
}
