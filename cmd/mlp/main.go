// Command mlp trains a multilayer perceptron (784-300-100-10, ReLU, by
// default) on the real MNIST and looks inside it.
//
//	mlp train   [-hidden 300,100] [-act relu] [-epochs 10] [-lr 0.05] [-out out/mlp] [-resume] ...
//	mlp eval    [-ckpt out/mlp/checkpoint.safetensors] [-set test]
//	mlp predict [-ckpt ...] [-k 3] digit.png ...
//	mlp summary [-hidden 300,100] [-act relu]
//	mlp viz     [-ckpt ...] [-image digit.png | -index 0] [-out DIR]
//
// Run mlp COMMAND -h for each command's flags and their defaults.
package main

import (
	"flag"
	"os"

	"github.com/featlearn/featlearn/models/mlp"
	"github.com/featlearn/featlearn/models/mnistcli"
	"github.com/featlearn/featlearn/models/mnisttrain"
)

func main() {
	app := &mnistcli.App{
		Name:      mlp.Name,
		Title:     "MLP",
		Defaults:  mlp.DefaultConfig(),
		ArchFlags: archFlags,
		SpecFor:   mlp.SpecFor,
	}
	os.Exit(mnistcli.Main(app, os.Args[1:], os.Stdout, os.Stderr))
}

// archFlags adds -hidden and -act, which choose the architecture.
func archFlags(fs *flag.FlagSet) func() (mnisttrain.Spec, error) {
	def := mlp.DefaultArch()
	hidden := fs.String("hidden", "300,100", "sizes of the hidden layers, comma-separated (\"\" for none)")
	act := fs.String("act", def.Activation, "nonlinearity of the hidden layers: relu, tanh or sigmoid")
	return func() (mnisttrain.Spec, error) {
		sizes, err := mlp.ParseHidden(*hidden)
		if err != nil {
			return mnisttrain.Spec{}, err
		}
		a := mlp.Arch{Hidden: sizes, Activation: *act}
		if _, err := a.Net(); err != nil {
			return mnisttrain.Spec{}, err
		}
		return a.Spec(), nil
	}
}
