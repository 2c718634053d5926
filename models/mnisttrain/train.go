// Package mnisttrain trains featlearn's MNIST classifiers (models/lenet,
// models/mlp) and does what every such model needs around training:
// validation each epoch, a step learning-rate schedule, checkpoints that
// resume bit for bit, a history of per-epoch metrics, test accuracy with a
// confusion matrix, and top-k prediction for a user's digit.
//
// Training is deterministic: the seed fixes the initial weights and the
// order of examples of every epoch (graph.EpochOrder), so the same recipe
// gives the same weights run to run, and a run stopped after any step and
// resumed from its checkpoint ends with the weights of an uninterrupted
// one.
//
// The API is non-generic so that notebooks (gophernotes) can call it.
package mnisttrain

import (
	"time"

	"github.com/pkg/errors"

	"github.com/featlearn/featlearn/datasets"
	"github.com/featlearn/featlearn/graph"
	"github.com/featlearn/featlearn/models/mnistdata"
)

// Spec names a model and builds it.
type Spec struct {
	// Name is the model family, such as "lenet"; checkpoints record it.
	Name string
	// Arch describes the architecture, such as "784-300-100-10"; a
	// checkpoint only loads into a model of the same Name and Arch.
	Arch string
	// Build returns the model with initial weights drawn from seed.
	Build func(seed uint64) (*graph.Model, error)
}

// Data is what a model trains and validates on.
type Data struct {
	Train *datasets.Set
	// Val is measured after every epoch; nil skips validation.
	Val *datasets.Set
}

// Split returns MNIST's usual training data: the first 55,000 training
// images to train on and the last 5,000 to validate on.
func Split(m *datasets.MNIST) (Data, error) {
	train, val, err := m.TrainVal()
	return Data{Train: train, Val: val}, err
}

// SplitFirst is Split cut to its first nTrain training and nVal validation
// images (0 keeps a whole set), for quick runs and tests.
func SplitFirst(m *datasets.MNIST, nTrain, nVal int) (Data, error) {
	d, err := Split(m)
	if err != nil {
		return Data{}, err
	}
	if nTrain > 0 {
		if d.Train, err = d.Train.Slice(0, nTrain); err != nil {
			return Data{}, err
		}
	}
	if nVal > 0 {
		if d.Val, err = d.Val.Slice(0, nVal); err != nil {
			return Data{}, err
		}
	}
	return d, nil
}

// ErrStop, returned by Hooks.OnStep, stops training cleanly: Train saves a
// checkpoint of the exact position (when Config.Out is set) and returns
// without error, with Result.Interrupted set.
var ErrStop = errors.New("training stopped")

// Hooks lets a caller watch training.
type Hooks struct {
	// OnStep runs after every optimizer step. Returning ErrStop stops
	// training cleanly; any other error aborts it and Train returns it.
	OnStep func(Step) error
	// OnEpoch runs after every completed epoch, once its checkpoint is
	// written.
	OnEpoch func(Epoch) error
}

// Step describes a finished optimizer step.
type Step struct {
	Epoch, Epochs   int
	Batch, Batches  int // batches done in this epoch, of Batches
	Step            int // optimizer steps since the start of training
	Loss            float64
	Images          int // examples trained on in this epoch so far
	RunningLoss     float64
	RunningAccuracy float64
}

// Result is the outcome of Train.
type Result struct {
	Model   *graph.Model
	History []Epoch
	Steps   int
	// Interrupted says a hook returned ErrStop; OutOfSteps says
	// Config.MaxSteps ran out. Either may leave a Partial last epoch.
	Interrupted, OutOfSteps bool
	// Checkpoint is the path of the last checkpoint written, if any.
	Checkpoint string
	// Resumed is the checkpoint's position when the run was resumed.
	ResumedEpoch, ResumedStep int
}

// EvalBatch is the batch size of validation and test passes.
const EvalBatch = 500

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

// run is one call of Train.
type run struct {
	spec    Spec
	cfg     Config
	data    Data
	hooks   Hooks
	model   *graph.Model
	opt     graph.Optimizer
	tr      *graph.Trainer
	train   graph.Dataset
	pos     position
	history []Epoch // completed epochs
	x, y    []float32
	res     *Result
}

