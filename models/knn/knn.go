// Package knn is the lecture's nearest-neighbour rule: "transfer the label
// of the nearest example", and its k-nearest-neighbour vote.
//
// Distances are squared Euclidean (L2) distances computed in blocks as
// |a|² + |b|² - 2a·b, the last term by the float32 matrix-multiply kernel
// ops.Sgemm: a block of queries against a block of training examples at a
// time, never the whole 10,000 x 60,000 matrix. For every query a short
// sorted list keeps the k nearest examples seen so far, so the run needs
// one block of distances and k neighbours per query in memory. The same
// neighbour lists answer every k up to the longest, which makes choosing k
// by cross-validation cost one distance computation per fold.
//
// Ties in a vote are broken by distance: among the classes with the most
// votes, the one whose nearest voter is closest wins; with k = 1 the rule
// is the plain nearest-neighbour rule.
package knn

import (
	"runtime"
	"sync"

	"github.com/pkg/errors"

	"github.com/featlearn/featlearn/datasets"
	"github.com/featlearn/featlearn/ops"
)

// Block sizes of the distance computation. The matrix kernel packs each
// block of training examples once per call, so tall query blocks amortise
// that copy: with 512 queries a block packing took a fifth of the time of
// the full MNIST run, with 2048 a twentieth. A 2048 x 2048 float32 block
// of dot products is 16 MB.
const (
	queryBlock = 2048
	trainBlock = 2048
)

// Classifier holds the training examples the rule looks up.
type Classifier struct {
	x       []float32 // n rows of dim values
	norms   []float32 // |x_i|²
	labels  []int
	n, dim  int
	classes int
}

// Neighbour is one training example near a query.
type Neighbour struct {
	Index int     // position in the training set
	Label int     // its class
	Dist  float32 // squared L2 distance to the query
}

// New returns a classifier over n = len(labels) training examples stored
// one after another in x, dim values each, with class labels >= 0. x is
// used in place, not copied.
func New(x []float32, dim int, labels []int) (*Classifier, error) {
	if dim < 1 || len(labels) == 0 || len(x) != dim*len(labels) {
		return nil, errors.Errorf("knn: %d values for %d examples of dimension %d", len(x), len(labels), dim)
	}
	c := &Classifier{x: x, labels: labels, n: len(labels), dim: dim}
	for i, l := range labels {
		if l < 0 {
			return nil, errors.Errorf("knn: label %d of example %d is negative", l, i)
		}
		c.classes = max(c.classes, l+1)
	}
	c.norms = rowNorms(x, dim, nil)
	return c, nil
}

// FromSet returns a classifier over the images of s, as pixels/255.
func FromSet(s *datasets.Set) (*Classifier, error) {
	if s == nil || s.N == 0 {
		return nil, errors.New("knn: empty training set")
	}
	x, labels := SetArrays(s)
	return New(x, s.Size(), labels)
}

// SetArrays returns the images of s as float32 pixels/255, one after
// another, and their labels as ints.
func SetArrays(s *datasets.Set) ([]float32, []int) {
	x := datasets.PixelsToFloat32(s.Images, nil)
	labels := make([]int, s.N)
	for i, l := range s.Labels {
		labels[i] = int(l)
	}
	return x, labels
}

// Len returns the number of training examples.
func (c *Classifier) Len() int { return c.n }

// Dim returns the dimension of an example.
func (c *Classifier) Dim() int { return c.dim }

// rowNorms returns |row|² for every row of x, dim wide, reusing dst.
func rowNorms(x []float32, dim int, dst []float32) []float32 {
	n := len(x) / dim
	if cap(dst) < n {
		dst = make([]float32, n)
	}
	dst = dst[:n]
	for i := range dst {
		var s float32
		for _, v := range x[i*dim : (i+1)*dim] {
			s += v * v
		}
		dst[i] = s
	}
	return dst
}

// Neighbours returns the k training examples nearest to each of the m
// queries stored one after another in q, nearest first: row i is
// result[i*k:(i+1)*k]. Equal distances keep training-set order.
func (c *Classifier) Neighbours(q []float32, m, k int) ([]Neighbour, error) {
	if m < 1 || len(q) != m*c.dim {
		return nil, errors.Errorf("knn: %d query values for %d queries of dimension %d", len(q), m, c.dim)
	}
	if k < 1 || k > c.n {
		return nil, errors.Errorf("knn: k = %d with %d training examples", k, c.n)
	}
	out := make([]Neighbour, m*k)
	count := make([]int, m) // neighbours found so far per query
	dots := make([]float32, min(queryBlock, m)*min(trainBlock, c.n))
	var qn []float32
	for lo := 0; lo < m; lo += queryBlock {
		rows := min(queryBlock, m-lo)
		qb := q[lo*c.dim : (lo+rows)*c.dim]
		qn = rowNorms(qb, c.dim, qn)
		for t := 0; t < c.n; t += trainBlock {
			cols := min(trainBlock, c.n-t)
			// dots = -2·qb·xbᵀ, the cross term of |a - b|².
			if err := ops.Sgemm(false, true, rows, cols, c.dim, -2, qb, c.dim, c.x[t*c.dim:(t+cols)*c.dim], c.dim, 0, dots, cols); err != nil {
				return nil, errors.Wrap(err, "knn")
			}
			c.keepNearest(out[lo*k:(lo+rows)*k], count[lo:lo+rows], dots[:rows*cols], qn, t, cols, k)
		}
	}
	return out, nil
}

