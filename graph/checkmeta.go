package graph

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/pkg/errors"
)

// Bounds on the counters of a checkpoint's metadata. Far beyond any real
// run, they keep every count a resumed run adds to from overflowing.
const (
	maxMetaEpoch  = 1 << 24 // epochs
	maxMetaStep   = 1 << 50 // optimizer steps
	maxMetaTrainN = 1 << 40 // training examples, and examples per batch
)

// metaError says which entry of a checkpoint's metadata is wrong, by its
// key, such as "fit/position" or "extra/recipe".
type metaError struct {
	key string
	err error
}

func (e *metaError) Error() string { return fmt.Sprintf("metadata %q: %v", e.key, e.err) }

func (e *metaError) Unwrap() error { return e.err }

func metaErr(key, format string, args ...any) error {
	return &metaError{key: key, err: errors.Errorf(format, args...)}
}

// decodeMeta parses the metadata SaveCheckpoint wrote and checks all of
// it: counters within bounds, the recipe (Recipe.Check), and Fit's state,
// which must agree with the epoch, the step, the training-set size and
// itself. Errors name the key at fault.
func decodeMeta(md map[string]string) (CheckpointMeta, error) {
	if md["format"] != CheckpointFormat {
		return CheckpointMeta{}, errors.Errorf("format %q, want %q: not a featlearn checkpoint", md["format"], CheckpointFormat)
	}
	meta := CheckpointMeta{Model: md["model"], Config: md["config"], Optimizer: md["optimizer"]}
	var err error
	if meta.Epoch, err = metaInt(md, "epoch", maxMetaEpoch); err != nil {
		return meta, err
	}
	if meta.Step, err = metaInt(md, "step", maxMetaStep); err != nil {
		return meta, err
	}
	if meta.Seed, err = strconv.ParseUint(md["seed"], 10, 64); err != nil {
		return meta, metaErr("seed", "%q is not an unsigned integer", md["seed"])
	}
	if s, ok := md["model_seed"]; ok {
		if meta.ModelSeed, err = strconv.ParseUint(s, 10, 64); err != nil {
			return meta, metaErr("model_seed", "%q is not an unsigned integer", s)
		}
	}
	for k, v := range md {
		if name, ok := strings.CutPrefix(k, extraPrefix); ok {
			if meta.Extra == nil {
				meta.Extra = map[string]string{}
			}
			meta.Extra[name] = v
		}
		if name, ok := strings.CutPrefix(k, fitPrefix); ok {
			if meta.fit == nil {
				meta.fit = map[string]string{}
			}
			meta.fit[name] = v
		}
	}
	var st *fitState
	if meta.fit != nil {
		if st, err = parseFitState(meta); err != nil {
			return meta, err
		}
	}
	return meta, checkSavedRecipe(meta, st)
}

// metaInt parses an integer entry of the metadata in 0..most.
func metaInt(md map[string]string, key string, most int) (int, error) {
	n, err := strconv.Atoi(md[key])
	if err != nil || n < 0 {
		return 0, metaErr(key, "%q is not a non-negative integer", md[key])
	}
	if n > most {
		return 0, metaErr(key, "%d is beyond the limit of %d", n, most)
	}
	return n, nil
}

// checkSavedRecipe checks the recipe a checkpoint of Recipe.Fit stores,
// and that it agrees with Fit's state.
func checkSavedRecipe(meta CheckpointMeta, st *fitState) error {
	const key = extraPrefix + keyRecipe
	if _, ok := meta.Extra[keyRecipe]; !ok {
		return nil
	}
	r, err := parseRecipe(meta.Extra[keyRecipe])
	if err != nil {
		return &metaError{key: key, err: err}
	}
	switch {
	case r.Seed != meta.Seed:
		return metaErr(key, "seed %d, but the checkpoint's seed is %d", r.Seed, meta.Seed)
	case st == nil:
		return nil
	case r.Batch != st.batch:
		return metaErr(key, "batch %d, but %s%s is %d", r.Batch, fitPrefix, keyBatch, st.batch)
	}
	// The recipe names the schedule and early stopping whose states Fit
	// saved: a resume will restore them into those, so try it now.
	sched, err := r.NewSchedule()
	if err != nil {
		return &metaError{key: key, err: err}
	}
	if (sched != nil) != (st.schedule != nil) {
		return metaErr(fitPrefix+keySchedule, "present %t, but the recipe's schedule is %q", st.schedule != nil, r.Schedule)
	}
	if sched != nil {
		if err := sched.SetState(st.schedule); err != nil {
			return &metaError{key: fitPrefix + keySchedule, err: err}
		}
	}
	if (r.Patience > 0) != (st.stopES != nil) {
		return metaErr(fitPrefix+keyStopping, "present %t, but the recipe's patience is %d", st.stopES != nil, r.Patience)
	}
	if st.stopES != nil {
		es := &EarlyStopping{Monitor: ValLoss, Patience: r.Patience}
		if err := es.SetState(st.stopES); err != nil {
			return &metaError{key: fitPrefix + keyStopping, err: err}
		}
	}
	return nil
}

