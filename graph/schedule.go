package graph

import (
	"math"

	"github.com/pkg/errors"
)

// Progress says where training stands when a schedule picks a rate.
type Progress struct {
	Epoch         int // the epoch in progress, from 1
	Epochs        int // the epochs the run is asked for
	Step          int // optimizer steps taken before this one, from 0
	StepsPerEpoch int
}

// Schedule sets the learning rate as training goes. The trainer calls LR before every step
// and EpochEnd after every completed epoch; State and SetState carry what it has learned
// (reduce-on-plateau's current factor, say) through checkpoints.
type Schedule interface {
	LR(base float64, at Progress) float64
	EpochEnd(e EpochInfo) error
	State() map[string]float64
	SetState(map[string]float64) error
}

// CheckSchedule returns the error of s's Check method, if s has one, and
// nil for a nil Schedule or one without Check. The schedules of this
// package check their fields in Check, which a trainer calls through
// CheckSchedule before the first step: LR cannot return an error, so given
// invalid fields it returns NaN, and EpochEnd returns Check's error. A nil
// Schedule means a constant rate, as ConstantLR. EpochEnd ignores epochs
// marked Partial.
func CheckSchedule(s Schedule) (err error) {
	defer recoverTo(&err) // a caller's schedule may panic
	if c, ok := s.(interface{ Check() error }); ok {
		return c.Check()
	}
	return nil
}

// ConstantLR keeps the base rate all along, as training without a
// scheduler in PyTorch; a nil Schedule means the same. PyTorch's class of
// that name, which lowers the rate by a factor for the first epochs, is
// not this one.
type ConstantLR struct{}

// LR returns base.
func (ConstantLR) LR(base float64, _ Progress) float64 { return base }

// EpochEnd does nothing.
func (ConstantLR) EpochEnd(EpochInfo) error { return nil }

// State returns an empty map: the schedule has no state.
func (ConstantLR) State() map[string]float64 { return map[string]float64{} }

// SetState accepts only an empty state.
func (ConstantLR) SetState(s map[string]float64) error { return noState("constant", s) }

// Check returns nil: ConstantLR has no fields.
func (ConstantLR) Check() error { return nil }

// StepLR multiplies the rate by Factor after every Every epochs: epoch e,
// counted from 1, trains at base·Factor^⌊(e-1)/Every⌋. It is PyTorch's
// StepLR(optimizer, step_size=Every, gamma=Factor) stepped once after each
// epoch, as featlearn's MNIST recipes use it. Every must be at least 1 and
// Factor finite and above 0; zero values are errors, not defaults.
type StepLR struct {
	Every  int
	Factor float64
}

// LR returns the rate of epoch at.Epoch, or NaN for invalid fields or an
// epoch below 1.
func (s StepLR) LR(base float64, at Progress) float64 {
	if s.Check() != nil || at.Epoch < 1 {
		return math.NaN()
	}
	return base * math.Pow(s.Factor, float64((at.Epoch-1)/s.Every))
}

// EpochEnd returns Check's error: the rate depends on the epoch alone.
func (s StepLR) EpochEnd(EpochInfo) error { return s.Check() }

// State returns an empty map: the rate depends on the epoch alone.
func (StepLR) State() map[string]float64 { return map[string]float64{} }

// SetState accepts only an empty state.
func (StepLR) SetState(st map[string]float64) error { return noState("steplr", st) }

// Check returns an error naming the first invalid field.
func (s StepLR) Check() error {
	if s.Every < 1 {
		return errors.Errorf("steplr: Every is %d, want >= 1", s.Every)
	}
	return positive("steplr", "Factor", s.Factor)
}

// ExponentialLR multiplies the rate by Gamma after every epoch: epoch e,
// counted from 1, trains at base·Gamma^(e-1). It is PyTorch's
// ExponentialLR(optimizer, gamma=Gamma) stepped once after each epoch.
// Gamma must be finite and above 0.
type ExponentialLR struct {
	Gamma float64
}

