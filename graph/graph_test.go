package graph

import (
	"fmt"
	"math"
	"strings"
	"testing"
)

// tinyNet is a 3-4-2 MLP in float64 with a cross-entropy loss.
func tinyNet(t *testing.T, seed uint64) *Model {
	t.Helper()
	m, err := NewModel(Sequential("tiny", Dense("fc1", 4), Tanh(), Dense("fc2", 2)), []int{3}, seed, Float64())
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// tinyData is six labelled examples for tinyNet.
func tinyData(t *testing.T) *Arrays {
	t.Helper()
	x := []float32{0.1, -0.4, 0.9, 0.5, 0.2, -0.3, -0.8, 0.7, 0.1, 0.3, 0.3, 0.3, -0.2, -0.9, 0.4, 0.6, -0.1, -0.7}
	a, err := NewArrays(x, 3, []float32{0, 1, 1, 0, 1, 0}, 1)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestShapeErrorsNameLayerAndShapes(t *testing.T) {
	cases := []struct {
		layer Layer
		input []int
		want  []string
	}{
		{Sequential("s", Conv2D("conv1", 6, 5)), []int{784}, []string{"conv1", "[784]", "[channels height width]"}},
		{Sequential("s", Conv2D("conv1", 6, 5), Dense("fc1", 10)), []int{1, 28, 28}, []string{"fc1", "[6 24 24]", "Flatten"}},
		{Sequential("s", Conv2D("conv1", 6, 5)), []int{1, 3, 3}, []string{"conv1", "[1 3 3]"}},
		{Sequential("s", MaxPool2D("pool", 2, Pad(2))), []int{1, 8, 8}, []string{"pool", "padding"}},
		{Sequential("s", Dense("a", 3), Dense("a", 3)), []int{3}, []string{"a.weight"}},
	}
	for _, c := range cases {
		_, err := NewModel(c.layer, c.input, 1)
		if err == nil {
			t.Fatalf("%v: no error", c.want)
		}
		for _, w := range c.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("error %q does not mention %q", err, w)
			}
		}
	}
}

func TestSeedFixesEveryWeight(t *testing.T) {
	a, b, c := tinyNet(t, 7), tinyNet(t, 7), tinyNet(t, 8)
	for i, p := range a.Params() {
		if !equal(p.Float64s(), b.Params()[i].Float64s()) {
			t.Errorf("%s differs for one seed", p.Name)
		}
	}
	if equal(a.Params()[0].Float64s(), c.Params()[0].Float64s()) {
		t.Error("different seeds gave the same weights")
	}
}

