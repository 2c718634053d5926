package linear

import (
	"testing"

	"github.com/featlearn/featlearn/datasets"
	"github.com/featlearn/featlearn/datasets/mnisttest"
)

// loadMNIST loads the real MNIST once per test binary.
func loadMNIST(tb testing.TB) *datasets.MNIST { return mnisttest.MNIST(tb) }

func TestBadInput(t *testing.T) {
	m := loadMNIST(t)
	for _, cfg := range []Config{
		{Epochs: 0, BatchSize: 1, LR: 1}, {Epochs: 1, BatchSize: 0, LR: 1}, {Epochs: 1, BatchSize: 1, LR: 0},
		{Epochs: 1, BatchSize: 1, LR: 1, Momentum: 1}, {Epochs: 1, BatchSize: 1, LR: 1, Decay: 2},
		{Epochs: 1, BatchSize: 1, LR: 1, TrainLimit: -1},
	} {
		if _, err := Train(m.Train, m.Test, cfg, nil); err == nil {
			t.Errorf("%+v: no error", cfg)
		}
	}
	if _, err := Train(nil, m.Test, DefaultConfig(), nil); err == nil {
		t.Error("no training set: no error")
	}
	for _, ab := range [][2]int{{2, 2}, {-1, 3}, {2, 10}} {
		if _, err := Binary(m.Train, m.Test, ab[0], ab[1], DefaultConfig(), nil); err == nil {
			t.Errorf("digits %v: no error", ab)
		}
	}
	if _, err := TrainPlane(&datasets.Points{N: 1, Dim: 3, X: []float64{1, 2, 3}, Labels: []int{0}}, DefaultPlaneConfig()); err == nil {
		t.Error("3-D points: no error")
	}
}

func TestPair(t *testing.T) {
	s, err := datasets.NewSet(make([]uint8, 5), []uint8{3, 1, 2, 3, 7}, 1, 1)
	if err != nil {
		t.Fatal(err)
	}
	p, err := Pair(s, 2, 3)
	if err != nil {
		t.Fatal(err)
	}
	if p.N != 3 || p.Labels[0] != 1 || p.Labels[1] != 0 || p.Labels[2] != 1 {
		t.Errorf("pair of 2 and 3: labels %v, want [1 0 1]", p.Labels)
	}
	if s.Labels[0] != 3 {
		t.Error("Pair changed the original labels")
	}
	if _, err := Pair(s, 4, 5); err == nil {
		t.Error("no 4s or 5s: no error")
	}
}

// TestPlane: a line separates two blobs but not two moons.
func TestPlane(t *testing.T) {
	blobs, _ := datasets.Blobs(100, 0.4, 1)
	moons, _ := datasets.Moons(100, 0.1, 1)
	for _, c := range []struct {
		name     string
		p        *datasets.Points
		min, max float64
	}{{"blobs", blobs, 0, 0.03}, {"moons", moons, 0.05, 0.2}} {
		pl, err := TrainPlane(c.p, DefaultPlaneConfig())
		if err != nil {
			t.Fatal(err)
		}
		if e := pl.ErrorRate(c.p); e < c.min || e > c.max {
			t.Errorf("%s: training error %.3f, want %.2f..%.2f", c.name, e, c.min, c.max)
		}
	}
}

// TestMNISTFull is the figure: softmax regression on all 60,000
// training images, tested on all 10,000 test images. About 7 s.
func TestMNISTFull(t *testing.T) {
	if testing.Short() {
		t.Skip("full MNIST run skipped under -short")
	}
	m := loadMNIST(t)
	r, err := Train(m.Train, m.Test, DefaultConfig(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("train error %.4f, test error %.4f in %v", r.TrainError, r.TestError, r.Time)
	if r.TestError > 0.08 || r.Train != 60000 || r.Test != 10000 {
		t.Errorf("test error %.4f on %d test images after %d training images, want <= 0.08 on all", r.TestError, r.Test, r.Train)
	}
}

// TestBinaryTwoThree: 2 against 3 on all of their training and test images.
func TestBinaryTwoThree(t *testing.T) {
	if testing.Short() {
		t.Skip("MNIST run skipped under -short")
	}
	m := loadMNIST(t)
	r, err := Binary(m.Train, m.Test, 2, 3, DefaultConfig(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("2 v 3: train error %.4f on %d, test error %.4f on %d", r.TrainError, r.Train, r.TestError, r.Test)
	if r.TestError > 0.04 || r.Test != 1032+1010 {
		t.Errorf("test error %.4f on %d images, want <= 0.04 on the 2,042 test 2s and 3s", r.TestError, r.Test)
	}
	if d := r.Discriminant(); len(d) != 784 {
		t.Errorf("discriminant of %d weights", len(d))
	}
}

// TestOverfitCurves: the training error reaches zero while the validation
// loss, having fallen, rises again.
func TestOverfitCurves(t *testing.T) {
	if testing.Short() {
		t.Skip("MNIST run skipped under -short")
	}
	m := loadMNIST(t)
	c, err := OverfitCurves(m.Train, m.Test, DefaultOverfitConfig())
	if err != nil {
		t.Fatal(err)
	}
	last := len(c.Epochs) - 1
	minVal := c.ValLoss[0]
	for _, v := range c.ValLoss {
		minVal = min(minVal, v)
	}
	t.Logf("final train error %.4f, val error %.4f (best %d), val loss %.4f (min %.4f)", c.TrainError[last], c.ValError[last], c.BestEpoch, c.ValLoss[last], minVal)
	if c.TrainError[last] > 0.005 || c.ValLoss[last] < minVal+0.03 || c.ValError[last] < 0.1 {
		t.Errorf("no over-fitting: train error %.4f, val loss %.4f against a minimum of %.4f", c.TrainError[last], c.ValLoss[last], minVal)
	}
}

// TestCrossValidateDecay runs a small version of the weight-decay choice.
func TestCrossValidateDecay(t *testing.T) {
	if testing.Short() {
		t.Skip("MNIST run skipped under -short")
	}
	m := loadMNIST(t)
	cfg := DefaultDecayConfig()
	cfg.Decays, cfg.Size, cfg.Folds, cfg.Epochs = []float64{0, 1e-2, 1}, 500, 3, 10
	r, err := CrossValidateDecay(m.Train, m.Test, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("decays %v: CV errors %.3f, chose %v, test error %.4f", r.Decays, r.Mean, r.Best, r.TestError)
	if len(r.FoldErrors) != 3 || len(r.Mean) != 3 || r.Best == 1 || r.Mean[2] < r.Mean[0] {
		t.Errorf("a decay of 1 shrinks the weights to nothing and must lose: errors %v, best %v", r.Mean, r.Best)
	}
}
