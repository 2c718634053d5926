// Command mnist inspects MNIST or any dataset in its four-file IDX layout.
//
//	mnist stats [-data DIR] [-grid out/mnist-grid.png]
//	mnist grid  [-data DIR] [-out grid.png] [-set test] [-n 100] [-cols 10] [-scale 2] [-seed 1]
//
// Without -data it finds the real MNIST by itself (see datasets.LoadMNIST).
// Progress goes to stderr, results to stdout. Every flag is checked before
// any work. Exit status: 0 ok, 1 failure, 2 usage (an unknown command, a
// bad flag value or a stray argument), 130 interrupted (Ctrl-C).
package main

import (
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"

	"github.com/featlearn/featlearn/datasets"
	"github.com/featlearn/featlearn/internal/cli"
	"github.com/featlearn/featlearn/viz"
)

// Bounds of grid: at most maxGridPixels in the picture (64 MiB of RGBA).
const (
	maxGridN      = 10_000
	maxGridCols   = 1000
	maxGridScale  = 32
	maxGridPixels = 16 << 20
)

const usage = "usage: mnist stats [flags] | mnist grid [flags]; run mnist COMMAND -h for its flags"

func main() { os.Exit(mainCode(os.Args[1:], os.Stdout, os.Stderr)) }

// mainCode runs the command and returns its exit status.
func mainCode(args []string, stdout, stderr io.Writer) int {
	return cli.Exit("mnist", run(args, stdout, stderr), stderr)
}

// run dispatches to a subcommand; it returns errors instead of exiting so
// only main decides the exit status.
func run(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return cli.Usagef("no command; %s", usage)
	}
	switch args[0] {
	case "stats":
		return stats(args[1:], stdout, stderr)
	case "grid":
		return grid(args[1:], stdout, stderr)
	case "-h", "-help", "--help", "help":
		fmt.Fprintln(stderr, usage)
		return nil
	}
	return cli.Usagef("unknown command %q; %s", args[0], usage)
}

// stats prints both sets' statistics.
func stats(args []string, stdout, stderr io.Writer) error {
	fs := cli.NewFlagSet("mnist stats", "[flags]", "statistics of the training and test sets, and a grid of sample digits.", stderr)
	data := cli.DataFlag(fs)
	gridPNG := fs.String("grid", filepath.Join("out", "mnist-grid.png"), "PNG of 100 random test digits with their labels to write (\"\" for none)")
	if err := cli.Parse(fs, args, 0); err != nil {
		return err
	}
	m, err := cli.LoadMNIST(*data, stderr)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "dataset: %s\n\ntraining set\n%s\ntest set\n%s", m.Dir, m.Train.Stats(), m.Test.Stats())
	if *gridPNG == "" {
		return nil
	}
	idx := rand.New(rand.NewPCG(1, 0)).Perm(m.Test.Len())[:min(100, m.Test.Len())]
	img, err := m.Test.Grid(idx, 10, 2)
	if err != nil {
		return err
	}
	titled, err := viz.Annotate(img, viz.Labels{Title: fmt.Sprintf("MNIST: %d random test digits, labels under them", len(idx))})
	if err != nil {
		return err
	}
	if err := viz.WritePNG(*gridPNG, titled); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "\nwrote %s: %d test digits\n", *gridPNG, len(idx))
	return nil
}

// grid writes a PNG of randomly chosen digits with their labels.
func grid(args []string, stdout, stderr io.Writer) error {
	fs := cli.NewFlagSet("mnist grid", "[flags]", "a PNG of randomly chosen digits with their labels.", stderr)
	data := cli.DataFlag(fs)
	out := fs.String("out", "mnist-grid.png", "PNG file to write")
	which := fs.String("set", "test", "set to sample: train or test")
	n := fs.Int("n", 100, fmt.Sprintf("number of digits (1..%d)", maxGridN))
	cols := fs.Int("cols", 10, fmt.Sprintf("digits per row (1..%d)", maxGridCols))
	scale := fs.Int("scale", 2, fmt.Sprintf("enlargement of each digit (1..%d)", maxGridScale))
	seed := fs.Uint64("seed", 1, "seed for choosing the digits")
	if err := cli.Parse(fs, args, 0); err != nil {
		return err
	}
	err := cli.First(
		cli.IntIn("n", *n, 1, maxGridN),
		cli.IntIn("cols", *cols, 1, maxGridCols),
		cli.IntIn("scale", *scale, 1, maxGridScale),
		cli.NonEmpty("out", *out),
	)
	if err != nil {
		return err
	}
	if *which != "train" && *which != "test" {
		return cli.Usagef("-set %q: want train or test", *which)
	}
	if px := gridPixels(*n, *cols, *scale, datasets.DigitSize, datasets.DigitSize); px > maxGridPixels {
		return cli.Usagef("-n %d, -cols %d, -scale %d: a picture of %d pixels, over the limit of %d", *n, *cols, *scale, px, maxGridPixels)
	}
	m, err := cli.LoadMNIST(*data, stderr)
	if err != nil {
		return err
	}
	set := map[string]*datasets.Set{"train": m.Train, "test": m.Test}[*which]
	k := min(*n, set.Len())
	if px := gridPixels(k, *cols, *scale, set.Rows, set.Cols); px > maxGridPixels {
		return fmt.Errorf("%s: images of %dx%d make a picture of %d pixels, over the limit of %d", m.Dir, set.Rows, set.Cols, px, maxGridPixels)
	}
	idx := rand.New(rand.NewPCG(*seed, 0)).Perm(set.Len())[:k]
	img, err := set.Grid(idx, *cols, *scale)
	if err != nil {
		return err
	}
	if err := datasets.WritePNG(*out, img); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s: %d %s digits, %dx%d pixels\n", *out, len(idx), *which, img.Bounds().Dx(), img.Bounds().Dy())
	return nil
}

// gridPixels is about the size of Set.Grid's picture of n images of rows x
// cols pixels: cells with a gap and a label strip.
func gridPixels(n, perRow, scale, rows, cols int) int {
	perRow = min(perRow, n)
	w := perRow*(cols*scale+4) + 4
	h := (n+perRow-1)/perRow*(rows*scale+7*2+8) + 4
	return w * h
}
