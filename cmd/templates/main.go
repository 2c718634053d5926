// Command templates trains Hinton's digit-template classifier on the real
// MNIST: ten output units voted for by the inked pixels, learned by the
// perceptron rule that G.Grad derives from the perceptron loss. It prints
// the errors after every pass and writes the pictures of docs/templates.md.
//
//	templates [-data DIR] [-seed 1] [-out out/templates] [-epochs 3] [-threshold 128] [-snapshots 8] [-pictures=true]
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
	"github.com/featlearn/featlearn/models/templates"
	"github.com/featlearn/featlearn/viz"
)

// Bounds on the flags, far beyond any sensible run, that keep a typo from
// asking for hours or gigabytes (each snapshot is a picture).
const (
	maxEpochs    = 10_000
	maxSnapshots = 100
	maxN         = 1 << 30
)

func main() { os.Exit(mainCode(os.Args[1:], os.Stdout, os.Stderr)) }

// mainCode runs the command and returns its exit status.
func mainCode(args []string, stdout, stderr io.Writer) int {
	return cli.Exit("templates", run(args, stdout, stderr), stderr)
}

// run parses and checks the flags, trains the network and writes the
// pictures.
func run(args []string, stdout, stderr io.Writer) error {
	cfg := templates.DefaultConfig()
	fs := cli.NewFlagSet("templates", "[flags]", "Hinton's digit templates on MNIST, learned by the perceptron rule, with the pictures of docs/templates.md.", stderr)
	data := cli.DataFlag(fs)
	fs.Uint64Var(&cfg.Seed, "seed", cfg.Seed, "seed of the order of the training images")
	out := fs.String("out", "out/templates", "directory for the PNG pictures")
	fs.IntVar(&cfg.Epochs, "epochs", cfg.Epochs, "passes over the training set")
	threshold := fs.Int("threshold", int(cfg.Threshold), "pixel value (1-255) from which a pixel counts as ink")
	fs.IntVar(&cfg.Snapshots, "snapshots", cfg.Snapshots, fmt.Sprintf("first training images after which to picture the weights (0..%d)", maxSnapshots))
	fs.IntVar(&cfg.TrainLimit, "train", 0, "use only the first N training images (0: all)")
	pictures := fs.Bool("pictures", true, "write the pictures")
	if err := cli.Parse(fs, args, 0); err != nil {
		return err
	}
	err := cli.First(
		cli.IntIn("epochs", cfg.Epochs, 1, maxEpochs),
		cli.IntIn("threshold", *threshold, 1, 255),
		cli.IntIn("snapshots", cfg.Snapshots, 0, maxSnapshots),
		cli.IntIn("train", cfg.TrainLimit, 0, maxN),
	)
	if err == nil && *pictures && *out == "" {
		err = cli.Usagef("-out is empty: name a directory for the pictures, or give -pictures=false")
	}
	if err != nil {
		return err
	}
	cfg.Threshold = uint8(*threshold)
	m, err := cli.LoadMNIST(*data, stderr)
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
