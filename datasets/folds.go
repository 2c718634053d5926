package datasets

import "github.com/pkg/errors"

// Folds iterates over cross-validation folds of n examples. Each fold
// holds out one block of examples for validation and trains on all the
// others, so every example is validated exactly once over the k folds.
// Folds works on indices; Set.Subset or Points.Subset turns them into
// data.
//
//	folds, _ := datasets.KFold(set.Len(), 5, seed)
//	for folds.Next() {
//		train, _ := set.Subset(folds.Train())
//		val, _ := set.Subset(folds.Val())
//		...
//	}
type Folds struct {
	order  []int
	k      int
	fold   int
	train  []int
	val    []int
	bounds []int
}

// KFold returns an iterator over k folds of n examples, shuffled once with
// a PCG generator seeded by seed. Fold sizes differ by at most one.
func KFold(n, k int, seed uint64) (*Folds, error) {
	if err := checkFolds(n, k); err != nil {
		return nil, err
	}
	f := newFolds(n, k)
	order := f.order
	newRand(seed).Shuffle(n, func(i, j int) { order[i], order[j] = order[j], order[i] })
	return f, nil
}

// LeaveOneOut returns an iterator over n folds of n examples, each
// validating on a single example in index order: k-fold with k = n.
func LeaveOneOut(n int) (*Folds, error) {
	if err := checkFolds(n, n); err != nil {
		return nil, err
	}
	return newFolds(n, n), nil
}

func checkFolds(n, k int) error {
	if k < 2 || k > n {
		return errors.Errorf("%d folds of %d examples, want 2 <= folds <= examples", k, n)
	}
	return nil
}

// newFolds prepares k folds of the examples in index order. The first n%k
// folds take one extra example.
func newFolds(n, k int) *Folds {
	f := &Folds{order: make([]int, n), k: k, fold: -1, bounds: make([]int, k+1)}
	for i := range f.order {
		f.order[i] = i
	}
	for i := 1; i <= k; i++ {
		f.bounds[i] = f.bounds[i-1] + n/k
		if i <= n%k {
			f.bounds[i]++
		}
	}
	f.train = make([]int, 0, n)
	return f
}

// Next moves to the next fold and reports whether there is one.
func (f *Folds) Next() bool {
	if f.fold+1 >= f.k {
		return false
	}
	f.fold++
	lo, hi := f.bounds[f.fold], f.bounds[f.fold+1]
	f.val = f.order[lo:hi:hi]
	f.train = append(append(f.train[:0], f.order[:lo]...), f.order[hi:]...)
	return true
}

// Train returns the current fold's training indices. The slice is reused
// by the next call to Next.
func (f *Folds) Train() []int { return f.train }

// Val returns the current fold's validation indices.
func (f *Folds) Val() []int { return f.val }

// Fold returns the current fold's number, from 0.
func (f *Folds) Fold() int { return f.fold }

// K returns the number of folds.
func (f *Folds) K() int { return f.k }

// Reset rewinds to before the first fold; the folds stay the same.
func (f *Folds) Reset() { f.fold = -1 }