// keepNearest merges one block of distances into the queries' neighbour
// lists. Rows are split across goroutines; each owns its lists.
func (c *Classifier) keepNearest(lists []Neighbour, count []int, dots, qn []float32, t, cols, k int) {
	parallelRows(len(qn), func(lo, hi int) {
		for i := lo; i < hi; i++ {
			list := lists[i*k : (i+1)*k]
			row := dots[i*cols : (i+1)*cols]
			norms := c.norms[t : t+cols]
			for j, dot := range row {
				// Rounding can take a tiny distance below zero.
				d := max(qn[i]+norms[j]+dot, 0)
				if count[i] == k && d >= list[k-1].Dist {
					continue // the common case, decided without a call
				}
				count[i] = insert(list, count[i], Neighbour{Index: t + j, Label: c.labels[t+j], Dist: d})
			}
		}
	})
}

// insert puts nb into the sorted list holding n entries (at most
// len(list)), after any entry at the same distance, dropping the farthest
// entry when the list is full, and returns the new count.
func insert(list []Neighbour, n int, nb Neighbour) int {
	if n < len(list) {
		n++
	} else if nb.Dist >= list[n-1].Dist {
		return n
	}
	i := n - 1
	for i > 0 && list[i-1].Dist > nb.Dist {
		list[i] = list[i-1]
		i--
	}
	list[i] = nb
	return n
}

// parallelRows calls fn on disjoint row ranges covering [0, n), one per
// available core.
func parallelRows(n int, fn func(lo, hi int)) {
	workers := min(runtime.GOMAXPROCS(0), max(n/16, 1))
	if workers < 2 {
		fn(0, n)
		return
	}
	var wg sync.WaitGroup
	step := (n + workers - 1) / workers
	for lo := 0; lo < n; lo += step {
		wg.Add(1)
		go func(lo, hi int) {
			defer wg.Done()
			fn(lo, hi)
		}(lo, min(lo+step, n))
	}
	wg.Wait()
}

// Vote returns the class the first k neighbours of one query elect: the
// class with most votes, and among tied classes the one with the nearest
// voter. nbs must be sorted nearest first; k is cut to len(nbs), and no
// neighbours at all give -1.
func Vote(nbs []Neighbour, k int) int {
	nbs = nbs[:min(max(k, 0), len(nbs))]
	counts := make(map[int]int, len(nbs))
	top := 0
	for _, nb := range nbs {
		counts[nb.Label]++
		top = max(top, counts[nb.Label])
	}
	// Scanning nearest first, the first class with the top count is the
	// tied class whose nearest voter is closest.
	for _, nb := range nbs {
		if counts[nb.Label] == top {
			return nb.Label
		}
	}
	return -1
}

// PredictKs classifies m queries for every k in ks from one neighbour
// search: result[j][i] is query i's class under k = ks[j].
func (c *Classifier) PredictKs(q []float32, m int, ks []int) ([][]int, error) {
	kmax := 0
	for _, k := range ks {
		if k < 1 {
			return nil, errors.Errorf("knn: k = %d", k)
		}
		kmax = max(kmax, k)
	}
	nbs, err := c.Neighbours(q, m, kmax)
	if err != nil {
		return nil, err
	}
	return votes(nbs, m, kmax, ks), nil
}

// votes applies Vote for every k in ks to neighbour lists of length kmax.
func votes(nbs []Neighbour, m, kmax int, ks []int) [][]int {
	out := make([][]int, len(ks))
	for j, k := range ks {
		out[j] = make([]int, m)
		for i := range m {
			out[j][i] = Vote(nbs[i*kmax:(i+1)*kmax], k)
		}
	}
	return out
}

// Predict classifies m queries stored one after another in q by the vote
// of their k nearest training examples.
func (c *Classifier) Predict(q []float32, m, k int) ([]int, error) {
	p, err := c.PredictKs(q, m, []int{k})
	if err != nil {
		return nil, err
	}
	return p[0], nil
}

// ErrorRate returns the fraction of labels that pred gets wrong; a label
// without a prediction counts as wrong.
func ErrorRate(pred, labels []int) float64 {
	if len(labels) == 0 {
		return 0
	}
	wrong := 0
	for i, l := range labels {
		if i >= len(pred) || pred[i] != l {
			wrong++
		}
	}
	return float64(wrong) / float64(len(labels))
}
