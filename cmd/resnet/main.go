// Command resnet trains the residual network of models/resnet on the real
// MNIST and looks inside it.
//
//	resnet train   [-epochs 12] [-batch 64] [-lr 0.05] [-optimizer sgd] [-out out/resnet] [-resume] ...
//	resnet eval    [-ckpt out/resnet/checkpoint.safetensors] [-set test]
//	resnet predict [-ckpt ...] [-k 3] digit.png ...
//	resnet summary
//	resnet viz     [-ckpt ...] [-image digit.png | -index 0] [-out DIR]
//
// `go run ./cmd/resnet train` finds MNIST by itself (see datasets.LoadMNIST),
// trains with the default recipe, checkpoints every epoch and prints the
// test accuracy and confusion matrix. Ctrl-C saves a checkpoint first;
// `resnet train -resume` continues from it exactly. Run resnet COMMAND -h for
// each command's flags. Exit status: 0 ok, 1 failure, 2 usage, 130
// interrupted.
package main

import (
	"os"

	"github.com/featlearn/featlearn/internal/trainapp"
	"github.com/featlearn/featlearn/models/resnet"
)

func main() {
	os.Exit(trainapp.Main(newApp(), os.Args[1:], os.Stdout, os.Stderr))
}

// newApp is the binary: trainapp's commands over models/resnet, with a
// checkpoint's layout checked before the network is allocated.
func newApp() *trainapp.App {
	return &trainapp.App{
		Name:     resnet.Name,
		Title:    "ResNet",
		Defaults: resnet.DefaultRecipe(),
		Spec:     trainapp.Spec{Name: resnet.Name, Arch: resnet.Arch, Build: resnet.New, Check: resnet.CheckCheckpoint},
	}
}
