package linear

import (
	"math/rand/v2"
	"slices"

	"github.com/pkg/errors"

	"github.com/featlearn/featlearn/datasets"
	"github.com/featlearn/featlearn/graph"
)

// DecayConfig sets up CrossValidateDecay.
type DecayConfig struct {
	Decays []float64 // candidate weight decays
	Folds  int
	Size   int // training images cross-validated
	Config     // training of each fold; its WeightDecay is ignored
}

// DefaultDecayConfig cross-validates seven weight decays from 0 to 0.1
// over five folds of 1,000 training images, training 30 epochs a fold:
// few enough images for the penalty to matter.
func DefaultDecayConfig() DecayConfig {
	return DecayConfig{Decays: []float64{0, 1e-4, 1e-3, 3e-3, 1e-2, 3e-2, 1e-1}, Folds: 5, Size: 1000,
		Config: Config{Epochs: 30, BatchSize: 50, LR: 0.05, Momentum: 0.9, Seed: 1}}
}

// DecayCV is the outcome of choosing the weight decay by cross-validation.
type DecayCV struct {
	Decays []float64
	// FoldErrors[f][j] is fold f's held-out error with Decays[j]; Mean[j]
	// is the error over all held-out images.
	FoldErrors [][]float64
	Mean       []float64
	// Best is the decay of lowest Mean, the largest such on a tie (the
	// simpler model).
	Best float64
	// TestError is the test error of the classifier trained with Best on
	// all Size images.
	TestError float64
}

// CrossValidateDecay chooses the weight decay of softmax regression by
// k-fold cross-validation on cfg.Size random training images, then
// measures the chosen classifier, retrained on all of them, on test.
func CrossValidateDecay(train, test *datasets.Set, cfg DecayConfig) (*DecayCV, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	if train == nil || test == nil || test.N == 0 || len(cfg.Decays) == 0 || cfg.Size < cfg.Folds || cfg.Size > train.N {
		return nil, errors.New("linear: weight-decay cross-validation needs decays and a subset that fits the training set")
	}
	sub, err := train.Subset(rand.New(rand.NewPCG(cfg.Seed, 0xdeca)).Perm(train.N)[:cfg.Size])
	if err != nil {
		return nil, err
	}
	folds, err := datasets.KFold(sub.N, cfg.Folds, cfg.Seed)
	if err != nil {
		return nil, errors.Wrap(err, "linear")
	}
	r := &DecayCV{Decays: slices.Clone(cfg.Decays), Mean: make([]float64, len(cfg.Decays))}
	for folds.Next() {
		errs, err := decayFold(sub, folds.Train(), folds.Val(), cfg)
		if err != nil {
			return nil, errors.Wrapf(err, "fold %d", folds.Fold()+1)
		}
		r.FoldErrors = append(r.FoldErrors, errs)
		for j, e := range errs {
			r.Mean[j] += e * float64(len(folds.Val())) / float64(sub.N)
		}
	}
	best := 0
	for j, e := range r.Mean {
		if e < r.Mean[best] || (e == r.Mean[best] && r.Decays[j] > r.Decays[best]) {
			best = j
		}
	}
	r.Best = r.Decays[best]
	c := cfg.Config
	c.WeightDecay = r.Best
	if r.TestError, err = trainAndTest(sub, test, c); err != nil {
		return nil, err
	}
	return r, nil
}

// decayFold trains one classifier per decay on a fold's training indices
// and returns each one's error on the fold's held-out indices.
func decayFold(s *datasets.Set, trainIdx, valIdx []int, cfg DecayConfig) ([]float64, error) {
	tr, err := s.Subset(trainIdx)
	if err != nil {
		return nil, err
	}
	va, err := s.Subset(valIdx)
	if err != nil {
		return nil, err
	}
	errs := make([]float64, len(cfg.Decays))
	for j, d := range cfg.Decays {
		c := cfg.Config
		c.WeightDecay = d
		if errs[j], err = trainAndTest(tr, va, c); err != nil {
			return nil, err
		}
	}
	return errs, nil
}

// trainAndTest trains softmax regression on train and returns its error on test.
func trainAndTest(train, test *datasets.Set, cfg Config) (float64, error) {
	m, err := New(train.Size(), datasets.Classes)
	if err != nil {
		return 0, err
	}
	if _, err := fit(m, graph.ImageData(train), nil, cfg, nil); err != nil {
		return 0, err
	}
	return ErrorRate(m, graph.ImageData(test))
}
