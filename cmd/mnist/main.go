// Command mnist inspects MNIST or any dataset in its four-file IDX layout.
//
//	mnist stats [-data DIR] [-grid out/mnist-grid.png]
//	mnist grid  [-data DIR] [-out grid.png] [-set test] [-n 100] [-cols 10] [-scale 2] [-seed 1]
//
// Without -data it finds the real MNIST by itself (see datasets.LoadMNIST).
// Progress goes to stderr, results to stdout.
package main

import (
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"

	"github.com/featlearn/featlearn/datasets"
	"github.com/featlearn/featlearn/viz"
	"github.com/pkg/errors"
)

const usage = "usage: mnist stats [flags] | mnist grid [flags]; run mnist <command> -h for flags"

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if err == flag.ErrHelp {
			os.Exit(0)
		}
		fmt.Fprintln(os.Stderr, "mnist:", err)
		os.Exit(2)
	}
}

// run dispatches to a subcommand; it returns errors instead of exiting so
// only main decides the exit status.
func run(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return errors.New(usage)
	}
	switch args[0] {
	case "stats":
		return stats(args[1:], stdout, stderr)
	case "grid":
		return grid(args[1:], stdout, stderr)
	}
	return errors.Errorf("unknown command %q; %s", args[0], usage)
}

// stats prints both sets' statistics.
func stats(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("mnist stats", flag.ContinueOnError)
	fs.SetOutput(stderr)
	data := fs.String("data", "", "directory of the four IDX files (default: $FEATLEARN_DATA, then the Go module cache)")
	gridPNG := fs.String("grid", filepath.Join("out", "mnist-grid.png"), "PNG of 100 random test digits with their labels to write (\"\" for none)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	m, err := (&datasets.MNISTLoader{Dir: *data, Progress: stderr}).Load()
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
	fs := flag.NewFlagSet("mnist grid", flag.ContinueOnError)
	fs.SetOutput(stderr)
	data := fs.String("data", "", "directory of the four IDX files (default: $FEATLEARN_DATA, then the Go module cache)")
	out := fs.String("out", "mnist-grid.png", "PNG file to write")
	which := fs.String("set", "test", "set to sample: train or test")
	n := fs.Int("n", 100, "number of digits")
	cols := fs.Int("cols", 10, "digits per row")
	scale := fs.Int("scale", 2, "enlargement of each digit")
	seed := fs.Uint64("seed", 1, "seed for choosing the digits")
	if err := fs.Parse(args); err != nil {
		return err
	}
	m, err := (&datasets.MNISTLoader{Dir: *data, Progress: stderr}).Load()
	if err != nil {
		return err
	}
	set := map[string]*datasets.Set{"train": m.Train, "test": m.Test}[*which]
	if set == nil {
		return errors.Errorf("-set %q, want train or test", *which)
	}
	idx := rand.New(rand.NewPCG(*seed, 0)).Perm(set.Len())[:min(max(*n, 0), set.Len())]
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
