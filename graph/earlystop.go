package graph

import (
	"math"

	"github.com/pkg/errors"
)

// EarlyStopping stops training when a monitored metric has not improved by more than MinDelta for Patience epochs.
//
// It is Keras's EarlyStopping(monitor, min_delta=MinDelta,
// patience=Patience, mode='auto'): mode max when Monitor.Maximize(), min
// otherwise, and Monitor "" means ValLoss. An epoch improves on the best
// so far when its value v has v + MinDelta < best in mode min, v - MinDelta
// > best in mode max (any finite value improves on nothing); NaN and
// infinite values never improve. Each epoch without improvement adds one
// to a wait that an improvement resets, and Update says stop when the wait
// reaches Patience, though never after epoch 1 (Keras's epoch > 0): with
// Patience 0 training stops at the first epoch that does not improve, with
// Patience 3 at the third in a row. Epochs marked Partial are ignored.
//
// Patience must be at least 0 and MinDelta finite and at least 0 (Keras
// would take the absolute value of a negative min_delta); Check, and every
// Update, say which field is wrong. The zero value watches the validation
// loss and stops at its first epoch without improvement.
//
// A trainer that restores the best weights copies them whenever Best's
// epoch, after Update, is the epoch just recorded.
type EarlyStopping struct {
	Monitor  Monitor
	Patience int
	MinDelta float64

	best      float64 // the best value, when bestEpoch > 0
	bestEpoch int
	wait      int // epochs since the best, or since the start
}

// monitor returns the metric watched, ValLoss for "".
func (e *EarlyStopping) monitor() Monitor {
	if e.Monitor == "" {
		return ValLoss
	}
	return e.Monitor
}

// Check returns an error naming the first invalid field.
func (e *EarlyStopping) Check() error {
	if err := checkMonitor("early stopping", e.monitor()); err != nil {
		return err
	}
	if e.Patience < 0 {
		return errors.Errorf("early stopping: Patience is %d, want >= 0", e.Patience)
	}
	if !(e.MinDelta >= 0) || math.IsInf(e.MinDelta, 1) {
		return errors.Errorf("early stopping: MinDelta is %v, want >= 0 and finite", e.MinDelta)
	}
	return nil
}

// Update records an epoch and reports whether training should stop.
func (e *EarlyStopping) Update(ep EpochInfo) (stop bool, err error) {
	if err := e.Check(); err != nil {
		return false, err
	}
	if ep.Partial {
		return false, nil
	}
	m := e.monitor()
	v, err := ep.Metric(m)
	if err != nil {
		return false, errors.Wrap(err, "early stopping")
	}
	e.wait++
	if e.improves(v, m.Maximize()) {
		e.best, e.bestEpoch, e.wait = v, ep.Epoch, 0
		return false, nil
	}
	return e.wait >= e.Patience && ep.Epoch > 1, nil
}

// improves reports whether v beats the best so far by more than MinDelta,
// in Keras's order of operations.
func (e *EarlyStopping) improves(v float64, maximize bool) bool {
	switch {
	case math.IsNaN(v) || math.IsInf(v, 0):
		return false
	case e.bestEpoch == 0:
		return true
	case maximize:
		return v-e.MinDelta > e.best
	}
	return v+e.MinDelta < e.best
}

// Best returns the epoch with the best value so far and that value; before
// any epoch has improved, epoch 0 and +Inf, or -Inf for a metric to
// maximize (Keras's starting best).
func (e *EarlyStopping) Best() (epoch int, value float64) {
	if e.bestEpoch == 0 {
		if e.monitor().Maximize() {
			return 0, math.Inf(-1)
		}
		return 0, math.Inf(1)
	}
	return e.bestEpoch, e.best
}

// State returns Keras's counters "wait" and "best_epoch", and "best" once
// an epoch has set it, so that every value is finite.
func (e *EarlyStopping) State() map[string]float64 {
	s := map[string]float64{"wait": float64(e.wait), "best_epoch": float64(e.bestEpoch)}
	if e.bestEpoch > 0 {
		s["best"] = e.best
	}
	return s
}

// SetState restores what State returned; on error nothing changes.
func (e *EarlyStopping) SetState(s map[string]float64) error {
	for k := range s {
		if k != "wait" && k != "best_epoch" && k != "best" {
			return errors.Errorf("early stopping state: unknown key %q", k)
		}
	}
	wait, err := stateCount("early stopping", s, "wait")
	if err != nil {
		return err
	}
	epoch, err := stateCount("early stopping", s, "best_epoch")
	if err != nil {
		return err
	}
	best, ok := s["best"]
	if ok != (epoch > 0) || math.IsNaN(best) || math.IsInf(best, 0) {
		return errors.Errorf("early stopping state: best is %v (present %v) for best epoch %d, want a finite value exactly when the epoch is above 0", best, ok, epoch)
	}
	e.wait, e.bestEpoch, e.best = wait, epoch, best
	return nil
}
