package tape

import (
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

func TestRunMatchesRunAll(t *testing.T) {
	g := G.NewGraph()
	x := G.NewVector(g, tensor.Float64, G.WithShape(3), G.WithName("x"), G.WithValue(tensor.New(tensor.WithBacking([]float64{1, 2, 3}))))
	y := G.Must(G.Add(G.Must(G.HadamardProd(x, x)), x)) // x² + x, elementwise
	var v G.Value
	G.Read(y, &v)
	vm := G.NewTapeMachine(g)
	defer vm.Close()
	r, err := New(vm)
	if err != nil {
		t.Fatal(err)
	}
	for run := 0; run < 2; run++ {
		if err := r.Run(); err != nil {
			t.Fatal(err)
		}
		got := v.Data().([]float64)
		if got[0] != 2 || got[1] != 6 || got[2] != 12 {
			t.Fatalf("run %d: x² + x = %v, want [2 6 12]", run, got)
		}
		vm.Reset()
	}
}

func TestNewRefusesOtherMachines(t *testing.T) {
	g := G.NewGraph()
	G.NewScalar(g, tensor.Float64, G.WithName("x"), G.WithValue(1.0))
	vm := G.NewLispMachine(g, G.ExecuteFwdOnly())
	defer vm.Close()
	if _, err := New(vm); err == nil {
		t.Fatal("a LispMachine was accepted")
	}
}
