// Command linear trains the lecture's linear classifiers on the real
// MNIST through the expression graph: one digit against another (2 against
// 3 by default) and softmax regression over all ten digits. It prints their
// training and test errors and writes the pictures of docs/linear.md.
//
//	linear [-data DIR] [-seed 1] [-out out/linear] [-a 2] [-b 3] [-epochs 20] [-lr 0.05] [-decay 0.85] [-wd 0] [-pictures=true]
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
	"github.com/featlearn/featlearn/models/linear"
	"github.com/featlearn/featlearn/viz"
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if err == flag.ErrHelp {
			os.Exit(0)
		}
		fmt.Fprintln(os.Stderr, "linear:", err)
		os.Exit(1)
	}
}

// run parses the flags, trains both classifiers and writes the pictures.
func run(args []string, stdout, stderr io.Writer) error {
	cfg := linear.DefaultConfig()
	fs := flag.NewFlagSet("linear", flag.ContinueOnError)
	fs.SetOutput(stderr)
	data := fs.String("data", "", "directory of the four MNIST IDX files (default: $FEATLEARN_DATA, then the Go module cache)")
	fs.Uint64Var(&cfg.Seed, "seed", cfg.Seed, "seed of the example order and of the pictures' samples")
	out := fs.String("out", "out/linear", "directory for the PNG pictures")
	a := fs.Int("a", 2, "first digit of the binary classifier (output 0)")
	b := fs.Int("b", 3, "second digit of the binary classifier (output 1)")
	fs.IntVar(&cfg.Epochs, "epochs", cfg.Epochs, "passes over the training set")
	fs.IntVar(&cfg.BatchSize, "batch", cfg.BatchSize, "examples per SGD step")
	fs.Float64Var(&cfg.LR, "lr", cfg.LR, "SGD learning rate of the first epoch (momentum 0.9)")
	fs.Float64Var(&cfg.Decay, "decay", cfg.Decay, "learning-rate factor per epoch")
	fs.Float64Var(&cfg.WeightDecay, "wd", cfg.WeightDecay, "weight decay (L2 penalty on the weights)")
	pictures := fs.Bool("pictures", true, "write the pictures (and run the over-fitting and weight-decay experiments they show)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	m, err := (&datasets.MNISTLoader{Dir: *data, Progress: stderr}).Load()
	if err != nil {
		return err
	}
	bin, err := linear.Binary(m.Train, m.Test, *a, *b, cfg, stderr)
	if err != nil {
		return err
	}
	fmt.Fprint(stdout, bin.Format())
	r, err := linear.Train(m.Train, m.Test, cfg, stderr)
	if err != nil {
		return err
	}
	fmt.Fprint(stdout, r.Format())
	if !*pictures {
		return nil
	}
	figs, err := linear.Figures(m.Train, m.Test, r, bin, cfg.Seed, stderr)
	if err != nil {
		return err
	}
	return viz.WriteFigures(*out, figs, stderr)
}
