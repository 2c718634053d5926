package lenet_test

import (
	"math"
	"os"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/featlearn/featlearn/datasets"
	"github.com/featlearn/featlearn/datasets/mnisttest"
	"github.com/featlearn/featlearn/graph"
	"github.com/featlearn/featlearn/models/lenet"
)

// data returns the first nTrain training and nVal validation images of
// MNIST's usual split (0: all of them).
func data(t *testing.T, nTrain, nVal int) (train, val *datasets.Set) {
	t.Helper()
	train, val, err := mnisttest.MNIST(t).TrainVal()
	if err != nil {
		t.Fatal(err)
	}
	return train.First(nTrain), val.First(nVal)
}

func TestArchitecture(t *testing.T) {
	m, err := lenet.New(1)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]int{
		"conv1.weight": {6, 1, 5, 5}, "conv1.bias": {6},
		"conv2.weight": {16, 6, 5, 5}, "conv2.bias": {16},
		"fc1.weight": {120, 400}, "fc1.bias": {120},
		"fc2.weight": {84, 120}, "fc2.bias": {84},
		"fc3.weight": {10, 84}, "fc3.bias": {10},
	}
	if len(m.Params()) != len(want) {
		t.Errorf("%d parameters, want %d", len(m.Params()), len(want))
	}
	for _, p := range m.Params() {
		if !reflect.DeepEqual(p.Shape(), want[p.Name]) {
			t.Errorf("%s: shape %v, want %v", p.Name, p.Shape(), want[p.Name])
		}
	}
	if m.NumParams() != 61706 {
		t.Errorf("%d parameters, want 61,706", m.NumParams())
	}
	infos, err := m.Summary()
	if err != nil {
		t.Fatal(err)
	}
	outs := map[string]string{}
	for _, in := range infos {
		outs[in.Name] = in.Output.String()
	}
	for layer, shape := range map[string]string{"conv1": "[6 28 28]", "pool1": "[6 14 14]", "conv2": "[16 10 10]", "pool2": "[16 5 5]", "fc3": "[10]"} {
		if outs[layer] != shape {
			t.Errorf("%s outputs %s, want %s", layer, outs[layer], shape)
		}
	}
}

func TestLoadRefusesOtherModels(t *testing.T) {
	dir := t.TempDir()
	m, _ := lenet.New(1)
	path := graph.CheckpointPath(dir)
	if err := graph.SaveCheckpoint(path, m, nil, graph.CheckpointMeta{Model: "mlp", Config: "784-300-100-10 relu"}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := lenet.Load(path); err == nil || !strings.Contains(err.Error(), "not lenet") {
		t.Errorf("an MLP checkpoint loaded as LeNet-5: %v", err)
	}
}

// TestLearnsOnASubset trains the default recipe for 300 steps on 4,000
// images: enough to show LeNet learns, fast enough for every test run.
func TestLearnsOnASubset(t *testing.T) {
	train, val := data(t, 4000, 1000)
	_, res, err := lenet.Train(lenet.DefaultRecipe(), train, val, graph.FitConfig{MaxSteps: 300})
	if err != nil {
		t.Fatal(err)
	}
	last := res.Last()
	t.Logf("after %d steps: validation accuracy %.2f%%", res.Steps, 100*last.ValAccuracy)
	if res.Steps != 300 || last.ValAccuracy < 0.95 {
		t.Errorf("after %d steps: validation accuracy %.2f%%, want >= 95%%", res.Steps, 100*last.ValAccuracy)
	}
}

// TestResumeIsBitIdentical trains 2 epochs, and 1 epoch then 1 more from
// the checkpoint, on 512 images; the weights must match bit for bit.
func TestResumeIsBitIdentical(t *testing.T) {
	train, val := data(t, 512, 100)
	r := lenet.DefaultRecipe()
	r.Epochs, r.DecayEvery = 2, 1
	whole, _, err := lenet.Train(r, train, val, graph.FitConfig{})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	r.Epochs = 1
	if _, _, err := lenet.Train(r, train, val, graph.FitConfig{Dir: dir}); err != nil {
		t.Fatal(err)
	}
	r.Epochs = 2
	resumedModel, resumed, err := lenet.Train(r, train, val, graph.FitConfig{Dir: dir, Resume: true})
	if err != nil {
		t.Fatal(err)
	}
	if resumed.ResumedEpoch != 1 || resumed.Steps != 16 {
		t.Errorf("resumed at epoch %d, ended at step %d", resumed.ResumedEpoch, resumed.Steps)
	}
	for i, p := range whole.Params() {
		a, b := p.Float64s(), resumedModel.Params()[i].Float64s()
		for j := range a {
			if math.Float64bits(a[j]) != math.Float64bits(b[j]) {
				t.Fatalf("%s[%d]: %v uninterrupted, %v resumed", p.Name, j, a[j], b[j])
			}
		}
	}
}

// TestDefaultRecipeAccuracy trains the default recipe on all 55,000
// training images and measures the 10,000 test images; it also checks that
// the heap in use after a collection stays flat from epoch to epoch. It
// takes minutes, so it runs only with FEATLEARN_FULL=1.
func TestDefaultRecipeAccuracy(t *testing.T) {
	if os.Getenv("FEATLEARN_FULL") != "1" {
		t.Skip("set FEATLEARN_FULL=1 to train LeNet-5 on all of MNIST")
	}
	start := time.Now()
	var heap []uint64
	onEpoch := func(graph.EpochInfo) error {
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		heap = append(heap, ms.HeapInuse)
		return nil
	}
	train, val := data(t, 0, 0)
	m, res, err := lenet.Train(lenet.DefaultRecipe(), train, val, graph.FitConfig{OnEpoch: onEpoch})
	if err != nil {
		t.Fatal(err)
	}
	ev, err := graph.Evaluate(m, graph.CrossEntropy{}, graph.ImageData(mnisttest.MNIST(t).Test), 500)
	if err != nil {
		t.Fatal(err)
	}
	for i, e := range res.History {
		t.Logf("epoch %2d: train %.2f%%, validation %.2f%% (%.0fs), heap in use %.1f MB",
			e.Epoch, 100*e.TrainAccuracy, 100*e.ValAccuracy, e.Seconds, float64(heap[i])/1e6)
	}
	t.Logf("test accuracy %.2f%% after %d epochs in %s", 100*ev.Accuracy, len(res.History), time.Since(start).Round(time.Second))
	if ev.Accuracy < 0.99 {
		t.Errorf("test accuracy %.2f%%, want >= 99.0%%", 100*ev.Accuracy)
	}
	if last := heap[len(heap)-1]; last > heap[0]+heap[0]/10 {
		t.Errorf("heap in use grew from %d after epoch 1 to %d", heap[0], last)
	}
}
