package onnx

import (
	"math/rand/v2"
	"testing"
)

// TestRoundTripOps exports every op case, imports it again and checks
// that the imported model computes what the original does, to 1e-6, and
// keeps its parameters' names and values.
func TestRoundTripOps(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	worst := 0.0
	for _, c := range opCases(rng) {
		m := c.build(t, rng)
		data, err := Export(m, Meta{Classes: []string{"a", "b"}})
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		back, meta, err := Import(data)
		if err != nil {
			t.Fatalf("%s: import: %v", c.name, err)
		}
		if back.Dtype() != m.Dtype() || back.InputShape().String() != m.InputShape().String() || back.OutputShape().String() != m.OutputShape().String() {
			t.Fatalf("%s: imported %v %v -> %v, exported %v %v -> %v", c.name, back.Dtype(), back.InputShape(), back.OutputShape(),
				m.Dtype(), m.InputShape(), m.OutputShape())
		}
		if meta.Model != m.Name() || len(meta.Classes) != 2 || meta.Classes[1] != "b" {
			t.Errorf("%s: meta %+v", c.name, meta)
		}
		for _, p := range append(m.Params(), m.Buffers()...) {
			q := back.Param(p.Name)
			if q == nil || q.Buffer() != p.Buffer() || maxDiff(q.Float64s(), p.Float64s()) != 0 {
				t.Errorf("%s: parameter %s did not come back", c.name, p.Name)
			}
		}
		x, _ := randomInput(m, 5, rng)
		want, err := m.Predict(x, 5, 5)
		if err != nil {
			t.Fatal(err)
		}
		got, err := back.Predict(x, 5, 2)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		d := maxDiff(got, want)
		if !(d <= 1e-6) {
			t.Errorf("%s: the imported model differs by %g", c.name, d)
		}
		worst = max(worst, d)
	}
	t.Logf("largest difference %.3g", worst)
}