// LR returns the rate of epoch at.Epoch, or NaN for an invalid Gamma or an
// epoch below 1.
func (s ExponentialLR) LR(base float64, at Progress) float64 {
	if s.Check() != nil || at.Epoch < 1 {
		return math.NaN()
	}
	return base * math.Pow(s.Gamma, float64(at.Epoch-1))
}

// EpochEnd returns Check's error: the rate depends on the epoch alone.
func (s ExponentialLR) EpochEnd(EpochInfo) error { return s.Check() }

// State returns an empty map: the rate depends on the epoch alone.
func (ExponentialLR) State() map[string]float64 { return map[string]float64{} }

// SetState accepts only an empty state.
func (ExponentialLR) SetState(st map[string]float64) error { return noState("exponentiallr", st) }

// Check returns an error if Gamma is not finite and above 0.
func (s ExponentialLR) Check() error { return positive("exponentiallr", "Gamma", s.Gamma) }

// CosineLR warms the rate up linearly over the first WarmupSteps steps and
// then anneals it along a cosine, step by step, from base to MinLR at the
// end of the run. Warm-up step s (from 0) trains at base·(s+1)/(W+1), so it
// starts above 0 and the step after it, step W, trains at base. With T =
// Epochs·StepsPerEpoch steps in the run, step s ≥ W trains at MinLR +
// (base - MinLR)·(1 + cos(π(s-W)/(T-W)))/2, and steps from T on at MinLR.
//
// It is PyTorch's SequentialLR(optimizer, [LinearLR(optimizer,
// start_factor=1/(W+1), end_factor=1, total_iters=W),
// CosineAnnealingLR(optimizer, T_max=T-W, eta_min=MinLR)], milestones=[W])
// stepped after every optimizer step, and with W = 0 its
// CosineAnnealingLR(optimizer, T_max=T, eta_min=MinLR) alone; past T_max
// PyTorch's rate would rise again, this one stays at MinLR.
//
// Progress.Step must count steps from the start of training and Epochs the
// epochs of the whole run, from epoch 1, also when it resumes from a
// checkpoint. WarmupSteps must be at least 0 and MinLR finite and at least
// 0.
type CosineLR struct {
	WarmupSteps int
	MinLR       float64
}

// LR returns the rate of step at.Step, or NaN for invalid fields, a
// negative step, or Epochs or StepsPerEpoch below 1.
func (s CosineLR) LR(base float64, at Progress) float64 {
	if s.Check() != nil || at.Step < 0 || at.Epochs < 1 || at.StepsPerEpoch < 1 {
		return math.NaN()
	}
	w, total := s.WarmupSteps, at.Epochs*at.StepsPerEpoch
	switch {
	case at.Step < w:
		return base * float64(at.Step+1) / float64(w+1)
	case at.Step >= total:
		return s.MinLR
	}
	return s.MinLR + (base-s.MinLR)*(1+math.Cos(math.Pi*float64(at.Step-w)/float64(total-w)))/2
}

// EpochEnd returns Check's error: the rate depends on the step alone.
func (s CosineLR) EpochEnd(EpochInfo) error { return s.Check() }

// State returns an empty map: the rate depends on the step alone.
func (CosineLR) State() map[string]float64 { return map[string]float64{} }

// SetState accepts only an empty state.
func (CosineLR) SetState(st map[string]float64) error { return noState("cosinelr", st) }

// Check returns an error naming the first invalid field.
func (s CosineLR) Check() error {
	if s.WarmupSteps < 0 {
		return errors.Errorf("cosinelr: WarmupSteps is %d, want >= 0", s.WarmupSteps)
	}
	if !(s.MinLR >= 0) || math.IsInf(s.MinLR, 1) {
		return errors.Errorf("cosinelr: MinLR is %v, want >= 0 and finite", s.MinLR)
	}
	return nil
}

// plateauEps is PyTorch's eps of ReduceLROnPlateau: a cut that would
// change the rate by no more than this is skipped.
const plateauEps = 1e-8

