package graph

import (
	"math"
	"testing"
)

// stopRun feeds values to e as the monitored metric of epochs firstEpoch
// on and returns the epoch at which it said stop, 0 if it never did. It
// goes on after a stop only if all is set.
func stopRun(t *testing.T, e *EarlyStopping, firstEpoch int, values []float64, all bool) int {
	t.Helper()
	stopped := 0
	for i, v := range values {
		ep := EpochInfo{Epoch: firstEpoch + i, ValLoss: v, ValAccuracy: v, ValN: 10, TrainLoss: v, TrainAccuracy: v}
		stop, err := e.Update(ep)
		if err != nil {
			t.Fatal(err)
		}
		if stop && stopped == 0 {
			stopped = ep.Epoch
			if !all {
				break
			}
		}
	}
	return stopped
}

func TestEarlyStoppingLoss(t *testing.T) {
	losses := []float64{1.0, 0.8, 0.795, 0.7905, 0.7, 0.6}
	// Keras, min_delta 0.01, patience 2: 0.8 improves on 1.0; 0.795 and
	// 0.7905 are lower but not by more than 0.01 (0.805 and 0.8005 are not
	// below 0.8), so the wait reaches 2 at epoch 4.
	e := &EarlyStopping{Patience: 2, MinDelta: 0.01}
	if got := stopRun(t, e, 1, losses, false); got != 4 {
		t.Errorf("stopped at epoch %d, want 4", got)
	}
	if epoch, v := e.Best(); epoch != 2 || v != 0.8 {
		t.Errorf("best epoch %d value %v, want 2 and 0.8", epoch, v)
	}
	// Without MinDelta every epoch improves.
	e = &EarlyStopping{Patience: 2}
	if got := stopRun(t, e, 1, losses, false); got != 0 {
		t.Errorf("stopped at epoch %d, want never", got)
	}
	if epoch, v := e.Best(); epoch != 6 || v != 0.6 {
		t.Errorf("best epoch %d value %v, want 6 and 0.6", epoch, v)
	}
	// Patience 3: the wait is 1, 2, then reset at epoch 5 by 0.7, and 0.75,
	// 0.71, 0.70 make it 3 at epoch 8.
	e = &EarlyStopping{Patience: 3, MinDelta: 0.01}
	if got := stopRun(t, e, 1, []float64{1.0, 0.8, 0.795, 0.7905, 0.7, 0.75, 0.71, 0.70, 0.5}, false); got != 8 {
		t.Errorf("patience 3 stopped at epoch %d, want 8", got)
	}
}

func TestEarlyStoppingAccuracy(t *testing.T) {
	// Mode max from the monitor; patience 0 stops at the first epoch that
	// does not improve: 0.6 is not above 0.6.
	e := &EarlyStopping{Monitor: ValAccuracy}
	if got := stopRun(t, e, 1, []float64{0.5, 0.6, 0.6, 0.9}, false); got != 3 {
		t.Errorf("stopped at epoch %d, want 3", got)
	}
	if epoch, v := e.Best(); epoch != 2 || v != 0.6 {
		t.Errorf("best epoch %d value %v, want 2 and 0.6", epoch, v)
	}
	// MinDelta 0.05: 0.6 and 0.66 beat the best by more than 0.05, 0.7
	// does not beat 0.66, so patience 1 stops at epoch 4.
	e = &EarlyStopping{Monitor: TrainAccuracy, Patience: 1, MinDelta: 0.05}
	if got := stopRun(t, e, 1, []float64{0.5, 0.6, 0.66, 0.7, 0.72, 0.9}, false); got != 4 {
		t.Errorf("min delta 0.05 stopped at epoch %d, want 4", got)
	}
	if epoch, _ := (&EarlyStopping{Monitor: ValAccuracy}).Best(); epoch != 0 {
		t.Errorf("fresh best epoch %d", epoch)
	}
	if _, v := (&EarlyStopping{Monitor: ValAccuracy}).Best(); !math.IsInf(v, -1) {
		t.Errorf("fresh best for accuracy %v, want -Inf", v)
	}
	if _, v := (&EarlyStopping{}).Best(); !math.IsInf(v, 1) {
		t.Errorf("fresh best for loss %v, want +Inf", v)
	}
}

