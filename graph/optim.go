package graph

import (
	"math"

	"github.com/featlearn/featlearn/ops"
	"github.com/pkg/errors"
	"gorgonia.org/tensor"
)

// Optimizer updates parameters in place from their gradients.
type Optimizer interface {
	// Step applies one update; grads[i] is the gradient of params[i].
	Step(params []*Param, grads []*tensor.Dense) error
	// State returns the optimizer's internal tensors by name (for checkpoints).
	State() map[string][]float64
	// SetState restores what State returned.
	SetState(map[string][]float64) error
	// LearningRate returns the rate the next Step uses.
	LearningRate() float64
	// SetLearningRate changes the rate of the following steps; schedules
	// call it before every step.
	SetLearningRate(lr float64)
}

// SGD is stochastic gradient descent with optional momentum and weight
// decay, with PyTorch's semantics: g ← g + λw (weights only), v ← μv + g,
// w ← w - lr·v (or lr·(g + μv) with Nesterov).
type SGD struct {
	LR, Momentum, WeightDecay float64
	Nesterov                  bool
	slots                     slots
}

// Step applies one SGD update.
func (o *SGD) Step(params []*Param, grads []*tensor.Dense) error {
	if err := checkStep(params, grads); err != nil {
		return err
	}
	var velocity []*tensor.Dense
	if o.Momentum != 0 {
		var err error
		if velocity, err = o.slots.get("velocity", params); err != nil {
			return err
		}
	}
	for i, p := range params {
		wd := 0.0
		if p.Decay {
			wd = o.WeightDecay
		}
		var v *tensor.Dense
		if velocity != nil {
			v = velocity[i]
		}
		var err error
		if p.value.Dtype() == tensor.Float32 {
			err = ops.SGDUpdate32(p.value.Float32s(), grads[i].Float32s(), slot32(v), float32(o.LR), float32(o.Momentum), float32(wd), o.Nesterov)
		} else {
			err = ops.SGDUpdate64(p.value.Float64s(), grads[i].Float64s(), slot64(v), o.LR, o.Momentum, wd, o.Nesterov)
		}
		if err != nil {
			return errors.Wrap(err, p.Name)
		}
	}
	return nil
}

// State returns the velocities, keyed "velocity/<param name>".
func (o *SGD) State() map[string][]float64 { return o.slots.state() }

// SetState restores what State returned; it takes effect at the next Step.
func (o *SGD) SetState(s map[string][]float64) error { return o.slots.setState(s) }

// LearningRate returns LR.
func (o *SGD) LearningRate() float64 { return o.LR }

// SetLearningRate sets LR.
func (o *SGD) SetLearningRate(lr float64) { o.LR = lr }

// Adam is Kingma and Ba's optimizer with PyTorch's defaults when fields are
// zero (betas 0.9 and 0.999, eps 1e-8); weight decay is added to the
// gradient of weights as in PyTorch's Adam.
type Adam struct {
	LR, Beta1, Beta2, Eps, WeightDecay float64
	t                                  int
	slots                              slots
}

// Step applies one Adam update.
func (o *Adam) Step(params []*Param, grads []*tensor.Dense) error {
	return adamStep(&o.slots, &o.t, params, grads, o.LR, o.Beta1, o.Beta2, o.Eps, o.WeightDecay, false)
}

// adamStep applies one update of Adam or, with decoupled set, of AdamW,
// counting it in t.
func adamStep(s *slots, t *int, params []*Param, grads []*tensor.Dense, lr, beta1, beta2, eps, wd float64, decoupled bool) error {
	if err := checkStep(params, grads); err != nil {
		return err
	}
	b1, b2, eps := orDefault(beta1, 0.9), orDefault(beta2, 0.999), orDefault(eps, 1e-8)
	m, err := s.get("m", params)
	if err != nil {
		return err
	}
	v, err := s.get("v", params)
	if err != nil {
		return err
	}
	*t++
	c1, c2 := 1-math.Pow(b1, float64(*t)), 1-math.Pow(b2, float64(*t))
	for i, p := range params {
		h := ops.AdamStep{LR: lr / c1, Beta1: b1, Beta2: b2, Correction2: c2, Eps: eps}
		switch {
		case !p.Decay:
		case decoupled:
			h.DecoupledDecay = lr * wd
		default:
			h.WeightDecay = wd
		}
		var err error
		if p.value.Dtype() == tensor.Float32 {
			err = ops.AdamUpdate32(p.value.Float32s(), grads[i].Float32s(), slot32(m[i]), slot32(v[i]), h)
		} else {
			err = ops.AdamUpdate64(p.value.Float64s(), grads[i].Float64s(), slot64(m[i]), slot64(v[i]), h)
		}
		if err != nil {
			return errors.Wrap(err, p.Name)
		}
	}
	return nil
}

