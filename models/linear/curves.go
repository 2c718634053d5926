package linear

import (
	"math/rand/v2"

	"github.com/pkg/errors"

	"github.com/featlearn/featlearn/datasets"
	"github.com/featlearn/featlearn/graph"
)

// OverfitConfig sets up OverfitCurves: a linear classifier trained long
// on few examples.
type OverfitConfig struct {
	Train, Val, Test int // examples in each part
	Config
}

// DefaultOverfitConfig trains on 500 images for 100 epochs without weight
// decay, validating on 5,000 other training images and testing on 5,000
// test images.
func DefaultOverfitConfig() OverfitConfig {
	return OverfitConfig{Train: 500, Val: 5000, Test: 5000,
		Config: Config{Epochs: 100, BatchSize: 50, LR: 0.05, Momentum: 0.9, Seed: 1}}
}

// Curve is the error and the mean cross-entropy of a classifier on its
// training, validation and test examples after every epoch.
type Curve struct {
	Epochs                          []int
	TrainError, ValError, TestError []float64
	TrainLoss, ValLoss, TestLoss    []float64
	// BestEpoch is the epoch of lowest validation error, the one early
	// stopping would keep.
	BestEpoch int
}

// OverfitCurves trains softmax regression on cfg.Train random training
// images and records the errors and losses after every epoch. With 785
// parameters per class and a few hundred images the training error goes to
// zero while the validation and test losses turn upwards: over-fitting.
func OverfitCurves(train, test *datasets.Set, cfg OverfitConfig) (*Curve, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	if train == nil || test == nil || cfg.Train < 1 || cfg.Val < 1 || cfg.Test < 1 || cfg.Train+cfg.Val > train.N || cfg.Test > test.N {
		return nil, errors.New("linear: over-fitting curves need parts that fit the sets")
	}
	rng := rand.New(rand.NewPCG(cfg.Seed, 0xf17))
	perm := rng.Perm(train.N)
	parts := make([]graph.Dataset, 3)
	for i, p := range []struct {
		s   *datasets.Set
		idx []int
	}{{train, perm[:cfg.Train]}, {train, perm[cfg.Train : cfg.Train+cfg.Val]}, {test, rng.Perm(test.N)[:cfg.Test]}} {
		sub, err := p.s.Subset(p.idx)
		if err != nil {
			return nil, err
		}
		parts[i] = graph.ImageData(sub)
	}
	m, err := New(train.Size(), datasets.Classes)
	if err != nil {
		return nil, err
	}
	return curve(m, parts, cfg.Config)
}

// curve trains m on parts[0] and records errors and losses on all three
// parts after every epoch.
func curve(m *graph.Model, parts []graph.Dataset, cfg Config) (*Curve, error) {
	tr, err := graph.NewTrainer(m, graph.CrossEntropy{}, &graph.SGD{LR: cfg.LR, Momentum: cfg.Momentum, WeightDecay: cfg.WeightDecay})
	if err != nil {
		return nil, err
	}
	c := &Curve{}
	errs := []*[]float64{&c.TrainError, &c.ValError, &c.TestError}
	losses := []*[]float64{&c.TrainLoss, &c.ValLoss, &c.TestLoss}
	_, err = tr.Fit(parts[0], graph.FitConfig{Epochs: cfg.Epochs, BatchSize: cfg.BatchSize, Seed: cfg.Seed,
		OnEpoch: func(info graph.EpochInfo) error {
			c.Epochs = append(c.Epochs, info.Epoch)
			for i, d := range parts {
				met, err := graph.Evaluate(m, graph.CrossEntropy{}, d, evalBatch)
				if err != nil {
					return err
				}
				*errs[i] = append(*errs[i], 1-met.Accuracy)
				*losses[i] = append(*losses[i], met.Loss)
			}
			return nil
		}})
	if err != nil {
		return nil, err
	}
	best := 0
	for i, e := range c.ValError {
		if e < c.ValError[best] {
			best = i
		}
	}
	c.BestEpoch = c.Epochs[best]
	return c, nil
}