// fitState is Fit's state as a checkpoint stores it under "fit/".
type fitState struct {
	pos              position
	history          []EpochInfo
	trainN, batch    int
	dropLast         bool
	baseLR           float64
	schedule, stopES map[string]float64 // nil when the run had none
}

// batches returns the number of batches of an epoch of the saved run.
func (s *fitState) batches() int {
	if s.dropLast {
		return s.trainN / s.batch
	}
	return (s.trainN + s.batch - 1) / s.batch
}

// parseFitState reads and checks Fit's state in meta.
func parseFitState(meta CheckpointMeta) (*fitState, error) {
	s, fit := &fitState{}, meta.fit
	var err error
	for _, f := range []struct {
		key string
		dst *int
	}{{keyTrainN, &s.trainN}, {keyBatch, &s.batch}} {
		n, err := strconv.Atoi(fit[f.key])
		if err != nil || n < 1 || n > maxMetaTrainN {
			return nil, metaErr(fitPrefix+f.key, "%q: want an integer in 1..%d", fit[f.key], maxMetaTrainN)
		}
		*f.dst = n
	}
	if v, ok := fit[keyDropLast]; ok {
		if s.dropLast, err = strconv.ParseBool(v); err != nil {
			return nil, metaErr(fitPrefix+keyDropLast, "%q is not true or false", v)
		}
	}
	if s.batches() == 0 {
		return nil, metaErr(fitPrefix+keyBatch, "%d examples make no batch of %d with DropLast", s.trainN, s.batch)
	}
	if s.baseLR, err = strconv.ParseFloat(fit[keyBaseLR], 64); err != nil || !(s.baseLR > 0) || math.IsInf(s.baseLR, 0) {
		return nil, metaErr(fitPrefix+keyBaseLR, "%q: want a positive number", fit[keyBaseLR])
	}
	for _, f := range []struct {
		key string
		dst *map[string]float64
	}{{keySchedule, &s.schedule}, {keyStopping, &s.stopES}} {
		if v, ok := fit[f.key]; ok {
			if *f.dst, err = decodeFloats(v); err != nil {
				return nil, &metaError{key: fitPrefix + f.key, err: err}
			}
		}
	}
	if err := decodeStrict([]byte(fit[keyPosition]), &s.pos); err != nil {
		return nil, &metaError{key: fitPrefix + keyPosition, err: err}
	}
	if err := decodeStrict([]byte(fit[keyHistory]), &s.history); err != nil {
		return nil, &metaError{key: fitPrefix + keyHistory, err: err}
	}
	if e, ok := s.stopES["best_epoch"]; ok && !(e >= 0 && e <= float64(meta.Epoch)) {
		return nil, metaErr(fitPrefix+keyStopping, "best epoch %v of %d epochs", e, meta.Epoch)
	}
	if err := s.checkPosition(meta); err != nil {
		return nil, err
	}
	return s, s.checkHistory(meta)
}

// decodeStrict decodes one JSON value into v, refusing unknown fields.
func decodeStrict(text []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(text))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return errors.Wrap(err, "unreadable JSON")
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("unreadable JSON: data after the value")
	}
	return nil
}

