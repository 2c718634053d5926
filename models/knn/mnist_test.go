package knn

import (
	"testing"
	"time"

	"github.com/featlearn/featlearn/datasets"
	"github.com/featlearn/featlearn/datasets/mnisttest"
)

// loadMNIST loads the real MNIST once per test binary.
func loadMNIST(tb testing.TB) *datasets.MNIST { return mnisttest.MNIST(tb) }

// TestMNISTSubset is the quick version of the full run: k chosen by
// 5-fold cross-validation on 2,000 training images, tested on the first
// 2,000 test images against the first 10,000 training images.
func TestMNISTSubset(t *testing.T) {
	if testing.Short() {
		t.Skip("MNIST subset run skipped under -short")
	}
	m := loadMNIST(t)
	cfg := DefaultConfig()
	cfg.CVSize, cfg.TrainLimit, cfg.TestLimit = 2000, 10000, 2000
	start := time.Now()
	r, err := Run(m.Train, m.Test, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("k = %d (CV errors %.4f), test error %.4f (all k: %.4f) in %v", r.K, r.CV.Mean, r.TestError, r.TestErrors, time.Since(start))
	// Measured: k = 3 and 7.15 % (1-NN: 7.75 %); the first 10,000
	// training images are a sixth of the data the full run has.
	if r.TestError > 0.08 {
		t.Errorf("test error %.4f, want <= 0.08", r.TestError)
	}
}

// TestMNISTFull is the figure: 10,000 test images against all
// 60,000 training images, k chosen by cross-validation on 10,000 of them.
// LeCun's table gives 3.09 % for the L2 nearest-neighbour rule. It takes
// about 20 s of CPU: 6 s of cross-validation, the rest the test run.
func TestMNISTFull(t *testing.T) {
	if testing.Short() {
		t.Skip("full MNIST run skipped under -short")
	}
	m := loadMNIST(t)
	r, err := Run(m.Train, m.Test, DefaultConfig(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("k = %d (CV errors %.4f in %v), test error %.4f (all k: %.4f) in %v", r.K, r.CV.Mean, r.CVTime, r.TestError, r.TestErrors, r.TestTime)
	if r.Test != 10000 || r.Train != 60000 {
		t.Fatalf("ran %d test against %d training images", r.Test, r.Train)
	}
	if r.TestError > 0.031 {
		t.Errorf("test error %.4f, want <= 0.031", r.TestError)
	}
}

// BenchmarkFullMNIST times the full test run: the neighbours of all
// 10,000 test images among all 60,000 training images, voted for k = 3.
func BenchmarkFullMNIST(b *testing.B) {
	m := loadMNIST(b)
	c, err := FromSet(m.Train)
	if err != nil {
		b.Fatal(err)
	}
	q, labels := SetArrays(m.Test)
	for b.Loop() {
		p, err := c.Predict(q, m.Test.N, 3)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(100*ErrorRate(p, labels), "%err")
	}
}
