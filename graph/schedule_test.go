package graph

import (
	"math"
	"testing"
)

// The expected rates below were computed, in float64, by PyTorch's own
// recursive (chainable) formulas from torch/optim/lr_scheduler.py, written
// out in Python: StepLR and ExponentialLR multiply the previous rate,
// LinearLR and CosineAnnealingLR update it by their ratios, and
// ReduceLROnPlateau is its step(metrics) line by line.

// nearRates compares two rate sequences to 1e-12.
func nearRates(t *testing.T, what string, got, want []float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d rates, want %d", what, len(got), len(want))
	}
	for i := range want {
		if !(math.Abs(got[i]-want[i]) <= 1e-12) {
			t.Fatalf("%s: rate %d is %v, want %v\ngot  %v\nwant %v", what, i, got[i], want[i], got, want)
		}
	}
}

// epochRates returns the rate of each of the epochs 1 to n.
func epochRates(s Schedule, base float64, n int) []float64 {
	var out []float64
	for e := 1; e <= n; e++ {
		out = append(out, s.LR(base, Progress{Epoch: e, Epochs: n, Step: 3 * (e - 1), StepsPerEpoch: 3}))
	}
	return out
}

func TestStepLR(t *testing.T) {
	// PyTorch's MNIST example: Adadelta lr 1.0, StepLR(step_size=1, gamma=0.7).
	nearRates(t, "mnist", epochRates(StepLR{Every: 1, Factor: 0.7}, 1, 5),
		[]float64{1.0, 0.7, 0.48999999999999994, 0.3429999999999999, 0.24009999999999992})
	nearRates(t, "every 3", epochRates(StepLR{Every: 3, Factor: 0.1}, 0.1, 10),
		[]float64{0.1, 0.1, 0.1, 0.010000000000000002, 0.010000000000000002, 0.010000000000000002,
			0.0010000000000000002, 0.0010000000000000002, 0.0010000000000000002, 0.00010000000000000003})
}

func TestExponentialLR(t *testing.T) {
	nearRates(t, "gamma 0.9", epochRates(ExponentialLR{Gamma: 0.9}, 0.5, 6),
		[]float64{0.5, 0.45, 0.405, 0.36450000000000005, 0.32805000000000006, 0.2952450000000001})
}

// stepRates returns the rate of each step of a run of epochs·perEpoch steps
// and of extra steps past its end.
func stepRates(s Schedule, base float64, epochs, perEpoch, extra int) []float64 {
	var out []float64
	for step := 0; step < epochs*perEpoch+extra; step++ {
		out = append(out, s.LR(base, Progress{Epoch: step/perEpoch + 1, Epochs: epochs, Step: step, StepsPerEpoch: perEpoch}))
	}
	return out
}

func TestCosineLR(t *testing.T) {
	// SequentialLR([LinearLR(start_factor=1/4, total_iters=3),
	// CosineAnnealingLR(T_max=7, eta_min=0.01)], milestones=[3]) over 2
	// epochs of 5 steps; then two steps past the end stay at MinLR.
	nearRates(t, "warm-up 3", stepRates(CosineLR{WarmupSteps: 3, MinLR: 0.01}, 0.1, 2, 5, 2),
		[]float64{0.025, 0.05, 0.07500000000000001, 0.1, 0.09554359905560886, 0.08305704108364301,
			0.06501344202803415, 0.04498655797196586, 0.026942958916356993, 0.014456400944391143, 0.01, 0.01})
	// CosineAnnealingLR(T_max=8, eta_min=0) alone.
	nearRates(t, "no warm-up", stepRates(CosineLR{}, 0.2, 2, 4, 0),
		[]float64{0.2, 0.19238795325112867, 0.17071067811865476, 0.138268343236509, 0.1,
			0.06173165676349103, 0.029289321881345254, 0.007612046748871327})
}

