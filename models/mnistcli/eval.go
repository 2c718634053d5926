package mnistcli

import (
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/pkg/errors"

	"github.com/featlearn/featlearn/datasets"
	"github.com/featlearn/featlearn/graph"
	"github.com/featlearn/featlearn/models/mnisttrain"
	"github.com/featlearn/featlearn/viz"
)

// loaded is a model read from a checkpoint.
type loaded struct {
	Model *graph.Model
	Meta  graph.CheckpointMeta
	Path  string
}

// describe says what the checkpoint holds, for the first line of output.
func (l *loaded) describe() string {
	return fmt.Sprintf("%s: %s %s, %d epochs, %d steps, seed %d", l.Path, l.Meta.Model, l.Meta.Config, l.Meta.Epoch, l.Meta.Step, l.Meta.Seed)
}

// eval measures a checkpoint on the test (or validation) set.
func (a *App) eval(args []string, stdout, stderr io.Writer) error {
	fs := a.flagSet("eval", stderr)
	ckpt, data := a.ckptFlag(fs), dataFlag(fs)
	which := fs.String("set", "test", "set to measure: test (10,000 images) or val (the last 5,000 training images)")
	png := fs.String("png", "", "confusion matrix PNG to write (default: confusion-SET.png next to the checkpoint; - for none)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *which != "test" && *which != "val" {
		return usageError{errors.Errorf("-set %q: want test or val", *which)}
	}
	l, err := a.load(*ckpt)
	if err != nil {
		return err
	}
	m, err := loadMNIST(*data, stderr)
	if err != nil {
		return err
	}
	set := m.Test
	if *which == "val" {
		if _, set, err = m.TrainVal(); err != nil {
			return err
		}
	}
	ev, err := mnisttrain.Evaluate(l.Model, set)
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
	return writeConfusion(path, ev, stdout)
}

// writeConfusion draws an evaluation's confusion matrix into a PNG.
func writeConfusion(path string, ev *mnisttrain.Evaluation, stdout io.Writer) error {
	img, err := ev.ConfusionImage()
	if err != nil {
		return err
	}
	if err := viz.WritePNG(path, img); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "\nwrote %s\n", path)
	return nil
}

// predict prints the most probable classes of digit images.
func (a *App) predict(args []string, stdout, stderr io.Writer) error {
	fs := a.flagSet("predict", stderr)
	ckpt := a.ckptFlag(fs)
	k := fs.Int("k", 3, "number of classes to list")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return usageError{errors.New("predict: name at least one PNG or JPEG file")}
	}
	if *k < 1 {
		return usageError{errors.Errorf("-k %d: want at least 1", *k)}
	}
	l, err := a.load(*ckpt)
	if err != nil {
		return err
	}
	for _, path := range fs.Args() {
		pixels, err := datasets.ReadDigitFile(path)
		if err != nil {
			return err
		}
		probs, err := mnisttrain.Probabilities(l.Model, pixels)
		if err != nil {
			return errors.Wrap(err, path)
		}
		fmt.Fprintf(stdout, "%s\n", path)
		for i, g := range mnisttrain.TopK(probs, *k) {
			fmt.Fprintf(stdout, "  %d. %d  %6.2f%%  (p = %.3g)\n", i+1, g.Class, 100*g.Prob, g.Prob)
		}
	}
	return nil
}

// summary prints the architecture and the lecture's parameter arithmetic.
func (a *App) summary(args []string, stdout, stderr io.Writer) error {
	fs := a.flagSet("summary", stderr)
	getSpec, _ := a.archFlags(fs)
	if err := parse(fs, args); err != nil {
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
