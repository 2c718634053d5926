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

// rmspropRef is RMSprop on the values of optimCase written out in float64:
// w holds the weight's two values then the bias, decay says which decay.
type rmspropRef struct {
	lr, alpha, eps, mom, wd float64
	centered                bool
	w, sq, ga, b            []float64
}

func (r *rmspropRef) step(g []float64, decay []bool) {
	for j := range r.w {
		d := g[j]
		if decay[j] {
			d += r.wd * r.w[j]
		}
		r.sq[j] = r.alpha*r.sq[j] + (1-r.alpha)*d*d
		a := math.Sqrt(r.sq[j]) + r.eps
		if r.centered {
			r.ga[j] = r.alpha*r.ga[j] + (1-r.alpha)*d
			a = math.Sqrt(r.sq[j]-r.ga[j]*r.ga[j]) + r.eps
		}
		if r.mom != 0 {
			r.b[j] = r.mom*r.b[j] + d/a
			r.w[j] -= r.lr * r.b[j]
		} else {
			r.w[j] -= r.lr * d / a
		}
	}
}

func TestRMSprop(t *testing.T) {
	for _, c := range []struct {
		name string
		o    *RMSprop
		ref  rmspropRef
	}{
		{"plain", &RMSprop{LR: 0.01}, rmspropRef{lr: 0.01, alpha: 0.99, eps: 1e-8}},
		{"momentum", &RMSprop{LR: 0.01, Momentum: 0.9}, rmspropRef{lr: 0.01, alpha: 0.99, eps: 1e-8, mom: 0.9}},
		{"centered", &RMSprop{LR: 0.01, Alpha: 0.9, Centered: true}, rmspropRef{lr: 0.01, alpha: 0.9, eps: 1e-8, centered: true}},
		{"weight decay", &RMSprop{LR: 0.01, WeightDecay: 0.1}, rmspropRef{lr: 0.01, alpha: 0.99, eps: 1e-8, wd: 0.1}},
		{"everything", &RMSprop{LR: 0.02, Alpha: 0.95, Eps: 1e-6, Momentum: 0.5, WeightDecay: 0.05, Centered: true},
			rmspropRef{lr: 0.02, alpha: 0.95, eps: 1e-6, mom: 0.5, wd: 0.05, centered: true}},
	} {
		t.Run(c.name, func(t *testing.T) {
			params, g := optimCase()
			r := c.ref
			r.w, r.sq, r.ga, r.b = []float64{1, -2, 0.5}, make([]float64, 3), make([]float64, 3), make([]float64, 3)
			for step := 1; step <= 3; step++ {
				if err := c.o.Step(params, g); err != nil {
					t.Fatal(err)
				}
				r.step([]float64{0.1, 0.3, -0.2}, []bool{true, true, false})
				near(t, "weight", params[0].Float64s(), r.w[:2])
				near(t, "bias", params[1].Float64s(), r.w[2:])
			}
		})
	}
	// The first plain step by hand: s = 0.01·g², so the step is lr·g/(0.1|g|
	// + ε), about lr·10 against the gradient's sign.
	params, g := optimCase()
	if err := (&RMSprop{LR: 0.01}).Step(params, g); err != nil {
		t.Fatal(err)
	}
	near(t, "first step", append(params[0].Float64s(), params[1].Float64s()...),
		[]float64{1 - 0.01*0.1/(0.01+1e-8), -2 - 0.01*0.3/(0.03+1e-8), 0.5 + 0.01*0.2/(0.02+1e-8)})
}

func TestAdamW(t *testing.T) {
	params, g := optimCase()
	o := &AdamW{LR: 0.01, WeightDecay: 0.1}
	// Hand-worked: weights shrink by 1 - lr·λ = 0.999 before the step, the
	// bias does not; the gradient carries no L2 term.
	w := []float64{1, -2, 0.5}
	m, v := make([]float64, 3), make([]float64, 3)
	for step := 1; step <= 3; step++ {
		if err := o.Step(params, g); err != nil {
			t.Fatal(err)
		}
		for j, gj := range []float64{0.1, 0.3, -0.2} {
			if j < 2 {
				w[j] *= 1 - 0.01*0.1
			}
			m[j] = 0.9*m[j] + 0.1*gj
			v[j] = 0.999*v[j] + 0.001*gj*gj
			mh, vh := m[j]/(1-math.Pow(0.9, float64(step))), v[j]/(1-math.Pow(0.999, float64(step)))
			w[j] -= 0.01 * mh / (math.Sqrt(vh) + 1e-8)
		}
		near(t, "weight", params[0].Float64s(), w[:2])
		near(t, "bias", params[1].Float64s(), w[2:])
	}
	// The first step by hand: the bias-corrected step is lr·sign(g) up to ε.
	params, g = optimCase()
	if err := (&AdamW{LR: 0.01, WeightDecay: 0.1}).Step(params, g); err != nil {
		t.Fatal(err)
	}
	near(t, "first step", append(params[0].Float64s(), params[1].Float64s()...),
		[]float64{0.999 - 0.01*0.1/(0.1+1e-8), -1.998 - 0.01*0.3/(0.3+1e-8), 0.5 + 0.01*0.2/(0.2+1e-8)})

	// Without decay AdamW is Adam, bit for bit.
	pa, g := optimCase()
	pw, _ := optimCase()
	adam, adamw := &Adam{LR: 0.01}, &AdamW{LR: 0.01}
	for step := 0; step < 3; step++ {
		if adam.Step(pa, g) != nil || adamw.Step(pw, g) != nil {
			t.Fatal("step failed")
		}
	}
	for i := range pa {
		if !bitsEqual(pa[i].Float64s(), pw[i].Float64s()) {
			t.Errorf("%s: AdamW without decay %v, Adam %v", pa[i].Name, pw[i].Float64s(), pa[i].Float64s())
		}
	}
}

