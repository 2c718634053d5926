package graph

import (
	"math"
	"sync"

	"github.com/pkg/errors"

	"github.com/featlearn/featlearn/datasets"
	"github.com/featlearn/featlearn/ops"
)

// imageData is a datasets.Set seen as a Dataset. When binary is set,
// pixels at or above threshold read 1 and the others 0. When lut is set,
// each channel's bytes map through it (normalisation), and aug distorts
// the examples of training epochs.
type imageData struct {
	s         *datasets.Set
	binary    bool
	threshold uint8
	lut       [][256]float32
	norm      []normalise
	aug       Augment
	seed      uint64
}

// ImageOptions says how ImageDataWith turns a Set's bytes into inputs.
type ImageOptions struct {
	// Mean and Std, when set, normalise each channel on the pixel/255
	// scale: an input is (pixel/255 - Mean[c]) / Std[c]. Both need one
	// entry per channel, and Std positive entries. Nil: pixel/255.
	Mean, Std []float64
	// Augment distorts the examples of every training epoch at random
	// (see Augment); evaluation sees them undistorted.
	Augment Augment
	// Seed fixes the distortions: example i of epoch e is distorted the
	// same way in every run, on any number of cores, resumed or not.
	Seed uint64
}

// ImageDataWith returns s as a Dataset, like ImageData, that also
// normalises each channel and distorts training examples as o says. Fit
// gathers each training batch with GatherEpoch, so every epoch sees new
// distortions, drawn from o.Seed, the epoch and the example's index;
// Gather, which Evaluate uses, gives the examples undistorted. With the
// zero ImageOptions it gives ImageData's pixel/255 bit for bit.
func ImageDataWith(s *datasets.Set, o ImageOptions) (SizedDataset, error) {
	if s == nil {
		return nil, errors.New("image data: nil set")
	}
	if err := o.Augment.Check(); err != nil {
		return nil, err
	}
	c := s.NumChannels()
	d := imageData{s: s, aug: o.Augment, seed: o.Seed, norm: make([]normalise, c), lut: make([][256]float32, c)}
	switch {
	case o.Mean == nil && o.Std == nil:
		for ch := range d.norm {
			d.norm[ch].none = true
		}
	case len(o.Mean) != c || len(o.Std) != c:
		return nil, errors.Errorf("image data: %d means and %d standard deviations for %d channels", len(o.Mean), len(o.Std), c)
	default:
		for ch := range d.norm {
			m, sd := o.Mean[ch], o.Std[ch]
			if math.IsNaN(m) || math.IsInf(m, 0) || !(sd > 0) || math.IsInf(sd, 0) {
				return nil, errors.Errorf("image data: channel %d has mean %v and standard deviation %v, want finite numbers and a positive deviation", ch, m, sd)
			}
			d.norm[ch] = normalise{mean: m, invStd: 1 / sd}
		}
	}
	for ch, n := range d.norm {
		for v := range d.lut[ch] {
			d.lut[ch][v] = n.apply(float64(v))
		}
	}
	return d, nil
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
	return d.gather(0, idx, x, y)
}

// GatherEpoch is Gather for a training epoch (from 1): it distorts each
// example by the Augment of ImageDataWith, as a pure function of the
// seed, the epoch and the example's index.
func (d imageData) GatherEpoch(epoch int, idx []int, x, y []float32) error {
	return d.gather(epoch, idx, x, y)
}

// gather converts the examples idx, distorted for a training epoch > 0.
func (d imageData) gather(epoch int, idx []int, x, y []float32) error {
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
	*j = gatherJob{d: d, idx: idx, x: x, y: y, epoch: epoch}
	ops.Parallel(len(idx), 8, j)
	*j = gatherJob{}
	gatherJobs.Put(j)
	return nil
}

// gatherJob is one Gather call as an ops.Task over its examples.
type gatherJob struct {
	d     imageData
	idx   []int
	x, y  []float32
	epoch int
}

var gatherJobs = sync.Pool{New: func() any { return new(gatherJob) }}

func (j *gatherJob) Run(lo, hi int) {
	s, size, d := j.d.s, j.d.s.Size(), &j.d
	distorted := j.epoch > 0 && !d.aug.IsZero()
	for k := lo; k < hi; k++ {
		i := j.idx[k]
		dst := j.x[k*size : (k+1)*size]
		switch {
		case distorted:
			t := d.aug.draw(d.seed, j.epoch, i)
			distort(dst, s.Pixels(i), s.NumChannels(), s.Rows, s.Cols, t, d.aug.affine(), d.lut, d.norm)
		case d.lut != nil && !d.norm[0].none:
			plane, px := s.Rows*s.Cols, s.Pixels(i)
			for ch := range d.lut {
				l, o := &d.lut[ch], dst[ch*plane:(ch+1)*plane]
				for n, p := range px[ch*plane : (ch+1)*plane] {
					o[n] = l[p]
				}
			}
		case d.binary:
			for n, p := range s.Pixels(i) {
				dst[n] = 0
				if p >= j.d.threshold {
					dst[n] = 1
				}
			}
		default:
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
