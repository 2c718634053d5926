package trainapp

import (
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/pkg/errors"

	"github.com/featlearn/featlearn/datasets"
	"github.com/featlearn/featlearn/graph"
	"github.com/featlearn/featlearn/graph/arch"
	"github.com/featlearn/featlearn/internal/cli"
)

// loadAny reads a featlearn (or LeNet-5) checkpoint: the run it records
// and the model with its weights.
func (a *App) loadAny(path string) (*run, *loaded, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, nil, errors.Errorf("no checkpoint at %s: train one first (%s train) or give -ckpt", path, a.Name)
	}
	r, err := readRun(path)
	if err != nil {
		return nil, nil, err
	}
	// The file holds every weight, so it bounds a genuine SPEC's size: a
	// damaged one cannot ask for more.
	lim := arch.DefaultLimits
	lim.MaxParams = int(fi.Size()/4) + 1
	spec, _, err := specFor(r.spec, r.input, lim)
	if err != nil {
		return nil, nil, errors.Wrap(err, path)
	}
	m, meta, err := graph.LoadModel(path, func(meta graph.CheckpointMeta) (*graph.Model, error) {
		return spec.Build(meta.ModelSeed)
	})
	if err != nil {
		return nil, nil, err
	}
	return r, &loaded{Model: m, Meta: meta, Path: path}, nil
}

// anyDataFlag registers -data for commands that read a checkpoint's data.
func anyDataFlag(fs *flag.FlagSet) *string {
	return fs.String("data", "", "where the checkpoint's data is now (default: where it was when trained)")
}

// evalAny measures a checkpoint on its test (or validation) set.
func (a *App) evalAny(args []string, stdout, stderr io.Writer) error {
	fs := a.flagSet("eval", stderr)
	ckpt, data := a.ckptFlag(fs), anyDataFlag(fs)
	onnxFile := onnxFlag(fs)
	which := fs.String("set", "test", "set to measure: test or val (the validation examples held out of training)")
	png := fs.String("png", "", "confusion matrix PNG to write (default: confusion-SET.png next to the checkpoint; - for none)")
	if err := cli.Parse(fs, args, 0); err != nil {
		return err
	}
	if *which != "test" && *which != "val" {
		return cli.Usagef("-set %q: want test or val", *which)
	}
	r, l, err := a.loadEither(*ckpt, *onnxFile, *data)
	if err != nil {
		return err
	}
	if *onnxFile != "" && *png == "" {
		*png = "-" // no checkpoint directory to write next to
	}
	d, err := r.src.load(&r.input, datasets.FolderOptions{}, *data, stderr)
	if err != nil {
		return err
	}
	set := d.Test
	if *which == "val" {
		if _, set, err = r.src.split(d.Train); err != nil {
			return err
		}
		if set.N == 0 {
			return errors.New("the run held out no validation examples")
		}
	}
	ds, err := r.input.dataset(set, graph.Augment{}, 0)
	if err != nil {
		return err
	}
	ev, err := graph.Evaluate(l.Model, graph.CrossEntropy{}, ds, EvalBatch)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s\n%s set: %s", l.describe(), *which, formatMetrics(ev, r.input.names()))
	path := *png
	if path == "" {
		path = filepath.Join(filepath.Dir(*ckpt), "confusion-"+*which+".png")
	}
	if path == "-" {
		return nil
	}
	return writeConfusion(path, ev, r.input.names(), stdout)
}

