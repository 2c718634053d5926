// Package linear is the lecture's linear classifiers on MNIST, trained
// through the expression graph: softmax regression from the 784 pixels to
// the ten digits, and the binary warm-up that tells one digit from another.
//
// A linear classifier scores each class by a weighted sum of the pixels
// plus a bias, s = W·x + b, and picks the class of highest score. Its
// weights are one 28x28 template per class, which is how the pictures of
// this package show them. Training minimises the softmax cross-entropy of
// the scores with SGD (graph.CrossEntropy, graph.SGD), G.Grad deriving the
// gradient.
package linear

import (
	"fmt"
	"io"
	"time"

	"github.com/pkg/errors"

	"github.com/featlearn/featlearn/datasets"
	"github.com/featlearn/featlearn/graph"
)

// Config says how to train a linear classifier.
type Config struct {
	Epochs      int
	BatchSize   int
	LR          float64 // SGD learning rate of the first epoch
	Decay       float64 // the rate is multiplied by Decay after each epoch; 0 means 1
	Momentum    float64
	WeightDecay float64 // L2 penalty on the weights, not the bias
	Seed        uint64  // fixes the order of the examples
	// TrainLimit and TestLimit keep only the first examples of each set,
	// for quick runs; 0 keeps all.
	TrainLimit, TestLimit int
}

// DefaultConfig trains softmax regression for 20 epochs in batches of 100
// with SGD and momentum 0.9, the rate starting at 0.05 and shrinking by
// 0.85 an epoch: a constant rate leaves the test error bouncing by half a
// percent from epoch to epoch.
func DefaultConfig() Config {
	return Config{Epochs: 20, BatchSize: 100, LR: 0.05, Decay: 0.85, Momentum: 0.9, Seed: 1}
}

func (c Config) check() error {
	if c.Epochs < 1 || c.BatchSize < 1 || !(c.LR > 0) || c.Momentum < 0 || c.Momentum >= 1 || c.WeightDecay < 0 || c.Decay < 0 || c.Decay > 1 {
		return errors.Errorf("linear: epochs %d, batch %d, lr %g, rate decay %g, momentum %g, weight decay %g: "+
			"want epochs, batch >= 1, lr > 0, 0 <= rate decay <= 1, 0 <= momentum < 1, weight decay >= 0",
			c.Epochs, c.BatchSize, c.LR, c.Decay, c.Momentum, c.WeightDecay)
	}
	if c.TrainLimit < 0 || c.TestLimit < 0 {
		return errors.Errorf("linear: limits %d and %d, want >= 0", c.TrainLimit, c.TestLimit)
	}
	return nil
}

// New returns a linear classifier of in inputs and classes outputs: one
// Dense layer named "linear" with every weight starting at zero. The loss
// is convex, so random starting weights buy nothing, and they would stay
// forever on the border pixels MNIST never inks, as noise in the pictures.
func New(in, classes int) (*graph.Model, error) {
	dense := graph.Dense("linear", classes, graph.WithInit(graph.Uniform(0)))
	return graph.NewModel(graph.Sequential("linear", dense), []int{in}, 0)
}

// EpochErrors are the error rates after one epoch.
type EpochErrors struct {
	Epoch       int
	Train, Test float64
}

// Result is a trained linear classifier and its errors.
type Result struct {
	Model                 *graph.Model
	TrainError, TestError float64
	History               []EpochErrors
	Train, Test           int // examples used
	Time                  time.Duration
}

// Train fits softmax regression from the pixels of train to its ten
// classes and measures the error on train and test after every epoch.
// progress, when not nil, receives a line per epoch.
func Train(train, test *datasets.Set, cfg Config, progress io.Writer) (*Result, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	train, test, err := datasets.Limit(train, test, cfg.TrainLimit, cfg.TestLimit)
	if err != nil {
		return nil, errors.Wrap(err, "linear")
	}
	m, err := New(train.Size(), datasets.Classes)
	if err != nil {
		return nil, err
	}
	res := &Result{Model: m, Train: train.N, Test: test.N}
	start := time.Now()
	res.History, err = fit(m, graph.ImageData(train), graph.ImageData(test), cfg, func(e EpochErrors) {
		logf(progress, "linear: epoch %d: train error %.4f, test error %.4f", e.Epoch, e.Train, e.Test)
	})
	if err != nil {
		return nil, err
	}
	res.Time = time.Since(start)
	last := res.History[len(res.History)-1]
	res.TrainError, res.TestError = last.Train, last.Test
	return res, nil
}

// fit trains m on train with cross-entropy and SGD, evaluating on train
// and test after each epoch (test may be nil).
func fit(m *graph.Model, train, test graph.Dataset, cfg Config, onEpoch func(EpochErrors)) ([]EpochErrors, error) {
	opt := &graph.SGD{LR: cfg.LR, Momentum: cfg.Momentum, WeightDecay: cfg.WeightDecay}
	tr, err := graph.NewTrainer(m, graph.CrossEntropy{}, opt)
	if err != nil {
		return nil, err
	}
	var hist []EpochErrors
	_, err = tr.Fit(train, graph.FitConfig{Epochs: cfg.Epochs, BatchSize: cfg.BatchSize, Seed: cfg.Seed,
		OnEpoch: func(info graph.EpochInfo) error {
			if cfg.Decay > 0 {
				opt.LR *= cfg.Decay
			}
			e := EpochErrors{Epoch: info.Epoch}
			var err error
			if e.Train, err = ErrorRate(m, train); err != nil {
				return err
			}
			if test != nil {
				if e.Test, err = ErrorRate(m, test); err != nil {
					return err
				}
			}
			hist = append(hist, e)
			if onEpoch != nil {
				onEpoch(e)
			}
			return nil
		}})
	return hist, err
}

// evalBatch is the batch size of evaluations: large batches amortise the
// graph's per-run cost.
const evalBatch = 1000

// ErrorRate returns the fraction of data a classifier gets wrong.
func ErrorRate(m *graph.Model, data graph.Dataset) (float64, error) {
	met, err := graph.Evaluate(m, graph.CrossEntropy{}, data, evalBatch)
	if err != nil {
		return 0, err
	}
	return 1 - met.Accuracy, nil
}

func logf(w io.Writer, format string, args ...any) {
	if w != nil {
		fmt.Fprintf(w, format+"\n", args...)
	}
}

// Format renders the result as the lines a command prints.
func (r *Result) Format() string {
	return fmt.Sprintf("softmax regression 784 -> 10 on %d training images: training error %.2f %%, test error %.2f %% on %d test images (%v)\n",
		r.Train, 100*r.TrainError, 100*r.TestError, r.Test, r.Time.Round(time.Millisecond))
}