func TestCosineLRWarmupBoundary(t *testing.T) {
	s := CosineLR{WarmupSteps: 4, MinLR: 0.001}
	at := func(step int) float64 {
		return s.LR(0.5, Progress{Epoch: 1, Epochs: 10, Step: step, StepsPerEpoch: 100})
	}
	// The last warm-up step is 4/5 of the way, the next one is the base
	// rate exactly, and the cosine only goes down from there.
	if at(0) != 0.1 || at(3) != 0.4 || at(4) != 0.5 || !(at(5) < 0.5 && at(5) > 0.4999) {
		t.Errorf("steps 0, 3, 4, 5: %v %v %v %v", at(0), at(3), at(4), at(5))
	}
	if at(999) <= 0.001 || at(1000) != 0.001 || at(5000) != 0.001 {
		t.Errorf("steps 999, 1000, 5000: %v %v %v", at(999), at(1000), at(5000))
	}
	// A warm-up longer than the run never reaches the cosine.
	long := CosineLR{WarmupSteps: 50}
	if r := long.LR(1, Progress{Epoch: 1, Epochs: 1, Step: 9, StepsPerEpoch: 10}); r != 10.0/51 {
		t.Errorf("step 9 of a 50-step warm-up: %v", r)
	}
	for _, p := range []Progress{{Epoch: 1, Epochs: 0, StepsPerEpoch: 10}, {Epoch: 1, Epochs: 1}, {Epoch: 1, Epochs: 1, StepsPerEpoch: 1, Step: -1}} {
		if r := s.LR(1, p); !math.IsNaN(r) {
			t.Errorf("%+v: rate %v, want NaN", p, r)
		}
	}
}

func TestConstantLR(t *testing.T) {
	var s ConstantLR
	if s.LR(0.3, Progress{Epoch: 7}) != 0.3 || s.EpochEnd(EpochInfo{}) != nil || len(s.State()) != 0 || s.SetState(nil) != nil {
		t.Error("ConstantLR is not constant")
	}
	if CheckSchedule(nil) != nil || CheckSchedule(s) != nil {
		t.Error("a nil or constant schedule fails its check")
	}
}

// plateauRun feeds the values to r as val losses (or accuracies) of
// successive epochs, as a trainer would, and returns the rate of each
// epoch and of the one after the last.
func plateauRun(t *testing.T, r *ReduceOnPlateau, base float64, firstEpoch int, values []float64) []float64 {
	t.Helper()
	var out []float64
	for i, v := range values {
		e := firstEpoch + i
		lr := r.LR(base, Progress{Epoch: e})
		out = append(out, lr)
		if err := r.EpochEnd(EpochInfo{Epoch: e, LR: lr, ValLoss: v, ValAccuracy: v, ValN: 100, TrainLoss: 1}); err != nil {
			t.Fatal(err)
		}
	}
	return append(out, r.LR(base, Progress{Epoch: firstEpoch + len(values)}))
}

var (
	// plateauLosses stall from epoch 3: 0.89995 does not beat 0.9 by the
	// default relative threshold 1e-4 (0.89991), though it is lower.
	plateauLosses = []float64{1.0, 0.9, 0.89995, 0.89995, 0.89995, 0.92, 0.91, 0.8, 0.85, 0.86, 0.87, 0.88, 0.89, 0.9}
	// plateauAccuracies: 0.70006 does not beat 0.7 by 1e-4 (0.70007).
	plateauAccuracies = []float64{0.5, 0.6, 0.6, 0.55, 0.7, 0.7, 0.7, 0.7, 0.70006, 0.71, 0.6, 0.6, 0.6}
)

func TestReduceOnPlateauLoss(t *testing.T) {
	// ReduceLROnPlateau(mode='min', factor=0.5, patience=2, cooldown=1):
	// epochs 3, 4, 5 are bad, so epoch 6 trains at 0.5; its cooldown
	// epoch does not count; 8 is the new best, 9, 10, 11 are bad, so 12
	// trains at 0.25.
	r := &ReduceOnPlateau{Factor: 0.5, Patience: 2, Cooldown: 1}
	nearRates(t, "val loss", plateauRun(t, r, 1, 1, plateauLosses),
		[]float64{1.0, 1.0, 1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25, 0.25})
	// With threshold=0 (a negative Threshold) 0.89995 is an improvement.
	r = &ReduceOnPlateau{Factor: 0.5, Patience: 2, Cooldown: 1, Threshold: -1}
	nearRates(t, "val loss, no threshold", plateauRun(t, r, 1, 1, plateauLosses),
		[]float64{1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25, 0.25})
}

func TestReduceOnPlateauAccuracy(t *testing.T) {
	// ReduceLROnPlateau(mode='max', factor=0.1, patience=0, cooldown=2,
	// min_lr=0.0005): every bad epoch outside a cooldown cuts; the third
	// cut stops at min_lr, and the fourth, which would change nothing, is
	// skipped.
	r := &ReduceOnPlateau{Monitor: ValAccuracy, Factor: 0.1, Patience: -1, Cooldown: 2, MinLR: 0.0005}
	nearRates(t, "val accuracy", plateauRun(t, r, 0.1, 1, plateauAccuracies),
		[]float64{0.1, 0.1, 0.1, 0.010000000000000002, 0.010000000000000002, 0.010000000000000002,
			0.0010000000000000002, 0.0010000000000000002, 0.0010000000000000002, 0.0005, 0.0005, 0.0005, 0.0005, 0.0005})
}