// ReduceOnPlateau multiplies the rate by Factor when the monitored metric
// has not improved for more than Patience epochs. It is PyTorch's
// ReduceLROnPlateau(optimizer, mode, factor=Factor, patience=Patience,
// threshold=Threshold, threshold_mode='rel', cooldown=Cooldown,
// min_lr=MinLR, eps=1e-8) stepped with the metric after each epoch, mode
// 'max' when Monitor.Maximize() and 'min' otherwise, with PyTorch's
// defaults for zero fields: Monitor ValLoss, Factor 0.1, Patience 10,
// Threshold 1e-4, Cooldown 0, MinLR 0.
//
// An epoch improves on the best so far when its value is below
// best·(1 - Threshold) in mode min, above best·(1 + Threshold) in mode max;
// a NaN or infinite value never improves. After the cut the counting of bad
// epochs waits Cooldown epochs. A cut never takes the rate below MinLR and
// is skipped when it would change the rate by 1e-8 or less.
//
// As 0 means the default, a negative Patience asks for PyTorch's
// patience=0 (cut after every epoch without improvement) and a negative
// Threshold for threshold=0 (any improvement counts). Factor must be in
// (0, 1), Cooldown at least 0 and MinLR finite and at least 0.
type ReduceOnPlateau struct {
	Monitor   Monitor
	Factor    float64
	Patience  int
	Threshold float64
	Cooldown  int
	MinLR     float64

	best      float64 // the best value so far, when seen
	seen      bool
	bad, cool int     // epochs without improvement; cooldown epochs left
	scale     float64 // the product of the cuts so far; 0 before any
	last      float64 // the rate LR last returned, when lastSet
	lastSet   bool
}

// settings returns the fields with the defaults put in.
func (r *ReduceOnPlateau) settings() (m Monitor, factor float64, patience int, threshold float64) {
	m, factor, patience, threshold = r.Monitor, orDefault(r.Factor, 0.1), r.Patience, r.Threshold
	if m == "" {
		m = ValLoss
	}
	switch {
	case patience == 0:
		patience = 10
	case patience < 0:
		patience = 0
	}
	switch {
	case threshold == 0:
		threshold = 1e-4
	case threshold < 0:
		threshold = 0
	}
	return m, factor, patience, threshold
}

// Check returns an error naming the first invalid field.
func (r *ReduceOnPlateau) Check() error {
	m, factor, _, threshold := r.settings()
	if err := checkMonitor("reduceonplateau", m); err != nil {
		return err
	}
	if !(factor > 0 && factor < 1) {
		return errors.Errorf("reduceonplateau: Factor is %v, want in (0, 1)", r.Factor)
	}
	if math.IsNaN(threshold) || math.IsInf(r.Threshold, 0) {
		return errors.Errorf("reduceonplateau: Threshold is %v, want finite", r.Threshold)
	}
	if r.Cooldown < 0 {
		return errors.Errorf("reduceonplateau: Cooldown is %d, want >= 0", r.Cooldown)
	}
	if !(r.MinLR >= 0) || math.IsInf(r.MinLR, 1) {
		return errors.Errorf("reduceonplateau: MinLR is %v, want >= 0 and finite", r.MinLR)
	}
	return nil
}

// LR returns base times the cuts so far, not below MinLR once a cut was
// made, or NaN for invalid fields.
func (r *ReduceOnPlateau) LR(base float64, _ Progress) float64 {
	if r.Check() != nil {
		return math.NaN()
	}
	lr := base
	if r.scale != 0 {
		lr = max(base*r.scale, r.MinLR)
	}
	r.last, r.lastSet = lr, true
	return lr
}

