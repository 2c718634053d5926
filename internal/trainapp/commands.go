package trainapp

import (
	"fmt"
	"image"
	"io"
	"math"
	"path/filepath"
	"strings"

	"github.com/pkg/errors"

	"github.com/featlearn/featlearn/datasets"
	"github.com/featlearn/featlearn/graph"
	"github.com/featlearn/featlearn/internal/cli"
	"github.com/featlearn/featlearn/viz"
)

// eval measures a checkpoint on the test (or validation) set.
func (a *App) eval(args []string, stdout, stderr io.Writer) error {
	fs := a.flagSet("eval", stderr)
	ckpt, data := a.ckptFlag(fs), cli.DataFlag(fs)
	which := fs.String("set", "test", "set to measure: test (10,000 images) or val (the last 5,000 training images)")
	png := fs.String("png", "", "confusion matrix PNG to write (default: confusion-SET.png next to the checkpoint; - for none)")
	allowNonFinite := fs.Bool("allow-nonfinite", false, "load a checkpoint whose weights hold NaN or infinities, to examine a diverged model")
	if err := cli.Parse(fs, args, 0); err != nil {
		return err
	}
	if *which != "test" && *which != "val" {
		return cli.Usagef("-set %q: want test or val", *which)
	}
	var opts []graph.LoadOption
	if *allowNonFinite {
		opts = append(opts, graph.AllowNonFinite())
	}
	l, err := a.load(*ckpt, opts...)
	if err != nil {
		return err
	}
	m, err := cli.LoadMNIST(*data, stderr)
	if err != nil {
		return err
	}
	set := m.Test
	if *which == "val" {
		if _, set, err = m.TrainVal(); err != nil {
			return err
		}
	}
	ev, err := graph.Evaluate(l.Model, graph.CrossEntropy{}, graph.ImageData(set), EvalBatch)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s\n%s set: %s", l.describe(), *which, ev.Format())
	path := *png
	if path == "" {
		path = filepath.Join(filepath.Dir(*ckpt), "confusion-"+*which+".png")
	}
	if path == "-" {
		return nil
	}
	return writeConfusion(path, ev, nil, stdout)
}

// predict prints the most probable classes of digit images. A file that
// cannot be read is reported and skipped; the command then fails at the
// end, after every other file.
func (a *App) predict(args []string, stdout, stderr io.Writer) error {
	fs := a.flagSet("predict", stderr)
	ckpt := a.ckptFlag(fs)
	k := fs.Int("k", 3, "number of classes to list")
	if err := cli.Parse(fs, args, -1); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return cli.Usagef("predict: name at least one PNG or JPEG file")
	}
	if *k < 1 {
		return cli.Usagef("-k %d: want at least 1", *k)
	}
	l, err := a.load(*ckpt)
	if err != nil {
		return err
	}
	failed := 0
	for _, path := range fs.Args() {
		if err := predictFile(l.Model, path, *k, stdout); err != nil {
			fmt.Fprintf(stderr, "%s: %v\n", a.Name, err)
			failed++
		}
	}
	if failed > 0 {
		return errors.Errorf("%d of %d images could not be read", failed, fs.NArg())
	}
	return nil
}

// predictFile prints the k most probable classes of one image file.
func predictFile(m *graph.Model, path string, k int, stdout io.Writer) error {
	pixels, err := datasets.ReadDigitFile(path)
	if err != nil {
		return err
	}
	if want := m.InputShape().Size(); len(pixels) != want {
		return errors.Errorf("%s: %d pixels, the model takes %d", path, len(pixels), want)
	}
	probs, err := m.Probabilities(datasets.PixelsToFloat32(pixels, nil))
	if err != nil {
		return errors.Wrap(err, path)
	}
	fmt.Fprintf(stdout, "%s\n", path)
	for i, g := range graph.TopK(probs, k) {
		fmt.Fprintf(stdout, "  %d. %d  %6.2f%%  (p = %.3g)\n", i+1, g.Class, 100*g.Prob, g.Prob)
	}
	return nil
}

// summary prints the architecture and the lecture's parameter arithmetic.
func (a *App) summary(args []string, stdout, stderr io.Writer) error {
	fs := a.flagSet("summary", stderr)
	getSpec, _ := a.archFlags(fs)
	if err := cli.Parse(fs, args, 0); err != nil {
		return err
	}
	spec, err := getSpec()
	if err != nil {
		return err
	}
	m, err := spec.Build(0)
	if err != nil {
		return err
	}
	table, err := graph.FormatSummary(m)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s (%s)\n\n%s\n%s", a.Title, spec.Arch, table, LectureArithmetic())
	return nil
}

// LectureArithmetic works out the slides' parameter counts for a 200x200
// image feeding 40,000 hidden units, connected three ways, with the exact
// numbers next to the slides' rounded ones.
func LectureArithmetic() string {
	const side, hidden, k, filters = 200, 40_000, 10, 100
	pixels := side * side
	rows := []struct {
		name, how string
		weights   int
		slides    string
	}{
		{"fully connected", fmt.Sprintf("%s x %s", comma(pixels), comma(hidden)), pixels * hidden, "~2B"},
		{fmt.Sprintf("locally connected, %dx%d filters", k, k), fmt.Sprintf("%s x %dx%d", comma(hidden), k, k), hidden * k * k, "4M"},
		{fmt.Sprintf("convolutional, %d filters %dx%d", filters, k, k), fmt.Sprintf("%d x %dx%d", filters, k, k), filters * k * k, "10K"},
	}
	var b strings.Builder
	fmt.Fprintf(&b, "the lecture's arithmetic: a %dx%d image (%s pixels) into %s hidden units\n", side, side, comma(pixels), comma(hidden))
	fmt.Fprintf(&b, "  %-34s %15s   %-17s %s\n", "connection", "weights", "computed as", "slides")
	for _, r := range rows {
		fmt.Fprintf(&b, "  %-34s %15s   %-17s %s (%.1e)\n", r.name, comma(r.weights), r.how, r.slides, float64(r.weights))
	}
	fmt.Fprintf(&b, "  (biases would add %s, %s and %d)\n", comma(hidden), comma(hidden), filters)
	return b.String()
}

