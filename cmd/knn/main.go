// Command knn runs the nearest-neighbour rule and k-NN on the real MNIST:
// it chooses k by cross-validation on a subset of the training set,
// classifies the whole test set against all 60,000 training images, prints
// the errors and writes the pictures of docs/knn.md.
//
//	knn [-data DIR] [-seed 1] [-out out/knn] [-k 1,3,5,7,9] [-folds 5] [-cv 10000] [-train 0] [-test 0] [-pictures=true]
//
// Without -data it finds MNIST by itself (see datasets.LoadMNIST). Results
// go to stdout, progress to stderr.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/pkg/errors"

	"github.com/featlearn/featlearn/datasets"
	"github.com/featlearn/featlearn/models/knn"
	"github.com/featlearn/featlearn/viz"
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if err == flag.ErrHelp {
			os.Exit(0)
		}
		fmt.Fprintln(os.Stderr, "knn:", err)
		os.Exit(1)
	}
}

// run parses the flags, runs the experiment and writes the pictures.
func run(args []string, stdout, stderr io.Writer) error {
	cfg := knn.DefaultConfig()
	fs := flag.NewFlagSet("knn", flag.ContinueOnError)
	fs.SetOutput(stderr)
	data := fs.String("data", "", "directory of the four MNIST IDX files (default: $FEATLEARN_DATA, then the Go module cache)")
	fs.Uint64Var(&cfg.Seed, "seed", cfg.Seed, "seed of the cross-validation subset and folds and of the pictures' samples")
	out := fs.String("out", "out/knn", "directory for the PNG pictures")
	ks := fs.String("k", "1,3,5,7,9", "candidate k, comma-separated")
	fs.IntVar(&cfg.Folds, "folds", cfg.Folds, "cross-validation folds")
	fs.IntVar(&cfg.CVSize, "cv", cfg.CVSize, "training images cross-validated (0: all, slow)")
	fs.IntVar(&cfg.TrainLimit, "train", 0, "use only the first N training images (0: all)")
	fs.IntVar(&cfg.TestLimit, "test", 0, "use only the first N test images (0: all)")
	pictures := fs.Bool("pictures", true, "write the pictures")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var err error
	if cfg.Ks, err = parseInts(*ks); err != nil {
		return err
	}
	m, err := (&datasets.MNISTLoader{Dir: *data, Progress: stderr}).Load()
	if err != nil {
		return err
	}
	r, err := knn.Run(m.Train, m.Test, cfg, stderr)
	if err != nil {
		return err
	}
	fmt.Fprint(stdout, r.Format())
	if !*pictures {
		return nil
	}
	figs, err := knn.Figures(m.Train, m.Test, r, cfg.Seed, stderr)
	if err != nil {
		return err
	}
	return viz.WriteFigures(*out, figs, stderr)
}

// parseInts reads a comma-separated list of positive integers.
func parseInts(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		v, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || v < 1 {
			return nil, errors.Errorf("-k: %q is not a positive integer", f)
		}
		out = append(out, v)
	}
	return out, nil
}
