package ops

import (
	"math"
	"testing"

	"github.com/featlearn/featlearn/ops/internal/kernels"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
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

func leaky(slope float64) builder {
	return func(xs ...*G.Node) (*G.Node, error) { return LeakyReLU(xs[0], slope) }
}

// naiveLeaky is the definition: x where x > 0, slope·x elsewhere.
func naiveLeaky(x *tensor.Dense, slope float64) *tensor.Dense {
	out := make([]float64, x.Size())
	for i, v := range x.Float64s() {
		out[i] = v
		if !(v > 0) {
			out[i] = slope * v
		}
	}
	return t64(out, x.Shape()...)
}

func TestLeakyReLUForward(t *testing.T) {
	x := t64([]float64{-3, -0.5, 0, 0.5, 3, 40, -40, 1e4, -1e4}, 3, 3)
	checkForward(t, leaky(0.01), t64([]float64{-0.03, -0.005, 0, 0.5, 3, 40, -0.4, 1e4, -100}, 3, 3), x)
	for _, slope := range []float64{0.01, 0.2, 0, -0.5, 1.5} {
		checkForward(t, leaky(slope), naiveLeaky(x, slope), x)
		big := randT(3, 5, 8, 1000) // past reluSplit: spread over the cores
		checkForward(t, leaky(slope), naiveLeaky(big, slope), big)
	}
}

func TestLeakyReLUGrad(t *testing.T) {
	for _, slope := range []float64{0.01, 0.2, -0.3} {
		checkGrad(t, leaky(slope), randT(1, 2, 3, 4))
		checkGrad(t, leaky(slope), randT(2, 7))
	}
}

// TestLeakyReLUGradAtZero checks PyTorch's choice at x == 0, the slope, and
// that the gradient follows x, not y, for a negative slope.
func TestLeakyReLUGradAtZero(t *testing.T) {
	for _, dt := range []tensor.Dtype{tensor.Float64, tensor.Float32} {
		x := as(t64([]float64{0, -2, 2, math.Copysign(0, -1)}, 4), dt)
		dy := as(t64([]float64{1, 1, 1, 1}, 4), dt)
		dx, err := activationGradOp{act: kernels.ActLeakyReLU, slope: -0.5}.Do(x, dy)
		if err != nil {
			t.Fatal(err)
		}
		assertSame(t, dt.String(), toF64(t, dx), []float64{-0.5, -0.5, 1, -0.5})
	}
}

// TestLeakyReLUString checks that String shows the slope and that a slope
// that is not finite is an error.
func TestLeakyReLUString(t *testing.T) {
	op := activationOp{act: kernels.ActLeakyReLU, slope: 0.01}
	if s := op.String(); s != "LeakyReLU(0.01)" {
		t.Errorf("String() = %q", s)
	}
	if _, err := LeakyReLU(G.NewVector(G.NewGraph(), tensor.Float64, G.WithShape(3)), math.NaN()); err == nil {
		t.Error("NaN slope: no error")
	}
}
