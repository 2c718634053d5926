package graph

import (
	"math"
	"testing"

	"gorgonia.org/tensor"
)

// optimCase is one weight and one bias with fixed gradients.
func optimCase() ([]*Param, []*tensor.Dense) {
	w := newParam("l.weight", true, tensor.Float64, 2)
	b := newParam("l.bias", false, tensor.Float64, 1)
	_ = w.Set([]float64{1, -2})
	_ = b.Set([]float64{0.5})
	g := []*tensor.Dense{
		tensor.New(tensor.WithShape(2), tensor.WithBacking([]float64{0.1, 0.3})),
		tensor.New(tensor.WithShape(1), tensor.WithBacking([]float64{-0.2})),
	}
	return []*Param{w, b}, g
}

func near(t *testing.T, what string, got, want []float64) {
	t.Helper()
	for i := range want {
		if math.Abs(got[i]-want[i]) > 1e-12 {
			t.Fatalf("%s = %v, want %v", what, got, want)
		}
	}
}

func TestSGDMomentumWeightDecay(t *testing.T) {
	params, g := optimCase()
	o := &SGD{LR: 0.1, Momentum: 0.9, WeightDecay: 0.01}
	// Hand-worked: d = g + 0.01·w (weights only); v = 0.9v + d; w -= 0.1v.
	w, b := []float64{1, -2}, 0.5
	v := []float64{0, 0, 0}
	for step := 0; step < 3; step++ {
		if err := o.Step(params, g); err != nil {
			t.Fatal(err)
		}
		for j, gj := range []float64{0.1, 0.3} {
			v[j] = 0.9*v[j] + gj + 0.01*w[j]
			w[j] -= 0.1 * v[j]
		}
		v[2] = 0.9*v[2] - 0.2
		b -= 0.1 * v[2]
		near(t, "weight", params[0].Float64s(), w)
		near(t, "bias", params[1].Float64s(), []float64{b})
	}
}

func TestAdam(t *testing.T) {
	params, g := optimCase()
	o := &Adam{LR: 0.01, WeightDecay: 0.1}
	w := []float64{1, -2}
	m, v := []float64{0, 0}, []float64{0, 0}
	for step := 1; step <= 3; step++ {
		if err := o.Step(params, g); err != nil {
			t.Fatal(err)
		}
		for j, gj := range []float64{0.1, 0.3} {
			d := gj + 0.1*w[j]
			m[j] = 0.9*m[j] + 0.1*d
			v[j] = 0.999*v[j] + 0.001*d*d
			mh, vh := m[j]/(1-math.Pow(0.9, float64(step))), v[j]/(1-math.Pow(0.999, float64(step)))
			w[j] -= 0.01 * mh / (math.Sqrt(vh) + 1e-8)
		}
		near(t, "weight", params[0].Float64s(), w)
	}
}

func TestOptimizerStateRoundTrip(t *testing.T) {
	params, g := optimCase()
	a := &Adam{LR: 0.01}
	_ = a.Step(params, g)
	saved := a.State()
	b := &Adam{LR: 0.01}
	if err := b.SetState(saved); err != nil {
		t.Fatal(err)
	}
	p2, _ := optimCase()
	for i := range p2 {
		_ = p2[i].Set(params[i].Float64s())
	}
	_ = a.Step(params, g)
	_ = b.Step(p2, g)
	for i := range params {
		near(t, params[i].Name, p2[i].Float64s(), params[i].Float64s())
	}
}