// Train builds spec's model from cfg.Seed and trains it on data by cfg,
// or, with cfg.Resume, continues the run whose checkpoint is in cfg.Out.
// With cfg.Out set it writes a checkpoint and the history files after
// every epoch and when stopped early. A NaN or infinite loss stops
// training with an error naming the step; the last checkpoint stays.
func Train(spec Spec, cfg Config, data Data, hooks Hooks) (*Result, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	if spec.Build == nil || spec.Name == "" {
		return nil, errors.New("train: the model spec needs a name and a build function")
	}
	if data.Train == nil || data.Train.N == 0 {
		return nil, errors.New("train: no training examples")
	}
	model, err := spec.Build(cfg.Seed)
	if err != nil {
		return nil, errors.Wrapf(err, "building %s", spec.Name)
	}
	r := &run{spec: spec, cfg: cfg, data: data, hooks: hooks, model: model, opt: cfg.newOptimizer(),
		train: mnistdata.Dataset(data.Train), pos: position{Epoch: 1}}
	r.res = &Result{Model: model}
	if r.tr, err = graph.NewTrainer(model, graph.CrossEntropy{}, r.opt); err != nil {
		return nil, err
	}
	if cfg.Resume {
		if err := r.resume(); err != nil {
			return nil, err
		}
	}
	err = r.loop()
	r.res.History = append(append([]Epoch(nil), r.history...), r.res.History...)
	r.res.Steps = r.tr.Steps()
	return r.res, err
}

// loop trains the remaining epochs.
func (r *run) loop() error {
	size := r.model.InputShape().Size()
	r.x, r.y = make([]float32, r.cfg.Batch*size), make([]float32, r.cfg.Batch)
	for r.pos.Epoch <= r.cfg.Epochs {
		stopped, err := r.epoch()
		if err != nil || stopped {
			return err
		}
	}
	return nil
}

// epoch trains the rest of the epoch in progress and moves the position
// to the next one; it reports whether training stopped early.
func (r *run) epoch() (stopped bool, err error) {
	e, n, bs := r.pos.Epoch, r.train.Len(), r.cfg.Batch
	setLR(r.opt, r.cfg.LRAt(e))
	order := graph.EpochOrder(n, r.cfg.Seed, e)
	batches := (n + bs - 1) / bs
	start := time.Now()
	for r.pos.Batch < batches {
		if r.cfg.MaxSteps > 0 && r.tr.Steps() >= r.cfg.MaxSteps {
			r.res.OutOfSteps = true
			return true, r.stopEarly(start)
		}
		if err := r.step(order, batches); err != nil {
			if errors.Is(err, ErrStop) {
				r.res.Interrupted = true
				return true, r.stopEarly(start)
			}
			return true, err
		}
	}
	rec, err := r.record(start, false)
	if err != nil {
		return true, err
	}
	r.history = append(r.history, rec)
	r.pos = position{Epoch: e + 1}
	if err := r.save(); err != nil {
		return true, err
	}
	if r.hooks.OnEpoch != nil {
		return false, r.hooks.OnEpoch(rec)
	}
	return false, nil
}

// step trains the next batch of the epoch and calls OnStep.
func (r *run) step(order []int, batches int) error {
	bs := r.cfg.Batch
	idx := order[r.pos.Batch*bs : min((r.pos.Batch+1)*bs, len(order))]
	size := r.model.InputShape().Size()
	x, y := r.x[:len(idx)*size], r.y[:len(idx)]
	if err := r.train.Gather(idx, x, y); err != nil {
		return err
	}
	res, err := r.tr.TrainBatch(x, y, len(idx))
	if err != nil {
		return errors.Wrapf(err, "epoch %d", r.pos.Epoch)
	}
	p := &r.pos
	p.Batch++
	p.LossSum += res.Loss * float64(res.N)
	p.Seen += res.N
	p.Right += res.Correct
	if r.hooks.OnStep == nil {
		return nil
	}
	return r.hooks.OnStep(Step{Epoch: p.Epoch, Epochs: r.cfg.Epochs, Batch: p.Batch, Batches: batches,
		Step: r.tr.Steps(), Loss: res.Loss, Images: p.Seen,
		RunningLoss: p.LossSum / float64(p.Seen), RunningAccuracy: float64(p.Right) / float64(p.Seen)})
}

// record summarises the epoch in progress, validating unless it is an
// interrupted one (an interrupt should not wait for a validation pass).
func (r *run) record(start time.Time, partial bool) (Epoch, error) {
	p := r.pos
	rec := Epoch{Epoch: p.Epoch, Steps: r.tr.Steps(), LR: r.cfg.LRAt(p.Epoch), Partial: partial}
	if p.Seen > 0 {
		rec.TrainLoss, rec.TrainAccuracy = p.LossSum/float64(p.Seen), float64(p.Right)/float64(p.Seen)
	}
	if r.data.Val != nil && r.data.Val.N > 0 && !r.res.Interrupted {
		ev, err := Evaluate(r.model, r.data.Val)
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
func (r *run) stopEarly(start time.Time) error {
	r.pos.Seconds += time.Since(start).Seconds()
	if err := r.save(); err != nil {
		return err
	}
	if r.pos.Seen == 0 {
		return nil
	}
	rec, err := r.record(time.Now(), true)
	if err != nil {
		return err
	}
	r.res.History = append(r.res.History, rec)
	return nil
}
