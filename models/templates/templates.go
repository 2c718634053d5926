// Package templates is Hinton's digit-template classifier from the
// lecture's slides, built and trained as an expression graph.
//
// Ten output units, one per digit, look at a binarised 28x28 image. Every
// pixel with ink votes for each unit through its weight to that unit, and
// the unit with most votes wins (the lowest digit on a tie). Learning shows
// one image at a time: the weights from the active pixels to the correct
// class go up by one, and those to the class the network guessed go down by
// one; a right guess changes nothing. The weights become a template per
// digit, ink where that digit has it and anti-ink where the digits it is
// confused with have it.
//
// Here the network is a bias-free graph.Dense layer and the update is not
// written by hand: the loss is the perceptron criterion (graph.Perceptron,
// the guess's score minus the truth's), and G.Grad with the TapeMachine
// derive its gradient, +x for the guess and -x for the truth, which SGD at
// rate 1 with one image per step applies. Rule is the hand-written update,
// and the tests check that the two agree weight for weight.
package templates

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/pkg/errors"

	"github.com/featlearn/featlearn/datasets"
	"github.com/featlearn/featlearn/graph"
)

// WeightName names the parameter holding the ten templates, (10, pixels).
const WeightName = "votes.weight"

// Config says how to train the template classifier.
type Config struct {
	Epochs int // passes over the training set
	// Threshold is the byte value from which a pixel counts as ink.
	Threshold uint8
	Seed      uint64 // fixes the order of the images in every pass
	// Snapshots is the number of first training images after each of which
	// the weights are recorded, to picture the network learning.
	Snapshots int
	// TrainLimit and TestLimit keep only the first examples of each set,
	// for quick runs; 0 keeps all.
	TrainLimit, TestLimit int
}

// DefaultConfig makes three passes over the training set with pixels of
// half intensity or more as ink, recording the first eight steps.
func DefaultConfig() Config {
	return Config{Epochs: 3, Threshold: 128, Seed: 1, Snapshots: 8}
}

func (c Config) check() error {
	if c.Epochs < 1 || c.Threshold == 0 || c.Snapshots < 0 || c.TrainLimit < 0 || c.TestLimit < 0 {
		return errors.Errorf("templates: epochs %d, threshold %d, snapshots %d, limits %d and %d: want epochs >= 1, threshold >= 1, the rest >= 0",
			c.Epochs, c.Threshold, c.Snapshots, c.TrainLimit, c.TestLimit)
	}
	return nil
}

// New returns the untrained network for images of the given number of
// pixels: ten output units, no bias, all weights zero.
func New(pixels int) (*graph.Model, error) {
	net := graph.Sequential("templates", graph.Dense("votes", datasets.Classes, graph.NoBias(), graph.WithInit(graph.Uniform(0))))
	return graph.NewModel(net, []int{pixels}, 0)
}

// Snapshot is the network after one of the first training images.
type Snapshot struct {
	Step         int // images shown so far
	Index        int // the image's position in the training set
	Label, Guess int // its class and the network's guess before the update
	// Weights holds the ten templates after the update, one per class.
	Weights [][]float64
}

// PassErrors are the error rates after one pass over the training set.
type PassErrors struct {
	Pass int
	// Mistakes is the fraction of images guessed wrong during the pass,
	// each before its own update.
	Mistakes    float64
	Train, Test float64
}

// Result is a trained template classifier.
type Result struct {
	Model                 *graph.Model
	TrainError, TestError float64 // after the last pass
	Passes                []PassErrors
	Snapshots             []Snapshot
	Rows, Cols            int
	Time                  time.Duration
}

// Train learns the templates from train, one image per step, and measures
// the error on train and test after every pass. progress, when not nil,
// receives a line per pass.
func Train(train, test *datasets.Set, cfg Config, progress io.Writer) (*Result, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	train, test, err := datasets.Limit(train, test, cfg.TrainLimit, cfg.TestLimit)
	if err != nil {
		return nil, errors.Wrap(err, "templates")
	}
	m, err := New(train.Size())
	if err != nil {
		return nil, err
	}
	tr, err := graph.NewTrainer(m, graph.Perceptron{}, &graph.SGD{LR: 1})
	if err != nil {
		return nil, err
	}
	res := &Result{Model: m, Rows: train.Rows, Cols: train.Cols}
	trainData, testData := graph.BinaryImageData(train, cfg.Threshold), graph.BinaryImageData(test, cfg.Threshold)
	start := time.Now()
	for pass := 1; pass <= cfg.Epochs; pass++ {
		p, err := runPass(tr, trainData, cfg, pass, res)
		if err != nil {
			return nil, err
		}
		if p.Train, err = ErrorRate(m, trainData); err != nil {
			return nil, err
		}
		if p.Test, err = ErrorRate(m, testData); err != nil {
			return nil, err
		}
		res.Passes = append(res.Passes, p)
		logf(progress, "templates: pass %d: %.4f of images guessed wrong during the pass; train error %.4f, test error %.4f",
			pass, p.Mistakes, p.Train, p.Test)
	}
	res.Time = time.Since(start)
	res.TrainError, res.TestError = res.Passes[cfg.Epochs-1].Train, res.Passes[cfg.Epochs-1].Test
	return res, nil
}

