package graph

import (
	"math"
	"math/rand/v2"

	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Dataset is what a Trainer draws examples from.
type Dataset interface {
	// Len returns the number of examples.
	Len() int
	// Gather writes the inputs of the examples idx one after another into x
	// and their targets into y.
	Gather(idx []int, x, y []float32) error
}

// Trainer fits a model: it owns one training program per batch size it has
// seen, the gradient buffers they share and the optimizer.
type Trainer struct {
	model    *Model
	loss     Loss
	opt      Optimizer
	grads    []*tensor.Dense
	programs map[int]*trainProgram
	steps    int
	outs     []float64 // the last batch's outputs as float64, reused
}

// trainProgram is a forward program plus its loss and captured gradients.
type trainProgram struct {
	*Program
	target *tensor.Dense
	loss   *tensor.Dense
}

// NewTrainer returns a trainer minimising loss over model's parameters with opt.
func NewTrainer(model *Model, loss Loss, opt Optimizer) (*Trainer, error) {
	if model == nil || loss == nil || opt == nil {
		return nil, errors.New("trainer: model, loss and optimizer are required")
	}
	t := &Trainer{model: model, loss: loss, opt: opt, programs: map[int]*trainProgram{}}
	for _, p := range model.params {
		t.grads = append(t.grads, newLike(p.value.Dtype(), p.value.Shape()...))
	}
	return t, nil
}

// Steps returns the number of optimizer steps taken so far.
func (t *Trainer) Steps() int { return t.steps }

// SetSteps sets the step counter, for resuming from a checkpoint.
func (t *Trainer) SetSteps(n int) { t.steps = n }

// Optimizer returns the trainer's optimizer.
func (t *Trainer) Optimizer() Optimizer { return t.opt }

// program returns the training program for a batch size, building it on
// first use: forward graph, loss, G.Grad and one capture per gradient.
func (t *Trainer) program(batch int) (tp *trainProgram, err error) {
	if tp, ok := t.programs[batch]; ok {
		return tp, nil
	}
	defer recoverTo(&err)
	p, err := t.model.newProgram(batch)
	if err != nil {
		return nil, err
	}
	tp = &trainProgram{Program: p}
	var targetNode *G.Node
	targetNode, tp.target = lossTarget(p.Graph, t.loss, t.model.dtype, batch, t.model.output)
	lossNode, err := t.loss.Build(p.Output, targetNode)
	if err != nil {
		return nil, errors.Wrapf(err, "loss %s", t.loss.Name())
	}
	grads, err := G.Grad(lossNode, p.Params...)
	if err != nil {
		return nil, errors.Wrap(err, "differentiating the loss")
	}
	tp.loss = newLike(t.model.dtype, 1)
	if err = p.capture(lossNode, tp.loss); err != nil {
		return nil, err
	}
	for i, g := range grads {
		if err = p.capture(g, t.grads[i]); err != nil {
			return nil, err
		}
	}
	p.compile()
	t.programs[batch] = tp
	return tp, nil
}

// BatchResult reports one training step.
type BatchResult struct {
	Loss    float64 // mean loss over the batch, before the update
	Correct int     // examples the model got right, before the update
	N       int     // examples in the batch
}

// TrainBatch takes one optimizer step on n examples: x holds their inputs
// and y their targets, one after another. A NaN or infinite loss is an
// error and leaves the weights untouched.
func (t *Trainer) TrainBatch(x, y []float32, n int) (BatchResult, error) {
	in, tg := t.model.input.Size(), t.loss.TargetShape(t.model.output).Size()
	if n < 1 || len(x) != n*in || len(y) != n*tg {
		return BatchResult{}, errors.Errorf("train batch: %d inputs and %d targets for %d examples of %v -> %v",
			len(x), len(y), n, t.model.input, t.loss.TargetShape(t.model.output))
	}
	p, err := t.program(n)
	if err != nil {
		return BatchResult{}, err
	}
	setFloats(p.in, x)
	setFloats(p.target, y)
	if err := p.run(); err != nil {
		return BatchResult{}, errors.Wrapf(err, "step %d", t.steps+1)
	}
	res := BatchResult{Loss: first(p.loss), N: n}
	if math.IsNaN(res.Loss) || math.IsInf(res.Loss, 0) {
		return res, errors.Errorf("step %d: loss is %v; weights left as they were", t.steps+1, res.Loss)
	}
	t.outs = appendFloats(t.outs[:0], p.out)
	res.Correct = t.loss.Correct(t.outs, y, n)
	if err := t.opt.Step(t.model.params, t.grads); err != nil {
		return res, err
	}
	t.steps++
	return res, nil
}

// FitConfig says how to run Fit.
type FitConfig struct {
	Epochs    int
	BatchSize int
	// Seed fixes the order of examples in every epoch.
	Seed uint64
	// DropLast skips the last partial batch of an epoch instead of training on it.
	DropLast bool
	// FirstEpoch numbers the first epoch run (for resuming); 0 means 1.
	FirstEpoch int
	// OnStep, when set, is called after every step; an error stops training.
	OnStep func(StepInfo) error
	// OnEpoch, when set, is called after every epoch; an error stops training.
	OnEpoch func(EpochInfo) error
}

// StepInfo describes a finished training step.
type StepInfo struct {
	Epoch, Step, Batch, Batches int
	BatchResult
}

// Fit trains for cfg.Epochs epochs over data in shuffled batches.
func (t *Trainer) Fit(data Dataset, cfg FitConfig) error {
	if cfg.BatchSize < 1 || cfg.Epochs < 0 || data == nil || data.Len() == 0 {
		return errors.Errorf("fit: batch size %d, epochs %d, need a non-empty dataset", cfg.BatchSize, cfg.Epochs)
	}
	first := max(cfg.FirstEpoch, 1)
	b := newBatches(t.model.input.Size(), t.loss.TargetShape(t.model.output).Size(), cfg.BatchSize)
	for epoch := first; epoch < first+cfg.Epochs; epoch++ {
		info, err := t.epoch(data, cfg, epoch, b)
		if err != nil {
			return err
		}
		if cfg.OnEpoch != nil {
			if err := cfg.OnEpoch(info); err != nil {
				return err
			}
		}
	}
	return nil
}

// epoch runs one pass over data.
func (t *Trainer) epoch(data Dataset, cfg FitConfig, epoch int, b *batches) (EpochInfo, error) {
	order := EpochOrder(data.Len(), cfg.Seed, epoch)
	nb := len(order) / cfg.BatchSize
	if !cfg.DropLast && len(order)%cfg.BatchSize != 0 {
		nb++
	}
	info := EpochInfo{Epoch: epoch}
	var lossSum float64
	var seen, right int
	for i := 0; i < nb; i++ {
		idx := order[i*cfg.BatchSize : min((i+1)*cfg.BatchSize, len(order))]
		x, y := b.fill(len(idx))
		if err := data.Gather(idx, x, y); err != nil {
			return info, errors.Wrapf(err, "epoch %d batch %d", epoch, i+1)
		}
		res, err := t.TrainBatch(x, y, len(idx))
		if err != nil {
			return info, errors.Wrapf(err, "epoch %d", epoch)
		}
		lossSum += res.Loss * float64(res.N)
		seen, right = seen+res.N, right+res.Correct
		if cfg.OnStep != nil {
			if err := cfg.OnStep(StepInfo{Epoch: epoch, Step: t.steps, Batch: i + 1, Batches: nb, BatchResult: res}); err != nil {
				return info, err
			}
		}
	}
	info.Steps, info.TrainLoss, info.TrainAccuracy = t.steps, lossSum/float64(max(seen, 1)), float64(right)/float64(max(seen, 1))
	return info, nil
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

// batches holds reusable input and target buffers for a batch size.
type batches struct {
	in, tg int
	x, y   []float32
}

func newBatches(in, tg, batch int) *batches {
	return &batches{in: in, tg: tg, x: make([]float32, in*batch), y: make([]float32, tg*batch)}
}

// fill returns the buffers cut to n examples.
func (b *batches) fill(n int) ([]float32, []float32) { return b.x[:n*b.in], b.y[:n*b.tg] }

// Metrics summarises a model's outputs on a dataset.
type Metrics struct {
	Loss     float64
	Accuracy float64
	N        int
}

// Evaluate runs the model over data in batches of at most batch examples
// without changing it, and returns the mean loss and the accuracy.
func (t *Trainer) Evaluate(data Dataset, batch int) (Metrics, error) {
	return Evaluate(t.model, t.loss, data, batch)
}
