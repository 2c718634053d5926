package trainapp

import (
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/pkg/errors"

	"github.com/featlearn/featlearn/datasets"
	"github.com/featlearn/featlearn/graph"
	"github.com/featlearn/featlearn/internal/cli"
)

// Source says where a model's data came from and how it was split, so
// that eval and viz read the very same sets again.
type Source struct {
	// Dir is the data's directory, absolute; "" for MNIST found by
	// itself (datasets.LoadMNIST("")).
	Dir    string `json:"dir"`
	Format string `json:"format"`
	// TestSplit and SplitSeed split a folder that has no test/.
	TestSplit float64 `json:"test_split,omitempty"`
	SplitSeed uint64  `json:"split_seed"`
	// Val is the number of training examples held out for validation,
	// the last ones (ValSplit "last") or drawn by SplitSeed ("random").
	Val      int    `json:"val"`
	ValSplit string `json:"val_split"`
	SkipBad  bool   `json:"skip_bad,omitempty"`
}

// Ways of holding out validation examples.
const (
	valLast   = "last"
	valRandom = "random"
)

// sourceFlags are featlearn's flags that choose the data and how to read
// it.
type sourceFlags struct {
	dir, size, channels, resize, norm, val, valSplit string
	testSplit                                        float64
	splitSeed                                        uint64
	skipBad                                          bool
}

// addSourceFlags registers the data flags of train.
func addSourceFlags(fs *flag.FlagSet) *sourceFlags {
	f := &sourceFlags{}
	fs.StringVar(&f.dir, "data", "", "MNIST's IDX files, CIFAR-10's binary batches or a folder of images, DIR/train/<class>/ and DIR/test/<class>/ or DIR/<class>/ (default: MNIST, found by itself)")
	fs.StringVar(&f.size, "size", "auto", "image folders: the size images are resized to, N or WxH (auto: the size they share, if 12 to 64 a side, else 32x32)")
	fs.StringVar(&f.channels, "channels", "auto", "image folders: gray, rgb or auto (gray when every image is)")
	fs.StringVar(&f.resize, "resize", datasets.ResizeCatmullRom, "image folders: interpolation when resizing: catmullrom, bilinear or nearest")
	fs.StringVar(&f.norm, "norm", "none", "input normalisation: none (pixel/255, what the default recipe is tuned for) or meanstd (each channel by the training set's mean and deviation, recorded in the checkpoint; take a lower -lr)")
	fs.StringVar(&f.val, "val", "auto", "validation examples held out of the training set: a number, a fraction, 0 for none, or auto (MNIST and CIFAR-10: the last 5,000; folders: a tenth)")
	fs.StringVar(&f.valSplit, "val-split", "auto", "which training examples validate: last, random (drawn by -split-seed) or auto (last for MNIST and CIFAR-10, random for folders)")
	fs.Float64Var(&f.testSplit, "test-split", datasets.DefaultTestFraction, "image folders without test/: the share of each class held out for testing")
	fs.Uint64Var(&f.splitSeed, "split-seed", 1, "seed of the random test and validation splits")
	fs.BoolVar(&f.skipBad, "skip-bad", false, "skip images that cannot be read, with a count, instead of stopping at the first")
	return f
}

// sizeFlag reads -size: "auto", "N" or "WxH".
func sizeFlag(s string) (rows, cols int, err error) {
	if s == "auto" || s == "" {
		return 0, 0, nil
	}
	w, h, two := strings.Cut(s, "x")
	if !two {
		h = w
	}
	cols, err1 := strconv.Atoi(w)
	rows, err2 := strconv.Atoi(h)
	if err1 != nil || err2 != nil || rows < 1 || cols < 1 || rows > datasets.MaxSide || cols > datasets.MaxSide {
		return 0, 0, cli.Usagef("-size %q: want auto, N or WxH of 1 to %d pixels", s, datasets.MaxSide)
	}
	return rows, cols, nil
}

// channelsFlag reads -channels.
func channelsFlag(s string) (int, error) {
	switch s {
	case "auto":
		return 0, nil
	case "gray", "grey":
		return 1, nil
	case "rgb":
		return 3, nil
	}
	return 0, cli.Usagef("-channels %q: want gray, rgb or auto", s)
}

// check refuses flag values that cannot work, naming the flag.
func (f *sourceFlags) check() error {
	if _, _, err := sizeFlag(f.size); err != nil {
		return err
	}
	if _, err := channelsFlag(f.channels); err != nil {
		return err
	}
	switch {
	case f.resize != datasets.ResizeCatmullRom && f.resize != datasets.ResizeBilinear && f.resize != datasets.ResizeNearest:
		return cli.Usagef("-resize %q: want catmullrom, bilinear or nearest", f.resize)
	case f.norm != "none" && f.norm != "meanstd":
		return cli.Usagef("-norm %q: want none or meanstd", f.norm)
	case f.valSplit != "auto" && f.valSplit != valLast && f.valSplit != valRandom:
		return cli.Usagef("-val-split %q: want last, random or auto", f.valSplit)
	case !(f.testSplit > 0 && f.testSplit < 1):
		return cli.Usagef("-test-split %v: want a fraction between 0 and 1", f.testSplit)
	}
	_, _, err := valFlag(f.val)
	return err
}

