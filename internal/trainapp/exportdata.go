package trainapp

import (
	"fmt"
	"io"

	"github.com/featlearn/featlearn/datasets"
	"github.com/featlearn/featlearn/internal/cli"
)

// exportData writes a data set as a folder of images, the layout train
// reads: a way to see what LoadFolder expects, and to try it on MNIST.
func (a *App) exportData(args []string, stdout, stderr io.Writer) error {
	fs := a.flagSet("export-data", stderr)
	data := fs.String("data", "", "data to export: MNIST's IDX files, CIFAR-10's binary batches or an image folder (default: MNIST, found by itself)")
	format := fs.String("format", datasets.WritePNGFiles, "image files to write: png (lossless) or jpeg")
	trainN := fs.Int("train-n", 0, "export the first N training images only (0: all)")
	testN := fs.Int("test-n", 0, "export the first N test images only (0: all)")
	if err := cli.Parse(fs, args, 1); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return cli.Usagef("export-data: name the folder to write")
	}
	if *format != datasets.WritePNGFiles && *format != datasets.WriteJPEGFiles {
		return cli.Usagef("-format %q: want png or jpeg", *format)
	}
	if *trainN < 0 || *testN < 0 {
		return cli.Usagef("-train-n and -test-n: want numbers >= 0")
	}
	d, err := datasets.Load(*data, datasets.FolderOptions{Progress: stderr})
	if err != nil {
		return err
	}
	train, test := d.Train.First(*trainN), d.Test.First(*testN)
	out := fs.Arg(0)
	if err := datasets.WriteFolder(out, train, test, *format); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %d training and %d test images of %d classes to %s/train and %s/test\n",
		train.N, test.N, train.NumClasses(), out, out)
	return nil
}
