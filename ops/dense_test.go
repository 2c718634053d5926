package ops

import (
	"strings"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

func dense(xs ...*G.Node) (*G.Node, error) { return Dense(xs[0], xs[1], xs[2]) }

func denseNoBias(xs ...*G.Node) (*G.Node, error) { return Dense(xs[0], xs[1], nil) }

// naiveDense is Σ_k x[n,k]·w[o,k] + b[o]; b may be nil.
func naiveDense(x, w, b *tensor.Dense) *tensor.Dense {
	n, in, out := x.Shape()[0], x.Shape()[1], w.Shape()[0]
	y := make([]float64, n*out)
	for i := range n {
		for o := range out {
			if b != nil {
				y[i*out+o] = b.Float64s()[o]
			}
			for k := range in {
				y[i*out+o] += x.Float64s()[i*in+k] * w.Float64s()[o*in+k]
			}
		}
	}
	return t64(y, n, out)
}

func TestDenseForward(t *testing.T) {
	x := t64([]float64{1, 2}, 1, 2)
	w := t64([]float64{1, 0, 0, 1, 1, 1}, 3, 2)
	checkForward(t, dense, t64([]float64{1.5, 1, 5}, 1, 3), x, w, t64([]float64{0.5, -1, 2}, 3))
	checkForward(t, denseNoBias, t64([]float64{1, 2, 3}, 1, 3), x, w)
	for _, s := range [][3]int{{4, 3, 5}, {1, 7, 2}, {6, 1, 1}, {3, 9, 4}} {
		x, w, b := randT(1, s[0], s[1]), randT(2, s[2], s[1]), randT(3, s[2])
		checkForward(t, dense, naiveDense(x, w, b), x, w, b)
		checkForward(t, denseNoBias, naiveDense(x, w, nil), x, w)
	}
}

// Input shapes differ from one another: compile's unnamed inputs of equal
// shape would be merged into one node by gorgonia.
func TestDenseGrad(t *testing.T) {
	checkGrad(t, dense, randT(1, 3, 4), randT(2, 5, 4), randT(3, 5))
	checkGrad(t, dense, randT(4, 1, 3), randT(5, 2, 3), randT(6, 2))
	checkGrad(t, denseNoBias, randT(7, 4, 2), randT(8, 3, 2))
}

func TestDenseBatchFromValue(t *testing.T) {
	w, b := randT(1, 3, 4), randT(2, 3)
	for _, n := range []int{1, 2, 5} {
		x := randT(uint64(n), n, 4)
		y, err := denseOp{bias: true}.Do(x, w, b)
		if err != nil {
			t.Fatal(err)
		}
		assertClose(t, "y", toF64(t, y), naiveDense(x, w, b).Float64s(), tensor.Shape{n, 3}, y.Shape(), 1e-12)
	}
}

func TestDenseShapeErrors(t *testing.T) {
	cases := []struct {
		x, w, b []int
		names   string // both shapes the error must name
	}{
		{[]int{2, 3}, []int{4, 5}, []int{4}, "(2, 3) and w (4, 5)"},
		{[]int{6}, []int{4, 6}, []int{4}, "(6) and w (4, 6)"},
		{[]int{2, 3}, []int{4, 3}, []int{3}, "(4, 3) and b (3)"},
		{[]int{2, 3}, []int{4, 3}, []int{1, 4}, "(4, 3) and b (1, 4)"},
	}
	for _, c := range cases {
		_, err := compile(t, dense, tensor.Float64, randT(1, c.x...), randT(2, c.w...), randT(3, c.b...))
		if err == nil || !strings.Contains(err.Error(), c.names) {
			t.Errorf("x %v, w %v, b %v: error %v, want one naming %q", c.x, c.w, c.b, err, c.names)
		}
	}
	if _, err := (denseGradOp{wrt: denseWRTx}).Do(randT(1, 3, 4), randT(2, 2, 5)); err == nil {
		t.Error("dx with mismatched w and gradient: no error")
	}
	if _, err := (denseGradOp{wrt: denseWRTw}).Do(randT(1, 3, 4), randT(2, 2, 5)); err == nil {
		t.Error("dw with mismatched x and gradient: no error")
	}
}

func benchDense(b *testing.B, n, in, out int) {
	benchForwardBackward(b, dense, nil, randT(1, n, in), randT(2, out, in), randT(3, out))
}

func BenchmarkDense64x400x120(b *testing.B) { benchDense(b, 64, 400, 120) }
func BenchmarkDense64x784x300(b *testing.B) { benchDense(b, 64, 784, 300) }