// valFlag reads -val: auto, a count or a fraction.
func valFlag(s string) (n int, frac float64, err error) {
	if s == "auto" {
		return -1, 0, nil
	}
	if n, err := strconv.Atoi(s); err == nil && n >= 0 {
		return n, 0, nil
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil && f > 0 && f < 1 {
		return 0, f, nil
	}
	return 0, 0, cli.Usagef("-val %q: want auto, a number of examples, a fraction between 0 and 1, or 0", s)
}

// source settles the flags into a Source for data of a format with n
// training examples.
func (f *sourceFlags) source(format, dir string, n int) (Source, error) {
	src := Source{Format: format, TestSplit: f.testSplit, SplitSeed: f.splitSeed, SkipBad: f.skipBad, ValSplit: f.valSplit}
	if format != datasets.FormatFolder {
		src.TestSplit = 0
	}
	if dir != "" {
		abs, err := filepath.Abs(dir)
		if err != nil {
			return src, errors.WithStack(err)
		}
		src.Dir = abs
	}
	count, frac, _ := valFlag(f.val) // checked
	switch {
	case count < 0 && format == datasets.FormatFolder:
		src.Val = n / 10
	case count < 0:
		src.Val = min(datasets.ValidationSize, n/10)
	case frac > 0:
		src.Val = int(frac * float64(n))
	default:
		src.Val = count
	}
	if src.Val >= n {
		return src, cli.Usagef("-val %s: %d of the %d training examples would leave none to train on", f.val, src.Val, n)
	}
	if src.ValSplit == "auto" {
		src.ValSplit = valLast
		if format == datasets.FormatFolder {
			src.ValSplit = valRandom
		}
	}
	return src, nil
}

// load reads the source's data, in the geometry and classes of in when
// in is not nil (a trained model's), else as the flags say; dir, when
// set, replaces the source's directory.
func (src Source) load(in *Input, geometry datasets.FolderOptions, dir string, stderr io.Writer) (*datasets.Data, error) {
	if dir == "" {
		dir = src.Dir
	}
	opt := geometry
	opt.TestFraction, opt.Seed, opt.SkipBad, opt.Progress = src.TestSplit, src.SplitSeed, src.SkipBad, stderr
	if in != nil {
		opt.Rows, opt.Cols, opt.Channels, opt.Resize, opt.Classes = in.Rows, in.Cols, in.Channels, in.Resize, in.Classes
	}
	d, err := datasets.Load(dir, opt)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(stderr, "data: %s\n", d.Describe())
	if n := len(d.Skipped); n > 0 {
		fmt.Fprintf(stderr, "skipped %d unreadable images, the first: %s\n", n, d.Skipped[0])
	}
	return d, nil
}

// split holds out the source's validation examples of a training set.
func (src Source) split(train *datasets.Set) (*datasets.Set, *datasets.Set, error) {
	if src.Val < 0 || src.Val >= train.N {
		return nil, nil, errors.Errorf("%d validation examples of %d training images: want fewer", src.Val, train.N)
	}
	if src.ValSplit == valRandom {
		return train.SplitRandom(src.Val, src.SplitSeed)
	}
	return train.SplitLast(src.Val)
}

// input describes the model input of data read by the flags: its
// geometry and classes, and the normalisation -norm asks for, measured on
// the training examples. Inputs are pixel/255 unless -norm says meanstd:
// the default recipe, LeNet-5's, is tuned for inputs of that scale, and
// at its learning rate inputs normalised to a deviation of one, three
// times larger on MNIST, now and then kill every ReLU in the first epoch.
func (f *sourceFlags) input(d *datasets.Data, train *datasets.Set) Input {
	t := d.Train
	in := Input{Channels: t.NumChannels(), Rows: t.Rows, Cols: t.Cols, Classes: t.Names(), Resize: f.resize}
	if d.Format == datasets.FormatIDX && t.Rows == datasets.DigitSize && t.Cols == datasets.DigitSize {
		in.Digit, in.Resize = true, ""
	}
	in.TrainMean, in.TrainStd = train.ChannelStats()
	if f.norm == "meanstd" {
		in.Mean, in.Std = append([]float64(nil), in.TrainMean...), append([]float64(nil), in.TrainStd...)
		for c, s := range in.Std {
			in.Std[c] = max(s, 1e-3) // a constant channel must not divide by zero
		}
	}
	return in
}

// augmentFlags registers the distortion flags of train.
func augmentFlags(fs *flag.FlagSet) *graph.Augment {
	a := &graph.Augment{}
	fs.IntVar(&a.Shift, "shift", 0, "augmentation: shift training images by up to this many pixels each way")
	fs.Float64Var(&a.Rotate, "rotate", 0, "augmentation: rotate training images by up to this many degrees")
	fs.Float64Var(&a.Scale, "scale", 0, "augmentation: scale training images by a factor within 1 ± this")
	fs.Float64Var(&a.Shear, "shear", 0, "augmentation: shear training images by up to this many degrees")
	fs.BoolVar(&a.Flip, "flip", false, "augmentation: mirror half the training images left to right (not for digits)")
	return a
}
