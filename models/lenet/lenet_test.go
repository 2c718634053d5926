package lenet_test

import (
	"math"
	"os"
	"reflect"
	"runtime"
	"testing"
	"time"

	"github.com/featlearn/featlearn/datasets/mnisttest"
	"github.com/featlearn/featlearn/models/lenet"
	"github.com/featlearn/featlearn/models/mnisttrain"
)

// data returns the first nTrain training and nVal validation images of
// MNIST's usual split (0: all of them).
func data(t *testing.T, nTrain, nVal int) mnisttrain.Data {
	t.Helper()
	d, err := mnisttrain.SplitFirst(mnisttest.MNIST(t), nTrain, nVal)
	if err != nil {
		t.Fatal(err)
	}
	return d
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

func TestSpecFor(t *testing.T) {
	if _, err := lenet.SpecFor(lenet.Name, lenet.Arch); err != nil {
		t.Error(err)
	}
	if _, err := lenet.SpecFor("mlp", "784-300-100-10 relu"); err == nil {
		t.Error("an MLP checkpoint accepted")
	}
}

// TestLearnsOnASubset trains the default recipe for 300 steps on 4,000
// images: enough to show LeNet learns, fast enough for every test run.
func TestLearnsOnASubset(t *testing.T) {
	cfg := lenet.DefaultConfig()
	cfg.MaxSteps = 300
	res, err := lenet.Train(cfg, data(t, 4000, 1000))
	if err != nil {
		t.Fatal(err)
	}
	last := res.History[len(res.History)-1]
	t.Logf("after %d steps: validation accuracy %.2f%%", res.Steps, 100*last.ValAccuracy)
	if res.Steps != 300 || last.ValAccuracy < 0.95 {
		t.Errorf("after %d steps: validation accuracy %.2f%%, want >= 95%%", res.Steps, 100*last.ValAccuracy)
	}
}

// TestResumeIsBitIdentical trains 2 epochs, and 1 epoch then 1 more from
// the checkpoint, on 512 images; the weights must match bit for bit.
func TestResumeIsBitIdentical(t *testing.T) {
	d := data(t, 512, 100)
	cfg := lenet.DefaultConfig()
	cfg.Epochs, cfg.DecayEvery = 2, 1
	whole, err := lenet.Train(cfg, d)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Out, cfg.Epochs = t.TempDir(), 1
	if _, err := lenet.Train(cfg, d); err != nil {
		t.Fatal(err)
	}
	cfg.Epochs, cfg.Resume = 2, true
	resumed, err := lenet.Train(cfg, d)
	if err != nil {
		t.Fatal(err)
	}
	if resumed.ResumedEpoch != 1 || resumed.Steps != 16 {
		t.Errorf("resumed at epoch %d, ended at step %d", resumed.ResumedEpoch, resumed.Steps)
	}
	for i, p := range whole.Model.Params() {
		a, b := p.Float64s(), resumed.Model.Params()[i].Float64s()
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
	onEpoch := func(mnisttrain.Epoch) error {
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		heap = append(heap, ms.HeapInuse)
		return nil
	}
	res, err := mnisttrain.Train(lenet.Spec(), lenet.DefaultConfig(), data(t, 0, 0), mnisttrain.Hooks{OnEpoch: onEpoch})
	if err != nil {
		t.Fatal(err)
	}
	ev, err := mnisttrain.Evaluate(res.Model, mnisttest.MNIST(t).Test)
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
