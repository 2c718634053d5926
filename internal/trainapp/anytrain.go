package trainapp

import (
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"time"

	"github.com/pkg/errors"

	"github.com/featlearn/featlearn/datasets"
	"github.com/featlearn/featlearn/graph"
	"github.com/featlearn/featlearn/graph/arch"
	"github.com/featlearn/featlearn/internal/cli"
)

// DefaultSpec is featlearn's default network: LeNet-5, its output layer
// given one unit per class. On MNIST it is lenet's Arch exactly.
const DefaultSpec = "conv6@5x5pad2-relu-pool2-conv16@5x5-relu-pool2-fc120-relu-fc84-relu-fc"

// ModelName names featlearn's models in checkpoints.
const ModelName = "featlearn"

// run is what a featlearn checkpoint says about its model and data.
type run struct {
	meta  graph.CheckpointMeta
	spec  string
	input Input
	src   Source
	aug   graph.Augment
	path  string
}

// readRun reads what a checkpoint records: featlearn's own, or LeNet-5's
// (whose architecture string is a SPEC) as trained on MNIST by lenet.
func readRun(path string) (*run, error) {
	meta, err := graph.ReadCheckpointMeta(path)
	if err != nil {
		return nil, err
	}
	r := &run{meta: meta, spec: meta.Config, path: path}
	switch meta.Model {
	case ModelName:
		for key, v := range map[string]any{keyInput: &r.input, keySource: &r.src, keyAugment: &r.aug} {
			if err := fromExtra(meta, key, v); err != nil {
				return nil, errors.Wrap(err, path)
			}
		}
		if err := r.input.check(); err != nil {
			return nil, errors.Wrap(err, path)
		}
	case "lenet":
		r.input = mnistInput()
		r.src = Source{Format: datasets.FormatIDX, Val: datasets.ValidationSize, ValSplit: valLast}
	default:
		return nil, errors.Errorf("%s holds a %s model: featlearn reads its own checkpoints and LeNet-5's", path, meta.Model)
	}
	return r, nil
}

// specFor returns the Spec of a SPEC for an input, checked against the
// limits.
func specFor(spec string, in Input, lim arch.Limits) (Spec, arch.Info, error) {
	a, err := arch.Parse(spec)
	if err != nil {
		return Spec{}, arch.Info{}, err
	}
	a = a.WithClasses(len(in.Classes))
	info, err := a.Check(in.Shape(), len(in.Classes), lim)
	if err != nil {
		return Spec{}, info, err
	}
	shape, k := in.Shape(), len(in.Classes)
	build := func(seed uint64) (*graph.Model, error) { return a.Build(ModelName, shape, k, seed, lim) }
	return Spec{Name: ModelName, Arch: a.String(), Build: build}, info, nil
}

// specError turns a SPEC's mistake into a usage error naming the flag.
func specError(err error) error {
	var le *arch.LimitError
	if errors.As(err, &le) && le.Limit == arch.LimitParams {
		return cli.Usagef("-arch: %v (raise -max-params to allow more)", err)
	}
	return cli.Usagef("-arch: %v", err)
}

// runFlags are the flags a resumed run cannot change: they fix the data
// and the network of the checkpoint.
var runFlags = []string{"arch", "size", "channels", "resize", "norm", "val", "val-split", "test-split", "split-seed", "shift", "rotate", "scale", "shear", "flip"}

// trainAny is featlearn's train: any data, any SPEC.
func (a *App) trainAny(args []string, stdout, stderr io.Writer) error {
	fs := a.flagSet("train", stderr)
	r, tf := a.Defaults, trainFlags{}
	RecipeFlags(fs, &r)
	a.runFlags(fs, &tf)
	sf := addSourceFlags(fs)
	aug := augmentFlags(fs)
	specText := fs.String("arch", DefaultSpec, "the network, a SPEC such as conv6@5x5pad2-relu-pool2-fc10 (see docs/your-data.md; a bare fc last has one unit per class)")
	maxParams := fs.Int("max-params", arch.DefaultLimits.MaxParams, "refuse a network of more parameters, before allocating anything")
	if err := cli.Parse(fs, args, 0); err != nil {
		return err
	}
	var saved *run
	if tf.resume {
		var err error
		if saved, err = a.resumeAny(fs, &r, &tf, stderr); err != nil {
			return err
		}
		*specText, *aug = saved.spec, saved.aug
	}
	if err := checkTrainFlags(r, tf); err != nil {
		return err
	}
	if err := sf.check(); err != nil {
		return err
	}
	if err := aug.Check(); err != nil {
		return cli.UsageError{Err: err}
	}
	if *maxParams < 1 {
		return cli.Usagef("-max-params %d: want at least 1", *maxParams)
	}
	if _, err := arch.Parse(*specText); err != nil {
		return specError(err) // before the data is read
	}
	lim := arch.DefaultLimits
	lim.MaxParams = *maxParams
	job, test, in, err := a.anyJob(sf, saved, *specText, *aug, lim, r, tf, stderr)
	if err != nil {
		return err
	}
	start := time.Now()
	model, res, err := a.fit(job, stderr)
	if err != nil {
		return err
	}
	testData, err := in.dataset(test, graph.Augment{}, 0)
	if err != nil {
		return err
	}
	return a.report(model, res, testData, in.names(), time.Since(start), stdout, tf.out)
}

