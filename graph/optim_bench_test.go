package graph

import (
	"testing"

	"gorgonia.org/tensor"
)

// BenchmarkSGDStepMLP times one SGD momentum update of the MLP's 266,610
// weights (the update is bound by memory bandwidth, split over the cores).
func BenchmarkSGDStepMLP(b *testing.B) {
	m, err := NewModel(Sequential("mlp", Dense("fc1", 300), ReLU(), Dense("fc2", 100), ReLU(), Dense("fc3", 10)), []int{784}, 1)
	if err != nil {
		b.Fatal(err)
	}
	grads := make([]*tensor.Dense, len(m.Params()))
	for i, p := range m.Params() {
		grads[i] = newLike(tensor.Float32, p.Shape()...)
	}
	o := &SGD{LR: 0.01, Momentum: 0.9, WeightDecay: 1e-4}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if err := o.Step(m.Params(), grads); err != nil {
			b.Fatal(err)
		}
	}
}