// comma writes n with thousands separators.
func comma(n int) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// maxVizCols bounds viz -cols, the filters in a row of the picture.
const maxVizCols = 1000

// viz writes the pictures of a checkpoint: its first-layer filters, the
// feature maps of one digit and the training curves. Its flags are checked
// before any work.
func (a *App) viz(args []string, stdout, stderr io.Writer) error {
	fs := a.flagSet("viz", stderr)
	ckpt, data := a.ckptFlag(fs), cli.DataFlag(fs)
	imageFile := fs.String("image", "", "PNG or JPEG of a digit to show the feature maps of (default: a test image, see -index)")
	index := fs.Int("index", 0, "test image to show the feature maps of when -image is not given")
	out := fs.String("out", "", "directory for the PNGs (default: the checkpoint's directory)")
	cols := fs.Int("cols", 0, "filters per row (default: 6 for up to 12 filters, else 20)")
	limit := fs.Int("filters", 0, "draw only the first N first-layer filters (0: all)")
	if err := cli.Parse(fs, args, 0); err != nil {
		return err
	}
	err := cli.First(
		cli.IntIn("index", *index, 0, math.MaxInt32),
		cli.IntIn("cols", *cols, 0, maxVizCols),
		cli.IntIn("filters", *limit, 0, math.MaxInt32),
	)
	if err != nil {
		return err
	}
	l, err := a.load(*ckpt)
	if err != nil {
		return err
	}
	if *out == "" {
		*out = filepath.Dir(*ckpt)
	}
	w := &pngWriter{dir: *out, prefix: a.Name + "-", stdout: stdout}
	if err := a.vizFilters(w, l, *cols, *limit); err != nil {
		return err
	}
	pixels, label, err := vizInput(*imageFile, *index, *data, stderr)
	if err != nil {
		return err
	}
	if err := vizMaps(w, l, pixels, label); err != nil {
		return err
	}
	return a.vizCurves(w, filepath.Dir(*ckpt), stderr)
}

// pngWriter saves pictures under one directory with a common prefix.
type pngWriter struct {
	dir, prefix string
	stdout      io.Writer
}

func (w *pngWriter) write(name string, img image.Image, what string) error {
	path := filepath.Join(w.dir, w.prefix+name+".png")
	if err := viz.WritePNG(path, img); err != nil {
		return err
	}
	b := img.Bounds()
	fmt.Fprintf(w.stdout, "wrote %s (%dx%d): %s\n", path, b.Dx(), b.Dy(), what)
	return nil
}

// vizFilters draws the first layer's filters.
func (a *App) vizFilters(w *pngWriter, l *loaded, cols, limit int) error {
	p := l.Model.Params()[0]
	if cols == 0 {
		cols = 20
		if p.Shape()[0] <= 12 {
			cols = 6
		}
	}
	img, err := Filters(l.Model, cols, limit)
	if err != nil {
		return err
	}
	what := fmt.Sprintf("learned %s filters %v", p.Name, p.Shape())
	if limit > 0 && limit < p.Shape()[0] {
		what += fmt.Sprintf(", the first %d", limit)
	}
	return w.write("filters", img, what)
}

// vizInput reads the digit to show: a user's image file or a test image.
func vizInput(file string, index int, data string, stderr io.Writer) ([]uint8, string, error) {
	if file != "" {
		px, err := datasets.ReadDigitFile(file)
		return px, filepath.Base(file), err
	}
	m, err := cli.LoadMNIST(data, stderr)
	if err != nil {
		return nil, "", err
	}
	if index < 0 || index >= m.Test.N {
		return nil, "", cli.Usagef("-index %d: want 0..%d", index, m.Test.N-1)
	}
	return m.Test.Pixels(index), fmt.Sprintf("test image %d (a %d)", index, m.Test.Label(index)), nil
}

// vizMaps draws the input digit and the feature maps of every convolution.
func vizMaps(w *pngWriter, l *loaded, pixels []uint8, label string) error {
	in, err := Digit(pixels, datasets.DigitSize, datasets.DigitSize, 4)
	if err != nil {
		return err
	}
	if err := w.write("input", in, label); err != nil {
		return err
	}
	maps, err := FeatureMaps(l.Model, pixels)
	if err != nil {
		return err
	}
	return writeMaps(w, maps, label)
}

// writeMaps writes the feature maps of one input.
func writeMaps(w *pngWriter, maps []Picture, label string) error {
	for _, m := range maps {
		if err := w.write("maps-"+m.Name, m.Image, m.Caption+", for "+label); err != nil {
			return err
		}
	}
	if len(maps) == 0 {
		fmt.Fprintln(w.stdout, "no convolution layers: no feature maps")
	}
	return nil
}

// vizCurves draws the training curves from the history next to the
// checkpoint.
func (a *App) vizCurves(w *pngWriter, dir string, stderr io.Writer) error {
	h, err := graph.ReadHistory(dir)
	if err != nil {
		fmt.Fprintf(stderr, "no training curves: %v\n", err)
		return nil
	}
	img, err := Curves(a.Title, h)
	if err != nil {
		return err
	}
	return w.write("curves", img, fmt.Sprintf("loss and accuracy over %d epochs", len(h)))
}
