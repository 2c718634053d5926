// Command templates trains Hinton's digit-template classifier on the real
// MNIST: ten output units voted for by the inked pixels, learned by the
// perceptron rule that G.Grad derives from the perceptron loss. It prints
// the errors after every pass and writes the pictures of docs/templates.md.
//
//	templates [-data DIR] [-seed 1] [-out out/templates] [-epochs 3] [-threshold 128] [-snapshots 8] [-pictures=true]
//
// Without -data it finds MNIST by itself (see datasets.LoadMNIST). Results
// go to stdout, progress to stderr.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/featlearn/featlearn/datasets"
	"github.com/featlearn/featlearn/models/templates"
	"github.com/featlearn/featlearn/viz"
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if err == flag.ErrHelp {
			os.Exit(0)
		}
		fmt.Fprintln(os.Stderr, "templates:", err)
		os.Exit(1)
	}
}

// run parses the flags, trains the network and writes the pictures.
func run(args []string, stdout, stderr io.Writer) error {
	cfg := templates.DefaultConfig()
	fs := flag.NewFlagSet("templates", flag.ContinueOnError)
	fs.SetOutput(stderr)
	data := fs.String("data", "", "directory of the four MNIST IDX files (default: $FEATLEARN_DATA, then the Go module cache)")
	fs.Uint64Var(&cfg.Seed, "seed", cfg.Seed, "seed of the order of the training images")
	out := fs.String("out", "out/templates", "directory for the PNG pictures")
	fs.IntVar(&cfg.Epochs, "epochs", cfg.Epochs, "passes over the training set")
	threshold := fs.Uint("threshold", uint(cfg.Threshold), "pixel value (1-255) from which a pixel counts as ink")
	fs.IntVar(&cfg.Snapshots, "snapshots", cfg.Snapshots, "first training images after which to picture the weights")
	fs.IntVar(&cfg.TrainLimit, "train", 0, "use only the first N training images (0: all)")
	pictures := fs.Bool("pictures", true, "write the pictures")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *threshold < 1 || *threshold > 255 {
		return fmt.Errorf("-threshold %d: want 1..255", *threshold)
	}
	cfg.Threshold = uint8(*threshold)
	m, err := (&datasets.MNISTLoader{Dir: *data, Progress: stderr}).Load()
	if err != nil {
		return err
	}
	r, err := templates.Train(m.Train, m.Test, cfg, stderr)
	if err != nil {
		return err
	}
	fmt.Fprint(stdout, r.Format())
	if !*pictures {
		return nil
	}
	figs, err := r.Figures(m.Train, cfg.Threshold)
	if err != nil {
		return err
	}
	return viz.WriteFigures(*out, figs, stderr)
}
