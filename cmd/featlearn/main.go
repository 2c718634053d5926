// Command featlearn trains any network, written on one line, on MNIST,
// CIFAR-10 or your own folder of images, and looks inside it. No Go code
// is needed:
//
//	featlearn train   [-data DIR] [-arch SPEC] [-epochs 15] [-shift 2 -rotate 10 ...] [-out out/featlearn] ...
//	featlearn eval    [-ckpt out/featlearn/checkpoint.safetensors] [-set test]
//	featlearn predict [-ckpt ...] [-k 3] image.png ...
//	featlearn summary [-arch SPEC] [-input 3x32x32] [-classes 10]
//	featlearn viz     [-ckpt ...] [-image image.png | -index 0] [-out DIR]
//	featlearn export    [-ckpt ...] [-o model.onnx]
//	featlearn serve     [-addr 127.0.0.1:8080] [-out out]
//	featlearn export-data [-data DIR] [-format png] OUT
//
// -data detects MNIST's IDX files, CIFAR-10's binary batches or a folder
// of images (DIR/train/<class>/ and DIR/test/<class>/, or DIR/<class>/
// split by seed) and says which it found. The default network is
// LeNet-5 with one output per class; with MNIST, the default recipe and
// -seed, `featlearn train` trains exactly as `lenet train` does. The
// checkpoint records the network, the classes, the input size and
// normalisation and where the data is, so eval, predict and viz need
// nothing else. docs/your-data.md walks through it all, and the package
// documentation of graph/arch gives the SPEC grammar. Run featlearn
// COMMAND -h for each command's flags. Exit status: 0 ok, 1 failure, 2
// usage, 130 interrupted.
package main

import (
	"os"

	"github.com/featlearn/featlearn/internal/trainapp"
	"github.com/featlearn/featlearn/models/lenet"
)

func main() {
	app := &trainapp.App{Name: trainapp.ModelName, Title: "featlearn", Defaults: lenet.DefaultRecipe(), AnyData: true}
	os.Exit(trainapp.Main(app, os.Args[1:], os.Stdout, os.Stderr))
}
