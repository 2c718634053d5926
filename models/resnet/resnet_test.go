package resnet

import (
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/featlearn/featlearn/datasets"
	"github.com/featlearn/featlearn/datasets/mnisttest"
	"github.com/featlearn/featlearn/graph"
	"github.com/featlearn/featlearn/graph/arch"
)

// data returns the first nTrain training and nVal validation images of
// MNIST's usual split (0: all of them).
func data(t testing.TB, nTrain, nVal int) (train, val *datasets.Set) {
	t.Helper()
	train, val, err := mnisttest.MNIST(t).TrainVal()
	if err != nil {
		t.Fatal(err)
	}
	return train.First(nTrain), val.First(nVal)
}

func TestArchitecture(t *testing.T) {
	m, err := New(1)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]int{
		"conv1.weight": {16, 1, 5, 5}, "res1.conv2.weight": {16, 16, 3, 3}, "conv2.weight": {32, 16, 3, 3},
		"res2.bn2.weight": {32}, "fc1.weight": {10, 32}, "fc1.bias": {10},
	}
	for name, shape := range want {
		if p := m.Param(name); p == nil || p.Buffer() || len(p.Shape()) != len(shape) {
			t.Errorf("%s: %v, want a parameter of shape %v", name, p, shape)
		}
	}
	if b := m.Param("res2.bn1.running_var"); b == nil || !b.Buffer() {
		t.Error("res2.bn1.running_var is not a buffer")
	}
	if m.NumParams() != 28666 || len(m.Buffers()) != 12 {
		t.Errorf("%d parameters and %d buffers, want 28,666 and 12", m.NumParams(), len(m.Buffers()))
	}
	if out := m.OutputShape(); out.String() != "[10]" {
		t.Errorf("output %v", out)
	}
}

// TestArchIsTheNetwork builds Arch with graph/arch and wants Net()'s
// parameters, names and initial values, and its layer table.
func TestArchIsTheNetwork(t *testing.T) {
	a, err := arch.Parse(Arch)
	if err != nil {
		t.Fatal(err)
	}
	fromSpec, err := a.Build(Name, InputShape, 10, 7, arch.DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	fromGo, err := graph.NewModel(Net(), InputShape, 7)
	if err != nil {
		t.Fatal(err)
	}
	ps, gs := fromSpec.Params(), fromGo.Params()
	if len(ps) != len(gs) || len(fromSpec.Buffers()) != len(fromGo.Buffers()) {
		t.Fatalf("%d params and %d buffers from the SPEC, %d and %d from Go", len(ps), len(fromSpec.Buffers()), len(gs), len(fromGo.Buffers()))
	}
	for i, p := range gs {
		if ps[i].Name != p.Name || fmt.Sprint(ps[i].Float64s()) != fmt.Sprint(p.Float64s()) {
			t.Errorf("parameter %d: %s from the SPEC, %s from Go, or their values differ", i, ps[i].Name, p.Name)
		}
	}
	a1, _ := graph.FormatSummary(fromSpec)
	a2, _ := graph.FormatSummary(fromGo)
	if a1 != a2 {
		t.Errorf("summaries differ:\n%s\n%s", a1, a2)
	}
}

// TestLearnsOnASubset trains the default recipe at a constant rate (no
// warm-up) for 200 steps on 4,000 images: enough to show the network
// learns, fast enough for every run.
func TestLearnsOnASubset(t *testing.T) {
	train, val := data(t, 4000, 1000)
	r := DefaultRecipe()
	r.Schedule, r.Warmup = graph.SchedConstant, 0
	_, res, err := Train(r, train, val, graph.FitConfig{MaxSteps: 200})
	if err != nil {
		t.Fatal(err)
	}
	last := res.Last()
	t.Logf("after %d steps: validation accuracy %.2f%%", res.Steps, 100*last.ValAccuracy)
	if res.Steps != 200 || last.ValAccuracy < 0.85 {
		t.Errorf("after %d steps: validation accuracy %.2f%%, want >= 85%%", res.Steps, 100*last.ValAccuracy)
	}
}

// TestDefaultRecipeAccuracy trains the default recipe on all 55,000
// training images and measures the 10,000 test images, wanting at least
// 99.4 %. It takes minutes, so it runs only with FEATLEARN_FULL=1.
func TestDefaultRecipeAccuracy(t *testing.T) {
	if os.Getenv("FEATLEARN_FULL") != "1" {
		t.Skip("set FEATLEARN_FULL=1 to train the residual network on all of MNIST")
	}
	start := time.Now()
	train, val := data(t, 0, 0)
	m, res, err := Train(DefaultRecipe(), train, val, graph.FitConfig{})
	if err != nil {
		t.Fatal(err)
	}
	ev, err := graph.Evaluate(m, graph.CrossEntropy{}, graph.ImageData(mnisttest.MNIST(t).Test), 500)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range res.History {
		t.Logf("epoch %2d: lr %.4f, train %.2f%%, validation %.2f%% (%.0fs)", e.Epoch, e.LR, 100*e.TrainAccuracy, 100*e.ValAccuracy, e.Seconds)
	}
	t.Logf("test accuracy %.2f%% after %d epochs in %s", 100*ev.Accuracy, len(res.History), time.Since(start).Round(time.Second))
	if ev.Accuracy < 0.994 {
		t.Errorf("test accuracy %.2f%%, want >= 99.4%%", 100*ev.Accuracy)
	}
}

// benchStep times training steps of a network at batch 64 on MNIST images.
func benchStep(b *testing.B, net graph.Layer) {
	train, _ := data(b, 64, 1)
	m, err := graph.NewModel(net, InputShape, 1)
	if err != nil {
		b.Fatal(err)
	}
	tr, err := graph.NewTrainer(m, graph.CrossEntropy{}, &graph.SGD{LR: 0.01, Momentum: 0.9})
	if err != nil {
		b.Fatal(err)
	}
	idx := make([]int, 64)
	for i := range idx {
		idx[i] = i
	}
	x, y := make([]float32, 64*784), make([]float32, 64)
	if err := graph.ImageData(train).Gather(idx, x, y); err != nil {
		b.Fatal(err)
	}
	if _, err := tr.TrainBatch(x, y, 64); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := tr.TrainBatch(x, y, 64); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkTrainStep times a training step of the network.
func BenchmarkTrainStep(b *testing.B) { benchStep(b, net(true)) }

// BenchmarkTrainStepPlain times the same network without its BatchNorm
// and Dropout layers (convolution biases instead): the difference is what
// they cost.
func BenchmarkTrainStepPlain(b *testing.B) { benchStep(b, net(false)) }
