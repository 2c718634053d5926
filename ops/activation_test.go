package ops

import (
	"math"
	"testing"

	G "gorgonia.org/gorgonia"
)

func unary(f func(*G.Node) (*G.Node, error)) builder {
	return func(xs ...*G.Node) (*G.Node, error) { return f(xs[0]) }
}

func TestActivationForward(t *testing.T) {
	x := t64([]float64{-3, -0.5, 0, 0.5, 3, 40, -40, 1e4, -1e4}, 3, 3)
	ref := func(f func(float64) float64) []float64 {
		out := make([]float64, x.Size())
		for i, v := range x.Float64s() {
			out[i] = f(v)
		}
		return out
	}
	checkForward(t, unary(ReLU), t64(ref(func(v float64) float64 { return math.Max(v, 0) }), 3, 3), x)
	checkForward(t, unary(Sigmoid), t64(ref(func(v float64) float64 { return 1 / (1 + math.Exp(-v)) }), 3, 3), x)
	checkForward(t, unary(Tanh), t64(ref(math.Tanh), 3, 3), x)
}

func TestActivationGrad(t *testing.T) {
	for _, f := range []func(*G.Node) (*G.Node, error){ReLU, Sigmoid, Tanh} {
		checkGrad(t, unary(f), randT(1, 2, 3, 4))
		checkGrad(t, unary(f), randT(2, 7))
	}
}
