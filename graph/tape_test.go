package graph

import (
	"strings"
	"testing"
)

// trainWith trains a small conv net for three steps, running its programs
// in place or through RunAll, and returns its weights and predictions.
func trainWith(t *testing.T, inPlace bool) (weights [][]float64, pred []float64) {
	t.Helper()
	net := Sequential("small", Conv2D("conv", 3, 3, Pad(1)), ReLU(), MaxPool2D("pool", 2), Flatten(), Dense("fc", 4))
	m, err := NewModel(net, []int{1, 6, 6}, 3, Float64())
	if err != nil {
		t.Fatal(err)
	}
	tr, _ := NewTrainer(m, CrossEntropy{}, &SGD{LR: 0.1, Momentum: 0.9})
	x := make([]float32, 5*36)
	for i := range x {
		x[i] = float32(i%7) / 7
	}
	y := []float32{0, 1, 2, 3, 1}
	tp, err := tr.program(5)
	if err != nil {
		t.Fatal(err)
	}
	if tp.tape == nil {
		t.Fatal("training program falls back to RunAll: gorgonia's internals changed")
	}
	if !inPlace {
		tp.tape = nil
	}
	for step := 0; step < 3; step++ {
		if _, err := tr.TrainBatch(x, y, 5); err != nil {
			t.Fatal(err)
		}
	}
	p, err := m.program(5)
	if err != nil {
		t.Fatal(err)
	}
	if !inPlace {
		p.tape = nil
	}
	if pred, err = m.Predict(x, 5, 5); err != nil {
		t.Fatal(err)
	}
	return snapshot(m), pred
}

func TestTapeRunnerMatchesRunAll(t *testing.T) {
	w1, p1 := trainWith(t, true)
	w2, p2 := trainWith(t, false)
	for i := range w1 {
		if !equal(w1[i], w2[i]) {
			t.Fatalf("parameter %d differs between Run in place and RunAll", i)
		}
	}
	if !equal(p1, p2) {
		t.Fatalf("predictions differ: %v vs %v", p1, p2)
	}
}

func TestTapeRunnerReturnsOpErrors(t *testing.T) {
	m := tinyNet(t, 1)
	tr, _ := NewTrainer(m, CrossEntropy{}, &SGD{LR: 0.1})
	// The label check runs inside the cross-entropy op, so its error comes
	// out of the machine's run.
	_, err := tr.TrainBatch([]float32{0, 0, 0}, []float32{7}, 1)
	if err == nil || !strings.Contains(err.Error(), "label") {
		t.Fatalf("error %v, want the op's label error", err)
	}
	if tp := tr.programs[1]; tp == nil || tp.tape == nil {
		t.Fatal("the error did not come through the in-place runner")
	}
}
