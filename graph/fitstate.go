package graph

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"

	"github.com/pkg/errors"

	"github.com/featlearn/featlearn/internal/atomicfile"
)

// Files Fit writes into FitConfig.Dir.
const (
	CheckpointFile = "checkpoint.safetensors" // weights, buffers, optimizer and training state
	BestFile       = "best.safetensors"       // the best epoch's weights and buffers (RestoreBest)
	HistoryJSON    = "history.json"
	HistoryCSV     = "history.csv"
)

// CheckpointPath returns the path of the checkpoint Fit writes into dir.
func CheckpointPath(dir string) string { return filepath.Join(dir, CheckpointFile) }

// Keys of Fit's state in a checkpoint's metadata (under "fit/").
const (
	keyPosition = "position"       // position, JSON
	keyHistory  = "history"        // completed epochs, JSON
	keyTrainN   = "train_n"        // training examples, which fix the batches
	keyBatch    = "batch"          // batch size
	keyDropLast = "drop_last"      // FitConfig.DropLast, which fixes the batches too
	keyBaseLR   = "base_lr"        // the rate the schedule starts from
	keySchedule = "schedule"       // Schedule.State
	keyStopping = "early_stopping" // EarlyStopping.State
)

// save writes the checkpoint of the current position and the history of
// completed epochs into Dir; without Dir it does nothing.
func (f *fit) save() error {
	dir := f.cfg.Dir
	if dir == "" {
		return nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return errors.WithStack(err)
	}
	if err := removeStale(dir); err != nil {
		return err
	}
	state, err := f.state()
	if err != nil {
		return err
	}
	meta := f.cfg.Meta
	meta.Epoch, meta.Step, meta.Seed, meta.fit = len(f.history), f.t.steps, f.cfg.Seed, state
	path := CheckpointPath(dir)
	if err := SaveCheckpoint(path, f.t.model, f.t.opt, meta); err != nil {
		return err
	}
	f.res.Checkpoint = path
	return WriteHistory(dir, f.history)
}

// state encodes Fit's own state for the checkpoint's metadata.
func (f *fit) state() (map[string]string, error) {
	hist, err := json.Marshal(f.history)
	if err != nil {
		return nil, errors.Wrap(err, "encoding the history")
	}
	pos, _ := json.Marshal(f.pos)
	s := map[string]string{
		keyPosition: string(pos), keyHistory: string(hist),
		keyTrainN: strconv.Itoa(f.data.Len()), keyBatch: strconv.Itoa(f.cfg.BatchSize),
		keyDropLast: strconv.FormatBool(f.cfg.DropLast),
		keyBaseLR:   strconv.FormatFloat(f.baseLR, 'g', -1, 64),
	}
	if f.cfg.Schedule != nil {
		s[keySchedule] = encodeFloats(f.cfg.Schedule.State())
	}
	if f.cfg.EarlyStopping != nil {
		s[keyStopping] = encodeFloats(f.cfg.EarlyStopping.State())
	}
	return s, nil
}

// removeStale removes the temporary files that a run killed while it
// wrote dir's files left behind; the run that saves or resumes owns dir.
func removeStale(dir string) error {
	_, err := atomicfile.RemoveStale(dir, CheckpointFile, BestFile, HistoryJSON, HistoryCSV)
	return err
}

// resume loads Dir's checkpoint into the run after checking that it was
// written by a run this one can continue. It reads the file once.
func (f *fit) resume() error {
	if err := removeStale(f.cfg.Dir); err != nil {
		return errors.Wrap(err, "resume")
	}
	path := CheckpointPath(f.cfg.Dir)
	file, meta, err := readCheckpoint(path)
	if err != nil {
		return errors.Wrap(err, "resume")
	}
	if err := f.compatible(meta); err != nil {
		return errors.Wrapf(err, "resume from %s", path)
	}
	if err := f.restoreState(meta); err != nil {
		return errors.Wrapf(err, "resume from %s", path)
	}
	if err := restore(file, meta, f.t.model, f.t.opt, loadConfig{}); err != nil {
		return errors.Wrapf(err, "resume from %s", path)
	}
	if f.cfg.RestoreBest {
		if err := f.loadBest(); err != nil {
			return errors.Wrap(err, "resume")
		}
	}
	f.t.SetSteps(meta.Step)
	f.res.ResumedEpoch, f.res.ResumedStep = len(f.history), meta.Step
	return nil
}

