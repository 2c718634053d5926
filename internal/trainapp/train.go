package trainapp

import (
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/pkg/errors"

	"github.com/featlearn/featlearn/graph"
	"github.com/featlearn/featlearn/internal/atomicfile"
	"github.com/featlearn/featlearn/internal/cli"
	"github.com/featlearn/featlearn/viz"
)

// trainFlags holds train's flags beyond the recipe.
type trainFlags struct {
	data, progress, out string
	trainN, maxSteps    int
	resume              bool
}

// train trains the model, validating every epoch, and reports its test
// accuracy and confusion matrix.
func (a *App) train(args []string, stdout, stderr io.Writer) error {
	fs := a.flagSet("train", stderr)
	r, tf := a.Defaults, trainFlags{}
	RecipeFlags(fs, &r)
	fs.StringVar(&tf.out, "out", a.defaultOut(), "directory for checkpoint.safetensors and history.json/.csv, written every epoch")
	fs.BoolVar(&tf.resume, "resume", false, "continue the run checkpointed in -out (its recipe unless flags say otherwise)")
	fs.IntVar(&tf.maxSteps, "max-steps", 0, "stop after this many optimizer steps in all (0: no limit)")
	data := cli.DataFlag(fs)
	fs.IntVar(&tf.trainN, "train-n", 0, "train on the first N training images only (0: all 55,000), for quick runs")
	fs.StringVar(&tf.progress, "progress", "auto", "bar (a live progress bar), lines (a line per epoch) or auto (bar on a terminal)")
	getSpec, archNames := a.archFlags(fs)
	if err := cli.Parse(fs, args, 0); err != nil {
		return err
	}
	tf.data = *data
	spec, err := a.trainSpec(fs, &r, &tf, getSpec, archNames, stderr)
	if err != nil {
		return err
	}
	if err := checkTrainFlags(r, tf); err != nil {
		return err
	}
	m, err := cli.LoadMNIST(tf.data, stderr)
	if err != nil {
		return err
	}
	train, val, err := m.TrainVal()
	if err != nil {
		return err
	}
	train = train.First(tf.trainN)
	start := time.Now()
	job := fitJob{spec: spec, recipe: r, train: graph.ImageData(train), val: graph.ImageData(val), trainN: train.N, valN: val.N,
		meta: graph.CheckpointMeta{Model: spec.Name, Config: spec.Arch}, tf: tf}
	model, res, err := a.fit(job, stderr)
	if err != nil {
		return err
	}
	return a.report(model, res, graph.ImageData(m.Test), nil, time.Since(start), stdout, tf.out)
}

// fitJob is one training run: the model, the recipe, the data and what
// the checkpoint records.
type fitJob struct {
	spec          Spec
	recipe        graph.Recipe
	train, val    graph.Dataset
	trainN, valN  int
	meta          graph.CheckpointMeta
	tf            trainFlags
	augmentations string // described in the first line, "" for none
}

// checkTrainFlags refuses, before any work, flags that cannot work, naming
// the flag.
func checkTrainFlags(r graph.Recipe, tf trainFlags) error {
	if err := CheckRecipe(r); err != nil {
		return err
	}
	switch {
	case tf.trainN < 0:
		return cli.Usagef("-train-n %d: want >= 0 (0: all)", tf.trainN)
	case tf.maxSteps < 0:
		return cli.Usagef("-max-steps %d: want >= 0 (0: no limit)", tf.maxSteps)
	case tf.out == "":
		return cli.Usagef("-out is empty: name a directory")
	}
	_, err := wantBar(tf.progress)
	return err
}

// trainSpec returns the architecture to train. A resumed run takes its
// recipe, architecture and training-set size from the checkpoint, except
// what flags given on the command line say; Fit then refuses what cannot
// continue the run.
func (a *App) trainSpec(fs *flag.FlagSet, r *graph.Recipe, tf *trainFlags, getSpec func() (Spec, error), archNames map[string]bool, stderr io.Writer) (Spec, error) {
	spec, err := getSpec()
	if err != nil {
		return spec, cli.UsageError{Err: err}
	}
	if !tf.resume {
		return spec, nil
	}
	path := graph.CheckpointPath(tf.out)
	meta, err := graph.ReadCheckpointMeta(path)
	if err != nil {
		if _, serr := os.Stat(path); os.IsNotExist(serr) {
			return spec, errors.Errorf("nothing to resume in %s: no %s there (train without -resume to start)", tf.out, graph.CheckpointFile)
		}
		return spec, errors.Wrap(err, "cannot resume")
	}
	saved, err := graph.RecipeOf(meta)
	if err != nil {
		return spec, errors.Wrap(err, path)
	}
	fmt.Fprintf(stderr, "resuming from %s: %d epochs done, step %d\n", path, meta.Epoch, meta.Step)
	set, given := cli.SetFlags(fs), *r
	*r = saved
	overrideRecipe(r, given, set)
	if !set["train-n"] {
		tf.trainN = meta.TrainExamples()
	}
	for n := range archNames {
		if set[n] {
			return spec, nil // Fit checks the flags' architecture against the checkpoint's
		}
	}
	return a.specFor(meta.Model, meta.Config)
}