func TestEarlyStoppingFirstEpochAndNaN(t *testing.T) {
	// A NaN at epoch 1 does not improve but cannot stop (Keras's epoch >
	// 0); 0.5 improves, and the NaN after it stops with patience 0.
	e := &EarlyStopping{}
	if got := stopRun(t, e, 1, []float64{math.NaN(), 0.5, math.NaN()}, false); got != 3 {
		t.Errorf("stopped at epoch %d, want 3", got)
	}
	// -Inf is not a best value either.
	e = &EarlyStopping{Patience: 1}
	if got := stopRun(t, e, 1, []float64{0.5, math.Inf(-1), 0.4}, false); got != 2 {
		t.Errorf("-Inf: stopped at epoch %d, want 2", got)
	}
	// Partial epochs are not counted.
	e = &EarlyStopping{}
	_, _ = e.Update(EpochInfo{Epoch: 1, ValLoss: 1, ValN: 1})
	if stop, err := e.Update(EpochInfo{Epoch: 2, ValLoss: 3, ValN: 1, Partial: true}); stop || err != nil || e.State()["wait"] != 0 {
		t.Errorf("a partial epoch counted: %v %v %v", stop, err, e.State())
	}
	_, err := e.Update(EpochInfo{Epoch: 3})
	wantError(t, "no validation data", err, "early stopping", "val_loss", "no validation data")
}

// TestEarlyStoppingResumes restores the state after each epoch into a fresh
// value and checks the stop and the best match an uninterrupted run.
func TestEarlyStoppingResumes(t *testing.T) {
	values := []float64{1.0, 0.8, 0.795, 0.7905, 0.7, 0.75, 0.71, 0.70, 0.5, 0.6, 0.6, 0.6, 0.6}
	newES := func() *EarlyStopping { return &EarlyStopping{Patience: 3, MinDelta: 0.01} }
	whole := newES()
	want := stopRun(t, whole, 1, values, true)
	for cut := 1; cut < len(values); cut++ {
		first := newES()
		got := stopRun(t, first, 1, values[:cut], true)
		resumed := newES()
		if err := resumed.SetState(first.State()); err != nil {
			t.Fatal(err)
		}
		if later := stopRun(t, resumed, cut+1, values[cut:], true); got == 0 {
			got = later
		}
		be, bv := resumed.Best()
		we, wv := whole.Best()
		if got != want || be != we || bv != wv || resumed.State()["wait"] != whole.State()["wait"] {
			t.Errorf("resumed after epoch %d: stop %d best %d %v, want %d %d %v", cut, got, be, bv, want, we, wv)
		}
	}
	if s := (&EarlyStopping{}).State(); len(s) != 2 {
		t.Errorf("fresh state %v holds a best", s)
	}
}

func TestEarlyStoppingErrors(t *testing.T) {
	for _, c := range []struct {
		e    *EarlyStopping
		want string
	}{
		{&EarlyStopping{Monitor: "acc"}, `monitor "acc"`},
		{&EarlyStopping{Patience: -1}, "Patience is -1"},
		{&EarlyStopping{MinDelta: -0.1}, "MinDelta is -0.1"},
		{&EarlyStopping{MinDelta: math.NaN()}, "MinDelta is NaN"},
	} {
		wantError(t, c.want, c.e.Check(), "early stopping", c.want)
		_, err := c.e.Update(EpochInfo{Epoch: 1, ValN: 1})
		wantError(t, c.want, err, c.want)
	}
	for _, s := range []map[string]float64{
		{"wait": 1, "best_epoch": 2},
		{"wait": 1, "best_epoch": 0, "best": 0.5},
		{"wait": 1, "best_epoch": 2, "best": math.NaN()},
		{"wait": -1, "best_epoch": 0},
		{"wait": 0, "best_epoch": 0.5, "best": 1},
		{"best_epoch": 0},
		{"wait": 0, "best_epoch": 0, "stopped_epoch": 3},
	} {
		e := &EarlyStopping{}
		if err := e.SetState(s); err == nil {
			t.Errorf("state %v accepted", s)
		}
		if len(e.State()) != 2 || e.State()["wait"] != 0 {
			t.Errorf("a failed SetState changed the state: %v", e.State())
		}
	}
}
