package graph

import (
	"testing"

	G "gorgonia.org/gorgonia"
)

// TestEvalProgram checks that the evaluation graph has the batch, the
// named parameter nodes and no dropout.
func TestEvalProgram(t *testing.T) {
	net := Sequential("net", Conv2D("conv", 2, 3), ReLU(), Flatten(), Dropout("drop", 0.5), Dense("fc", 3))
	m, err := NewModel(net, []int{1, 5, 5}, 1)
	if err != nil {
		t.Fatal(err)
	}
	p, err := m.EvalProgram(4)
	if err != nil {
		t.Fatal(err)
	}
	if p.Training || p.Batch != 4 || p.Input.Shape()[0] != 4 || p.Output.Shape()[0] != 4 || p.Output.Shape()[1] != 3 {
		t.Fatalf("program: training %v, batch %d, input %v, output %v", p.Training, p.Batch, p.Input.Shape(), p.Output.Shape())
	}
	names := map[string]bool{}
	for _, n := range p.Graph.AllNodes() {
		if n.Op() == nil {
			names[n.Name()] = true
			continue
		}
		if s := n.Op().String(); len(s) >= 7 && s[:7] == "Dropout" {
			t.Errorf("evaluation graph holds %v", n.Op())
		}
	}
	for _, prm := range m.Params() {
		if !names[prm.Name] {
			t.Errorf("no node named %s among %v", prm.Name, names)
		}
	}
	if p.Params[0].Value() != G.Value(m.Params()[0].Tensor()) {
		t.Error("the first parameter node is not bound to the model's tensor")
	}
}