// runPass shows every training image once, in the pass's seeded order,
// recording snapshots during the first pass.
func runPass(tr *graph.Trainer, data graph.Dataset, cfg Config, pass int, res *Result) (PassErrors, error) {
	p := PassErrors{Pass: pass}
	size := res.Rows * res.Cols
	x, y := make([]float32, size), make([]float32, 1)
	order := graph.EpochOrder(data.Len(), cfg.Seed, pass)
	wrong := 0
	for step, i := range order {
		if err := data.Gather([]int{i}, x, y); err != nil {
			return p, err
		}
		snap := pass == 1 && step < cfg.Snapshots
		var guess int
		if snap {
			guess = Guess(res.Model.Param(WeightName).Float64s(), x)
		}
		r, err := tr.TrainBatch(x, y, 1)
		if err != nil {
			return p, errors.Wrapf(err, "pass %d, image %d", pass, step+1)
		}
		wrong += r.N - r.Correct
		if snap {
			w := Templates(res.Model)
			res.Snapshots = append(res.Snapshots, Snapshot{Step: step + 1, Index: i, Label: int(y[0]), Guess: guess, Weights: w})
		}
	}
	p.Mistakes = float64(wrong) / float64(len(order))
	return p, nil
}

// Templates returns the network's ten weight vectors, one per class, or
// nil for a model that is not a template network.
func Templates(m *graph.Model) [][]float64 {
	if m == nil || m.Param(WeightName) == nil {
		return nil
	}
	w := m.Param(WeightName).Float64s()
	n := len(w) / datasets.Classes
	out := make([][]float64, datasets.Classes)
	for c := range out {
		out[c] = w[c*n : (c+1)*n : (c+1)*n]
	}
	return out
}

// Guess returns the class whose template collects most votes from the
// image x: the first class of highest score Σ w[c][i]·x[i]. w holds the
// templates one after another; an empty x or w guesses 0.
func Guess(w []float64, x []float32) int {
	if len(x) == 0 {
		return 0
	}
	best, bestScore := 0, 0.0
	for c := range len(w) / len(x) {
		var s float64
		for i, v := range x {
			s += w[c*len(x)+i] * float64(v)
		}
		if c == 0 || s > bestScore {
			best, bestScore = c, s
		}
	}
	return best
}

// Rule is the slides' learning rule written out by hand, for comparison
// with what the graph derives: it guesses the class of image x with the
// templates w (held one after another), and when the guess is wrong adds x
// to the template of label and subtracts it from the template of the
// guess. It returns the guess. A label without a template is an error
// and changes nothing.
func Rule(w []float64, x []float32, label int) (int, error) {
	if len(x) == 0 || len(w)%len(x) != 0 || label < 0 || label >= len(w)/len(x) {
		return 0, errors.Errorf("templates: label %d for %d weights over images of %d pixels", label, len(w), len(x))
	}
	guess := Guess(w, x)
	if guess != label {
		n := len(x)
		for i, v := range x {
			w[label*n+i] += float64(v)
			w[guess*n+i] -= float64(v)
		}
	}
	return guess, nil
}

// evalBatch is the batch size of evaluations.
const evalBatch = 1000

// ErrorRate returns the fraction of data the network gets wrong.
func ErrorRate(m *graph.Model, data graph.Dataset) (float64, error) {
	met, err := graph.Evaluate(m, graph.Perceptron{}, data, evalBatch)
	if err != nil {
		return 0, err
	}
	return 1 - met.Accuracy, nil
}

func logf(w io.Writer, format string, args ...any) {
	if w != nil {
		fmt.Fprintf(w, format+"\n", args...)
	}
}

// Format renders the result as the lines a command prints.
func (r *Result) Format() string {
	var b strings.Builder
	fmt.Fprintf(&b, "Hinton's digit templates (perceptron rule through the graph), %d passes:\n", len(r.Passes))
	for _, p := range r.Passes {
		fmt.Fprintf(&b, "  pass %d: wrong guesses during the pass %5.2f %%, training error %5.2f %%, test error %5.2f %%\n",
			p.Pass, 100*p.Mistakes, 100*p.Train, 100*p.Test)
	}
	fmt.Fprintf(&b, "test error %.2f %% (%v)\n", 100*r.TestError, r.Time.Round(time.Millisecond))
	return b.String()
}
