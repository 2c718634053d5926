package graph

import (
	"fmt"
	"strings"
	"testing"
)

// TestReLUPoolFused checks that a ReLU followed by max pooling trains
// through ops.MaxPool2DReLU and never computes the ReLU, while Activations
// still shows the ReLU's output.
func TestReLUPoolFused(t *testing.T) {
	net := Sequential("c", Conv2D("conv", 2, 3, Pad(1)), ReLU(), MaxPool2D("pool", 2), Flatten(), Dense("fc", 2))
	m, err := NewModel(net, []int{1, 4, 4}, 1, Float64())
	if err != nil {
		t.Fatal(err)
	}
	tr, _ := NewTrainer(m, CrossEntropy{}, &SGD{LR: 0.1})
	p, err := tr.program(2)
	if err != nil {
		t.Fatal(err)
	}
	var fused, relu int
	for _, n := range p.computed {
		switch op := fmt.Sprint(n.Op()); {
		case strings.HasPrefix(op, "MaxPool2DReLU("):
			fused++
		case strings.HasPrefix(op, "ReLU"):
			relu++
		}
	}
	if fused != 1 || relu != 0 {
		t.Fatalf("training computes %d fused pools and %d ReLU ops, want 1 and 0", fused, relu)
	}
	x := []float32{1, -2, 3, -4, 5, -6, 7, -8, 9, -1, 2, -3, 4, -5, 6, -7}
	acts, err := m.Activations(x, 1)
	if err != nil {
		t.Fatal(err)
	}
	// The layers are conv, relu, pool, ...: Activations still computes
	// the ReLU that training leaves out, and it is max(0, conv).
	if len(acts) < 3 || acts[0].Name != "conv" || !strings.Contains(strings.ToLower(acts[1].Name), "relu") {
		t.Fatalf("activations %v: want conv then relu first", acts)
	}
	conv, reluOut := acts[0].Values, acts[1].Values
	negative := false
	for i, v := range conv {
		negative = negative || v < 0
		if reluOut[i] != max(v, 0) {
			t.Fatalf("relu[%d] = %v for conv %v", i, reluOut[i], v)
		}
	}
	if !negative {
		t.Fatal("no negative conv output: the test checks nothing")
	}
}

// TestDOTShowsWhatRuns checks that DOT draws the fused pooling node and
// not the ReLU that no prediction computes.
func TestDOTShowsWhatRuns(t *testing.T) {
	net := Sequential("c", Conv2D("conv", 2, 3, Pad(1)), ReLU(), MaxPool2D("pool", 2), Flatten(), Dense("fc", 2))
	m, err := NewModel(net, []int{1, 4, 4}, 1)
	if err != nil {
		t.Fatal(err)
	}
	dot := m.DOT()
	if !strings.Contains(dot, "pool\\nReLU+MaxPool2D, one op with relu") || strings.Contains(dot, "relu\\nReLU") ||
		!strings.Contains(dot, "l0 -> l2") {
		t.Fatalf("DOT should show the fused ReLU+MaxPool2D as one box fed by conv:\n%s", dot)
	}
	s, err := FormatSummary(m)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(s, "runs inside pool") || !strings.Contains(s, "ReLU+MaxPool2D, one op with relu") {
		t.Fatalf("summary should show the fusion:\n%s", s)
	}
}