// compatible explains why a checkpoint cannot continue this run.
func (f *fit) compatible(meta CheckpointMeta) error {
	want := f.cfg.Meta
	switch {
	case meta.fit == nil:
		return errors.New("the checkpoint holds no training position: it was not written by Fit")
	case meta.Model != want.Model || meta.Config != want.Config:
		return errors.Errorf("checkpoint holds %s %s, this run trains %s %s", meta.Model, meta.Config, want.Model, want.Config)
	case meta.Seed != f.cfg.Seed:
		return errors.Errorf("checkpoint's run used seed %d, this one %d", meta.Seed, f.cfg.Seed)
	case meta.ModelSeed != f.t.model.seed:
		return errors.Errorf("checkpoint's model was built with seed %d, this one with %d: dropout masks would differ", meta.ModelSeed, f.t.model.seed)
	case meta.fit[keyTrainN] != strconv.Itoa(f.data.Len()):
		return errors.Errorf("checkpoint was trained on %s examples, this run has %d", meta.fit[keyTrainN], f.data.Len())
	case meta.fit[keyBatch] != strconv.Itoa(f.cfg.BatchSize):
		return errors.Errorf("checkpoint was trained in batches of %s, this run uses %d", meta.fit[keyBatch], f.cfg.BatchSize)
	case meta.fit[keyDropLast] != "" && meta.fit[keyDropLast] != strconv.FormatBool(f.cfg.DropLast):
		return errors.Errorf("checkpoint's run had DropLast %s, this one %t", meta.fit[keyDropLast], f.cfg.DropLast)
	case (meta.fit[keySchedule] != "") != (f.cfg.Schedule != nil):
		return errors.New("checkpoint and this run differ in having a learning-rate schedule")
	case (meta.fit[keyStopping] != "") != (f.cfg.EarlyStopping != nil):
		return errors.New("checkpoint and this run differ in using early stopping")
	}
	return nil
}

// restoreState restores Fit's state from a checkpoint's metadata, which
// decodeMeta has checked.
func (f *fit) restoreState(meta CheckpointMeta) error {
	s, err := parseFitState(meta)
	if err != nil {
		return err
	}
	f.history, f.pos, f.baseLR = s.history, s.pos, s.baseLR
	f.t.opt.SetLearningRate(s.baseLR)
	if f.cfg.Schedule != nil {
		if err := f.cfg.Schedule.SetState(s.schedule); err != nil {
			return errors.Wrap(err, "schedule state")
		}
	}
	if f.cfg.EarlyStopping != nil {
		if err := f.cfg.EarlyStopping.SetState(s.stopES); err != nil {
			return errors.Wrap(err, "early stopping state")
		}
	}
	return nil
}

// encodeFloats writes a state map as JSON strings, which unlike JSON
// numbers hold infinities and NaN.
func encodeFloats(m map[string]float64) string {
	s := make(map[string]string, len(m))
	for k, v := range m {
		s[k] = strconv.FormatFloat(v, 'g', -1, 64)
	}
	b, _ := json.Marshal(s)
	return string(b)
}

// decodeFloats reads what encodeFloats wrote.
func decodeFloats(text string) (map[string]float64, error) {
	var s map[string]string
	if err := json.Unmarshal([]byte(text), &s); err != nil {
		return nil, errors.Wrapf(err, "state %q", text)
	}
	m := make(map[string]float64, len(s))
	for k, v := range s {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return nil, errors.Errorf("state %s = %q is not a number", k, v)
		}
		m[k] = f
	}
	return m, nil
}

// snapshotEntry is the values of one parameter or buffer.
type snapshotEntry struct {
	p    *Param
	vals []float64
}

// keepBest remembers the model's weights and buffers as the best so far,
// and writes them to Dir's BestFile.
func (f *fit) keepBest() error {
	f.best = f.best[:0]
	for _, p := range f.t.model.tensors() {
		f.best = append(f.best, snapshotEntry{p, p.Float64s()})
	}
	if f.cfg.Dir == "" {
		return nil
	}
	// The best epoch is saved before the epoch's checkpoint, so possibly
	// into a directory not made yet.
	if err := os.MkdirAll(f.cfg.Dir, 0o755); err != nil {
		return errors.WithStack(err)
	}
	meta := f.cfg.Meta
	meta.Epoch, meta.Step, meta.Seed, meta.Optimizer = len(f.history), f.t.steps, f.cfg.Seed, ""
	return SaveCheckpoint(filepath.Join(f.cfg.Dir, BestFile), f.t.model, nil, meta)
}

// loadBest reads a resumed run's best weights from Dir's BestFile, if the
// run had found any, checking it as LoadCheckpoint would.
func (f *fit) loadBest() error {
	path := filepath.Join(f.cfg.Dir, BestFile)
	if _, err := os.Stat(path); os.IsNotExist(err) {
		return nil
	}
	file, meta, err := readCheckpoint(path)
	if err != nil {
		return err
	}
	all := f.t.model.tensors()
	if err := layoutError(layoutProblems(meta.layout, all, f.t.model.dtype), meta); err != nil {
		return errors.Wrap(err, path)
	}
	f.best = f.best[:0]
	for _, p := range all {
		t, _ := file.Tensor(p.Name)
		if err := checkFinite(t); err != nil {
			return errors.Wrap(err, path)
		}
		vals, _ := t.Float64s()
		f.best = append(f.best, snapshotEntry{p, vals})
	}
	return nil
}

// restoreBest puts the best epoch's weights and buffers back into the
// model when asked to.
func (f *fit) restoreBest() error {
	if !f.cfg.RestoreBest || len(f.best) == 0 {
		return nil
	}
	for _, e := range f.best {
		setFromFloat64s(e.p.value, e.vals)
	}
	return nil
}
