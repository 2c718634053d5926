package graph

import (
	"fmt"
	"math"

	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"

	"github.com/featlearn/featlearn/ops"
)

// BatchNormLayer normalises each channel (or feature) over the batch, then
// scales and shifts it by learned weight and bias, as Ioffe and Szegedy's
// batch normalisation and PyTorch's BatchNorm1d/BatchNorm2d do.
type BatchNormLayer struct {
	name     string
	eps      float64
	momentum float64
}

// BatchNorm returns batch normalisation with PyTorch's defaults (eps 1e-5,
// momentum 0.1): over the features of (N, F) inputs, over the channels of
// (N, C, H, W) maps. Training programs normalise by the batch's mean and
// biased variance and differentiate through them; after every successful
// step the running mean and (unbiased) variance move by momentum towards
// the batch's. Evaluation programs normalise by the running statistics.
// Parameters: weight (1s) and bias (0s), without weight decay; buffers:
// running_mean (0s) and running_var (1s), saved in checkpoints.
func BatchNorm(name string) *BatchNormLayer {
	return &BatchNormLayer{name: name, eps: 1e-5, momentum: 0.1}
}

// Eps sets the value added to the variance.
func (l *BatchNormLayer) Eps(eps float64) *BatchNormLayer { l.eps = eps; return l }

// Momentum sets the weight of each batch in the running statistics.
func (l *BatchNormLayer) Momentum(m float64) *BatchNormLayer { l.momentum = m; return l }

// Name returns the layer's name.
func (l *BatchNormLayer) Name() string { return l.name }

// Describe says "BatchNorm" and its non-default settings.
func (l *BatchNormLayer) Describe() string {
	s := "BatchNorm"
	if l.eps != 1e-5 {
		s += fmt.Sprintf(" eps %g", l.eps)
	}
	if l.momentum != 0.1 {
		s += fmt.Sprintf(" momentum %g", l.momentum)
	}
	return s
}

// Setup declares the scale, shift and running statistics of the channels.
func (l *BatchNormLayer) Setup(s *Scope, in Shape) (Shape, error) {
	if len(in) != 1 && len(in) != 3 {
		return nil, shapeError(in, "[features] or [channels height width]")
	}
	if !(l.eps > 0) || math.IsInf(l.eps, 0) {
		return nil, errors.Errorf("eps %v: want a small positive number", l.eps)
	}
	if !(l.momentum >= 0 && l.momentum <= 1) {
		return nil, errors.Errorf("momentum %v: want 0 <= momentum <= 1", l.momentum)
	}
	c := Shape{in[0]}
	for _, d := range []struct {
		name string
		init Initializer
	}{{"weight", Ones}, {"bias", Zeros}} {
		if _, err := s.Param(d.name, c, d.init, NoDecay()); err != nil {
			return nil, err
		}
	}
	if _, err := s.Buffer("running_mean", c, 0); err != nil {
		return nil, err
	}
	if _, err := s.Buffer("running_var", c, 1); err != nil {
		return nil, err
	}
	return in, nil
}

// Forward applies ops.BatchNorm in the program's mode; a training program
// folds each step's statistics into the running ones once the step has
// succeeded.
func (l *BatchNormLayer) Forward(p *Pass, x *G.Node) (*G.Node, error) {
	mean, variance := p.Buffer("running_mean"), p.Buffer("running_var")
	bp := ops.BatchNormParams{Eps: l.eps, Training: p.Training(), RunningMean: mean, RunningVar: variance}
	if p.Training() {
		bp.Stats = &ops.BatchStats{}
		p.AfterStep(func() error { return bp.Stats.Fold(mean, variance, l.momentum) })
	}
	return ops.BatchNorm(x, p.Param("weight"), p.Param("bias"), bp)
}

// DropoutLayer zeroes each value with a probability while training.
type DropoutLayer struct {
	name string
	rate float64
}

// Dropout returns inverted dropout (Srivastava et al. 2014): while
// training, each value is dropped with probability rate and the kept ones
// are scaled by 1/(1-rate); evaluation programs pass the input through.
// Masks are drawn from the model's seed and the step (Pass.Noise), so
// runs with one seed are identical and resumed runs exact.
func Dropout(name string, rate float64) *DropoutLayer {
	return &DropoutLayer{name: name, rate: rate}
}

// Name returns the layer's name.
func (l *DropoutLayer) Name() string { return l.name }

// Rate returns the probability of dropping a value.
func (l *DropoutLayer) Rate() float64 { return l.rate }

// Describe says "Dropout p".
func (l *DropoutLayer) Describe() string { return fmt.Sprintf("Dropout %g", l.rate) }

// Setup checks the rate; dropout has no parameters.
func (l *DropoutLayer) Setup(_ *Scope, in Shape) (Shape, error) {
	if !(l.rate >= 0 && l.rate < 1) {
		return nil, errors.Errorf("rate %v: want 0 <= rate < 1", l.rate)
	}
	return in, nil
}

// Forward applies ops.Dropout in training programs and nothing otherwise.
func (l *DropoutLayer) Forward(p *Pass, x *G.Node) (*G.Node, error) {
	if !p.Training() || l.rate == 0 {
		return x, nil
	}
	seed, step := p.Noise()
	return ops.Dropout(x, ops.DropoutParams{Rate: l.rate, Seed: seed, Step: step})
}