// checkPosition checks the position inside the epoch against the epoch,
// the step and the size of the training set.
func (s *fitState) checkPosition(meta CheckpointMeta) error {
	const key = fitPrefix + keyPosition
	p, nb := s.pos, s.batches()
	switch {
	case p.Epoch != meta.Epoch+1:
		return metaErr(key, "in epoch %d, but %d epochs are done", p.Epoch, meta.Epoch)
	case p.Batch < 0 || p.Batch > nb:
		return metaErr(key, "batch %d of an epoch of %d batches", p.Batch, nb)
	case p.Seen != min(p.Batch*s.batch, s.trainN):
		return metaErr(key, "%d examples seen in %d batches of %d from %d", p.Seen, p.Batch, s.batch, s.trainN)
	case p.Right < 0 || p.Right > p.Seen:
		return metaErr(key, "%d right of %d seen", p.Right, p.Seen)
	case !finite(p.LossSum) || !finite(p.Seconds) || p.Seconds < 0:
		return metaErr(key, "loss sum %v, seconds %v: want finite numbers", p.LossSum, p.Seconds)
	case meta.Epoch > (maxMetaStep-p.Batch)/nb:
		return metaErr(key, "%d epochs of %d batches are beyond the limit of %d steps", meta.Epoch, nb, maxMetaStep)
	case meta.Step < meta.Epoch*nb+p.Batch:
		return metaErr("step", "%d, but %d epochs of %d batches and %d batches more are done", meta.Step, meta.Epoch, nb, p.Batch)
	}
	return nil
}

// checkHistory checks the completed epochs against the epoch count and
// the steps: each epoch takes the same number of batches, so the step
// counts of the epochs and of the position are one arithmetic series.
func (s *fitState) checkHistory(meta CheckpointMeta) error {
	const key = fitPrefix + keyHistory
	if len(s.history) != meta.Epoch {
		return metaErr(key, "%d epochs, but the epoch is %d", len(s.history), meta.Epoch)
	}
	if err := checkEpochs(s.history); err != nil {
		return &metaError{key: key, err: err}
	}
	nb := s.batches()
	first := meta.Step - meta.Epoch*nb - s.pos.Batch // steps taken before this run's first epoch
	for i, e := range s.history {
		if e.Partial {
			return metaErr(key, "epoch %d is marked partial", e.Epoch)
		}
		if want := first + (i+1)*nb; e.Steps != want {
			return metaErr(key, "epoch %d ends at step %d, want %d from the step %d and %d batches an epoch", e.Epoch, e.Steps, want, meta.Step, nb)
		}
	}
	return nil
}

// checkEpochs checks a history: epochs numbered from 1 in order, only the
// last one partial, step counts that never fall, and finite metrics, with
// accuracies between 0 and 1.
func checkEpochs(h []EpochInfo) error {
	for i, e := range h {
		switch {
		case e.Epoch != i+1:
			return errors.Errorf("record %d is epoch %d, want %d", i+1, e.Epoch, i+1)
		case e.Partial && i != len(h)-1:
			return errors.Errorf("epoch %d is partial but not the last", e.Epoch)
		case e.Steps < 0 || e.Steps > maxMetaStep || (i > 0 && e.Steps < h[i-1].Steps):
			return errors.Errorf("epoch %d ends at step %d", e.Epoch, e.Steps)
		case e.ValN < 0 || e.ValN > maxMetaTrainN:
			return errors.Errorf("epoch %d validated on %d examples", e.Epoch, e.ValN)
		case !finite(e.LR) || e.LR < 0 || !finite(e.TrainLoss) || !finite(e.ValLoss) || !finite(e.Seconds) || e.Seconds < 0:
			return errors.Errorf("epoch %d: learning rate %v, losses %v and %v, seconds %v: want finite numbers, none negative but the losses",
				e.Epoch, e.LR, e.TrainLoss, e.ValLoss, e.Seconds)
		case !(e.TrainAccuracy >= 0 && e.TrainAccuracy <= 1 && e.ValAccuracy >= 0 && e.ValAccuracy <= 1):
			return errors.Errorf("epoch %d: accuracies %v and %v, want 0..1", e.Epoch, e.TrainAccuracy, e.ValAccuracy)
		}
	}
	return nil
}

// finite says whether v is neither NaN nor infinite.
func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
