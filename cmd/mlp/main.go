// Command mlp trains a multilayer perceptron (784-300-100-10, ReLU, by
// default) on the real MNIST and looks inside it.
//
//	mlp train   [-hidden 300,100] [-act relu] [-epochs 10] [-lr 0.05] [-out out/mlp] [-resume] ...
//	mlp eval    [-ckpt out/mlp/checkpoint.safetensors] [-set test]
//	mlp predict [-ckpt ...] [-k 3] digit.png ...
//	mlp summary [-hidden 300,100] [-act relu]
//	mlp viz     [-ckpt ...] [-image digit.png | -index 0] [-out DIR]
//	mlp export  [-ckpt ...] [-o mlp.onnx]
//
// Run mlp COMMAND -h for each command's flags and their defaults; each is
// checked before any work. A checkpoint's architecture is read within
// mlp.ParseArch's bounds and checked against the file's tensors before the
// model is built.
//
// Exit status: 0 ok; 1 failure (a missing, damaged or hostile checkpoint,
// an unreadable image, data that cannot be read); 2 usage (an unknown
// command, a bad flag value, a stray argument); 130 interrupted (Ctrl-C
// during train, after saving a checkpoint to resume from).
package main

import (
	"flag"
	"io"
	"os"

	"github.com/pkg/errors"

	"github.com/featlearn/featlearn/internal/trainapp"
	"github.com/featlearn/featlearn/models/mlp"
)

func main() { os.Exit(mainCode(os.Args[1:], os.Stdout, os.Stderr)) }

// mainCode runs the command and returns its exit status.
func mainCode(args []string, stdout, stderr io.Writer) int {
	return trainapp.Main(newApp(), args, stdout, stderr)
}

// newApp describes the MLP to the shared command line.
func newApp() *trainapp.App {
	return &trainapp.App{
		Name:      mlp.Name,
		Title:     "MLP",
		Defaults:  mlp.DefaultRecipe(),
		ArchFlags: archFlags,
		SpecFor:   specFor,
	}
}

// archFlags adds -hidden and -act, which choose the architecture.
func archFlags(fs *flag.FlagSet) func() (trainapp.Spec, error) {
	def := mlp.DefaultArch()
	hidden := fs.String("hidden", "300,100", "sizes of the hidden layers, comma-separated (\"\" for none)")
	act := fs.String("act", def.Activation, "nonlinearity of the hidden layers: relu, tanh or sigmoid")
	return func() (trainapp.Spec, error) {
		sizes, err := mlp.ParseHidden(*hidden)
		if err != nil {
			return trainapp.Spec{}, err
		}
		return spec(mlp.Arch{Hidden: sizes, Activation: *act})
	}
}

// specFor rebuilds the Spec of a checkpoint's architecture.
func specFor(name, arch string) (trainapp.Spec, error) {
	if name != mlp.Name {
		return trainapp.Spec{}, errors.Errorf("checkpoint holds a %s model, not an %s", name, mlp.Name)
	}
	a, err := mlp.ParseArch(arch)
	if err != nil {
		return trainapp.Spec{}, err
	}
	return spec(a)
}

// spec describes an MLP of architecture a.
func spec(a mlp.Arch) (trainapp.Spec, error) {
	if _, err := a.Net(); err != nil {
		return trainapp.Spec{}, err
	}
	return trainapp.Spec{Name: mlp.Name, Arch: a.String(), Build: a.Build, Check: a.CheckCheckpoint}, nil
}
