package graph

import (
	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/featlearn/featlearn/ops"
)

// Loss turns a batch of model outputs and targets into a scalar to minimise.
type Loss interface {
	// Name names the loss in messages.
	Name() string
	// TargetShape is the shape of one example's target for a model output of
	// the given per-example shape.
	TargetShape(out Shape) Shape
	// Build adds the scalar loss of output against target to their graph.
	Build(output, target *G.Node) (*G.Node, error)
	// Correct counts the examples of a batch of n whose output is right.
	Correct(out []float64, target []float32, n int) int
}

// CrossEntropy is the mean softmax cross-entropy of logits against class
// indices (one float per example holding 0, 1, ...).
type CrossEntropy struct{}

// Name returns "cross-entropy".
func (CrossEntropy) Name() string { return "cross-entropy" }

// TargetShape is a scalar class index per example.
func (CrossEntropy) TargetShape(Shape) Shape { return Shape{} }

// Build applies ops.SoftmaxCrossEntropy.
func (CrossEntropy) Build(output, target *G.Node) (*G.Node, error) {
	if output.Dims() != 2 {
		return nil, errors.Errorf("cross-entropy: output shape %v, want (batch, classes)", output.Shape())
	}
	return ops.SoftmaxCrossEntropy(output, target)
}

// Correct counts the examples whose highest logit is at the target class.
func (CrossEntropy) Correct(out []float64, target []float32, n int) int {
	classes, right := len(out)/max(n, 1), 0
	for i := 0; i < n; i++ {
		if Argmax(out[i*classes:(i+1)*classes]) == int(target[i]) {
			right++
		}
	}
	return right
}

// Argmax returns the index of the largest value (the first one on ties).
func Argmax(v []float64) int {
	best := 0
	for i, x := range v {
		if x > v[best] {
			best = i
		}
	}
	return best
}

// MeanSquaredError is the mean over all output values of (output-target)².
type MeanSquaredError struct{}

// Name returns "mse".
func (MeanSquaredError) Name() string { return "mse" }

// TargetShape is the output's shape.
func (MeanSquaredError) TargetShape(out Shape) Shape { return append(Shape(nil), out...) }

// Build adds mean((output-target)²).
func (MeanSquaredError) Build(output, target *G.Node) (*G.Node, error) {
	if !output.Shape().Eq(target.Shape()) {
		return nil, errors.Errorf("mse: output shape %v, target shape %v", output.Shape(), target.Shape())
	}
	diff, err := G.Sub(output, target)
	if err != nil {
		return nil, err
	}
	sq, err := G.Square(diff)
	if err != nil {
		return nil, err
	}
	return G.Mean(sq)
}

// Correct counts the examples whose every output is within 0.5 of its
// target (the rounding rule for 0/1 targets), or, with several outputs and
// one-hot targets, whose largest output is at the target's largest value.
func (MeanSquaredError) Correct(out []float64, target []float32, n int) int {
	size, right := len(out)/max(n, 1), 0
	for i := 0; i < n; i++ {
		o, t := out[i*size:(i+1)*size], target[i*size:(i+1)*size]
		ok := true
		for j := range o {
			if d := o[j] - float64(t[j]); d >= 0.5 || d <= -0.5 {
				ok = false
			}
		}
		if ok {
			right++
		}
	}
	return right
}

// lossTarget makes the target node of a loss for a program's output.
func lossTarget(g *G.ExprGraph, loss Loss, dt tensor.Dtype, batch int, out Shape) (*G.Node, *tensor.Dense) {
	shape := append([]int{batch}, loss.TargetShape(out)...)
	t := tensor.New(tensor.Of(dt), tensor.WithShape(shape...))
	return G.NewTensor(g, dt, len(shape), G.WithShape(shape...), G.WithValue(t), G.WithName("target")), t
}