func bitsEqual(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Float64bits(a[i]) != math.Float64bits(b[i]) {
			return false
		}
	}
	return true
}

// optimizers returns a fresh optimizer of every kind, with every slot in use.
func optimizers() map[string]func() Optimizer {
	return map[string]func() Optimizer{
		"sgd":              func() Optimizer { return &SGD{LR: 0.05, Momentum: 0.9, WeightDecay: 0.01} },
		"adam":             func() Optimizer { return &Adam{LR: 0.01, WeightDecay: 0.01} },
		"adamw":            func() Optimizer { return &AdamW{LR: 0.01, WeightDecay: 0.1} },
		"rmsprop":          func() Optimizer { return &RMSprop{LR: 0.01, WeightDecay: 0.01} },
		"rmsprop centered": func() Optimizer { return &RMSprop{LR: 0.01, Momentum: 0.9, Centered: true, WeightDecay: 0.01} },
	}
}

// optimCaseOf is optimCase in dtype dt.
func optimCaseOf(dt tensor.Dtype) []*Param {
	w := newParam("l.weight", true, dt, 2)
	b := newParam("l.bias", false, dt, 1)
	_ = w.Set([]float64{1, -2})
	_ = b.Set([]float64{0.5})
	return []*Param{w, b}
}

// gradsAt returns gradients that change from step to step.
func gradsAt(dt tensor.Dtype, step int) []*tensor.Dense {
	s := float64(step + 1)
	g := []*tensor.Dense{newLike(dt, 2), newLike(dt, 1)}
	setFromFloat64s(g[0], []float64{0.1 * s, 0.3 / s})
	setFromFloat64s(g[1], []float64{-0.2 + 0.05*s})
	return g
}

// TestOptimizerStateResumesExactly trains two steps, restores the state into a
// fresh optimizer and takes two more: the weights must match four steps
// of one optimizer bit for bit, and must not without the state.
func TestOptimizerStateResumesExactly(t *testing.T) {
	for name, newOpt := range optimizers() {
		for _, dt := range []tensor.Dtype{tensor.Float32, tensor.Float64} {
			ref, refOpt := optimCaseOf(dt), newOpt()
			for step := 0; step < 4; step++ {
				if err := refOpt.Step(ref, gradsAt(dt, step)); err != nil {
					t.Fatal(err)
				}
			}
			run := func(restore bool) []*Param {
				params, first := optimCaseOf(dt), newOpt()
				for step := 0; step < 2; step++ {
					if err := first.Step(params, gradsAt(dt, step)); err != nil {
						t.Fatal(err)
					}
				}
				second := newOpt()
				if restore {
					if err := second.SetState(first.State()); err != nil {
						t.Fatal(err)
					}
					if !sameState(second.State(), first.State()) {
						t.Errorf("%s %v: State after SetState differs before any step", name, dt)
					}
				}
				for step := 2; step < 4; step++ {
					if err := second.Step(params, gradsAt(dt, step)); err != nil {
						t.Fatal(err)
					}
				}
				return params
			}
			resumed, fresh := run(true), run(false)
			for i, p := range ref {
				if !bitsEqual(resumed[i].Float64s(), p.Float64s()) {
					t.Errorf("%s %v: resumed %s %v, uninterrupted %v", name, dt, p.Name, resumed[i].Float64s(), p.Float64s())
				}
			}
			if bitsEqual(fresh[0].Float64s(), ref[0].Float64s()) {
				t.Errorf("%s %v: a fresh optimizer also matched: the test proves nothing", name, dt)
			}
		}
	}
}

func TestOptimizerStepsDoNotAllocate(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts mean nothing under the race detector")
	}
	for name, newOpt := range optimizers() {
		params, g := optimCaseOf(tensor.Float32), gradsAt(tensor.Float32, 0)
		o := newOpt()
		if err := o.Step(params, g); err != nil {
			t.Fatal(err)
		}
		if a := testing.AllocsPerRun(10, func() { _ = o.Step(params, g) }); a != 0 {
			t.Errorf("%s allocates %v times per step", name, a)
		}
	}
}

func TestOptimizerHyperparameterErrors(t *testing.T) {
	for _, c := range []struct {
		o    Optimizer
		want string
	}{
		{&RMSprop{LR: -0.1}, "LR is -0.1"},
		{&RMSprop{LR: 0.1, Alpha: 1}, "Alpha is 1"},
		{&RMSprop{LR: 0.1, Eps: math.NaN()}, "Eps is NaN"},
		{&RMSprop{LR: 0.1, Momentum: -0.9}, "Momentum is -0.9"},
		{&RMSprop{LR: 0.1, WeightDecay: math.Inf(1)}, "WeightDecay is +Inf"},
		{&AdamW{LR: math.NaN()}, "LR is NaN"},
		{&AdamW{LR: 0.1, Beta1: -0.5}, "Beta1 is -0.5"},
		{&AdamW{LR: 0.1, Beta2: 1}, "Beta2 is 1"},
		{&AdamW{LR: 0.1, Eps: -1}, "Eps is -1"},
		{&AdamW{LR: 0.1, WeightDecay: -0.01}, "WeightDecay is -0.01"},
	} {
		params, g := optimCase()
		err := c.o.Step(params, g)
		wantError(t, optimizerKind(c.o), err, c.want)
		if !equal(params[0].Float64s(), []float64{1, -2}) || len(c.o.State()) > 1 {
			t.Errorf("%T with %s changed something", c.o, c.want)
		}
	}
}
