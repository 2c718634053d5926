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
	for _, a := range acts {
		if strings.Contains(a.Name, "relu") || strings.Contains(a.Name, "ReLU") {
			for _, v := range a.Values {
				if v < 0 {
					t.Fatalf("activation %s holds %v", a.Name, v)
				}
			}
			return
		}
	}
	t.Fatalf("no ReLU among the activations %v", acts)
}

// TestDOTShowsWhatRuns checks that DOT draws the fused pooling node and
// not the ReLU that no prediction computes.
func TestDOTShowsWhatRuns(t *testing.T) {
	net := Sequential("c", Conv2D("conv", 2, 3, Pad(1)), ReLU(), MaxPool2D("pool", 2), Flatten(), Dense("fc", 2))
	m, err := NewModel(net, []int{1, 4, 4}, 1)
	if err != nil {
		t.Fatal(err)
	}
	dot, err := m.DOT(1)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(dot, ">MaxPool2DReLU(") || strings.Contains(dot, ">ReLU(") {
		t.Fatalf("DOT should show MaxPool2DReLU and no lone ReLU:\n%s", dot)
	}
}
