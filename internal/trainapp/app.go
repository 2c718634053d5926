// Package trainapp is the command line shared by featlearn's image
// classifier binaries (cmd/lenet, cmd/mlp, cmd/resnet, cmd/featlearn):
// the subcommands train, eval, predict, summary and viz, each with its
// own flags and -h text. A binary describes its model in an App and hands
// its arguments to Main; training itself is graph.Recipe.Fit, the one
// training loop. An App with AnyData set is cmd/featlearn's: any data,
// any network written as a SPEC.
//
// Progress goes to stderr and results to stdout; only Main's caller exits.
package trainapp

import (
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/pkg/errors"

	"github.com/featlearn/featlearn/graph"
	"github.com/featlearn/featlearn/internal/cli"
	"github.com/featlearn/featlearn/internal/lab"
)

// Spec names a model and builds it.
type Spec struct {
	// Name is the model family, such as "lenet"; checkpoints record it.
	Name string
	// Arch describes the architecture, such as "784-300-100-10 relu"; a
	// checkpoint only loads into a model of the same Name and Arch.
	Arch string
	// Build returns the model with initial weights drawn from seed.
	Build func(seed uint64) (*graph.Model, error)
	// Check, when set, checks a checkpoint's tensors against the
	// architecture before Build allocates the model (see
	// graph.CheckLayout), so that a small damaged or hostile file cannot
	// make eval or predict allocate a huge one.
	Check func(meta graph.CheckpointMeta) error
}

// App describes one model binary.
type App struct {
	// Name is the binary's and the model's name, such as "lenet".
	Name string
	// Title names the model in messages, such as "LeNet-5".
	Title string
	// Defaults is the training recipe of `train`.
	Defaults graph.Recipe
	// ArchFlags, when set, registers flags that choose the architecture
	// and returns a function that gives the Spec once they are parsed.
	// Without it the App has one architecture, Spec.
	ArchFlags func(fs *flag.FlagSet) func() (Spec, error)
	// Spec is the architecture of an App without ArchFlags.
	Spec Spec
	// SpecFor rebuilds the Spec of a checkpoint's model name and
	// architecture, refusing other models. Nil accepts Spec only.
	SpecFor func(name, arch string) (Spec, error)
	// AnyData makes the App featlearn's: -data reads MNIST's IDX files,
	// CIFAR-10's binary batches or a folder of images, -arch takes any
	// SPEC (package graph/arch), images may be colour, inputs are
	// normalised and training images distorted as flags say, and
	// checkpoints record the network, the classes, the input and the
	// data, so eval and predict need nothing else. Spec, ArchFlags and
	// SpecFor are not used.
	AnyData bool
}

// Main runs the subcommand args[0] and returns the exit status.
func Main(app *App, args []string, stdout, stderr io.Writer) int {
	return cli.Exit(app.Name, app.run(args, stdout, stderr), stderr)
}

// command documents one subcommand.
type command struct{ name, args, doc string }

var commands = []command{
	{"train", "[flags]", "train on MNIST, validate every epoch, checkpoint, report test accuracy"},
	{"eval", "[flags]", "accuracy, per-class accuracy and confusion matrix of a checkpoint"},
	{"predict", "[flags] IMAGE...", "top classes of digits in PNG or JPEG files"},
	{"summary", "[flags]", "layers, output shapes, parameter counts; the lecture's parameter arithmetic"},
	{"viz", "[flags]", "pictures: learned filters, feature maps, training curves"},
	exportCommand,
}

// anyCommands documents featlearn's subcommands.
var anyCommands = []command{
	{"train", "[flags]", "train a network (-arch) on MNIST, CIFAR-10 or a folder of images (-data), checkpoint, report test accuracy"},
	{"eval", "[flags]", "accuracy, per-class accuracy and confusion matrix of a checkpoint on its test set"},
	{"predict", "[flags] IMAGE...", "top classes of PNG, JPEG or GIF images"},
	{"summary", "[flags]", "layers, output shapes and parameter counts of a SPEC or a checkpoint"},
	{"viz", "[flags]", "pictures: learned filters (in colour for RGB), feature maps, training curves"},
	{"export", "[flags]", "write a checkpoint as an ONNX model, for ONNX Runtime and other ONNX tools"},
	{"serve", "[flags]", "the lab: a web page to draw digits, see every layer, train live, step the templates, edit the XOR neurons"},
	{"export-data", "[flags] FOLDER", "write a data set as a folder of images, the layout train -data reads"},
}

// commandList returns the App's subcommands.
func (a *App) commandList() []command {
	if a.AnyData {
		return anyCommands
	}
	return commands
}