// State returns the moments and the step count.
func (o *Adam) State() map[string][]float64 { return adamState(&o.slots, o.t) }

// SetState restores the moments and the step count.
func (o *Adam) SetState(s map[string][]float64) error {
	return setAdamState("adam", &o.slots, &o.t, s)
}

// adamState returns the moments, keyed "m/<param>" and "v/<param>", and
// the step count "t".
func adamState(s *slots, t int) map[string][]float64 {
	out := s.state()
	out["t"] = []float64{float64(t)}
	return out
}

// setAdamState restores what adamState returned; name is the optimizer's,
// for errors.
func setAdamState(name string, s *slots, t *int, saved map[string][]float64) error {
	n, ok := saved["t"]
	if !ok || len(n) != 1 || !(n[0] >= 0 && n[0] <= 1<<53) || n[0] != math.Trunc(n[0]) {
		return errors.Errorf("%s state: step count t is %v, want one whole number", name, n)
	}
	rest := make(map[string][]float64, len(saved))
	for k, v := range saved {
		if k != "t" {
			rest[k] = v
		}
	}
	if err := s.setState(rest); err != nil {
		return err
	}
	*t = int(n[0])
	return nil
}

// LearningRate returns LR.
func (o *Adam) LearningRate() float64 { return o.LR }

// SetLearningRate sets LR.
func (o *Adam) SetLearningRate(lr float64) { o.LR = lr }

// AdamW is Adam with decoupled weight decay (Loshchilov and Hutter), with
// PyTorch's semantics and defaults when fields are zero (betas 0.9 and
// 0.999, eps 1e-8): each step first shrinks the weights, w ← w·(1 -
// lr·WeightDecay), then applies Adam's update with the plain gradient.
// Only weights decay (params with Decay set), never biases. WeightDecay 0
// means no decay, where PyTorch's AdamW defaults to 0.01: write it out.
type AdamW struct {
	LR, Beta1, Beta2, Eps, WeightDecay float64
	t                                  int
	slots                              slots
}

// Step applies one AdamW update. Negative, NaN or infinite
// hyperparameters, and betas of 1 or more, are errors and change nothing.
func (o *AdamW) Step(params []*Param, grads []*tensor.Dense) error {
	err := checkHypers("adamw", hyper{"LR", o.LR, false}, hyper{"Beta1", o.Beta1, true},
		hyper{"Beta2", o.Beta2, true}, hyper{"Eps", o.Eps, false}, hyper{"WeightDecay", o.WeightDecay, false})
	if err != nil {
		return err
	}
	return adamStep(&o.slots, &o.t, params, grads, o.LR, o.Beta1, o.Beta2, o.Eps, o.WeightDecay, true)
}

// State returns the moments, keyed "m/<param name>" and "v/<param name>",
// and the step count "t", as Adam's.
func (o *AdamW) State() map[string][]float64 { return adamState(&o.slots, o.t) }

// SetState restores the moments and the step count.
func (o *AdamW) SetState(s map[string][]float64) error {
	return setAdamState("adamw", &o.slots, &o.t, s)
}

// LearningRate returns LR.
func (o *AdamW) LearningRate() float64 { return o.LR }

// SetLearningRate sets LR.
func (o *AdamW) SetLearningRate(lr float64) { o.LR = lr }

// RMSprop is Hinton's optimizer with PyTorch's semantics and defaults
// when fields are zero (Alpha 0.99, Eps 1e-8; no momentum, not centered):
// with weight decay g ← g + λw (weights only, as SGD and Adam), then
// s ← αs + (1-α)g²; centered, ḡ ← αḡ + (1-α)g and a = √(s - ḡ²) + ε,
// else a = √s + ε; with momentum b ← μb + g/a and w ← w - lr·b, else w ← w
// - lr·g/a. Alpha and Eps cannot be set to 0, as Adam's betas cannot.
type RMSprop struct {
	LR, Alpha, Eps, Momentum, WeightDecay float64
	Centered                              bool
	slots                                 slots
}

