package graph

import (
	"math"
	"math/rand/v2"
	"time"

	"github.com/pkg/errors"
)

// ErrStop, returned by FitConfig.OnStep, stops training cleanly: Fit saves
// a checkpoint of the exact position (when Dir is set) and returns without
// error, with FitResult.Interrupted set.
var ErrStop = errors.New("training stopped")

// FitConfig says how Fit trains.
type FitConfig struct {
	// Epochs is the number of epochs to reach; a resumed run trains only
	// those it still lacks.
	Epochs    int
	BatchSize int
	// Seed fixes the order of examples in every epoch (EpochOrder).
	Seed uint64
	// DropLast skips the last partial batch of an epoch instead of training on it.
	DropLast bool

	// Val, when set, is evaluated in evaluation mode after every epoch;
	// the history records its loss and accuracy, and schedules and early
	// stopping can watch them. ValBatch is its batch size (default 500).
	Val      Dataset
	ValBatch int
	// Schedule sets the learning rate before every step from the
	// optimizer's rate when Fit started; nil keeps it constant.
	Schedule Schedule
	// ClipNorm, when positive, scales each step's gradients down to this
	// global L2 norm (ClipGradNorm).
	ClipNorm float64
	// EarlyStopping, when set, stops training once its metric stops
	// improving; with RestoreBest the model ends with the weights and
	// buffers of its best epoch.
	EarlyStopping *EarlyStopping
	RestoreBest   bool
	// MaxSteps stops training after that many optimizer steps in all, in
	// the middle of an epoch if need be (0: no limit).
	MaxSteps int

	// Dir, when set, receives after every epoch, atomically, the
	// checkpoint (CheckpointFile), the history (history.json and .csv)
	// and, with RestoreBest, the best epoch's weights (BestFile).
	Dir string
	// Resume continues the run checkpointed in Dir: weights, buffers,
	// optimizer and schedule state, the position inside the epoch and the
	// history, so the run ends with the weights an uninterrupted run has.
	Resume bool
	// Meta names the model in checkpoints (Model, Config, Extra); Fit
	// fills in the rest.
	Meta CheckpointMeta

	// OnStep, when set, is called after every step; ErrStop stops training
	// cleanly, any other error aborts it.
	OnStep func(StepInfo) error
	// OnEpoch, when set, is called after every completed epoch, once its
	// checkpoint is written; an error stops training.
	OnEpoch func(EpochInfo) error
}

// StepInfo describes a finished training step.
type StepInfo struct {
	Epoch, Epochs  int
	Batch, Batches int // batches done in this epoch, of Batches
	Step           int // optimizer steps since the start of training
	LR             float64
	BatchResult
	// Images counts the examples trained on in this epoch so far, and the
	// running loss and accuracy are their means.
	Images                       int
	RunningLoss, RunningAccuracy float64
}

// FitResult is what Fit did.
type FitResult struct {
	// History holds every epoch of the run, those before a resume too; a
	// run cut short ends with a Partial epoch.
	History []EpochInfo
	Steps   int
	// Interrupted says OnStep returned ErrStop, OutOfSteps that MaxSteps
	// ran out, EarlyStopped that EarlyStopping ended training.
	Interrupted, OutOfSteps, EarlyStopped bool
	// BestEpoch is EarlyStopping's best epoch (0 without early stopping).
	BestEpoch int
	// Checkpoint is the path of the last checkpoint written, if any.
	Checkpoint string
	// ResumedEpoch and ResumedStep say where a resumed run started.
	ResumedEpoch, ResumedStep int
}

// Last returns the last epoch of the history, or a zero EpochInfo.
func (r *FitResult) Last() EpochInfo {
	if r == nil || len(r.History) == 0 {
		return EpochInfo{}
	}
	return r.History[len(r.History)-1]
}

// check reports the first field of cfg that cannot work.
func (cfg *FitConfig) check() error {
	switch {
	case cfg.Epochs < 1:
		return errors.Errorf("fit: epochs %d: want at least 1", cfg.Epochs)
	case cfg.BatchSize < 1:
		return errors.Errorf("fit: batch size %d: want at least 1", cfg.BatchSize)
	case cfg.ValBatch < 0:
		return errors.Errorf("fit: validation batch size %d: want at least 1 (0: 500)", cfg.ValBatch)
	case cfg.MaxSteps < 0:
		return errors.Errorf("fit: max steps %d: want >= 0", cfg.MaxSteps)
	case cfg.ClipNorm < 0 || math.IsNaN(cfg.ClipNorm) || math.IsInf(cfg.ClipNorm, 0):
		return errors.Errorf("fit: clip norm %v: want a positive number, or 0 for none", cfg.ClipNorm)
	case cfg.Resume && cfg.Dir == "":
		return errors.New("fit: resume needs the directory of the checkpoint (Dir)")
	case cfg.RestoreBest && cfg.EarlyStopping == nil:
		return errors.New("fit: RestoreBest needs EarlyStopping, which says which epoch is best")
	}
	if cfg.Schedule != nil {
		if err := CheckSchedule(cfg.Schedule); err != nil {
			return errors.Wrap(err, "fit: schedule")
		}
	}
	if cfg.EarlyStopping != nil {
		if err := cfg.EarlyStopping.Check(); err != nil {
			return errors.Wrap(err, "fit: early stopping")
		}
	}
	return nil
}

