package mnistcli

import (
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/pkg/errors"

	"github.com/featlearn/featlearn/datasets"
	"github.com/featlearn/featlearn/graph"
	"github.com/featlearn/featlearn/models/mnisttrain"
)

// trainFlags holds train's flags beyond the recipe.
type trainFlags struct {
	data, progress string
	trainN         int
}

// train trains the model, validating every epoch, and reports its test
// accuracy and confusion matrix.
func (a *App) train(args []string, stdout, stderr io.Writer) error {
	fs := a.flagSet("train", stderr)
	cfg, tf := a.Defaults, trainFlags{}
	recipeFlags(fs, &cfg)
	fs.StringVar(&cfg.Out, "out", a.defaultOut(), "directory for checkpoint.safetensors and history.json/.csv, written every epoch")
	fs.BoolVar(&cfg.Resume, "resume", false, "continue the run checkpointed in -out (its recipe unless flags say otherwise)")
	fs.IntVar(&cfg.MaxSteps, "max-steps", 0, "stop after this many optimizer steps in all (0: no limit)")
	fs.StringVar(&tf.data, "data", "", "directory of the four MNIST IDX files (default: $FEATLEARN_DATA, then the Go module cache)")
	fs.IntVar(&tf.trainN, "train-n", 0, "train on the first N training images only (0: all 55,000), for quick runs")
	fs.StringVar(&tf.progress, "progress", "auto", "bar (a live progress bar), lines (a line per epoch) or auto (bar on a terminal)")
	getSpec, archNames := a.archFlags(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	spec, err := a.trainSpec(fs, &cfg, &tf, getSpec, archNames, stderr)
	if err != nil {
		return err
	}
	m, err := loadMNIST(tf.data, stderr)
	if err != nil {
		return err
	}
	data, err := mnisttrain.Split(m)
	if err != nil {
		return err
	}
	if tf.trainN > 0 {
		if data.Train, err = data.Train.Slice(0, min(tf.trainN, data.Train.N)); err != nil {
			return err
		}
	}
	start := time.Now()
	res, err := a.fit(spec, cfg, data, tf, stderr)
	if err != nil {
		return err
	}
	return a.report(res, m, time.Since(start), stdout, cfg)
}

// recipeFlags registers the training recipe's flags on fs, with cfg's
// values as defaults.
func recipeFlags(fs *flag.FlagSet, cfg *mnisttrain.Config) {
	fs.IntVar(&cfg.Epochs, "epochs", cfg.Epochs, "epochs to train (with -resume: the total to reach)")
	fs.IntVar(&cfg.Batch, "batch", cfg.Batch, "examples per optimizer step")
	fs.Float64Var(&cfg.LR, "lr", cfg.LR, "learning rate of the first epoch")
	fs.StringVar(&cfg.Optimizer, "optimizer", cfg.Optimizer, "sgd (with -momentum) or adam")
	fs.Float64Var(&cfg.Momentum, "momentum", cfg.Momentum, "SGD momentum")
	fs.Float64Var(&cfg.WeightDecay, "wd", cfg.WeightDecay, "weight decay (L2 on weights, not biases)")
	fs.IntVar(&cfg.DecayEvery, "decay-every", cfg.DecayEvery, "multiply the learning rate by -decay-factor every this many epochs (0: constant rate)")
	fs.Float64Var(&cfg.DecayFactor, "decay-factor", cfg.DecayFactor, "factor of the step learning-rate decay")
	fs.Uint64Var(&cfg.Seed, "seed", cfg.Seed, "seed of the initial weights and of the order of examples")
}

// trainSpec returns the architecture to train. A resumed run takes its
// recipe, architecture and training-set size from the checkpoint, except
// what flags given on the command line say; Train then refuses what cannot
// continue the run.
func (a *App) trainSpec(fs *flag.FlagSet, cfg *mnisttrain.Config, tf *trainFlags, getSpec func() (mnisttrain.Spec, error), archNames map[string]bool, stderr io.Writer) (mnisttrain.Spec, error) {
	spec, err := getSpec()
	if err != nil || !cfg.Resume {
		return spec, err
	}
	path := mnisttrain.CheckpointPath(cfg.Out)
	meta, err := graph.ReadCheckpointMeta(path)
	if err != nil {
		return spec, errors.Wrapf(err, "nothing to resume in %s", cfg.Out)
	}
	saved, err := mnisttrain.RecipeOf(meta)
	if err != nil {
		return spec, err
	}
	fmt.Fprintf(stderr, "resuming from %s: %d epochs done, step %d\n", path, meta.Epoch, meta.Step)
	set, given := setFlags(fs), *cfg
	*cfg = saved
	cfg.Out, cfg.Resume, cfg.MaxSteps = given.Out, true, given.MaxSteps
	overrideRecipe(cfg, given, set)
	if !set["train-n"] {
		tf.trainN = mnisttrain.TrainedOn(meta)
	}
	for n := range archNames {
		if set[n] {
			return spec, nil // Train checks the flags' architecture against the checkpoint's
		}
	}
	return a.SpecFor(meta.Model, meta.Config)
}

// overrideRecipe copies into cfg the recipe fields whose flags were given.
func overrideRecipe(cfg *mnisttrain.Config, given mnisttrain.Config, set map[string]bool) {
	if set["epochs"] {
		cfg.Epochs = given.Epochs
	}
	if set["batch"] {
		cfg.Batch = given.Batch
	}
	if set["lr"] {
		cfg.LR = given.LR
	}
	if set["optimizer"] {
		cfg.Optimizer = given.Optimizer
	}
	if set["momentum"] {
		cfg.Momentum = given.Momentum
	}
	if set["wd"] {
		cfg.WeightDecay = given.WeightDecay
	}
	if set["decay-every"] {
		cfg.DecayEvery = given.DecayEvery
	}
	if set["decay-factor"] {
		cfg.DecayFactor = given.DecayFactor
	}
	if set["seed"] {
		cfg.Seed = given.Seed
	}
}

// fit runs mnisttrain.Train with progress reports and Ctrl-C handling.
func (a *App) fit(spec mnisttrain.Spec, cfg mnisttrain.Config, data mnisttrain.Data, tf trainFlags, stderr io.Writer) (*mnisttrain.Result, error) {
	bar, err := wantBar(tf.progress)
	if err != nil {
		return nil, err
	}
	stop := catchInterrupt()
	defer stop.release()
	p := newProgress(stderr, bar, data.Train.N)
	fmt.Fprintf(stderr, "training %s (%s) on %d images, validating on %d: %d epochs, batch %d, %s lr %g, seed %d\n",
		a.Title, spec.Arch, data.Train.N, data.Val.N, cfg.Epochs, cfg.Batch, cfg.Optimizer, cfg.LR, cfg.Seed)
	hooks := mnisttrain.Hooks{
		OnStep: func(s mnisttrain.Step) error {
			p.step(s)
			if stop.requested() {
				return mnisttrain.ErrStop
			}
			return nil
		},
		OnEpoch: func(e mnisttrain.Epoch) error { p.epoch(e, cfg.Epochs); return nil },
	}
	res, err := mnisttrain.Train(spec, cfg, data, hooks)
	p.clear()
	if err != nil {
		if path := mnisttrain.CheckpointPath(cfg.Out); res != nil && cfg.Out != "" && fileExists(path) {
			err = errors.Wrapf(err, "training stopped; the last good checkpoint stays at %s", path)
		}
		return nil, err
	}
	if res.Interrupted {
		fmt.Fprintf(stderr, "interrupted at step %d; checkpoint saved to %s\ncontinue with: %s train -resume -out %s\n",
			res.Steps, res.Checkpoint, a.Name, cfg.Out)
		return nil, errInterrupted
	}
	return res, nil
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
	return false, usageError{errors.Errorf("-progress %q: want auto, bar or lines", mode)}
}

// interrupt records a Ctrl-C (SIGINT) or SIGTERM for the training loop to
// act on at its next step. A second signal kills the process as usual.
type interrupt struct {
	ch  chan os.Signal
	got atomic.Bool
}

func catchInterrupt() *interrupt {
	in := &interrupt{ch: make(chan os.Signal, 1)}
	signal.Notify(in.ch, os.Interrupt, syscall.SIGTERM)
	go func() {
		if _, ok := <-in.ch; ok {
			in.got.Store(true)
			signal.Stop(in.ch) // the next Ctrl-C takes the default action
		}
	}()
	return in
}

func (in *interrupt) requested() bool { return in.got.Load() }

func (in *interrupt) release() {
	signal.Stop(in.ch)
	close(in.ch)
}

// report evaluates the trained model on the test set and prints its
// accuracy and confusion matrix; it also saves the matrix as a PNG in the
// output directory.
func (a *App) report(res *mnisttrain.Result, m *datasets.MNIST, took time.Duration, stdout io.Writer, cfg mnisttrain.Config) error {
	ev, err := mnisttrain.Evaluate(res.Model, m.Test)
	if err != nil {
		return errors.Wrap(err, "test set")
	}
	epochs := 0
	if n := len(res.History); n > 0 {
		epochs = res.History[n-1].Epoch
	}
	fmt.Fprintf(stdout, "%s: test accuracy %.2f%% after %d epochs (%d steps) in %s\n",
		a.Title, 100*ev.Accuracy, epochs, res.Steps, took.Round(time.Second))
	if n := len(res.History); n > 0 && res.History[n-1].ValN > 0 {
		fmt.Fprintf(stdout, "validation accuracy %.2f%% on %d images\n", 100*res.History[n-1].ValAccuracy, res.History[n-1].ValN)
	}
	fmt.Fprintf(stdout, "\ntest set: %s", ev.Format())
	if cfg.Out == "" {
		return nil
	}
	return writeConfusion(filepath.Join(cfg.Out, "confusion.png"), ev, stdout)
}
