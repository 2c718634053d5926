// Package mnistcli is the command line shared by featlearn's MNIST model
// binaries (cmd/lenet, cmd/mlp): the subcommands train, eval, predict,
// summary and viz, each with its own flags and -h text. A binary describes
// its model in an App and hands its arguments to Main.
//
// Progress goes to stderr and results to stdout; only Main's caller exits.
package mnistcli

import (
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/pkg/errors"

	"github.com/featlearn/featlearn/datasets"
	"github.com/featlearn/featlearn/models/mnisttrain"
)

// App describes one model binary.
type App struct {
	// Name is the binary's and the model's name, such as "lenet".
	Name string
	// Title names the model in messages, such as "LeNet-5".
	Title string
	// Defaults is the training recipe of `train`.
	Defaults mnisttrain.Config
	// ArchFlags, when set, registers flags that choose the architecture
	// and returns a function that gives the Spec once they are parsed.
	// Without it the App has one architecture, Spec.
	ArchFlags func(fs *flag.FlagSet) func() (mnisttrain.Spec, error)
	// Spec is the architecture of an App without ArchFlags.
	Spec mnisttrain.Spec
	// SpecFor rebuilds the Spec of a checkpoint's model name and
	// architecture, refusing other models.
	SpecFor func(name, arch string) (mnisttrain.Spec, error)
}

// Exit statuses of Main.
const (
	ExitOK          = 0
	ExitError       = 1
	ExitUsage       = 2
	ExitInterrupted = 130 // as a shell reports a command killed by SIGINT
)

// errInterrupted reports a training run stopped by a signal after saving
// its checkpoint.
var errInterrupted = errors.New("interrupted")

// usageError marks a mistake in the command line.
type usageError struct{ error }

// Main runs the subcommand args[0] and returns the exit status.
func Main(app *App, args []string, stdout, stderr io.Writer) int {
	err := app.run(args, stdout, stderr)
	var ue usageError
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return ExitOK
	case errors.Is(err, errInterrupted):
		return ExitInterrupted
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "%s: %v\n", app.Name, err)
		return ExitUsage
	}
	fmt.Fprintf(stderr, "%s: %v\n", app.Name, err)
	return ExitError
}

// command documents one subcommand.
type command struct{ name, args, doc string }

var commands = []command{
	{"train", "[flags]", "train on MNIST, validate every epoch, checkpoint, report test accuracy"},
	{"eval", "[flags]", "accuracy, per-class accuracy and confusion matrix of a checkpoint"},
	{"predict", "[flags] IMAGE...", "top classes of digits in PNG or JPEG files"},
	{"summary", "[flags]", "layers, output shapes, parameter counts; the lecture's parameter arithmetic"},
	{"viz", "[flags]", "pictures: learned filters, feature maps, training curves"},
}

// handler returns the function of a subcommand, nil for none.
func (a *App) handler(name string) func([]string, io.Writer, io.Writer) error {
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
	}
	return nil
}

func (a *App) run(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "-help" || args[0] == "--help" || args[0] == "help" {
		a.usage(stderr)
		if len(args) == 0 {
			return usageError{errors.New("no command")}
		}
		return flag.ErrHelp
	}
	if h := a.handler(args[0]); h != nil {
		return h(args[1:], stdout, stderr)
	}
	a.usage(stderr)
	return usageError{errors.Errorf("unknown command %q", args[0])}
}

// usage lists the subcommands.
func (a *App) usage(w io.Writer) {
	fmt.Fprintf(w, "%s trains and inspects %s on MNIST.\n\nusage:\n", a.Name, a.Title)
	for _, c := range commands {
		fmt.Fprintf(w, "  %s %-8s %-16s %s\n", a.Name, c.name, c.args, c.doc)
	}
	fmt.Fprintf(w, "\nRun %s COMMAND -h for a command's flags and their defaults.\n", a.Name)
}

// flagSet returns a subcommand's flag set whose -h text describes it.
func (a *App) flagSet(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(a.Name+" "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	var c command
	for _, c = range commands {
		if c.name == name {
			break
		}
	}
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: %s %s %s\n\n%s: %s.\n\nflags:\n", a.Name, c.name, c.args, c.name, c.doc)
		fs.PrintDefaults()
	}
	return fs
}

// parse parses a subcommand's flags, turning a bad flag into a usage error.
func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usageError{err}
	}
	return nil
}

// setFlags returns the names of the flags given on the command line.
func setFlags(fs *flag.FlagSet) map[string]bool {
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	return set
}

// flagNames returns the names of the flags defined so far.
func flagNames(fs *flag.FlagSet) map[string]bool {
	names := map[string]bool{}
	fs.VisitAll(func(f *flag.Flag) { names[f.Name] = true })
	return names
}

// archFlags registers the architecture flags and returns the Spec getter
// and the names of those flags.
func (a *App) archFlags(fs *flag.FlagSet) (func() (mnisttrain.Spec, error), map[string]bool) {
	if a.ArchFlags == nil {
		return func() (mnisttrain.Spec, error) { return a.Spec, nil }, nil
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

// dataFlag registers -data.
func dataFlag(fs *flag.FlagSet) *string {
	return fs.String("data", "", "directory of the four MNIST IDX files (default: $FEATLEARN_DATA, then the Go module cache)")
}

// ckptFlag registers -ckpt with the App's default checkpoint path.
func (a *App) ckptFlag(fs *flag.FlagSet) *string {
	return fs.String("ckpt", mnisttrain.CheckpointPath(a.defaultOut()), "checkpoint written by train")
}

// defaultOut is where train writes by default.
func (a *App) defaultOut() string { return filepath.Join("out", a.Name) }

// loadMNIST loads MNIST, reporting its steps on stderr.
func loadMNIST(dir string, stderr io.Writer) (*datasets.MNIST, error) {
	return (&datasets.MNISTLoader{Dir: dir, Progress: stderr}).Load()
}

// load reads a checkpoint into a model of the App's family.
func (a *App) load(path string) (*loaded, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, errors.Errorf("no checkpoint at %s: train one first (%s train) or give -ckpt", path, a.Name)
	}
	m, meta, err := mnisttrain.Load(path, a.SpecFor)
	if err != nil {
		return nil, err
	}
	return &loaded{Model: m, Meta: meta, Path: path}, nil
}
