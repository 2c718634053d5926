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
	if err := checkStep(params, grads); err != nil {
		return err
	}
	b1, b2, eps := orDefault(o.Beta1, 0.9), orDefault(o.Beta2, 0.999), orDefault(o.Eps, 1e-8)
	m, err := o.slots.get("m", params)
	if err != nil {
		return err
	}
	v, err := o.slots.get("v", params)
	if err != nil {
		return err
	}
	o.t++
	c1, c2 := 1-math.Pow(b1, float64(o.t)), 1-math.Pow(b2, float64(o.t))
	for i, p := range params {
		wd := 0.0
		if p.Decay {
			wd = o.WeightDecay
		}
		h := ops.AdamStep{LR: o.LR / c1, Beta1: b1, Beta2: b2, Correction2: c2, Eps: eps, WeightDecay: wd}
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
func (o *Adam) State() map[string][]float64 {
	s := o.slots.state()
	s["t"] = []float64{float64(o.t)}
	return s
}

// SetState restores the moments and the step count.
func (o *Adam) SetState(s map[string][]float64) error {
	t, ok := s["t"]
	if !ok || len(t) != 1 || !(t[0] >= 0 && t[0] <= 1<<53) || t[0] != math.Trunc(t[0]) {
		return errors.Errorf("adam state: step count t is %v, want one whole number", t)
	}
	rest := make(map[string][]float64, len(s))
	for k, v := range s {
		if k != "t" {
			rest[k] = v
		}
	}
	if err := o.slots.setState(rest); err != nil {
		return err
	}
	o.t = int(t[0])
	return nil
}

// LearningRate returns LR.
func (o *Adam) LearningRate() float64 { return o.LR }

// SetLearningRate sets LR.
func (o *Adam) SetLearningRate(lr float64) { o.LR = lr }

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