// predictAny prints the most probable classes of image files, prepared
// as the checkpoint's training images were. A file that cannot be read
// is reported and skipped; the command then fails at the end.
func (a *App) predictAny(args []string, stdout, stderr io.Writer) error {
	fs := a.flagSet("predict", stderr)
	ckpt := a.ckptFlag(fs)
	onnxFile := onnxFlag(fs)
	k := fs.Int("k", 3, "number of classes to list")
	digit := digitFlag(fs)
	if err := cli.Parse(fs, args, -1); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return cli.Usagef("predict: name at least one PNG, JPEG or GIF file")
	}
	if *k < 1 {
		return cli.Usagef("-k %d: want at least 1", *k)
	}
	r, l, err := a.loadEither(*ckpt, *onnxFile, "")
	if err != nil {
		return err
	}
	if err := r.asDigits(*digit); err != nil {
		return err
	}
	width := 0
	for _, c := range r.input.Classes {
		width = max(width, len(c))
	}
	failed := 0
	for _, path := range fs.Args() {
		probs, err := r.classify(l.Model, path)
		if err != nil {
			fmt.Fprintf(stderr, "%s: %v\n", a.Name, err)
			failed++
			continue
		}
		fmt.Fprintf(stdout, "%s\n", path)
		for i, g := range graph.TopK(probs, *k) {
			fmt.Fprintf(stdout, "  %d. %-*s  %6.2f%%  (p = %.3g)\n", i+1, width, r.input.Classes[g.Class], 100*g.Prob, g.Prob)
		}
	}
	if failed > 0 {
		return errors.Errorf("%d of %d images could not be read", failed, fs.NArg())
	}
	return nil
}

// classify returns the class probabilities of an image file.
func (r *run) classify(m *graph.Model, path string) ([]float64, error) {
	pixels, err := r.input.read(path)
	if err != nil {
		return nil, err
	}
	x, err := r.input.floats(pixels)
	if err != nil {
		return nil, errors.Wrap(err, path)
	}
	probs, err := m.Probabilities(x)
	return probs, errors.Wrap(err, path)
}

// summaryAny prints the layers of a SPEC, or of a checkpoint's network.
func (a *App) summaryAny(args []string, stdout, stderr io.Writer) error {
	fs := a.flagSet("summary", stderr)
	spec := fs.String("arch", DefaultSpec, "the network, a SPEC")
	input := fs.String("input", "1x28x28", "the input's shape, CxHxW")
	classes := fs.Int("classes", 10, "the number of classes (a bare fc last has one unit each)")
	maxParams := fs.Int("max-params", arch.DefaultLimits.MaxParams, "refuse a network of more parameters")
	ckpt := fs.String("ckpt", "", "summarise this checkpoint's network instead")
	if err := cli.Parse(fs, args, 0); err != nil {
		return err
	}
	var s Spec
	var m *graph.Model
	if *ckpt != "" {
		_, l, err := a.loadAny(*ckpt)
		if err != nil {
			return err
		}
		s, m = Spec{Arch: l.Meta.Config}, l.Model
	} else {
		shape, err := shapeFlag(*input)
		if err != nil {
			return err
		}
		if *classes < 1 || *classes > datasets.MaxClasses {
			return cli.Usagef("-classes %d: want 1 to %d", *classes, datasets.MaxClasses)
		}
		in := Input{Channels: shape[0], Rows: shape[1], Cols: shape[2], Classes: make([]string, *classes)}
		lim := arch.DefaultLimits
		lim.MaxParams = *maxParams
		if s, _, err = specFor(*spec, in, lim); err != nil {
			return specError(err)
		}
		if m, err = s.Build(0); err != nil {
			return err
		}
	}
	table, err := graph.FormatSummary(m)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s\n\n%s", s.Arch, table)
	return nil
}

// shapeFlag reads -input, CxHxW with C 1 or 3.
func shapeFlag(s string) ([]int, error) {
	parts := strings.Split(s, "x")
	var shape []int
	for _, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > datasets.MaxSide {
			break
		}
		shape = append(shape, n)
	}
	if len(parts) != 3 || len(shape) != 3 || (shape[0] != 1 && shape[0] != 3) {
		return nil, cli.Usagef("-input %q: want CxHxW, such as 1x28x28 or 3x32x32", s)
	}
	return shape, nil
}