// handler returns the function of a subcommand, nil for none.
func (a *App) handler(name string) func([]string, io.Writer, io.Writer) error {
	if a.AnyData {
		switch name {
		case "train":
			return a.trainAny
		case "eval":
			return a.evalAny
		case "predict":
			return a.predictAny
		case "summary":
			return a.summaryAny
		case "viz":
			return a.vizAny
		case "export":
			return a.exportAny
		case "serve":
			return func(args []string, _, stderr io.Writer) error { return lab.Command(args, stderr) }
		case "export-data":
			return a.exportData
		}
		return nil
	}
	switch name {
	case "train":
		return a.train
	case "eval":
		return a.eval
	case "predict":
		return a.predict
	case "summary":
		return a.summary
	case "viz":
		return a.viz
	case "export":
		return a.export
	}
	return nil
}

func (a *App) run(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "-help" || args[0] == "--help" || args[0] == "help" {
		a.usage(stderr)
		if len(args) == 0 {
			return cli.Usagef("no command")
		}
		return flag.ErrHelp
	}
	if h := a.handler(args[0]); h != nil {
		return h(args[1:], stdout, stderr)
	}
	a.usage(stderr)
	return cli.Usagef("unknown command %q", args[0])
}

// usage lists the subcommands.
func (a *App) usage(w io.Writer) {
	if a.AnyData {
		fmt.Fprintf(w, "%s trains and inspects any network on MNIST, CIFAR-10 or your own folder of images.\n\nusage:\n", a.Name)
	} else {
		fmt.Fprintf(w, "%s trains and inspects %s on MNIST.\n\nusage:\n", a.Name, a.Title)
	}
	for _, c := range a.commandList() {
		fmt.Fprintf(w, "  %s %-8s %-16s %s\n", a.Name, c.name, c.args, c.doc)
	}
	fmt.Fprintf(w, "\nRun %s COMMAND -h for a command's flags and their defaults.\n", a.Name)
}

// flagSet returns a subcommand's flag set whose -h text describes it.
func (a *App) flagSet(name string, stderr io.Writer) *flag.FlagSet {
	var c command
	for _, c = range a.commandList() {
		if c.name == name {
			break
		}
	}
	return cli.NewFlagSet(a.Name+" "+name, c.args, c.name+": "+c.doc+".", stderr)
}

// archFlags registers the architecture flags and returns the Spec getter
// and the names of those flags.
func (a *App) archFlags(fs *flag.FlagSet) (func() (Spec, error), map[string]bool) {
	if a.ArchFlags == nil {
		return func() (Spec, error) { return a.Spec, nil }, nil
	}
	before := flagNames(fs)
	get := a.ArchFlags(fs)
	own := map[string]bool{}
	for n := range flagNames(fs) {
		if !before[n] {
			own[n] = true
		}
	}
	return get, own
}

// flagNames returns the names of the flags defined so far.
func flagNames(fs *flag.FlagSet) map[string]bool {
	names := map[string]bool{}
	fs.VisitAll(func(f *flag.Flag) { names[f.Name] = true })
	return names
}

// specFor rebuilds the Spec of a checkpoint's model.
func (a *App) specFor(name, arch string) (Spec, error) {
	if a.SpecFor != nil {
		return a.SpecFor(name, arch)
	}
	if name != a.Spec.Name || arch != a.Spec.Arch {
		return Spec{}, errors.Errorf("checkpoint holds %s %q, not %s %q", name, arch, a.Spec.Name, a.Spec.Arch)
	}
	return a.Spec, nil
}

// ckptFlag registers -ckpt with the App's default checkpoint path.
func (a *App) ckptFlag(fs *flag.FlagSet) *string {
	return fs.String("ckpt", graph.CheckpointPath(a.defaultOut()), "checkpoint written by train")
}

// defaultOut is where train writes by default.
func (a *App) defaultOut() string { return filepath.Join("out", a.Name) }

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

// load reads a checkpoint into a model of the App's family; opts are
// graph.LoadModel's.
func (a *App) load(path string, opts ...graph.LoadOption) (*loaded, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, errors.Errorf("no checkpoint at %s: train one first (%s train) or give -ckpt", path, a.Name)
	}
	m, meta, err := graph.LoadModel(path, func(meta graph.CheckpointMeta) (*graph.Model, error) {
		spec, err := a.specFor(meta.Model, meta.Config)
		if err != nil {
			return nil, err
		}
		if spec.Check != nil {
			if err := spec.Check(meta); err != nil {
				return nil, err
			}
		}
		return spec.Build(meta.ModelSeed)
	}, opts...)
	if err != nil {
		return nil, err
	}
	return &loaded{Model: m, Meta: meta, Path: path}, nil
}
