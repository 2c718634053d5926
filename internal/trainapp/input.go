package trainapp

import (
	"encoding/json"
	"slices"

	"github.com/pkg/errors"

	"github.com/featlearn/featlearn/datasets"
	"github.com/featlearn/featlearn/graph"
)

// Keys of featlearn's entries in a checkpoint's Extra.
const (
	keyInput   = "input"   // Input, as JSON
	keySource  = "data"    // Source, as JSON
	keyAugment = "augment" // graph.Augment, as JSON
)

// Input is what a model takes and how an image becomes its input:
// featlearn's checkpoints store it, so eval and predict need nothing but
// the checkpoint.
type Input struct {
	Channels int      `json:"channels"`
	Rows     int      `json:"rows"`
	Cols     int      `json:"cols"`
	Classes  []string `json:"classes"`
	// Mean and Std normalise each channel (graph.ImageOptions); nil:
	// pixel/255.
	Mean []float64 `json:"mean,omitempty"`
	Std  []float64 `json:"std,omitempty"`
	// TrainMean and TrainStd are each channel's mean and deviation of
	// pixel/255 over the training examples, measured whether or not the
	// inputs are normalised by them (-norm meanstd).
	TrainMean []float64 `json:"train_mean,omitempty"`
	TrainStd  []float64 `json:"train_std,omitempty"`
	// Digit says image files are prepared as MNIST's digits were
	// (datasets.PreprocessDigit), for models trained on MNIST's IDX
	// files; otherwise they are resized with Resize, as the training
	// images were.
	Digit  bool   `json:"digit,omitempty"`
	Resize string `json:"resize,omitempty"`
}

// mnistInput is the input of models trained on MNIST: 1x28x28 digits of
// pixel/255.
func mnistInput() Input {
	return Input{Channels: 1, Rows: datasets.DigitSize, Cols: datasets.DigitSize, Classes: datasets.DigitNames(), Digit: true}
}

// Shape returns the model's per-example input shape.
func (in Input) Shape() []int { return []int{in.Channels, in.Rows, in.Cols} }

// names returns the class names to print: nil for MNIST's digits, which
// the lenet and mlp binaries have always printed as numbers.
func (in Input) names() []string {
	if slices.Equal(in.Classes, datasets.DigitNames()) {
		return nil
	}
	return in.Classes
}

// check refuses an Input that cannot describe a model's data, such as
// one read from a damaged checkpoint.
func (in Input) check() error {
	switch {
	case in.Channels != 1 && in.Channels != 3:
		return errors.Errorf("input of %d channels, want 1 or 3", in.Channels)
	case in.Rows < 1 || in.Cols < 1 || in.Rows > datasets.MaxSide || in.Cols > datasets.MaxSide:
		return errors.Errorf("input of %dx%d pixels, want 1 to %d a side", in.Cols, in.Rows, datasets.MaxSide)
	case len(in.Classes) < 1 || len(in.Classes) > datasets.MaxClasses:
		return errors.Errorf("%d classes, want 1 to %d", len(in.Classes), datasets.MaxClasses)
	case in.Mean != nil && (len(in.Mean) != in.Channels || len(in.Std) != in.Channels):
		return errors.Errorf("%d means and %d deviations for %d channels", len(in.Mean), len(in.Std), in.Channels)
	case in.Digit && (in.Channels != 1 || in.Rows != datasets.DigitSize || in.Cols != datasets.DigitSize):
		return errors.New("digit preparation wants 1x28x28 inputs")
	}
	return nil
}

// dataset returns s as the model sees it: normalised, and for training
// distorted by aug from seed.
func (in Input) dataset(s *datasets.Set, aug graph.Augment, seed uint64) (graph.SizedDataset, error) {
	if in.Mean == nil && aug.IsZero() {
		return graph.ImageData(s), nil // MNIST's pixel/255, as lenet and mlp have always trained
	}
	return graph.ImageDataWith(s, graph.ImageOptions{Mean: in.Mean, Std: in.Std, Augment: aug, Seed: seed})
}

// read reads an image file as the model's input bytes.
func (in Input) read(path string) ([]uint8, error) {
	if in.Digit {
		return datasets.ReadDigitFile(path)
	}
	return datasets.ReadImageFile(path, in.Channels, in.Rows, in.Cols, in.Resize)
}

// floats turns one image's bytes into the model's input.
func (in Input) floats(pixels []uint8) ([]float32, error) {
	s, err := datasets.NewImageSet(pixels, []uint8{0}, in.Channels, in.Rows, in.Cols, in.Classes)
	if err != nil {
		return nil, err
	}
	d, err := in.dataset(s, graph.Augment{}, 0)
	if err != nil {
		return nil, err
	}
	x := make([]float32, len(pixels))
	return x, d.Gather([]int{0}, x, make([]float32, 1))
}

// extraJSON encodes v for a checkpoint's Extra.
func extraJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// fromExtra decodes a checkpoint's Extra entry into v.
func fromExtra(meta graph.CheckpointMeta, key string, v any) error {
	text, ok := meta.Extra[key]
	if !ok {
		return errors.Errorf("the checkpoint records no %s", key)
	}
	return errors.Wrapf(json.Unmarshal([]byte(text), v), "the checkpoint's %s", key)
}