func equal(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestGradientsRightEveryStep checks the captured gradients against finite
// differences of the evaluated loss at three consecutive steps, so any
// accumulation between steps would show.
func TestGradientsRightEveryStep(t *testing.T) {
	m, data := tinyNet(t, 3), tinyData(t)
	tr, err := NewTrainer(m, CrossEntropy{}, &SGD{LR: 0.3})
	if err != nil {
		t.Fatal(err)
	}
	for step := 0; step < 3; step++ {
		numeric := numericGrads(t, m, data)
		before := snapshot(m)
		if _, err := tr.TrainBatch(data.X, data.Y, data.Len()); err != nil {
			t.Fatal(err)
		}
		for i, p := range m.Params() {
			after := p.Float64s()
			for j := range after {
				got := (before[i][j] - after[j]) / 0.3 // SGD without momentum: Δw = -lr·g
				if math.Abs(got-numeric[i][j]) > 1e-6 {
					t.Fatalf("step %d %s[%d]: gradient %.9g, finite difference %.9g", step, p.Name, j, got, numeric[i][j])
				}
			}
		}
	}
}

func snapshot(m *Model) [][]float64 {
	var s [][]float64
	for _, p := range m.Params() {
		s = append(s, p.Float64s())
	}
	return s
}

// numericGrads differentiates the mean loss over data by central differences.
func numericGrads(t *testing.T, m *Model, data Dataset) [][]float64 {
	t.Helper()
	lossAt := func() float64 {
		met, err := Evaluate(m, CrossEntropy{}, data, data.Len())
		if err != nil {
			t.Fatal(err)
		}
		return met.Loss
	}
	var grads [][]float64
	const eps = 1e-6
	for _, p := range m.Params() {
		w := p.Float64s()
		g := make([]float64, len(w))
		for j := range w {
			w0 := w[j]
			w[j] = w0 + eps
			_ = p.Set(w)
			up := lossAt()
			w[j] = w0 - eps
			_ = p.Set(w)
			g[j] = (up - lossAt()) / (2 * eps)
			w[j] = w0
			_ = p.Set(w)
		}
		grads = append(grads, g)
	}
	return grads
}

func TestProgramsShareWeights(t *testing.T) {
	m, data := tinyNet(t, 5), tinyData(t)
	all, err := m.Predict(data.X, 6, 6)
	if err != nil {
		t.Fatal(err)
	}
	one, err := m.Predict(data.X, 6, 1)
	if err != nil {
		t.Fatal(err)
	}
	if !equal(all, one) {
		t.Fatalf("batch 6 %v != batch 1 %v", all, one)
	}
	tr, _ := NewTrainer(m, CrossEntropy{}, &SGD{LR: 0.5})
	if _, err := tr.TrainBatch(data.X[:12], data.Y[:4], 4); err != nil {
		t.Fatal(err)
	}
	after, _ := m.Predict(data.X, 6, 6)
	if equal(all, after) {
		t.Fatal("prediction did not see the trained weights")
	}
}

func TestFitPartialBatchesAndReproducibility(t *testing.T) {
	run := func(dropLast bool) (steps int, w []float64) {
		m, data := tinyNet(t, 9), tinyData(t)
		tr, _ := NewTrainer(m, CrossEntropy{}, &SGD{LR: 0.1, Momentum: 0.9})
		_, err := tr.Fit(data, FitConfig{Epochs: 3, BatchSize: 4, Seed: 11, DropLast: dropLast})
		if err != nil {
			t.Fatal(err)
		}
		return tr.Steps(), m.Params()[0].Float64s()
	}
	steps, w1 := run(false)
	if steps != 6 {
		t.Errorf("6 examples, batch 4, 3 epochs: %d steps, want 6", steps)
	}
	if steps, _ := run(true); steps != 3 {
		t.Errorf("drop last: %d steps, want 3", steps)
	}
	if _, w2 := run(false); !equal(w1, w2) {
		t.Error("same seed gave different weights")
	}
}

func TestFitLearns(t *testing.T) {
	m, data := tinyNet(t, 1), tinyData(t)
	tr, _ := NewTrainer(m, CrossEntropy{}, &Adam{LR: 0.05})
	var last EpochInfo
	_, err := tr.Fit(data, FitConfig{Epochs: 150, BatchSize: 6, OnEpoch: func(e EpochInfo) error { last = e; return nil }})
	if err != nil {
		t.Fatal(err)
	}
	if last.TrainAccuracy != 1 || last.TrainLoss > 0.05 {
		t.Fatalf("after 150 epochs: %+v", last)
	}
	met, err := tr.Evaluate(data, 4)
	if err != nil || met.Accuracy != 1 {
		t.Fatalf("evaluate: %+v %v", met, err)
	}
}

func TestNaNLossStopsAndKeepsWeights(t *testing.T) {
	m, data := tinyNet(t, 2), tinyData(t)
	tr, _ := NewTrainer(m, CrossEntropy{}, &SGD{LR: 0.1})
	before := snapshot(m)
	x := append([]float32(nil), data.X...)
	x[0] = float32(math.NaN())
	_, err := tr.TrainBatch(x, data.Y, 6)
	if err == nil || !strings.Contains(err.Error(), "step 1") {
		t.Fatalf("error %v, want one naming step 1", err)
	}
	for i, p := range m.Params() {
		if !equal(before[i], p.Float64s()) {
			t.Fatalf("%s changed after a NaN loss", p.Name)
		}
	}
}

func TestBadBatchIsAnError(t *testing.T) {
	m := tinyNet(t, 1)
	tr, _ := NewTrainer(m, CrossEntropy{}, &SGD{LR: 0.1})
	if _, err := tr.TrainBatch(make([]float32, 5), make([]float32, 2), 2); err == nil {
		t.Error("wrong input length accepted")
	}
	if _, err := m.Predict(make([]float32, 4), 2, 2); err == nil {
		t.Error("wrong predict length accepted")
	}
	if _, err := tr.TrainBatch([]float32{0, 0, 0}, []float32{7}, 1); err == nil {
		t.Error("label 7 of 2 classes accepted")
	}
}

func TestDOT(t *testing.T) {
	m := tinyNet(t, 1)
	expr, err := m.GraphDOT(5)
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"fc1.weight\\n4x3", "Tanh\\n5x4", "Dense\\n5x2", "input\\n5x3"} {
		if !strings.Contains(expr, w) {
			t.Errorf("GraphDOT lacks %q:\n%s", w, expr)
		}
	}
	if strings.Contains(expr, "NIL") || strings.Contains(expr, "0x") {
		t.Errorf("GraphDOT shows gorgonia's debug cells:\n%s", expr)
	}
	dot := m.DOT()
	for _, w := range []string{"digraph", "fc1\\nDense 4\\n4", "fc2\\nDense 2", "input\\n3", "input -> l0", "l0 -> l1", "l1 -> l2"} {
		if !strings.Contains(dot, w) {
			t.Errorf("DOT lacks %q", w)
		}
	}
}