// Step applies one RMSprop update. Negative, NaN or infinite
// hyperparameters, and an Alpha of 1 or more, are errors and change
// nothing.
func (o *RMSprop) Step(params []*Param, grads []*tensor.Dense) error {
	if err := checkStep(params, grads); err != nil {
		return err
	}
	h := ops.RMSpropStep{LR: o.LR, Alpha: orDefault(o.Alpha, 0.99), Eps: orDefault(o.Eps, 1e-8), Momentum: o.Momentum, Centered: o.Centered}
	err := checkHypers("rmsprop", hyper{"LR", h.LR, false}, hyper{"Alpha", h.Alpha, true}, hyper{"Eps", h.Eps, false},
		hyper{"Momentum", h.Momentum, false}, hyper{"WeightDecay", o.WeightDecay, false})
	if err != nil {
		return err
	}
	// PyTorch's state names: square_avg, and momentum_buffer and grad_avg
	// when used.
	sq, err := o.slots.get("square_avg", params)
	if err != nil {
		return err
	}
	var ga, buf []*tensor.Dense
	if h.Centered {
		if ga, err = o.slots.get("grad_avg", params); err != nil {
			return err
		}
	}
	if h.Momentum != 0 {
		if buf, err = o.slots.get("momentum_buffer", params); err != nil {
			return err
		}
	}
	for i, p := range params {
		h.WeightDecay = 0
		if p.Decay {
			h.WeightDecay = o.WeightDecay
		}
		var err error
		if p.value.Dtype() == tensor.Float32 {
			err = ops.RMSpropUpdate32(p.value.Float32s(), grads[i].Float32s(), slot32(sq[i]), slot32(slotAt(ga, i)), slot32(slotAt(buf, i)), h)
		} else {
			err = ops.RMSpropUpdate64(p.value.Float64s(), grads[i].Float64s(), slot64(sq[i]), slot64(slotAt(ga, i)), slot64(slotAt(buf, i)), h)
		}
		if err != nil {
			return errors.Wrap(err, p.Name)
		}
	}
	return nil
}

// State returns the running averages and momentum buffers, keyed
// "square_avg/<param name>", "grad_avg/<param name>" and
// "momentum_buffer/<param name>".
func (o *RMSprop) State() map[string][]float64 { return o.slots.state() }

// SetState restores what State returned; it takes effect at the next Step.
func (o *RMSprop) SetState(s map[string][]float64) error { return o.slots.setState(s) }

// LearningRate returns LR.
func (o *RMSprop) LearningRate() float64 { return o.LR }

// SetLearningRate sets LR.
func (o *RMSprop) SetLearningRate(lr float64) { o.LR = lr }

// hyper is one hyperparameter of an optimizer, after defaults, to check:
// every one must be finite and at least 0, and those marked below1 under 1.
type hyper struct {
	name   string
	v      float64
	below1 bool
}

// checkHypers returns an error naming the first invalid hyperparameter.
func checkHypers(opt string, hs ...hyper) error {
	for _, h := range hs {
		if !(h.v >= 0) || math.IsInf(h.v, 1) || (h.below1 && h.v >= 1) {
			want := ">= 0 and finite"
			if h.below1 {
				want = "in [0, 1)"
			}
			return errors.Errorf("%s: %s is %v, want %s", opt, h.name, h.v, want)
		}
	}
	return nil
}

// slotAt returns ts[i], or nil when the slot is not in use.
func slotAt(ts []*tensor.Dense, i int) *tensor.Dense {
	if ts == nil {
		return nil
	}
	return ts[i]
}

func orDefault(v, def float64) float64 {
	if v == 0 {
		return def
	}
	return v
}

func checkStep(params []*Param, grads []*tensor.Dense) error {
	if len(params) != len(grads) {
		return errors.Errorf("optimizer: %d params, %d gradients", len(params), len(grads))
	}
	for i, p := range params {
		if grads[i].Size() != p.Size() || grads[i].Dtype() != p.value.Dtype() {
			return errors.Errorf("optimizer: gradient of %s is %v %v, param is %v %v", p.Name, grads[i].Dtype(), grads[i].Shape(), p.value.Dtype(), p.value.Shape())
		}
	}
	return nil
}

// slot32 and slot64 return an optimizer slot's values, or nil for no slot.
func slot32(d *tensor.Dense) []float32 {
	if d == nil {
		return nil
	}
	return d.Float32s()
}

func slot64(d *tensor.Dense) []float64 {
	if d == nil {
		return nil
	}
	return d.Float64s()
}
