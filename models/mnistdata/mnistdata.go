// Package mnistdata adapts datasets.Set, the engine-free MNIST container,
// to graph.Dataset, so that graph.Trainer and graph.Evaluate can read MNIST
// directly. Every MNIST model package shares it.
package mnistdata

import (
	"sync"

	"github.com/pkg/errors"

	"github.com/featlearn/featlearn/datasets"
	"github.com/featlearn/featlearn/graph"
	"github.com/featlearn/featlearn/ops"
)

// set is a datasets.Set seen as a graph.Dataset. When binary is set,
// pixels at or above threshold read 1 and the others 0.
type set struct {
	s         *datasets.Set
	binary    bool
	threshold uint8
}

// Dataset returns s as a graph.Dataset whose inputs are the pixels scaled
// to [0, 1] (pixel/255, Rows*Cols float32s per example) and whose target is
// the class index as one float32, the target graph.CrossEntropy expects.
// The Set is not copied.
func Dataset(s *datasets.Set) graph.Dataset { return set{s: s} }

// Binary returns s as a graph.Dataset of binarised images: a pixel whose
// byte is at least threshold (ink) reads 1, any other 0. The target is the
// class index, as for Dataset.
func Binary(s *datasets.Set, threshold uint8) graph.Dataset {
	return set{s: s, binary: true, threshold: threshold}
}

// Len returns the number of examples.
func (d set) Len() int {
	if d.s == nil {
		return 0
	}
	return d.s.N
}

// Gather writes the pixels of the examples idx into x and their labels into y.
// Batches of 16 examples or more are converted on both cores: between two
// training steps the kernels' second core would otherwise sit idle while
// this one reads 64 scattered images from memory.
func (d set) Gather(idx []int, x, y []float32) error {
	if d.s == nil {
		return errors.New("mnistdata: nil set")
	}
	size := d.s.Size()
	if len(x) < len(idx)*size || len(y) < len(idx) {
		return errors.Errorf("mnistdata: buffers of %d inputs and %d targets for %d examples of %d pixels",
			len(x), len(y), len(idx), size)
	}
	for _, i := range idx {
		if i < 0 || i >= d.s.N {
			return errors.Errorf("mnistdata: example %d of %d", i, d.s.N)
		}
	}
	j := gatherJobs.Get().(*gatherJob)
	*j = gatherJob{d: d, idx: idx, x: x, y: y}
	ops.Parallel(len(idx), 8, j)
	*j = gatherJob{}
	gatherJobs.Put(j)
	return nil
}

// gatherJob is one Gather call as an ops.Task over its examples.
type gatherJob struct {
	d    set
	idx  []int
	x, y []float32
}

var gatherJobs = sync.Pool{New: func() any { return new(gatherJob) }}

func (j *gatherJob) Run(lo, hi int) {
	s, size := j.d.s, j.d.s.Size()
	for k := lo; k < hi; k++ {
		i := j.idx[k]
		dst := j.x[k*size : (k+1)*size]
		if j.d.binary {
			for n, p := range s.Pixels(i) {
				dst[n] = 0
				if p >= j.d.threshold {
					dst[n] = 1
				}
			}
		} else {
			ops.ScalePixels(dst, s.Pixels(i))
		}
		j.y[k] = float32(s.Labels[i])
	}
}

// Limit keeps the first trainN training and testN test examples (0 keeps a
// whole set), so quick runs and tests can use a prefix of MNIST.
func Limit(train, test *datasets.Set, trainN, testN int) (*datasets.Set, *datasets.Set, error) {
	if train == nil || test == nil || train.N == 0 || test.N == 0 {
		return nil, nil, errors.New("need non-empty training and test sets")
	}
	if trainN < 0 || testN < 0 {
		return nil, nil, errors.Errorf("limits %d and %d, want >= 0", trainN, testN)
	}
	var err error
	if trainN > 0 && trainN < train.N {
		if train, err = train.Slice(0, trainN); err != nil {
			return nil, nil, err
		}
	}
	if testN > 0 && testN < test.N {
		if test, err = test.Slice(0, testN); err != nil {
			return nil, nil, err
		}
	}
	return train, test, nil
}