// runFlags registers train's flags beyond the recipe and the data.
func (a *App) runFlags(fs *flag.FlagSet, tf *trainFlags) {
	fs.StringVar(&tf.out, "out", a.defaultOut(), "directory for checkpoint.safetensors and history.json/.csv, written every epoch")
	fs.BoolVar(&tf.resume, "resume", false, "continue the run checkpointed in -out (its recipe unless flags say otherwise)")
	fs.IntVar(&tf.maxSteps, "max-steps", 0, "stop after this many optimizer steps in all (0: no limit)")
	fs.IntVar(&tf.trainN, "train-n", 0, "train on the first N training images only (0: all), for quick runs")
	fs.StringVar(&tf.progress, "progress", "auto", "bar (a live progress bar), lines (a line per epoch) or auto (bar on a terminal)")
}

// resumeAny reads the run to continue: its recipe, except what flags say,
// and its data and network, which flags may not change.
func (a *App) resumeAny(fs *flag.FlagSet, r *graph.Recipe, tf *trainFlags, stderr io.Writer) (*run, error) {
	set := cli.SetFlags(fs)
	for _, name := range runFlags {
		if set[name] {
			return nil, cli.Usagef("-%s: a resumed run keeps the data and network of its checkpoint; leave -%s out", name, name)
		}
	}
	path := graph.CheckpointPath(tf.out)
	saved, err := readRun(path)
	if err != nil {
		return nil, errors.Wrapf(err, "nothing to resume in %s", tf.out)
	}
	if saved.meta.Model != ModelName {
		return nil, errors.Errorf("%s was written by %s: resume it with %s train -resume", path, saved.meta.Model, saved.meta.Model)
	}
	recipe, err := graph.RecipeOf(saved.meta)
	if err != nil {
		return nil, errors.Wrap(err, path)
	}
	fmt.Fprintf(stderr, "resuming from %s: %d epochs done, step %d\n", path, saved.meta.Epoch, saved.meta.Step)
	given := *r
	*r = recipe
	overrideRecipe(r, given, set)
	if !set["train-n"] {
		tf.trainN = saved.meta.TrainExamples()
	}
	return saved, nil
}

// anyJob reads the data and makes the training job: the sets, the input
// (normalisation measured on the training examples), the network checked
// against the limits, and the checkpoint's records. It returns the test
// set too.
func (a *App) anyJob(sf *sourceFlags, saved *run, spec string, aug graph.Augment, lim arch.Limits,
	r graph.Recipe, tf trainFlags, stderr io.Writer) (fitJob, *datasets.Set, Input, error) {
	var d *datasets.Data
	var src Source
	var err error
	if saved != nil {
		src = saved.src
		src.SkipBad = src.SkipBad || sf.skipBad
		if sf.dir != "" { // the data moved
			if src.Dir, err = filepath.Abs(sf.dir); err != nil {
				return fitJob{}, nil, Input{}, errors.WithStack(err)
			}
		}
		if d, err = src.load(&saved.input, datasets.FolderOptions{}, "", stderr); err != nil {
			return fitJob{}, nil, Input{}, err
		}
	} else {
		rows, cols, _ := sizeFlag(sf.size)       // checked
		channels, _ := channelsFlag(sf.channels) // checked
		geometry := datasets.FolderOptions{Rows: rows, Cols: cols, Channels: channels, Resize: sf.resize}
		src = Source{Dir: sf.dir, TestSplit: sf.testSplit, SplitSeed: sf.splitSeed, SkipBad: sf.skipBad}
		if d, err = src.load(nil, geometry, "", stderr); err != nil {
			return fitJob{}, nil, Input{}, err
		}
		if src, err = sf.source(d.Format, sf.dir, d.Train.N); err != nil {
			return fitJob{}, nil, Input{}, err
		}
	}
	train, val, err := src.split(d.Train)
	if err != nil {
		return fitJob{}, nil, Input{}, err
	}
	if tf.trainN > train.N {
		return fitJob{}, nil, Input{}, cli.Usagef("-train-n %d: the data has %d training examples", tf.trainN, train.N)
	}
	train = train.First(tf.trainN)
	in := sf.input(d, train)
	if saved != nil {
		in = saved.input
	}
	s, info, err := specFor(spec, in, lim)
	if err != nil {
		return fitJob{}, nil, Input{}, specError(err)
	}
	fmt.Fprintf(stderr, "network: %s, %d parameters, on %dx%dx%d inputs, %d classes\n", s.Arch, info.Params, in.Channels, in.Rows, in.Cols, len(in.Classes))
	if in.Mean != nil {
		fmt.Fprintf(stderr, "inputs normalised by the training set's channel means %.4f and deviations %.4f\n", in.Mean, in.Std)
	} else if in.TrainMean != nil {
		fmt.Fprintf(stderr, "inputs are pixel/255; the training set's channel means %.4f and deviations %.4f are recorded (-norm meanstd applies them)\n", in.TrainMean, in.TrainStd)
	}
	trainData, err := in.dataset(train, aug, r.Seed)
	if err != nil {
		return fitJob{}, nil, Input{}, err
	}
	valData, err := in.dataset(val, graph.Augment{}, 0)
	if err != nil {
		return fitJob{}, nil, Input{}, err
	}
	job := fitJob{spec: s, recipe: r, train: trainData, val: valData, trainN: train.N, valN: val.N, tf: tf,
		meta: graph.CheckpointMeta{Model: ModelName, Config: s.Arch, Extra: map[string]string{
			keyInput: extraJSON(in), keySource: extraJSON(src), keyAugment: extraJSON(aug)}}}
	if !aug.IsZero() {
		job.augmentations = ", distorted: " + aug.String()
	}
	return job, d.Test, in, nil
}
