// Command lenet trains LeNet-5 on the real MNIST and looks inside it.
//
//	lenet train   [-epochs 15] [-batch 64] [-lr 0.05] [-optimizer sgd] [-out out/lenet] [-resume] ...
//	lenet eval    [-ckpt out/lenet/checkpoint.safetensors] [-set test]
//	lenet predict [-ckpt ...] [-k 3] digit.png ...
//	lenet summary
//	lenet viz     [-ckpt ...] [-image digit.png | -index 0] [-out DIR]
//	lenet export  [-ckpt ...] [-o lenet.onnx]
//
// `go run ./cmd/lenet train` finds MNIST by itself (see datasets.LoadMNIST),
// trains with the default recipe, checkpoints every epoch and prints the
// test accuracy and confusion matrix. Ctrl-C saves a checkpoint first;
// `lenet train -resume` continues from it exactly. Run lenet COMMAND -h for
// each command's flags; each is checked before any work.
//
// Exit status: 0 ok; 1 failure (a missing, damaged or hostile checkpoint,
// an unreadable image, data that cannot be read); 2 usage (an unknown
// command, a bad flag value, a stray argument); 130 interrupted (Ctrl-C
// during train, after saving a checkpoint to resume from).
package main

import (
	"io"
	"os"

	"github.com/featlearn/featlearn/internal/trainapp"
	"github.com/featlearn/featlearn/models/lenet"
)

func main() { os.Exit(mainCode(os.Args[1:], os.Stdout, os.Stderr)) }

// mainCode runs the command and returns its exit status.
func mainCode(args []string, stdout, stderr io.Writer) int {
	return trainapp.Main(newApp(), args, stdout, stderr)
}

// newApp describes LeNet-5 to the shared command line.
func newApp() *trainapp.App {
	return &trainapp.App{
		Name:     lenet.Name,
		Title:    "LeNet-5",
		Defaults: lenet.DefaultRecipe(),
		Spec:     trainapp.Spec{Name: lenet.Name, Arch: lenet.Arch, Build: lenet.New, Check: lenet.CheckCheckpoint},
	}
}
