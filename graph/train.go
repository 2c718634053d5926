package graph

import (
	"fmt"
	"math"

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

// EpochGatherer is a Dataset whose training examples change from epoch
// to epoch, such as images distorted at random (ImageDataWith with an
// Augment). Fit gathers each training batch with GatherEpoch and the
// epoch's number, from 1; Gather gives the examples as evaluation sees
// them. GatherEpoch must be a pure function of the epoch and the
// examples, so that a resumed run sees what an uninterrupted one saw.
type EpochGatherer interface {
	GatherEpoch(epoch int, idx []int, x, y []float32) error
}

// SizedDataset is a Dataset that knows the size of one example's input
// and target, so that a mismatch with the model or the loss is caught
// before training starts, with both shapes named.
type SizedDataset interface {
	Dataset
	ExampleSizes() (input, target int)
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
	clip     float64   // maximum global gradient norm; 0: no clipping
	outs     []float64 // the last batch's outputs as float64, reused
}

// trainProgram is a forward program plus its loss and captured gradients.
type trainProgram struct {
	*Program
	target *tensor.Dense
	loss   *tensor.Dense
}

// NewTrainer returns a trainer minimising loss over model's parameters with
// opt, whose learning rate must be a positive number.
func NewTrainer(model *Model, loss Loss, opt Optimizer) (*Trainer, error) {
	if model == nil || loss == nil || opt == nil {
		return nil, errors.New("trainer: model, loss and optimizer are required")
	}
	if lr := opt.LearningRate(); !(lr > 0) || math.IsInf(lr, 0) {
		return nil, errors.Errorf("trainer: learning rate %v: want a positive number", lr)
	}
	t := &Trainer{model: model, loss: loss, opt: opt, programs: map[int]*trainProgram{}}
	for _, p := range model.params {
		t.grads = append(t.grads, newLike(p.value.Dtype(), p.value.Shape()...))
	}
	return t, nil
}

// Model returns the model the trainer fits.
func (t *Trainer) Model() *Model { return t.model }

// Steps returns the number of optimizer steps taken so far.
func (t *Trainer) Steps() int { return t.steps }

// SetSteps sets the step counter, for resuming from a checkpoint.
func (t *Trainer) SetSteps(n int) { t.steps = n }

// Optimizer returns the trainer's optimizer.
func (t *Trainer) Optimizer() Optimizer { return t.opt }

// SetClipNorm makes every step scale the gradients down to a global L2
// norm of at most maxNorm (ClipGradNorm); 0 turns clipping off.
func (t *Trainer) SetClipNorm(maxNorm float64) error {
	if maxNorm < 0 || math.IsNaN(maxNorm) || math.IsInf(maxNorm, 0) {
		return errors.Errorf("clip norm %v: want a positive number, or 0 for none", maxNorm)
	}
	t.clip = maxNorm
	return nil
}

// program returns the training program for a batch size, building it on
// first use: forward graph in training mode, loss, G.Grad and one capture
// per gradient.
func (t *Trainer) program(batch int) (tp *trainProgram, err error) {
	if tp, ok := t.programs[batch]; ok {
		return tp, nil
	}
	defer recoverTo(&err)
	p, err := t.model.newProgram(batch, true)
	if err != nil {
		return nil, err
	}
	tp = &trainProgram{Program: p}
	lossNode, err := tp.addLoss(t.loss, t.model)
	if err != nil {
		return nil, err
	}
	// G.Grad refuses a graph in which a capture is the only reader of a
	// node it differentiates, so the loss is captured after it.
	grads, err := G.Grad(lossNode, p.Params...)
	if err != nil {
		return nil, errors.Wrap(err, "differentiating the loss")
	}
	if err = tp.captureLoss(lossNode, t.model); err != nil {
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

// addLoss adds the target node and the loss to a program.
func (tp *trainProgram) addLoss(loss Loss, m *Model) (*G.Node, error) {
	var target *G.Node
	target, tp.target = lossTarget(tp.Graph, loss, m.dtype, tp.Batch, m.output)
	lossNode, err := loss.Build(tp.Output, target)
	if err != nil {
		return nil, errors.Wrapf(err, "loss %s", loss.Name())
	}
	return lossNode, nil
}

// captureLoss copies the loss into tp.loss at every run.
func (tp *trainProgram) captureLoss(lossNode *G.Node, m *Model) error {
	tp.loss = newLike(m.dtype, 1)
	return tp.capture(lossNode, tp.loss)
}

// BatchResult reports one training step.
type BatchResult struct {
	Loss    float64 // mean loss over the batch, before the update
	Correct int     // examples the model got right, before the update
	N       int     // examples in the batch
	// GradNorm is the gradients' global L2 norm before clipping, when
	// the trainer clips; 0 otherwise.
	GradNorm float64
}

// TrainBatch takes one optimizer step on n examples: x holds their inputs
// and y their targets, one after another. A NaN or infinite loss is an
// error and leaves the weights and buffers untouched.
func (t *Trainer) TrainBatch(x, y []float32, n int) (BatchResult, error) {
	if err := checkBatch(t.model, t.loss, x, y, n); err != nil {
		return BatchResult{}, errors.Wrap(err, "train batch")
	}
	p, err := t.program(n)
	if err != nil {
		return BatchResult{}, err
	}
	setFloats(p.in, x)
	setFloats(p.target, y)
	t.model.step = uint64(t.steps)
	if err := p.run(); err != nil {
		return BatchResult{}, errors.Wrapf(err, "step %d", t.steps+1)
	}
	res := BatchResult{Loss: first(p.loss), N: n}
	if math.IsNaN(res.Loss) || math.IsInf(res.Loss, 0) {
		return res, errors.Errorf("step %d: loss is %v; weights left as they were", t.steps+1, res.Loss)
	}
	t.outs = appendFloats(t.outs[:0], p.out)
	res.Correct = t.loss.Correct(t.outs, y, n)
	if t.clip > 0 {
		if res.GradNorm, err = ClipGradNorm(t.grads, t.clip); err != nil {
			return res, errors.Wrapf(err, "step %d; weights left as they were", t.steps+1)
		}
	}
	if err := t.opt.Step(t.model.params, t.grads); err != nil {
		return res, err
	}
	for _, fn := range p.afterStep {
		if err := fn(); err != nil {
			return res, errors.Wrapf(err, "step %d", t.steps+1)
		}
	}
	t.steps++
	return res, nil
}

// checkBatch explains why x and y cannot be n examples for the model and
// the loss, naming both shapes.
func checkBatch(m *Model, loss Loss, x, y []float32, n int) error {
	in, tg := m.input.Size(), loss.TargetShape(m.output)
	switch {
	case n < 1:
		return errors.Errorf("%d examples: want at least 1", n)
	case len(x) != n*in:
		return errors.Errorf("%d input values for %d examples of shape %v", len(x), n, m.input)
	case len(y) != n*tg.Size():
		return targetError(loss, m.output, len(y)/max(n, 1))
	}
	return nil
}

// targetError says a loss got targets of the wrong size per example.
func targetError(loss Loss, out Shape, got int) error {
	want := loss.TargetShape(out)
	hint := ""
	if len(want) == 0 && got == out.Size() && got > 1 {
		hint = " (one-hot targets? give the class index instead)"
	}
	return errors.Errorf("loss %s: a model output of shape %v takes a target of shape %v (%d value%s) per example, the data has %d%s",
		loss.Name(), out, want, want.Size(), plural(want.Size()), got, hint)
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// checkData refuses a dataset whose examples do not fit the model and the
// loss, when it can tell.
func checkData(m *Model, loss Loss, data Dataset, what string) error {
	if data == nil || data.Len() == 0 {
		return errors.Errorf("%s: no examples", what)
	}
	sd, ok := data.(SizedDataset)
	if !ok {
		return nil
	}
	in, tg := sd.ExampleSizes()
	if in != m.input.Size() {
		return errors.Errorf("%s: examples of %d input values, the model takes shape %v (%d)", what, in, m.input, m.input.Size())
	}
	if want := loss.TargetShape(m.output).Size(); tg != want {
		return errors.Wrap(targetError(loss, m.output, tg), what)
	}
	return nil
}

// Describe returns a one-line account of a trainer's setup, for logs.
func (t *Trainer) Describe() string {
	return fmt.Sprintf("%s: %d parameters, loss %s, %T lr %g", t.model.Name(), t.model.NumParams(), t.loss.Name(), t.opt, t.opt.LearningRate())
}