// fit trains with progress reports and Ctrl-C handling.
func (a *App) fit(j fitJob, stderr io.Writer) (*graph.Model, *graph.FitResult, error) {
	r, tf := j.recipe, j.tf
	bar, _ := wantBar(tf.progress) // checked by checkTrainFlags
	model, err := j.spec.Build(r.Seed)
	if err != nil {
		return nil, nil, err
	}
	stop := cli.CatchInterrupt()
	defer stop.Release()
	p := newProgress(stderr, bar, j.trainN)
	fmt.Fprintf(stderr, "training %s (%s) on %d images, validating on %d: %d epochs, batch %d, %s lr %g, seed %d%s\n",
		a.Title, j.spec.Arch, j.trainN, j.valN, r.Epochs, r.Batch, r.Optimizer, r.LR, r.Seed, j.augmentations)
	cfg := graph.FitConfig{
		Dir: tf.out, Resume: tf.resume, MaxSteps: tf.maxSteps, Meta: j.meta,
		OnStep: func(s graph.StepInfo) error {
			p.step(s)
			if stop.Requested() {
				return graph.ErrStop
			}
			return nil
		},
		OnEpoch: func(e graph.EpochInfo) error { p.epoch(e, r.Epochs); return nil },
	}
	if j.valN > 0 {
		cfg.Val = j.val
	}
	res, err := r.Fit(model, graph.CrossEntropy{}, j.train, cfg)
	p.clear()
	if err != nil {
		if path := graph.CheckpointPath(tf.out); res != nil && fileExists(path) {
			err = errors.Wrapf(err, "training stopped; the last good checkpoint stays at %s", path)
		}
		return nil, nil, err
	}
	if res.Interrupted {
		fmt.Fprintf(stderr, "interrupted at step %d; checkpoint saved to %s\ncontinue with: %s train -resume -out %s\n",
			res.Steps, res.Checkpoint, a.Name, tf.out)
		return nil, nil, cli.ErrInterrupted
	}
	return model, res, nil
}

// fileExists says whether path names an existing file.
func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// wantBar decides between a progress bar and a line per epoch.
func wantBar(mode string) (bool, error) {
	switch mode {
	case "bar":
		return true, nil
	case "lines":
		return false, nil
	case "auto":
		fi, err := os.Stderr.Stat()
		return err == nil && fi.Mode()&os.ModeCharDevice != 0, nil
	}
	return false, cli.Usagef("-progress %q: want auto, bar or lines", mode)
}

// EvalBatch is the batch size of test passes.
const EvalBatch = 500

// report evaluates the trained model on the test set and prints its
// accuracy and confusion matrix, with the classes' names when they are
// not MNIST's digits; it also saves the matrix as a PNG in the output
// directory.
func (a *App) report(model *graph.Model, res *graph.FitResult, test graph.Dataset, names []string, took time.Duration, stdout io.Writer, out string) error {
	ev, err := graph.Evaluate(model, graph.CrossEntropy{}, test, EvalBatch)
	if err != nil {
		return errors.Wrap(err, "test set")
	}
	last := res.Last()
	fmt.Fprintf(stdout, "%s: test accuracy %.2f%% after %d epochs (%d steps) in %s\n",
		a.Title, 100*ev.Accuracy, last.Epoch, res.Steps, took.Round(time.Second))
	if res.EarlyStopped {
		fmt.Fprintf(stdout, "stopped early; weights of the best epoch, %d\n", res.BestEpoch)
	}
	if last.ValN > 0 {
		fmt.Fprintf(stdout, "validation accuracy %.2f%% on %d images\n", 100*last.ValAccuracy, last.ValN)
	}
	fmt.Fprintf(stdout, "\ntest set: %s", formatMetrics(ev, names))
	return writeConfusion(filepath.Join(out, "confusion.png"), ev, names, stdout)
}

// writeConfusion draws an evaluation's confusion matrix into a PNG. A run
// killed while writing it leaves a temporary file beside it, which the
// next report removes: only the run that owns the directory writes there.
func writeConfusion(path string, ev graph.Metrics, names []string, stdout io.Writer) error {
	img, err := confusionImage(ev, names)
	if err != nil {
		return err
	}
	if _, err := atomicfile.RemoveStale(filepath.Dir(path), filepath.Base(path)); err != nil {
		return err
	}
	if err := viz.WritePNG(path, img); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "\nwrote %s\n", path)
	return nil
}
