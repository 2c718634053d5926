package onnx

import (
	"path/filepath"
	"sync"
	"testing"

	"github.com/featlearn/featlearn/datasets"
	"github.com/featlearn/featlearn/graph"
	"github.com/featlearn/featlearn/models/lenet"
	"github.com/featlearn/featlearn/models/mlp"
)

var mnist = sync.OnceValues(func() (*datasets.MNIST, error) { return datasets.LoadMNIST("") })

// loadMNIST returns MNIST, which ships as a Go module.
func loadMNIST(t *testing.T) *datasets.MNIST {
	t.Helper()
	m, err := mnist()
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// trained returns a model trained for one short epoch on 6,000 images,
// so that its logits and argmaxes are those of a working classifier.
func trained(t *testing.T, build func(uint64) (*graph.Model, error)) *graph.Model {
	t.Helper()
	m, err := build(1)
	if err != nil {
		t.Fatal(err)
	}
	r := graph.Recipe{Epochs: 1, Batch: 64, LR: 0.05, Optimizer: graph.OptSGD, Momentum: 0.9, Seed: 1}
	if _, err := r.FitImages(m, loadMNIST(t).Train.First(6000), nil, graph.FitConfig{}); err != nil {
		t.Fatal(err)
	}
	return m
}

// testImages returns the first n test images as the models' input.
func testImages(t *testing.T, n int) ([]float32, []float64) {
	set := loadMNIST(t).Test.First(n)
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	x := set.Float32Batch(idx, nil)
	x64 := make([]float64, len(x))
	for i, v := range x {
		x64[i] = float64(v)
	}
	return x, x64
}

// compareORT runs model m's export in ONNX Runtime on the first 1,000
// MNIST test images and checks the logits to 1e-5 and every argmax.
func compareORT(t *testing.T, what string, m *graph.Model) {
	t.Helper()
	const n = 1000
	x, x64 := testImages(t, n)
	want, err := m.Predict(x, n, 500)
	if err != nil {
		t.Fatal(err)
	}
	data, err := Export(m, Meta{Classes: DigitClasses(), Input: MNISTInput()})
	if err != nil {
		t.Fatal(err)
	}
	res := runORT(t, []ortJob{{model: data, x: x64, dims: batchDims(n, m.InputShape())}})[0]
	d := maxDiff(res.Values, want)
	agree := argmaxAgree(res.Values, want, 10)
	t.Logf("%s: %d images, largest logit difference %.3g, %d argmaxes agree", what, n, d, agree)
	if !(d <= 1e-5) || agree != n {
		t.Errorf("%s: ONNX Runtime differs by %g, %d of %d argmaxes agree", what, d, agree, n)
	}
}

// argmaxAgree counts the rows of k values whose largest entries agree.
func argmaxAgree(a, b []float64, k int) int {
	n := 0
	for i := 0; i+k <= len(a) && i+k <= len(b); i += k {
		if graph.Argmax(a[i:i+k]) == graph.Argmax(b[i:i+k]) {
			n++
		}
	}
	return n
}

// TestLeNetMatchesORT exports a trained LeNet-5 and runs it in ONNX
// Runtime on 1,000 MNIST test images.
func TestLeNetMatchesORT(t *testing.T) {
	needORT(t)
	compareORT(t, "LeNet-5", trained(t, lenet.New))
}

// TestMLPMatchesORT exports a trained 784-300-100-10 MLP and runs it in
// ONNX Runtime on 1,000 MNIST test images.
func TestMLPMatchesORT(t *testing.T) {
	needORT(t)
	compareORT(t, "MLP", trained(t, mlp.New))
}

// TestImportFineTuneExport exports a trained LeNet-5, imports it (same
// outputs to 1e-6), fine-tunes the imported model for one epoch, saves
// and reloads it as a featlearn checkpoint, and exports it again for ONNX
// Runtime, which must agree with it.
func TestImportFineTuneExport(t *testing.T) {
	m := trained(t, lenet.New)
	dir := t.TempDir()
	path := filepath.Join(dir, "lenet.onnx")
	if err := ExportFile(m, path, Meta{Model: "lenet", Arch: lenet.Arch, Classes: DigitClasses(), Input: MNISTInput()}); err != nil {
		t.Fatal(err)
	}
	back, meta, err := ImportFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if meta.Model != "lenet" || meta.Arch != lenet.Arch || len(meta.Classes) != 10 || meta.Input.Scale != 1.0/255 {
		t.Errorf("meta %+v", meta)
	}
	const n = 1000
	x, _ := testImages(t, n)
	want, err := m.Predict(x, n, 500)
	if err != nil {
		t.Fatal(err)
	}
	got, err := back.Predict(x, n, 500)
	if err != nil {
		t.Fatal(err)
	}
	d := maxDiff(got, want)
	t.Logf("imported LeNet-5: largest logit difference %.3g on %d images", d, n)
	if !(d <= 1e-6) {
		t.Fatalf("the imported LeNet-5 differs by %g", d)
	}
	before := back.Param("fc3.weight").Float64s()
	r := graph.Recipe{Epochs: 1, Batch: 64, LR: 0.01, Optimizer: graph.OptSGD, Momentum: 0.9, Seed: 2}
	train, err := loadMNIST(t).Train.Slice(6000, 12000)
	if err != nil {
		t.Fatal(err)
	}
	res, err := r.FitImages(back, train, loadMNIST(t).Test.First(n), graph.FitConfig{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if maxDiff(before, back.Param("fc3.weight").Float64s()) == 0 {
		t.Fatal("fine-tuning left fc3.weight as it was")
	}
	t.Logf("fine-tuned the imported LeNet-5 for one epoch: %+v", res.History[len(res.History)-1])
	reloaded, _, err := ImportFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := graph.LoadCheckpoint(graph.CheckpointPath(dir), reloaded, nil); err != nil {
		t.Fatal(err)
	}
	if maxDiff(reloaded.Param("fc3.weight").Float64s(), back.Param("fc3.weight").Float64s()) != 0 {
		t.Error("the checkpoint of the fine-tuned model does not load back into the imported model")
	}
	if needORT(t) != "" {
		compareORT(t, "fine-tuned imported LeNet-5", back)
	}
}
