package templates

import (
	"testing"

	"github.com/featlearn/featlearn/datasets"
	"github.com/featlearn/featlearn/datasets/mnisttest"
	"github.com/featlearn/featlearn/graph"
)

// loadMNIST loads the real MNIST once per test binary.
func loadMNIST(tb testing.TB) *datasets.MNIST { return mnisttest.MNIST(tb) }

// TestGraphUpdateIsTheRule shows real binarised MNIST images one at a time
// to the graph (perceptron loss, G.Grad, TapeMachine, SGD at rate 1) and to
// the hand-written Rule, and checks after every image that every weight
// agrees exactly: both only ever add and subtract 0s and 1s.
func TestGraphUpdateIsTheRule(t *testing.T) {
	m := loadMNIST(t)
	data := graph.BinaryImageData(m.Train, 128)
	model, err := New(m.Train.Size())
	if err != nil {
		t.Fatal(err)
	}
	tr, err := graph.NewTrainer(model, graph.Perceptron{}, &graph.SGD{LR: 1})
	if err != nil {
		t.Fatal(err)
	}
	hand := make([]float64, datasets.Classes*m.Train.Size())
	x, y := make([]float32, m.Train.Size()), make([]float32, 1)
	const steps = 300
	updates := 0
	for i := range steps {
		if err := data.Gather([]int{i}, x, y); err != nil {
			t.Fatal(err)
		}
		guess, err := Rule(hand, x, int(y[0]))
		if err != nil {
			t.Fatal(err)
		}
		res, err := tr.TrainBatch(x, y, 1)
		if err != nil {
			t.Fatal(err)
		}
		if right := guess == int(y[0]); right != (res.Correct == 1) {
			t.Fatalf("image %d: the rule's guess %d was right: %v; the graph's: %v", i, guess, right, res.Correct == 1)
		} else if !right {
			updates++
		}
		for j, w := range model.Param(WeightName).Float64s() {
			if w != hand[j] {
				t.Fatalf("after image %d: weight %d (class %d, pixel %d) is %v in the graph, %v by the rule",
					i+1, j, j/m.Train.Size(), j%m.Train.Size(), w, hand[j])
			}
		}
	}
	if updates < 50 {
		t.Errorf("only %d of %d images changed the weights", updates, steps)
	}
	t.Logf("%d of %d images changed the weights; the graph and the rule agree on all of them", updates, steps)
}

func TestGuessAndRule(t *testing.T) {
	w := make([]float64, 3*2)
	x := []float32{1, 0}
	if g := Guess(w, x); g != 0 {
		t.Errorf("all votes tied: guess %d, want 0", g)
	}
	if g, err := Rule(w, x, 2); err != nil || g != 0 || w[0] != -1 || w[4] != 1 || w[1] != 0 || w[5] != 0 {
		t.Errorf("guess %d (%v), weights %v after a wrong guess of 0 for class 2", g, err, w)
	}
	if g, err := Rule(w, x, 2); err != nil || g != 2 || w[0] != -1 || w[4] != 1 {
		t.Errorf("guess %d (%v), weights %v: a right guess must change nothing", g, err, w)
	}
	if _, err := Rule(w, x, 3); err == nil {
		t.Error("label 3 of three classes: no error")
	}
	if g := Guess(w, nil); g != 0 {
		t.Errorf("empty image: guess %d, want 0", g)
	}
}

func TestBadConfig(t *testing.T) {
	m := loadMNIST(t)
	for _, cfg := range []Config{{Epochs: 0, Threshold: 128}, {Epochs: 1, Threshold: 0}, {Epochs: 1, Threshold: 1, Snapshots: -1}} {
		if _, err := Train(m.Train, m.Test, cfg, nil); err == nil {
			t.Errorf("%+v: no error", cfg)
		}
	}
	if _, err := Train(nil, m.Test, DefaultConfig(), nil); err == nil {
		t.Error("no training set: no error")
	}
}

// TestMNISTSubset is the quick version: one pass over 10,000 training
// images, tested on 2,000.
func TestMNISTSubset(t *testing.T) {
	if testing.Short() {
		t.Skip("MNIST subset run skipped under -short")
	}
	m := loadMNIST(t)
	cfg := DefaultConfig()
	cfg.Epochs, cfg.TrainLimit, cfg.TestLimit = 1, 10000, 2000
	r, err := Train(m.Train, m.Test, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("train error %.4f, test error %.4f in %v", r.TrainError, r.TestError, r.Time)
	if r.TestError > 0.25 || len(r.Snapshots) != cfg.Snapshots {
		t.Errorf("test error %.4f (want <= 0.25), %d snapshots (want %d)", r.TestError, len(r.Snapshots), cfg.Snapshots)
	}
	s := r.Snapshots[0]
	if s.Step != 1 || s.Guess != 0 || len(s.Weights) != 10 || len(s.Weights[0]) != 784 {
		t.Errorf("first snapshot: step %d, guess %d (all-zero weights guess 0), %d maps", s.Step, s.Guess, len(s.Weights))
	}
}

// TestMNISTFull is the figure: three passes over all 60,000
// training images, tested on all 10,000 test images. About 20 s.
func TestMNISTFull(t *testing.T) {
	if testing.Short() {
		t.Skip("full MNIST run skipped under -short")
	}
	m := loadMNIST(t)
	r, err := Train(m.Train, m.Test, DefaultConfig(), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range r.Passes {
		t.Logf("pass %d: mistakes %.4f, train error %.4f, test error %.4f", p.Pass, p.Mistakes, p.Train, p.Test)
	}
	if r.TestError > 0.15 {
		t.Errorf("test error %.4f, want <= 0.15", r.TestError)
	}
}
