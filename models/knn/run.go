package knn

import (
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/pkg/errors"

	"github.com/featlearn/featlearn/datasets"
)

// Config sets up the MNIST experiment: choose k by cross-validation on a
// subset of the training set, then classify the test set against all of it.
type Config struct {
	Ks     []int  // candidate k
	Folds  int    // cross-validation folds
	CVSize int    // training examples cross-validated (0: all)
	Seed   uint64 // fixes the cross-validation subset and folds
	// TrainLimit and TestLimit keep only the first examples of each set,
	// for quick runs; 0 keeps all.
	TrainLimit, TestLimit int
}

// DefaultConfig chooses k among 1, 3, 5, 7 and 9 by 5-fold
// cross-validation on 10,000 training images, then tests on the full
// 10,000 test images against all 60,000 training images.
func DefaultConfig() Config {
	return Config{Ks: []int{1, 3, 5, 7, 9}, Folds: 5, CVSize: 10000, Seed: 1}
}

// Result is the outcome of Run.
type Result struct {
	CV *CVResult
	// K is the k cross-validation chose, and TestError the test error of
	// the k-NN rule with it.
	K         int
	TestError float64
	// TestErrors[j] is the test error at CV.Ks[j], reported for
	// comparison; it plays no part in choosing k.
	TestErrors []float64
	// Confusion[t][p] counts test images of class t classified as p at K.
	Confusion [][]int
	// Train and Test are the numbers of examples used.
	Train, Test      int
	CVTime, TestTime time.Duration
}

// Run chooses k by cross-validation on train and measures the test error
// of the k-NN rule over all of train. progress, when not nil, receives a
// line per stage.
func Run(train, test *datasets.Set, cfg Config, progress io.Writer) (*Result, error) {
	train, test, err := datasets.Limit(train, test, cfg.TrainLimit, cfg.TestLimit)
	if err != nil {
		return nil, errors.Wrap(err, "knn")
	}
	logf(progress, "knn: %d-fold cross-validation of k in %v on %d training images", cfg.Folds, cfg.Ks, min(cfg.CVSize, train.N))
	start := time.Now()
	cv, err := CrossValidateSet(train, cfg.CVSize, cfg.Ks, cfg.Folds, cfg.Seed)
	if err != nil {
		return nil, err
	}
	res := &Result{CV: cv, K: cv.Best, Train: train.N, Test: test.N, CVTime: time.Since(start)}
	logf(progress, "knn: chose k = %d (%v); classifying %d test images against %d training images",
		cv.Best, res.CVTime.Round(time.Millisecond), test.N, train.N)
	start = time.Now()
	c, err := FromSet(train)
	if err != nil {
		return nil, err
	}
	q, labels := SetArrays(test)
	preds, err := c.PredictKs(q, test.N, cv.Ks)
	if err != nil {
		return nil, err
	}
	res.TestTime = time.Since(start)
	for j, p := range preds {
		res.TestErrors = append(res.TestErrors, ErrorRate(p, labels))
		if cv.Ks[j] == res.K {
			res.TestError = res.TestErrors[j]
			res.Confusion = confusion(p, labels, datasets.Classes)
		}
	}
	return res, nil
}

// confusion counts pairs (truth, prediction).
func confusion(pred, labels []int, classes int) [][]int {
	m := make([][]int, classes)
	for i := range m {
		m[i] = make([]int, classes)
	}
	for i, p := range pred {
		if labels[i] < classes && p >= 0 && p < classes {
			m[labels[i]][p]++
		}
	}
	return m
}

func logf(w io.Writer, format string, args ...any) {
	if w != nil {
		fmt.Fprintf(w, format+"\n", args...)
	}
}

// CurveConfig sets up ErrorCurves.
type CurveConfig struct {
	Ks               []int
	Train, Val, Test int // examples in each part
	Seed             uint64
}

// DefaultCurveConfig uses 5,000 training, 2,000 validation and 2,000 test
// images and k from 1 to 50.
func DefaultCurveConfig() CurveConfig {
	return CurveConfig{Ks: []int{1, 2, 3, 4, 5, 7, 10, 15, 20, 30, 40, 50}, Train: 5000, Val: 2000, Test: 2000, Seed: 1}
}

// Curves holds the training, validation and test error of the k-NN rule
// for each k. The capacity of the rule falls as k grows: with k = 1 every
// training image is its own nearest neighbour, so the training error is 0
// while the test error is not.
type Curves struct {
	Ks               []int
	Train, Val, Test []float64
}

// ErrorCurves measures Curves on disjoint random parts of the MNIST
// training set (training and validation) and of the test set, drawn with
// cfg.Seed.
func ErrorCurves(train, test *datasets.Set, cfg CurveConfig) (*Curves, error) {
	if train == nil || test == nil || len(cfg.Ks) == 0 || cfg.Train < 1 || cfg.Val < 1 || cfg.Test < 1 ||
		cfg.Train+cfg.Val > train.N || cfg.Test > test.N {
		return nil, errors.New("knn: error curves need k values and parts that fit the sets")
	}
	rng := rand.New(rand.NewPCG(cfg.Seed, 0xcafe))
	perm := rng.Perm(train.N)
	tr, err := train.Subset(perm[:cfg.Train])
	if err != nil {
		return nil, err
	}
	va, err := train.Subset(perm[cfg.Train : cfg.Train+cfg.Val])
	if err != nil {
		return nil, err
	}
	te, err := test.Subset(rng.Perm(test.N)[:cfg.Test])
	if err != nil {
		return nil, err
	}
	c, err := FromSet(tr)
	if err != nil {
		return nil, err
	}
	cu := &Curves{Ks: append([]int(nil), cfg.Ks...)}
	for _, part := range []struct {
		s   *datasets.Set
		dst *[]float64
	}{{tr, &cu.Train}, {va, &cu.Val}, {te, &cu.Test}} {
		q, labels := SetArrays(part.s)
		preds, err := c.PredictKs(q, part.s.N, cfg.Ks)
		if err != nil {
			return nil, err
		}
		for _, p := range preds {
			*part.dst = append(*part.dst, ErrorRate(p, labels))
		}
	}
	return cu, nil
}

// Format renders the result as the lines a command prints.
func (r *Result) Format() string {
	if r == nil || r.CV == nil || len(r.TestErrors) != len(r.CV.Ks) {
		return "k-NN: no result\n"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "k-NN (L2) on MNIST: %d training images, %d test images\n", r.Train, r.Test)
	fmt.Fprintf(&b, "%d-fold cross-validation on %d training images (%v):\n", r.CV.Folds, r.CV.N, r.CVTime.Round(time.Millisecond))
	for j, k := range r.CV.Ks {
		mark := ""
		if k == r.K {
			mark = "  <- chosen"
		}
		fmt.Fprintf(&b, "  k = %-3d CV error %6.2f %%   test error %6.2f %%%s\n", k, 100*r.CV.Mean[j], 100*r.TestErrors[j], mark)
	}
	fmt.Fprintf(&b, "test error at k = %d: %.2f %% (%d of %d wrong), test run %v\n",
		r.K, 100*r.TestError, int(r.TestError*float64(r.Test)+0.5), r.Test, r.TestTime.Round(time.Millisecond))
	return b.String()
}