func TestReduceOnPlateauDefaults(t *testing.T) {
	// PyTorch's defaults, factor 0.1 and patience 10: one improvement, then
	// 11 bad epochs cut the rate for epoch 13.
	values := append([]float64{5}, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6)
	want := []float64{0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.03, 0.03, 0.03, 0.03}
	nearRates(t, "zero fields", plateauRun(t, &ReduceOnPlateau{}, 0.3, 1, values), want)
	explicit := &ReduceOnPlateau{Monitor: ValLoss, Factor: 0.1, Patience: 10, Threshold: 1e-4}
	nearRates(t, "explicit", plateauRun(t, explicit, 0.3, 1, values), want)

	// PyTorch skips cuts of 1e-8 or less: 1e-8 never halves, 3e-8 halves
	// once.
	nearRates(t, "eps", plateauRun(t, &ReduceOnPlateau{Factor: 0.5, Patience: -1}, 1e-8, 1, []float64{1, 2, 3}),
		[]float64{1e-8, 1e-8, 1e-8, 1e-8})
	nearRates(t, "eps", plateauRun(t, &ReduceOnPlateau{Factor: 0.5, Patience: -1}, 3e-8, 1, []float64{1, 2, 3, 4}),
		[]float64{3e-8, 3e-8, 1.5e-8, 1.5e-8, 1.5e-8})

	// NaN never improves; partial epochs are not counted.
	r := &ReduceOnPlateau{Patience: -1}
	nearRates(t, "nan", plateauRun(t, r, 1, 1, []float64{math.NaN(), 1, math.Inf(-1)}), []float64{1, 0.1, 0.1, 0.010000000000000002})
	if err := r.EpochEnd(EpochInfo{Epoch: 4, ValLoss: 7, ValN: 1, Partial: true}); err != nil || r.LR(1, Progress{}) != 0.010000000000000002 {
		t.Errorf("a partial epoch counted: %v %v", err, r.State())
	}
	err := (&ReduceOnPlateau{}).EpochEnd(EpochInfo{Epoch: 1})
	wantError(t, "no validation data", err, "reduceonplateau", "val_loss", "no validation data")
}

// TestReduceOnPlateauResumes saves the state in the middle of a plateau,
// restores it into a fresh schedule and checks the rest of the run, and
// the final state, against an uninterrupted one bit for bit.
func TestReduceOnPlateauResumes(t *testing.T) {
	for _, c := range []struct {
		name   string
		r      func() *ReduceOnPlateau
		base   float64
		values []float64
	}{
		{"val loss", func() *ReduceOnPlateau { return &ReduceOnPlateau{Factor: 0.5, Patience: 2, Cooldown: 1} }, 1, plateauLosses},
		{"val accuracy", func() *ReduceOnPlateau {
			return &ReduceOnPlateau{Monitor: ValAccuracy, Factor: 0.1, Patience: -1, Cooldown: 2, MinLR: 0.0005}
		}, 0.1, plateauAccuracies},
	} {
		whole := c.r()
		want := plateauRun(t, whole, c.base, 1, c.values)
		for cut := 1; cut < len(c.values); cut++ {
			first := c.r()
			got := plateauRun(t, first, c.base, 1, c.values[:cut])
			resumed := c.r()
			if err := resumed.SetState(first.State()); err != nil {
				t.Fatal(err)
			}
			got = append(got[:cut], plateauRun(t, resumed, c.base, cut+1, c.values[cut:])...)
			if !bitsEqual(got, want) {
				t.Fatalf("%s resumed after epoch %d: %v, want %v", c.name, cut, got, want)
			}
			if s, w := resumed.State(), whole.State(); len(s) != len(w) || s["best"] != w["best"] || s["scale"] != w["scale"] ||
				s["num_bad_epochs"] != w["num_bad_epochs"] || s["cooldown_counter"] != w["cooldown_counter"] {
				t.Fatalf("%s resumed after epoch %d: state %v, want %v", c.name, cut, s, w)
			}
		}
	}
	// Before any epoch the state holds only finite numbers, and no best.
	if s := (&ReduceOnPlateau{}).State(); len(s) != 3 || s["scale"] != 1 {
		t.Errorf("fresh state %v", s)
	}
}