// position is where training stands inside an epoch, with the running
// sums of the epoch so far; checkpoints store it so a resumed epoch
// reports the same metrics as an uninterrupted one.
type position struct {
	Epoch   int     `json:"epoch"` // the epoch in progress, from 1
	Batch   int     `json:"batch"` // its batches already trained
	LossSum float64 `json:"loss_sum"`
	Seen    int     `json:"seen"`
	Right   int     `json:"right"`
	Seconds float64 `json:"seconds"`
}

// fit is one call of Fit.
type fit struct {
	t       *Trainer
	cfg     FitConfig
	data    Dataset
	baseLR  float64
	pos     position
	history []EpochInfo // completed epochs
	best    []snapshotEntry
	x, y    []float32
	res     *FitResult
}

// Fit trains for cfg.Epochs epochs over data in shuffled batches: the one
// training loop of featlearn. It validates after every epoch, follows the
// schedule, stops early, checkpoints into cfg.Dir and resumes from it; see
// FitConfig. Training is deterministic: the model's seed fixes the initial
// weights and the dropout masks, cfg.Seed the order of examples, so the
// same seeds give the same weights bit for bit, and a run stopped after
// any step and resumed ends with the weights of an uninterrupted one. A
// NaN or infinite loss stops training with an error naming the step; the
// last checkpoint stays.
func (t *Trainer) Fit(data Dataset, cfg FitConfig) (*FitResult, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	if err := checkData(t.model, t.loss, data, "training data"); err != nil {
		return nil, err
	}
	if cfg.Val != nil {
		if err := checkData(t.model, t.loss, cfg.Val, "validation data"); err != nil {
			return nil, err
		}
	}
	if err := t.SetClipNorm(cfg.ClipNorm); err != nil {
		return nil, err
	}
	if cfg.ValBatch == 0 {
		cfg.ValBatch = 500
	}
	f := &fit{t: t, cfg: cfg, data: data, baseLR: t.opt.LearningRate(), pos: position{Epoch: 1}, res: &FitResult{}}
	if cfg.Resume {
		if err := f.resume(); err != nil {
			return nil, err
		}
	}
	err := f.loop()
	f.res.History = append(append([]EpochInfo(nil), f.history...), f.res.History...)
	f.res.Steps = t.steps
	if cfg.EarlyStopping != nil {
		f.res.BestEpoch, _ = cfg.EarlyStopping.Best()
	}
	return f.res, err
}

// batches returns the number of batches of an epoch.
func (f *fit) batches() int {
	n, bs := f.data.Len(), f.cfg.BatchSize
	if f.cfg.DropLast {
		return n / bs
	}
	return (n + bs - 1) / bs
}

// loop trains the remaining epochs.
func (f *fit) loop() error {
	if f.batches() == 0 {
		return errors.Errorf("fit: %d examples make no batch of %d with DropLast", f.data.Len(), f.cfg.BatchSize)
	}
	in, tg := f.t.model.input.Size(), f.t.loss.TargetShape(f.t.model.output).Size()
	f.x, f.y = make([]float32, f.cfg.BatchSize*in), make([]float32, f.cfg.BatchSize*tg)
	for f.pos.Epoch <= f.cfg.Epochs {
		stopped, err := f.epoch()
		if err != nil || stopped {
			return err
		}
	}
	return f.restoreBest()
}

// epoch trains the rest of the epoch in progress and moves the position
// to the next one; it reports whether training stopped.
func (f *fit) epoch() (stopped bool, err error) {
	e, nb := f.pos.Epoch, f.batches()
	order := EpochOrder(f.data.Len(), f.cfg.Seed, e)
	start := time.Now()
	for f.pos.Batch < nb {
		if f.cfg.MaxSteps > 0 && f.t.steps >= f.cfg.MaxSteps {
			f.res.OutOfSteps = true
			return true, f.stopEarly(start)
		}
		if err := f.step(order, nb); err != nil {
			if errors.Is(err, ErrStop) {
				f.res.Interrupted = true
				return true, f.stopEarly(start)
			}
			return true, err
		}
	}
	rec, err := f.record(start, false)
	if err != nil {
		return true, err
	}
	f.history = append(f.history, rec)
	f.pos = position{Epoch: e + 1}
	if stopped, err = f.endOfEpoch(rec); err != nil {
		return true, err
	}
	if err := f.save(); err != nil {
		return true, err
	}
	if f.cfg.OnEpoch != nil {
		if err := f.cfg.OnEpoch(rec); err != nil {
			return true, err
		}
	}
	if stopped {
		return true, f.restoreBest()
	}
	return false, nil
}

