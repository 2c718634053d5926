// Command xor shows the lecture's first network: XNOR wired by hand from
// three sigmoid neurons, and a small net that learns XOR by gradient descent.
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/featlearn/featlearn/models/xor"
)

func main() {
	cfg := xor.DefaultConfig()
	fs := flag.NewFlagSet("xor", flag.ExitOnError)
	fs.Uint64Var(&cfg.Seed, "seed", cfg.Seed, "seed of the learned net's initial weights")
	fs.IntVar(&cfg.Steps, "steps", cfg.Steps, "full-batch gradient steps")
	fs.Float64Var(&cfg.LR, "lr", cfg.LR, "learning rate (SGD, momentum 0.9)")
	fs.IntVar(&cfg.Hidden, "hidden", cfg.Hidden, "hidden units of the learned net")
	sigmoid := fs.Bool("sigmoid", false, "sigmoid hidden units instead of tanh")
	dot := fs.String("dot", "", "write the hand-wired net's graph to this DOT file")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: xor [flags]\n\nPrints the truth tables of the hand-wired XNOR net and of a net trained on XOR.\n\n")
		fs.PrintDefaults()
	}
	_ = fs.Parse(os.Args[1:])
	cfg.Tanh = !*sigmoid
	if err := run(cfg, *dot); err != nil {
		fmt.Fprintln(os.Stderr, "xor:", err)
		os.Exit(1)
	}
}

func run(cfg xor.Config, dotFile string) error {
	wired, err := xor.XNOR()
	if err != nil {
		return err
	}
	in, out, err := xor.TruthTable(wired)
	if err != nil {
		return err
	}
	fmt.Print(xor.FormatTruthTable("hand-wired: (x1 AND x2) OR ((NOT x1) AND (NOT x2)) = x1 XNOR x2", in, out))
	if dotFile != "" {
		dot := wired.DOT()
		if err := os.WriteFile(dotFile, []byte(dot), 0o644); err != nil {
			return err
		}
		fmt.Fprintln(os.Stderr, "wrote", dotFile)
	}
	fmt.Fprintf(os.Stderr, "training a 2-%d-1 net on XOR for %d steps (seed %d)...\n", cfg.Hidden, cfg.Steps, cfg.Seed)
	l, err := xor.Learn(cfg)
	if err != nil {
		return err
	}
	if in, out, err = xor.TruthTable(l.Model); err != nil {
		return err
	}
	fmt.Printf("\n%s", xor.FormatTruthTable(fmt.Sprintf("learned x1 XOR x2 (accuracy %.0f%%, mse %.5f)", 100*l.Accuracy, l.Loss), in, out))
	fmt.Printf("\nlearned weights:\n%s", xor.FormatWeights(l.Model))
	return nil
}
