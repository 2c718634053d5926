// Command lenet trains LeNet-5 on the real MNIST and looks inside it.
//
//	lenet train   [-epochs 15] [-batch 64] [-lr 0.05] [-optimizer sgd] [-out out/lenet] [-resume] ...
//	lenet eval    [-ckpt out/lenet/checkpoint.safetensors] [-set test]
//	lenet predict [-ckpt ...] [-k 3] digit.png ...
//	lenet summary
//	lenet viz     [-ckpt ...] [-image digit.png | -index 0] [-out DIR]
//
// `go run ./cmd/lenet train` finds MNIST by itself (see datasets.LoadMNIST),
// trains with the default recipe, checkpoints every epoch and prints the
// test accuracy and confusion matrix. Ctrl-C saves a checkpoint first;
// `lenet train -resume` continues from it exactly. Run lenet COMMAND -h for
// each command's flags. Exit status: 0 ok, 1 failure, 2 usage, 130
// interrupted.
package main

import (
	"os"

	"github.com/featlearn/featlearn/internal/trainapp"
	"github.com/featlearn/featlearn/models/lenet"
)

func main() {
	app := &trainapp.App{
		Name:     lenet.Name,
		Title:    "LeNet-5",
		Defaults: lenet.DefaultRecipe(),
		Spec:     trainapp.Spec{Name: lenet.Name, Arch: lenet.Arch, Build: lenet.New, Check: lenet.CheckCheckpoint},
	}
	os.Exit(trainapp.Main(app, os.Args[1:], os.Stdout, os.Stderr))
}