// EpochEnd records the monitored value of epoch e and cuts the rate of the
// following steps if it has stalled. The cut is measured against the rate
// LR last returned, or e.LR when LR has not been called since the schedule
// was made or restored.
func (r *ReduceOnPlateau) EpochEnd(e EpochInfo) error {
	if err := r.Check(); err != nil {
		return err
	}
	if e.Partial {
		return nil
	}
	m, factor, patience, threshold := r.settings()
	v, err := e.Metric(m)
	if err != nil {
		return errors.Wrap(err, "reduceonplateau")
	}
	if improves(v, r.best, r.seen, m.Maximize(), threshold) {
		r.best, r.seen, r.bad = v, true, 0
	} else {
		r.bad++
	}
	if r.cool > 0 {
		r.cool--
		r.bad = 0
	}
	if r.bad > patience {
		old := e.LR
		if r.lastSet {
			old = r.last
		}
		if old-max(old*factor, r.MinLR) > plateauEps {
			r.scale = r.current() * factor
		}
		r.cool, r.bad = r.Cooldown, 0
	}
	return nil
}

// improves reports whether v beats best (any finite v does when nothing
// was seen yet) by PyTorch's relative threshold.
func improves(v, best float64, seen, maximize bool, threshold float64) bool {
	switch {
	case math.IsNaN(v) || math.IsInf(v, 0):
		return false
	case !seen:
		return true
	case maximize:
		return v > best*(1+threshold)
	}
	return v < best*(1-threshold)
}

// current returns the product of the cuts so far.
func (r *ReduceOnPlateau) current() float64 {
	if r.scale == 0 {
		return 1
	}
	return r.scale
}

// State returns PyTorch's counters: "num_bad_epochs", "cooldown_counter",
// "scale", the product of the cuts so far (the rate is base·scale), and
// "best", left out until an epoch has set it, so that every value is
// finite.
func (r *ReduceOnPlateau) State() map[string]float64 {
	s := map[string]float64{"num_bad_epochs": float64(r.bad), "cooldown_counter": float64(r.cool), "scale": r.current()}
	if r.seen {
		s["best"] = r.best
	}
	return s
}

// SetState restores what State returned; on error nothing changes.
func (r *ReduceOnPlateau) SetState(s map[string]float64) error {
	for k := range s {
		switch k {
		case "best", "num_bad_epochs", "cooldown_counter", "scale":
		default:
			return errors.Errorf("reduceonplateau state: unknown key %q", k)
		}
	}
	bad, err := stateCount("reduceonplateau", s, "num_bad_epochs")
	if err != nil {
		return err
	}
	cool, err := stateCount("reduceonplateau", s, "cooldown_counter")
	if err != nil {
		return err
	}
	scale, ok := s["scale"]
	if !ok || !(scale > 0 && scale <= 1) {
		return errors.Errorf("reduceonplateau state: scale is %v (present %v), want in (0, 1]", scale, ok)
	}
	best, seen := s["best"]
	if seen && (math.IsNaN(best) || math.IsInf(best, 0)) {
		return errors.Errorf("reduceonplateau state: best is %v, want finite", best)
	}
	r.bad, r.cool, r.scale, r.best, r.seen, r.lastSet = bad, cool, scale, best, seen, false
	if scale == 1 {
		r.scale = 0
	}
	return nil
}

// stateCount returns the whole number s[key].
func stateCount(what string, s map[string]float64, key string) (int, error) {
	v, ok := s[key]
	if !ok || !(v >= 0 && v <= 1<<53) || v != math.Trunc(v) {
		return 0, errors.Errorf("%s state: %s is %v (present %v), want a whole number >= 0", what, key, v, ok)
	}
	return int(v), nil
}

// noState accepts an empty state for a schedule that has none.
func noState(what string, s map[string]float64) error {
	for k := range s {
		return errors.Errorf("%s state: unknown key %q, the schedule has no state", what, k)
	}
	return nil
}

// positive returns an error unless v is finite and above 0.
func positive(what, field string, v float64) error {
	if !(v > 0) || math.IsInf(v, 1) {
		return errors.Errorf("%s: %s is %v, want > 0 and finite", what, field, v)
	}
	return nil
}

// checkMonitor returns an error unless m names a metric of EpochInfo.
func checkMonitor(what string, m Monitor) error {
	if _, err := (EpochInfo{ValN: 1}).Metric(m); err != nil {
		return errors.Wrap(err, what)
	}
	return nil
}