// vizAny writes the pictures of a checkpoint: its first-layer filters, in
// colour for RGB inputs, the feature maps of one image and the training
// curves.
func (a *App) vizAny(args []string, stdout, stderr io.Writer) error {
	fs := a.flagSet("viz", stderr)
	ckpt, data := a.ckptFlag(fs), anyDataFlag(fs)
	imageFile := fs.String("image", "", "image file to show the feature maps of (default: a test image, see -index)")
	index := fs.Int("index", 0, "test image to show the feature maps of when -image is not given")
	out := fs.String("out", "", "directory for the PNGs (default: the checkpoint's directory)")
	cols := fs.Int("cols", 0, "filters per row (default: 6 for up to 12 filters, else 20)")
	limit := fs.Int("filters", 0, "draw only the first N first-layer filters (0: all)")
	digit := digitFlag(fs)
	if err := cli.Parse(fs, args, 0); err != nil {
		return err
	}
	r, l, err := a.loadAny(*ckpt)
	if err != nil {
		return err
	}
	if *digit && *imageFile == "" {
		return cli.Usagef("-digit prepares an -image file: name one")
	}
	if err := r.asDigits(*digit); err != nil {
		return err
	}
	if *out == "" {
		*out = filepath.Dir(*ckpt)
	}
	w := &pngWriter{dir: *out, prefix: a.Name + "-", stdout: stdout}
	if err := a.vizFilters(w, l, *cols, *limit); err != nil {
		return err
	}
	pixels, label, err := r.vizInput(*imageFile, *index, *data, stderr)
	if err != nil {
		return err
	}
	img, err := inputImage(pixels, r.input)
	if err != nil {
		return err
	}
	if err := w.write("input", img, label); err != nil {
		return err
	}
	x, err := r.input.floats(pixels)
	if err != nil {
		return err
	}
	maps, err := featureMaps(l.Model, x)
	if err != nil {
		return err
	}
	if err := writeMaps(w, maps, label); err != nil {
		return err
	}
	return a.vizCurves(w, filepath.Dir(*ckpt), stderr)
}

// vizInput reads the image to show: a file, or a test image of the data.
func (r *run) vizInput(file string, index int, dir string, stderr io.Writer) ([]uint8, string, error) {
	if file != "" {
		px, err := r.input.read(file)
		return px, filepath.Base(file), err
	}
	d, err := r.src.load(&r.input, datasets.FolderOptions{}, dir, stderr)
	if err != nil {
		return nil, "", err
	}
	if index < 0 || index >= d.Test.N {
		return nil, "", cli.Usagef("-index %d: want 0..%d", index, d.Test.N-1)
	}
	return d.Test.Pixels(index), fmt.Sprintf("test image %d (%s)", index, r.input.Classes[d.Test.Label(index)]), nil
}

// digitFlag registers -digit, which prepares image files as MNIST's
// digits were.
func digitFlag(fs *flag.FlagSet) *bool {
	return fs.Bool("digit", false, "prepare image files as MNIST's digits were (ink made white on black, cropped, scaled into 20x20 and centred), for 1x28x28 models of digits trained on folders; models trained on MNIST's IDX files always are")
}

// asDigits makes the run prepare image files as MNIST's digits when asked.
func (r *run) asDigits(digit bool) error {
	if !digit {
		return nil
	}
	if r.input.Channels != 1 || r.input.Rows != datasets.DigitSize || r.input.Cols != datasets.DigitSize {
		return cli.Usagef("-digit: the model takes %dx%dx%d inputs, not MNIST's 1x28x28", r.input.Channels, r.input.Rows, r.input.Cols)
	}
	r.input.Digit = true
	return nil
}

// onnxFlag registers -onnx: an ONNX file to use instead of a checkpoint.
func onnxFlag(fs *flag.FlagSet) *string {
	return fs.String("onnx", "", "an ONNX model to use instead of -ckpt (featlearn's exports, PyTorch's torch.onnx.export of such networks)")
}

// loadEither loads the ONNX file when one is named, else the checkpoint.
func (a *App) loadEither(ckpt, onnxFile, data string) (*run, *loaded, error) {
	if onnxFile != "" {
		return loadONNX(onnxFile, data)
	}
	return a.loadAny(ckpt)
}
