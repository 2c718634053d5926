package mlp_test

import (
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/featlearn/featlearn/datasets"
	"github.com/featlearn/featlearn/datasets/mnisttest"
	"github.com/featlearn/featlearn/graph"
	"github.com/featlearn/featlearn/models/mlp"
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

func TestDefaultArchitecture(t *testing.T) {
	m, err := mlp.New(1)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	var shapes [][]int
	for _, p := range m.Params() {
		names, shapes = append(names, p.Name), append(shapes, p.Shape())
	}
	wantNames := []string{"fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias", "fc3.weight", "fc3.bias"}
	wantShapes := [][]int{{300, 784}, {300}, {100, 300}, {100}, {10, 100}, {10}}
	if !reflect.DeepEqual(names, wantNames) || !reflect.DeepEqual(shapes, wantShapes) {
		t.Errorf("params %v %v, want %v %v", names, shapes, wantNames, wantShapes)
	}
	if m.NumParams() != 266610 {
		t.Errorf("%d parameters, want 266,610", m.NumParams())
	}
}

func TestArchStrings(t *testing.T) {
	for _, a := range []mlp.Arch{mlp.DefaultArch(), {Hidden: []int{64}, Activation: mlp.Tanh}, {Activation: mlp.Sigmoid}} {
		b, err := mlp.ParseArch(a.String())
		if err != nil || b.String() != a.String() {
			t.Errorf("%q read back as %q, %v", a, b, err)
		}
	}
	if got := mlp.DefaultArch().String(); got != "784-300-100-10 relu" {
		t.Errorf("default architecture %q", got)
	}
	for _, bad := range []string{"", "784-300-10", "784-300-10 softplus", "785-10 relu", "784-0-10 relu", "784-x-10 relu"} {
		if _, err := mlp.ParseArch(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	for _, huge := range []string{"784-1000000000-10 relu", "784-" + strings.Repeat("10-", 50) + "10 relu", "784-30000-30000-10 relu"} {
		if _, err := mlp.ParseArch(huge); err == nil {
			t.Errorf("%.40q accepted", huge)
		}
	}
	dir := t.TempDir()
	m, _ := mlp.New(1)
	path := graph.CheckpointPath(dir)
	if err := graph.SaveCheckpoint(path, m, nil, graph.CheckpointMeta{Model: "lenet", Config: "784-300-100-10 relu"}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := mlp.Load(path); err == nil {
		t.Error("a lenet checkpoint accepted")
	}
	if h, err := mlp.ParseHidden("300, 100"); err != nil || !reflect.DeepEqual(h, []int{300, 100}) {
		t.Errorf("ParseHidden: %v, %v", h, err)
	}
	if _, err := (mlp.Arch{Hidden: []int{10}, Activation: "elu"}).Build(1); err == nil {
		t.Error("activation elu accepted")
	}
}

// TestLearnsOnASubset trains the default recipe for 300 steps on 4,000
// images.
func TestLearnsOnASubset(t *testing.T) {
	train, val := data(t, 4000, 1000)
	_, res, err := mlp.Train(mlp.DefaultArch(), mlp.DefaultRecipe(), train, val, graph.FitConfig{MaxSteps: 300})
	if err != nil {
		t.Fatal(err)
	}
	last := res.Last()
	t.Logf("after %d steps: validation accuracy %.2f%%", res.Steps, 100*last.ValAccuracy)
	if res.Steps != 300 || last.ValAccuracy < 0.92 {
		t.Errorf("after %d steps: validation accuracy %.2f%%, want >= 92%%", res.Steps, 100*last.ValAccuracy)
	}
}

// TestDefaultRecipeAccuracy trains the default recipe on all 55,000
// training images and measures the 10,000 test images; it runs only with
// FEATLEARN_FULL=1.
func TestDefaultRecipeAccuracy(t *testing.T) {
	if os.Getenv("FEATLEARN_FULL") != "1" {
		t.Skip("set FEATLEARN_FULL=1 to train the MLP on all of MNIST")
	}
	start := time.Now()
	train, val := data(t, 0, 0)
	m, res, err := mlp.Train(mlp.DefaultArch(), mlp.DefaultRecipe(), train, val, graph.FitConfig{})
	if err != nil {
		t.Fatal(err)
	}
	ev, err := graph.Evaluate(m, graph.CrossEntropy{}, graph.ImageData(mnisttest.MNIST(t).Test), 500)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range res.History {
		t.Logf("epoch %2d: train %.2f%%, validation %.2f%% (%.0fs)", e.Epoch, 100*e.TrainAccuracy, 100*e.ValAccuracy, e.Seconds)
	}
	t.Logf("test accuracy %.2f%% after %d epochs in %s", 100*ev.Accuracy, len(res.History), time.Since(start).Round(time.Second))
	if ev.Accuracy < 0.98 {
		t.Errorf("test accuracy %.2f%%, want >= 98.0%%", 100*ev.Accuracy)
	}
}