// TestUnneededGradientsNotComputed checks that the gradient G.Grad builds
// for the input images is left out of the training machine.
func TestUnneededGradientsNotComputed(t *testing.T) {
	net := Sequential("c", Conv2D("conv", 2, 3), ReLU(), Flatten(), Dense("fc", 2))
	m, err := NewModel(net, []int{1, 5, 5}, 1)
	if err != nil {
		t.Fatal(err)
	}
	tr, _ := NewTrainer(m, CrossEntropy{}, &SGD{LR: 0.1})
	p, err := tr.program(3)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, n := range p.Graph.AllNodes() {
		op := fmt.Sprint(n.Op())
		if !strings.Contains(op, "Grad") {
			continue
		}
		isInput := strings.Contains(op, "InputGrad")
		found = found || isInput
		if p.computed.Contains(n) == isInput {
			t.Errorf("%s: computed %v", op, p.computed.Contains(n))
		}
	}
	if !found {
		t.Fatal("G.Grad built no input gradient: the test no longer tests anything")
	}
}

// TestRunsLeaveWeightsAlone checks that no program writes into a weight:
// register reuse inside the machine must never hand a parameter's tensor to
// another node as its output buffer.
func TestRunsLeaveWeightsAlone(t *testing.T) {
	net := Sequential("c", Conv2D("conv", 3, 3, Pad(1)), ReLU(), MaxPool2D("pool", 2), Flatten(), Dense("fc", 4), Sigmoid(), Dense("out", 2))
	m, err := NewModel(net, []int{2, 6, 6}, 1)
	if err != nil {
		t.Fatal(err)
	}
	before := snapshot(m)
	x := make([]float32, 5*72)
	for i := range x {
		x[i] = float32(i%7) - 3
	}
	data, _ := NewArrays(x, 72, []float32{0, 1, 1, 0, 1}, 1)
	for run := 0; run < 3; run++ {
		if _, err := m.Predict(x, 5, 2); err != nil {
			t.Fatal(err)
		}
		if _, err := Evaluate(m, CrossEntropy{}, data, 5); err != nil {
			t.Fatal(err)
		}
	}
	for i, p := range m.Params() {
		if !equal(before[i], p.Float64s()) {
			t.Fatalf("%s changed by running the model", p.Name)
		}
	}
}

func TestEpochOrderIsSeededPermutation(t *testing.T) {
	a, b, c := EpochOrder(1000, 5, 1), EpochOrder(1000, 5, 1), EpochOrder(1000, 5, 2)
	seen := make([]bool, 1000)
	same, moved := true, 0
	for i, v := range a {
		seen[v] = true
		same = same && v == b[i]
		if v != c[i] {
			moved++
		}
	}
	for i, ok := range seen {
		if !ok {
			t.Fatalf("%d missing from the order", i)
		}
	}
	if !same || moved < 900 {
		t.Fatalf("same seed and epoch differ: %v; another epoch moves only %d", !same, moved)
	}
	// Pin the first values so a change of shuffle (which would break resuming
	// old checkpoints) cannot go unnoticed.
	if got := EpochOrder(10, 1, 1); fmt.Sprint(got) != fmt.Sprint(pinnedOrder) {
		t.Fatalf("EpochOrder(10, 1, 1) = %v, pinned %v", got, pinnedOrder)
	}
}

// pinnedOrder is EpochOrder(10, 1, 1) as first shipped; checkpoints depend on it.
var pinnedOrder = []int{7, 1, 6, 2, 3, 5, 9, 4, 8, 0}
