// Command xor shows the lecture's first network: XNOR wired by hand from
// three sigmoid neurons, and a small net that learns XOR by gradient descent.
//
//	xor [-seed 1] [-steps 2000] [-lr 0.5] [-hidden 3] [-sigmoid] [-dot FILE]
//
// Every flag is checked before any work. Exit status: 0 ok, 1 failure, 2
// usage (a bad flag value or a stray argument), 130 interrupted (Ctrl-C).
package main

import (
	"fmt"
	"io"
	"os"

	"github.com/featlearn/featlearn/internal/atomicfile"
	"github.com/featlearn/featlearn/internal/cli"
	"github.com/featlearn/featlearn/models/xor"
)

// Bounds on the flags, far beyond the four points' needs, that keep a typo
// from asking for hours or gigabytes.
const (
	maxSteps  = 10_000_000
	maxHidden = 1024
)

func main() { os.Exit(mainCode(os.Args[1:], os.Stdout, os.Stderr)) }

// mainCode runs the command and returns its exit status.
func mainCode(args []string, stdout, stderr io.Writer) int {
	return cli.Exit("xor", run(args, stdout, stderr), stderr)
}

// run parses and checks the flags, prints the hand-wired net's truth table
// and trains the learned one.
func run(args []string, stdout, stderr io.Writer) error {
	cfg := xor.DefaultConfig()
	fs := cli.NewFlagSet("xor", "[flags]", "Prints the truth tables of the hand-wired XNOR net and of a net trained on XOR.", stderr)
	fs.Uint64Var(&cfg.Seed, "seed", cfg.Seed, "seed of the learned net's initial weights")
	fs.IntVar(&cfg.Steps, "steps", cfg.Steps, fmt.Sprintf("full-batch gradient steps (1..%d)", maxSteps))
	fs.Float64Var(&cfg.LR, "lr", cfg.LR, "learning rate (SGD, momentum 0.9)")
	fs.IntVar(&cfg.Hidden, "hidden", cfg.Hidden, fmt.Sprintf("hidden units of the learned net (2..%d)", maxHidden))
	sigmoid := fs.Bool("sigmoid", false, "sigmoid hidden units instead of tanh")
	dot := fs.String("dot", "", "write the hand-wired net's graph to this DOT file")
	if err := cli.Parse(fs, args, 0); err != nil {
		return err
	}
	err := cli.First(
		cli.IntIn("steps", cfg.Steps, 1, maxSteps),
		cli.Positive("lr", cfg.LR),
		cli.IntIn("hidden", cfg.Hidden, 2, maxHidden),
	)
	if err != nil {
		return err
	}
	cfg.Tanh = !*sigmoid
	wired, err := xor.XNOR()
	if err != nil {
		return err
	}
	in, out, err := xor.TruthTable(wired)
	if err != nil {
		return err
	}
	fmt.Fprint(stdout, xor.FormatTruthTable("hand-wired: (x1 AND x2) OR ((NOT x1) AND (NOT x2)) = x1 XNOR x2", in, out))
	if *dot != "" {
		if err := atomicfile.WriteBytes(*dot, []byte(wired.DOT())); err != nil {
			return err
		}
		fmt.Fprintln(stderr, "wrote", *dot)
	}
	fmt.Fprintf(stderr, "training a 2-%d-1 net on XOR for %d steps (seed %d)...\n", cfg.Hidden, cfg.Steps, cfg.Seed)
	l, err := xor.Learn(cfg)
	if err != nil {
		return err
	}
	if in, out, err = xor.TruthTable(l.Model); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "\n%s", xor.FormatTruthTable(fmt.Sprintf("learned x1 XOR x2 (accuracy %.0f%%, mse %.5f)", 100*l.Accuracy, l.Loss), in, out))
	fmt.Fprintf(stdout, "\nlearned weights:\n%s", xor.FormatWeights(l.Model))
	return nil
}