// endOfEpoch tells the schedule and early stopping about a finished epoch
// and reports whether training should stop.
func (f *fit) endOfEpoch(rec EpochInfo) (bool, error) {
	if f.cfg.Schedule != nil {
		if err := f.cfg.Schedule.EpochEnd(rec); err != nil {
			return false, errors.Wrap(err, "schedule")
		}
	}
	es := f.cfg.EarlyStopping
	if es == nil {
		return false, nil
	}
	stop, err := es.Update(rec)
	if err != nil {
		return false, errors.Wrap(err, "early stopping")
	}
	if best, _ := es.Best(); best == rec.Epoch && f.cfg.RestoreBest {
		if err := f.keepBest(); err != nil {
			return false, err
		}
	}
	f.res.EarlyStopped = stop
	return stop, nil
}

// step trains the next batch of the epoch and calls OnStep.
func (f *fit) step(order []int, batches int) error {
	bs, p := f.cfg.BatchSize, &f.pos
	idx := order[p.Batch*bs : min((p.Batch+1)*bs, len(order))]
	x, y := f.x[:len(idx)*len(f.x)/bs], f.y[:len(idx)*len(f.y)/bs]
	var err error
	if eg, ok := f.data.(EpochGatherer); ok {
		err = eg.GatherEpoch(p.Epoch, idx, x, y)
	} else {
		err = f.data.Gather(idx, x, y)
	}
	if err != nil {
		return errors.Wrapf(err, "epoch %d batch %d", p.Epoch, p.Batch+1)
	}
	lr := f.baseLR
	if f.cfg.Schedule != nil {
		lr = f.cfg.Schedule.LR(f.baseLR, Progress{Epoch: p.Epoch, Epochs: f.cfg.Epochs, Step: f.t.steps, StepsPerEpoch: batches})
	}
	f.t.opt.SetLearningRate(lr)
	res, err := f.t.TrainBatch(x, y, len(idx))
	if err != nil {
		return errors.Wrapf(err, "epoch %d", p.Epoch)
	}
	p.Batch++
	p.LossSum += res.Loss * float64(res.N)
	p.Seen += res.N
	p.Right += res.Correct
	if f.cfg.OnStep == nil {
		return nil
	}
	return f.cfg.OnStep(StepInfo{Epoch: p.Epoch, Epochs: f.cfg.Epochs, Batch: p.Batch, Batches: batches,
		Step: f.t.steps, LR: lr, BatchResult: res, Images: p.Seen,
		RunningLoss: p.LossSum / float64(p.Seen), RunningAccuracy: float64(p.Right) / float64(p.Seen)})
}

// record summarises the epoch in progress, validating unless it is an
// interrupted one (an interrupt should not wait for a validation pass).
func (f *fit) record(start time.Time, partial bool) (EpochInfo, error) {
	p := f.pos
	rec := EpochInfo{Epoch: p.Epoch, Steps: f.t.steps, LR: f.t.opt.LearningRate(), Partial: partial}
	if p.Seen > 0 {
		rec.TrainLoss, rec.TrainAccuracy = p.LossSum/float64(p.Seen), float64(p.Right)/float64(p.Seen)
	}
	if f.cfg.Val != nil && !f.res.Interrupted {
		ev, err := Evaluate(f.t.model, f.t.loss, f.cfg.Val, f.cfg.ValBatch)
		if err != nil {
			return rec, errors.Wrap(err, "validation")
		}
		rec.ValLoss, rec.ValAccuracy, rec.ValN = ev.Loss, ev.Accuracy, ev.N
	}
	rec.Seconds = p.Seconds + time.Since(start).Seconds()
	return rec, nil
}

// stopEarly saves the exact position in the middle of an epoch and, when
// some of the epoch was trained, reports it as a partial epoch.
func (f *fit) stopEarly(start time.Time) error {
	f.pos.Seconds += time.Since(start).Seconds()
	if err := f.save(); err != nil {
		return err
	}
	if f.pos.Seen == 0 {
		return nil
	}
	rec, err := f.record(time.Now(), true)
	if err != nil {
		return err
	}
	f.res.History = append(f.res.History, rec)
	return nil
}

// EpochOrder returns the shuffled order of n examples for an epoch; the
// same seed and epoch always give the same order. It is a Fisher-Yates
// shuffle over PCG written out here, rather than rand.Perm, whose output Go
// does not promise to keep across releases: a checkpoint must resume to the
// same order under a newer Go.
func EpochOrder(n int, seed uint64, epoch int) []int {
	pcg := rand.NewPCG(seed, uint64(epoch))
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	for i := n - 1; i > 0; i-- {
		j := int(pcg.Uint64() % uint64(i+1)) // modulo bias is below 2^-40 for any real n
		order[i], order[j] = order[j], order[i]
	}
	return order
}
