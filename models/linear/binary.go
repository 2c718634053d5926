package linear

import (
	"fmt"
	"io"
	"time"

	"github.com/pkg/errors"

	"github.com/featlearn/featlearn/datasets"
	"github.com/featlearn/featlearn/graph"
)

// BinaryResult is a linear classifier of one digit against another.
type BinaryResult struct {
	A, B int // the digits: A is output 0, B output 1
	Result
}

// Binary trains a linear classifier telling digit a (output 0) from digit
// b (output 1) on the images of those two digits in train, and measures
// its error on theirs in test. Two softmax outputs are logistic regression
// written as softmax regression: only the difference of their scores
// matters.
func Binary(train, test *datasets.Set, a, b int, cfg Config, progress io.Writer) (*BinaryResult, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	train, test, err := datasets.Limit(train, test, cfg.TrainLimit, cfg.TestLimit)
	if err != nil {
		return nil, errors.Wrap(err, "linear")
	}
	if train, err = Pair(train, a, b); err != nil {
		return nil, err
	}
	if test, err = Pair(test, a, b); err != nil {
		return nil, err
	}
	m, err := New(train.Size(), 2)
	if err != nil {
		return nil, err
	}
	res := &BinaryResult{A: a, B: b, Result: Result{Model: m, Train: train.N, Test: test.N}}
	start := time.Now()
	res.History, err = fit(m, graph.ImageData(train), graph.ImageData(test), cfg, func(e EpochErrors) {
		logf(progress, "linear %d v %d: epoch %d: train error %.4f, test error %.4f", a, b, e.Epoch, e.Train, e.Test)
	})
	if err != nil {
		return nil, err
	}
	res.Time = time.Since(start)
	last := res.History[len(res.History)-1]
	res.TrainError, res.TestError = last.Train, last.Test
	return res, nil
}

// Pair returns the examples of s labelled a or b, in order, relabelled 0
// for a and 1 for b.
func Pair(s *datasets.Set, a, b int) (*datasets.Set, error) {
	if a == b || a < 0 || b < 0 || a >= datasets.Classes || b >= datasets.Classes {
		return nil, errors.Errorf("linear: digits %d and %d, want two different digits 0..9", a, b)
	}
	var idx []int
	for i, l := range s.Labels {
		if int(l) == a || int(l) == b {
			idx = append(idx, i)
		}
	}
	if len(idx) == 0 {
		return nil, errors.Errorf("linear: no %ds or %ds among %d examples", a, b, s.N)
	}
	sub, err := s.Subset(idx)
	if err != nil {
		return nil, err
	}
	for i, l := range sub.Labels {
		if int(l) == b {
			sub.Labels[i] = 1
		} else {
			sub.Labels[i] = 0
		}
	}
	return sub, nil
}

// Discriminant returns the weights of b minus those of a, one per pixel:
// the classifier says b where their sum with the pixels, plus the bias
// difference, is positive. It is nil without a trained model.
func (r *BinaryResult) Discriminant() []float64 {
	if r == nil || r.Model == nil || r.Model.Param("linear.weight") == nil {
		return nil
	}
	w := r.Model.Param("linear.weight").Float64s()
	n := len(w) / 2
	d := make([]float64, n)
	for i := range d {
		d[i] = w[n+i] - w[i]
	}
	return d
}

// Format renders the result as the line a command prints.
func (r *BinaryResult) Format() string {
	return fmt.Sprintf("linear %d v %d on their %d training images: training error %.2f %%, test error %.2f %% on their %d test images\n",
		r.A, r.B, r.Train, 100*r.TrainError, 100*r.TestError, r.Test)
}
