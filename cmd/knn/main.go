// Command knn runs the nearest-neighbour rule and k-NN on the real MNIST:
// it chooses k by cross-validation on a subset of the training set,
// classifies the whole test set against all 60,000 training images, prints
// the errors and writes the pictures of docs/knn.md.
//
//	knn [-data DIR] [-seed 1] [-out out/knn] [-k 1,3,5,7,9] [-folds 5] [-cv 10000] [-train 0] [-test 0] [-pictures=true]
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
	"strconv"
	"strings"

	"github.com/featlearn/featlearn/internal/cli"
	"github.com/featlearn/featlearn/models/knn"
	"github.com/featlearn/featlearn/viz"
)

// Bounds on the flags, far beyond any sensible run, that keep a typo from
// asking for gigabytes.
const (
	maxK     = 1000
	maxFolds = 1000
	maxN     = 1 << 30
)

func main() { os.Exit(mainCode(os.Args[1:], os.Stdout, os.Stderr)) }

// mainCode runs the command and returns its exit status.
func mainCode(args []string, stdout, stderr io.Writer) int {
	return cli.Exit("knn", run(args, stdout, stderr), stderr)
}

// run parses and checks the flags, runs the experiment and writes the
// pictures.
func run(args []string, stdout, stderr io.Writer) error {
	cfg := knn.DefaultConfig()
	fs := cli.NewFlagSet("knn", "[flags]", "k-NN on MNIST: k by cross-validation, the test error, the pictures of docs/knn.md.", stderr)
	data := cli.DataFlag(fs)
	fs.Uint64Var(&cfg.Seed, "seed", cfg.Seed, "seed of the cross-validation subset and folds and of the pictures' samples")
	out := fs.String("out", "out/knn", "directory for the PNG pictures")
	ks := fs.String("k", "1,3,5,7,9", fmt.Sprintf("candidate k, comma-separated, each 1..%d", maxK))
	fs.IntVar(&cfg.Folds, "folds", cfg.Folds, "cross-validation folds")
	fs.IntVar(&cfg.CVSize, "cv", cfg.CVSize, "training images cross-validated (0: all, slow)")
	fs.IntVar(&cfg.TrainLimit, "train", 0, "use only the first N training images (0: all)")
	fs.IntVar(&cfg.TestLimit, "test", 0, "use only the first N test images (0: all)")
	pictures := fs.Bool("pictures", true, "write the pictures")
	if err := cli.Parse(fs, args, 0); err != nil {
		return err
	}
	var err error
	if cfg.Ks, err = parseKs(*ks); err != nil {
		return err
	}
	if err := checkFlags(cfg, *out, *pictures); err != nil {
		return err
	}
	m, err := cli.LoadMNIST(*data, stderr)
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

// checkFlags refuses, naming the flag, values that cannot work.
func checkFlags(cfg knn.Config, out string, pictures bool) error {
	err := cli.First(
		cli.IntIn("folds", cfg.Folds, 2, maxFolds),
		cli.IntIn("cv", cfg.CVSize, 0, maxN),
		cli.IntIn("train", cfg.TrainLimit, 0, maxN),
		cli.IntIn("test", cfg.TestLimit, 0, maxN),
	)
	switch {
	case err != nil:
		return err
	case cfg.CVSize > 0 && cfg.CVSize < cfg.Folds:
		return cli.Usagef("-cv %d: fewer images than the %d folds", cfg.CVSize, cfg.Folds)
	case pictures && out == "":
		return cli.Usagef("-out is empty: name a directory for the pictures, or give -pictures=false")
	}
	return nil
}

// parseKs reads a comma-separated list of k, each 1..maxK.
func parseKs(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		v, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || v < 1 || v > maxK {
			return nil, cli.Usagef("-k: %q is not an integer in 1..%d", f, maxK)
		}
		out = append(out, v)
	}
	return out, nil
}
