package graph

import (
	"sync"

	"github.com/pkg/errors"

	"github.com/featlearn/featlearn/datasets"
	"github.com/featlearn/featlearn/ops"
)

// imageData is a datasets.Set seen as a Dataset. When binary is set,
// pixels at or above threshold read 1 and the others 0.
type imageData struct {
	s         *datasets.Set
	binary    bool
	threshold uint8
}

// ImageData returns s as a Dataset without copying it: the images stay
// bytes, and each batch is converted to pixel/255 float32s as it is
// gathered, on both cores. The target is the class index as one float32,
// the target CrossEntropy expects.
func ImageData(s *datasets.Set) SizedDataset { return imageData{s: s} }

// BinaryImageData returns s as a Dataset of binarised images: a pixel
// whose byte is at least threshold (ink) reads 1, any other 0. The target
// is the class index, as for ImageData.
func BinaryImageData(s *datasets.Set, threshold uint8) SizedDataset {
	return imageData{s: s, binary: true, threshold: threshold}
}

// Len returns the number of examples.
func (d imageData) Len() int {
	if d.s == nil {
		return 0
	}
	return d.s.N
}

// ExampleSizes returns the pixels of one image and 1, the class index.
func (d imageData) ExampleSizes() (int, int) {
	if d.s == nil {
		return 0, 1
	}
	return d.s.Size(), 1
}

// Gather writes the pixels of the examples idx into x and their labels into y.
// Batches of 16 examples or more are converted on both cores: between two
// training steps the kernels' second core would otherwise sit idle while
// this one reads 64 scattered images from memory.
func (d imageData) Gather(idx []int, x, y []float32) error {
	if d.s == nil {
		return errors.New("image data: nil set")
	}
	size := d.s.Size()
	if len(x) < len(idx)*size || len(y) < len(idx) {
		return errors.Errorf("image data: buffers of %d inputs and %d targets for %d examples of %d pixels",
			len(x), len(y), len(idx), size)
	}
	for _, i := range idx {
		if i < 0 || i >= d.s.N {
			return errors.Errorf("image data: example %d of %d", i, d.s.N)
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
	d    imageData
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

// FitImages trains the classifier m by the recipe on an image set with
// cross-entropy, validating on val after every epoch (nil: no
// validation): Recipe.Fit over ImageData. cfg supplies the rest (Dir,
// Resume, MaxSteps, hooks, Meta).
func (r Recipe) FitImages(m *Model, train, val *datasets.Set, cfg FitConfig) (*FitResult, error) {
	if train == nil {
		return nil, errors.New("fit: no training set")
	}
	if val != nil {
		cfg.Val = ImageData(val)
	}
	return r.Fit(m, CrossEntropy{}, ImageData(train), cfg)
}

// TrainImages builds a model with build(r.Seed) and trains it by the
// recipe on an image set, validating on val (nil: no validation);
// checkpoints name it by the model family name and the architecture arch.
// It is what a model package's Train is: lenet.Train is
// r.TrainImages(lenet.New, lenet.Name, lenet.Arch, ...).
func (r Recipe) TrainImages(build func(seed uint64) (*Model, error), name, arch string, train, val *datasets.Set, cfg FitConfig) (*Model, *FitResult, error) {
	m, err := build(r.Seed)
	if err != nil {
		return nil, nil, err
	}
	cfg.Meta.Model, cfg.Meta.Config = name, arch
	res, err := r.FitImages(m, train, val, cfg)
	return m, res, err
}
