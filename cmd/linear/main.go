// Command linear trains the lecture's linear classifiers on the real
// MNIST through the expression graph: one digit against another (2 against
// 3 by default) and softmax regression over all ten digits. It prints their
// training and test errors and writes the pictures of docs/linear.md.
//
//	linear [-data DIR] [-seed 1] [-out out/linear] [-a 2] [-b 3] [-epochs 20] [-lr 0.05] [-decay 0.85] [-wd 0] [-pictures=true]
//
// Without -data it finds MNIST by itself (see datasets.LoadMNIST). Results
// go to stdout, progress to stderr. Every flag is checked before any work.
// Exit status: 0 ok, 1 failure, 2 usage (a bad flag value or a stray
// argument), 130 interrupted (Ctrl-C).
package main

import (
	"fmt"
	"io"
	"os"

	"github.com/featlearn/featlearn/internal/cli"
	"github.com/featlearn/featlearn/models/linear"
	"github.com/featlearn/featlearn/viz"
)

// Bounds on the flags, far beyond any sensible run, that keep a typo from
// asking for hours or gigabytes.
const (
	maxEpochs = 10_000
	maxBatch  = 1 << 20
	maxN      = 1 << 30
)

func main() { os.Exit(mainCode(os.Args[1:], os.Stdout, os.Stderr)) }

// mainCode runs the command and returns its exit status.
func mainCode(args []string, stdout, stderr io.Writer) int {
	return cli.Exit("linear", run(args, stdout, stderr), stderr)
}

// run parses and checks the flags, trains both classifiers and writes the
// pictures.
func run(args []string, stdout, stderr io.Writer) error {
	cfg := linear.DefaultConfig()
	fs := cli.NewFlagSet("linear", "[flags]", "linear classifiers on MNIST: one digit against another, softmax regression, the pictures of docs/linear.md.", stderr)
	data := cli.DataFlag(fs)
	fs.Uint64Var(&cfg.Seed, "seed", cfg.Seed, "seed of the example order and of the pictures' samples")
	out := fs.String("out", "out/linear", "directory for the PNG pictures")
	a := fs.Int("a", 2, "first digit of the binary classifier (output 0)")
	b := fs.Int("b", 3, "second digit of the binary classifier (output 1)")
	fs.IntVar(&cfg.Epochs, "epochs", cfg.Epochs, "passes over the training set")
	fs.IntVar(&cfg.BatchSize, "batch", cfg.BatchSize, "examples per SGD step")
	fs.Float64Var(&cfg.LR, "lr", cfg.LR, "SGD learning rate of the first epoch (momentum 0.9)")
	fs.Float64Var(&cfg.Decay, "decay", cfg.Decay, "learning-rate factor per epoch, 0..1 (0: 1)")
	fs.Float64Var(&cfg.WeightDecay, "wd", cfg.WeightDecay, "weight decay (L2 penalty on the weights)")
	pictures := fs.Bool("pictures", true, "write the pictures (and run the over-fitting and weight-decay experiments they show)")
	if err := cli.Parse(fs, args, 0); err != nil {
		return err
	}
	if err := checkFlags(cfg, *a, *b, *out, *pictures); err != nil {
		return err
	}
	m, err := cli.LoadMNIST(*data, stderr)
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

// checkFlags refuses, naming the flag, values that cannot work.
func checkFlags(cfg linear.Config, a, b int, out string, pictures bool) error {
	err := cli.First(
		cli.IntIn("a", a, 0, 9),
		cli.IntIn("b", b, 0, 9),
		cli.IntIn("epochs", cfg.Epochs, 1, maxEpochs),
		cli.IntIn("batch", cfg.BatchSize, 1, maxBatch),
		cli.Positive("lr", cfg.LR),
		cli.FloatIn("decay", cfg.Decay, 0, 1),
		cli.FloatIn("wd", cfg.WeightDecay, 0, 1e6),
	)
	switch {
	case err != nil:
		return err
	case a == b:
		return cli.Usagef("-a and -b are both %d: name two different digits", a)
	case pictures && out == "":
		return cli.Usagef("-out is empty: name a directory for the pictures, or give -pictures=false")
	}
	return nil
}
