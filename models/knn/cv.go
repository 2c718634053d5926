package knn

import (
	"math/rand/v2"
	"slices"

	"github.com/pkg/errors"

	"github.com/featlearn/featlearn/datasets"
)

// CVResult is the outcome of choosing k by cross-validation.
type CVResult struct {
	Ks    []int // the candidates, in the order given
	Folds int
	N     int // examples cross-validated
	// FoldErrors[f][j] is the error on fold f's held-out examples of the
	// rule with k = Ks[j] built on the other folds.
	FoldErrors [][]float64
	// Mean[j] is the error at Ks[j] over all held-out examples.
	Mean []float64
	// Best is the k of lowest Mean, the smallest such k on a tie.
	Best int
}

// CrossValidate estimates the error of every k in ks by folds-fold
// cross-validation over the examples in x (dim values each) and labels,
// shuffled by seed, and picks the best k. Each fold searches neighbours
// once, for the largest k, and every k is voted from the same lists.
func CrossValidate(x []float32, dim int, labels []int, ks []int, folds int, seed uint64) (*CVResult, error) {
	if len(ks) == 0 {
		return nil, errors.New("knn: no candidate k to cross-validate")
	}
	if dim < 1 || len(x) != dim*len(labels) {
		return nil, errors.Errorf("knn: %d values for %d examples of dimension %d", len(x), len(labels), dim)
	}
	f, err := datasets.KFold(len(labels), folds, seed)
	if err != nil {
		return nil, errors.Wrap(err, "knn")
	}
	r := &CVResult{Ks: append([]int(nil), ks...), Folds: folds, N: len(labels), Mean: make([]float64, len(ks))}
	for f.Next() {
		errs, err := foldErrors(x, dim, labels, f.Train(), f.Val(), ks)
		if err != nil {
			return nil, errors.Wrapf(err, "fold %d", f.Fold()+1)
		}
		r.FoldErrors = append(r.FoldErrors, errs)
		for j, e := range errs {
			// Weighting by fold size makes Mean the error over all examples.
			r.Mean[j] += e * float64(len(f.Val())) / float64(r.N)
		}
	}
	r.Best = r.Ks[argminFirst(r.Mean, r.Ks)]
	return r, nil
}

// foldErrors returns the held-out error of every k for one fold.
func foldErrors(x []float32, dim int, labels, train, val []int, ks []int) ([]float64, error) {
	tx, tl := gather(x, dim, labels, train)
	vx, vl := gather(x, dim, labels, val)
	c, err := New(tx, dim, tl)
	if err != nil {
		return nil, err
	}
	preds, err := c.PredictKs(vx, len(val), ks)
	if err != nil {
		return nil, err
	}
	errs := make([]float64, len(ks))
	for j, p := range preds {
		errs[j] = ErrorRate(p, vl)
	}
	return errs, nil
}

// gather copies the examples idx out of x and labels.
func gather(x []float32, dim int, labels, idx []int) ([]float32, []int) {
	gx, gl := make([]float32, 0, len(idx)*dim), make([]int, 0, len(idx))
	for _, i := range idx {
		gx = append(gx, x[i*dim:(i+1)*dim]...)
		gl = append(gl, labels[i])
	}
	return gx, gl
}

// argminFirst returns the index of the smallest error, preferring the
// smaller k among equal errors, so the choice does not depend on the order
// the candidates were listed in.
func argminFirst(errs []float64, ks []int) int {
	best := 0
	for j, e := range errs {
		if e < errs[best] || (e == errs[best] && ks[j] < ks[best]) {
			best = j
		}
	}
	return best
}

// CrossValidateSet cross-validates ks on a random subset of size examples
// of s (all of s when size is 0 or larger than s), drawn with seed. MNIST's
// 60,000 training images at five folds would cost 60,000 x 48,000
// distances, five times the whole test run, so a subset of 10,000 is the
// affordable default.
func CrossValidateSet(s *datasets.Set, size int, ks []int, folds int, seed uint64) (*CVResult, error) {
	if s == nil || s.N == 0 {
		return nil, errors.New("knn: empty training set")
	}
	sub, err := randomSubset(s, size, seed)
	if err != nil {
		return nil, err
	}
	x, labels := SetArrays(sub)
	return CrossValidate(x, sub.Size(), labels, ks, folds, seed)
}

// randomSubset draws size examples of s without replacement, keeping s's
// order; size 0 or at least s.N returns s itself.
func randomSubset(s *datasets.Set, size int, seed uint64) (*datasets.Set, error) {
	if size < 0 {
		return nil, errors.Errorf("knn: subset of %d examples", size)
	}
	if size == 0 || size >= s.N {
		return s, nil
	}
	idx := rand.New(rand.NewPCG(seed, 0xc0ffee)).Perm(s.N)[:size]
	slices.Sort(idx)
	return s.Subset(idx)
}