func TestScheduleStateErrors(t *testing.T) {
	good := map[string]float64{"best": 0.5, "num_bad_epochs": 2, "cooldown_counter": 0, "scale": 0.25}
	for key, bad := range map[string]float64{"best": math.Inf(1), "num_bad_epochs": 1.5, "cooldown_counter": -1, "scale": 0, "surprise": 1} {
		s := map[string]float64{}
		for k, v := range good {
			s[k] = v
		}
		s[key] = bad
		r := &ReduceOnPlateau{}
		wantError(t, key, r.SetState(s), key)
		if len(r.State()) != 3 {
			t.Errorf("a failed SetState changed the state: %v", r.State())
		}
	}
	delete(good, "scale")
	wantError(t, "no scale", (&ReduceOnPlateau{}).SetState(good), "scale")
	for _, s := range []Schedule{ConstantLR{}, StepLR{Every: 1, Factor: 0.5}, ExponentialLR{Gamma: 0.5}, CosineLR{}} {
		wantError(t, "stateless", s.SetState(map[string]float64{"scale": 1}), `unknown key "scale"`)
		if s.SetState(map[string]float64{}) != nil || s.SetState(s.State()) != nil {
			t.Errorf("%T refuses an empty state", s)
		}
	}
}

func TestScheduleFieldErrors(t *testing.T) {
	for _, c := range []struct {
		s    Schedule
		want string
	}{
		{StepLR{Factor: 0.1}, "Every is 0"},
		{StepLR{Every: 2}, "Factor is 0"},
		{StepLR{Every: 2, Factor: -0.5}, "Factor is -0.5"},
		{StepLR{Every: 2, Factor: math.NaN()}, "Factor is NaN"},
		{ExponentialLR{}, "Gamma is 0"},
		{ExponentialLR{Gamma: math.Inf(1)}, "Gamma is +Inf"},
		{CosineLR{WarmupSteps: -1}, "WarmupSteps is -1"},
		{CosineLR{MinLR: math.NaN()}, "MinLR is NaN"},
		{&ReduceOnPlateau{Monitor: "loss"}, `monitor "loss"`},
		{&ReduceOnPlateau{Factor: 1}, "Factor is 1"},
		{&ReduceOnPlateau{Factor: math.NaN()}, "Factor is NaN"},
		{&ReduceOnPlateau{Threshold: math.NaN()}, "Threshold is NaN"},
		{&ReduceOnPlateau{Cooldown: -2}, "Cooldown is -2"},
		{&ReduceOnPlateau{MinLR: -1e-3}, "MinLR is -0.001"},
	} {
		wantError(t, c.want, CheckSchedule(c.s), c.want)
		wantError(t, c.want, c.s.EpochEnd(EpochInfo{Epoch: 1, ValN: 1}), c.want)
		if r := c.s.LR(0.1, Progress{Epoch: 1, Epochs: 1, StepsPerEpoch: 1}); !math.IsNaN(r) {
			t.Errorf("%s: LR %v, want NaN", c.want, r)
		}
	}
	for _, s := range []Schedule{StepLR{Every: 1, Factor: 0.5}, ExponentialLR{Gamma: 0.5}} {
		if r := s.LR(0.1, Progress{}); !math.IsNaN(r) {
			t.Errorf("%T at epoch 0: %v, want NaN", s, r)
		}
	}
}

// panicky is a caller's schedule that panics in Check.
type panicky struct{ ConstantLR }

func (panicky) Check() error { panic("boom") }

func TestCheckScheduleRecovers(t *testing.T) {
	wantError(t, "panic", CheckSchedule(panicky{}), "internal error", "boom")
}

func TestSchedulesDoNotAllocate(t *testing.T) {
	r := &ReduceOnPlateau{Patience: 3}
	for name, s := range map[string]Schedule{"step": StepLR{Every: 2, Factor: 0.5}, "exp": ExponentialLR{Gamma: 0.9},
		"cosine": CosineLR{WarmupSteps: 10}, "plateau": r} {
		at := Progress{Epoch: 3, Epochs: 5, Step: 40, StepsPerEpoch: 20}
		if a := testing.AllocsPerRun(10, func() { s.LR(0.1, at) }); a != 0 {
			t.Errorf("%s: LR allocates %v times", name, a)
		}
	}
	e := EpochInfo{Epoch: 1, ValLoss: 1, ValN: 1}
	if a := testing.AllocsPerRun(10, func() { _ = r.EpochEnd(e) }); a != 0 {
		t.Errorf("plateau: EpochEnd allocates %v times", a)
	}
}
