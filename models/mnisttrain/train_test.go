package mnisttrain_test

import (
	"math"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"

	"github.com/pkg/errors"

	"github.com/featlearn/featlearn/datasets"
	"github.com/featlearn/featlearn/datasets/mnisttest"
	"github.com/featlearn/featlearn/graph"
	"github.com/featlearn/featlearn/models/mlp"
	"github.com/featlearn/featlearn/models/mnisttrain"
)

// realMNIST loads the real MNIST once for all tests.
func realMNIST(t testing.TB) *datasets.MNIST { return mnisttest.MNIST(t) }

// subset returns the first nTrain training images and nVal validation
// images.
func subset(t testing.TB, nTrain, nVal int) mnisttrain.Data {
	t.Helper()
	d, err := mnisttrain.Split(realMNIST(t))
	if err != nil {
		t.Fatal(err)
	}
	if d.Train, err = d.Train.Slice(0, nTrain); err != nil {
		t.Fatal(err)
	}
	if d.Val, err = d.Val.Slice(0, nVal); err != nil {
		t.Fatal(err)
	}
	return d
}

// smallSpec is a 784-32-10 MLP: fast, yet it learns.
func smallSpec() mnisttrain.Spec {
	return mlp.Arch{Hidden: []int{32}, Activation: mlp.ReLU}.Spec()
}

// recipe is a short recipe with momentum and a decay, so that the
// optimizer state and the schedule both matter on resume.
func recipe(out string) mnisttrain.Config {
	return mnisttrain.Config{Epochs: 2, Batch: 32, LR: 0.05, Optimizer: mnisttrain.SGD, Momentum: 0.9,
		WeightDecay: 1e-4, DecayEvery: 1, DecayFactor: 0.5, Seed: 7, Out: out}
}

func train(t *testing.T, spec mnisttrain.Spec, cfg mnisttrain.Config, d mnisttrain.Data, h mnisttrain.Hooks) *mnisttrain.Result {
	t.Helper()
	res, err := mnisttrain.Train(spec, cfg, d, h)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// sameWeights fails unless two models hold bit-identical parameters.
func sameWeights(t *testing.T, a, b *graph.Model) {
	t.Helper()
	for i, p := range a.Params() {
		q := b.Params()[i]
		av, bv := p.Float64s(), q.Float64s()
		for j := range av {
			if math.Float64bits(av[j]) != math.Float64bits(bv[j]) {
				t.Fatalf("%s[%d]: %v vs %v", p.Name, j, av[j], bv[j])
			}
		}
	}
}

// sameHistory fails unless two histories agree on everything but time.
func sameHistory(t *testing.T, a, b []mnisttrain.Epoch) {
	t.Helper()
	if len(a) != len(b) {
		t.Fatalf("histories of %d and %d epochs", len(a), len(b))
	}
	for i := range a {
		x, y := a[i], b[i]
		x.Seconds, y.Seconds = 0, 0
		if x != y {
			t.Errorf("epoch %d: %+v vs %+v", i+1, x, y)
		}
	}
}

func TestResumeAfterAnEpochIsBitIdentical(t *testing.T) {
	d := subset(t, 640, 200)
	whole := train(t, smallSpec(), recipe(t.TempDir()), d, mnisttrain.Hooks{})

	dir := t.TempDir()
	first := recipe(dir)
	first.Epochs = 1
	train(t, smallSpec(), first, d, mnisttrain.Hooks{})
	again := recipe(dir)
	again.Resume = true
	resumed := train(t, smallSpec(), again, d, mnisttrain.Hooks{})

	if resumed.ResumedEpoch != 1 || resumed.ResumedStep != 20 || resumed.Steps != 40 {
		t.Errorf("resumed at epoch %d step %d, ended at step %d", resumed.ResumedEpoch, resumed.ResumedStep, resumed.Steps)
	}
	sameWeights(t, whole.Model, resumed.Model)
	sameHistory(t, whole.History, resumed.History)
	meta, err := graph.ReadCheckpointMeta(mnisttrain.CheckpointPath(dir))
	if err != nil {
		t.Fatal(err)
	}
	if saved, err := mnisttrain.RecipeOf(meta); err != nil || saved.Epochs != 2 || saved.LR != again.LR || saved.Out != "" {
		t.Errorf("recipe of the checkpoint: %+v, %v", saved, err)
	}
	onDisk, err := mnisttrain.ReadHistory(dir)
	if err != nil {
		t.Fatal(err)
	}
	sameHistory(t, whole.History, onDisk)
}

func TestResumeMidEpochIsBitIdentical(t *testing.T) {
	d := subset(t, 600, 100) // 600/32: the last batch of each epoch is partial
	cfg := recipe("")
	cfg.Optimizer, cfg.LR = mnisttrain.Adam, 1e-3
	whole := train(t, smallSpec(), cfg, d, mnisttrain.Hooks{})

	cfg.Out = t.TempDir()
	stopAt := func(s mnisttrain.Step) error {
		if s.Step == 27 { // in epoch 2 of 19 batches each
			return mnisttrain.ErrStop
		}
		return nil
	}
	cut := train(t, smallSpec(), cfg, d, mnisttrain.Hooks{OnStep: stopAt})
	if !cut.Interrupted || cut.Steps != 27 || len(cut.History) != 2 || !cut.History[1].Partial {
		t.Fatalf("interrupted %v at step %d with %d history lines", cut.Interrupted, cut.Steps, len(cut.History))
	}
	cfg.Resume = true
	resumed := train(t, smallSpec(), cfg, d, mnisttrain.Hooks{})
	sameWeights(t, whole.Model, resumed.Model)
	sameHistory(t, whole.History, resumed.History)
}

func TestSameSeedSameWeights(t *testing.T) {
	d := subset(t, 320, 50)
	cfg := recipe("")
	a := train(t, smallSpec(), cfg, d, mnisttrain.Hooks{})
	b := train(t, smallSpec(), cfg, d, mnisttrain.Hooks{})
	sameWeights(t, a.Model, b.Model)
	cfg.Seed++
	c := train(t, smallSpec(), cfg, d, mnisttrain.Hooks{})
	if reflect.DeepEqual(a.Model.Params()[0].Float64s(), c.Model.Params()[0].Float64s()) {
		t.Error("another seed gave the same weights")
	}
}

func TestResumeRefusesAnotherRecipe(t *testing.T) {
	d := subset(t, 64, 0)
	cfg := recipe(t.TempDir())
	cfg.Epochs = 1
	train(t, smallSpec(), cfg, d, mnisttrain.Hooks{})
	cfg.Resume, cfg.Epochs = true, 2
	cases := map[string]func(*mnisttrain.Config, *mnisttrain.Spec, *mnisttrain.Data){
		"recipe": func(c *mnisttrain.Config, _ *mnisttrain.Spec, _ *mnisttrain.Data) { c.LR = 0.1 },
		"tanh":   func(_ *mnisttrain.Config, s *mnisttrain.Spec, _ *mnisttrain.Data) { s.Arch = "784-32-10 tanh" },
		"examples": func(_ *mnisttrain.Config, _ *mnisttrain.Spec, d *mnisttrain.Data) {
			d.Train, _ = d.Train.Slice(0, 32)
		},
	}
	for name, change := range cases {
		c, s, dd := cfg, smallSpec(), d
		change(&c, &s, &dd)
		if _, err := mnisttrain.Train(s, c, dd, mnisttrain.Hooks{}); err == nil || !strings.Contains(err.Error(), "resume") {
			t.Errorf("%s: got %v, want a resume error", name, err)
		}
	}
	cfg.Out = t.TempDir()
	if _, err := mnisttrain.Train(smallSpec(), cfg, d, mnisttrain.Hooks{}); err == nil {
		t.Error("resume from an empty directory: no error")
	}
}

func TestNaNLossStopsAndKeepsLastCheckpoint(t *testing.T) {
	d := subset(t, 320, 0)
	cfg := recipe(t.TempDir())
	cfg.DecayFactor = 1e12 // epoch 2 trains at a learning rate of 5e10
	_, err := mnisttrain.Train(smallSpec(), cfg, d, mnisttrain.Hooks{})
	if err == nil || !strings.Contains(err.Error(), "step") || !strings.Contains(err.Error(), "epoch 2") {
		t.Fatalf("got %v, want an error naming the step in epoch 2", err)
	}
	meta, err := graph.ReadCheckpointMeta(mnisttrain.CheckpointPath(cfg.Out))
	if err != nil || meta.Epoch != 1 || meta.Step != 10 {
		t.Fatalf("checkpoint after the NaN: %+v, %v; want the one of epoch 1", meta, err)
	}
	one := cfg
	one.Epochs, one.Out = 1, ""
	want := train(t, smallSpec(), one, d, mnisttrain.Hooks{})
	got, _, err := mnisttrain.Load(mnisttrain.CheckpointPath(cfg.Out), mlp.SpecFor)
	if err != nil {
		t.Fatal(err)
	}
	sameWeights(t, want.Model, got)
}

func TestMemoryStaysFlat(t *testing.T) {
	d := subset(t, 1000, 500)
	cfg := recipe("")
	cfg.Epochs = 5
	var heap []uint64
	onEpoch := func(mnisttrain.Epoch) error {
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		heap = append(heap, ms.HeapInuse)
		return nil
	}
	train(t, smallSpec(), cfg, d, mnisttrain.Hooks{OnEpoch: onEpoch})
	t.Logf("heap in use after each epoch: %v", heap)
	if heap[4] > heap[1]+heap[1]/10 {
		t.Errorf("heap grew from %d after epoch 2 to %d after epoch 5", heap[1], heap[4])
	}
}

func TestStepBudget(t *testing.T) {
	d := subset(t, 320, 100)
	cfg := recipe(t.TempDir())
	cfg.MaxSteps = 15
	res := train(t, smallSpec(), cfg, d, mnisttrain.Hooks{})
	if !res.OutOfSteps || res.Steps != 15 || len(res.History) != 2 || !res.History[1].Partial || res.History[1].ValN != 100 {
		t.Fatalf("budget of 15 steps: %+v", res)
	}
	cfg.MaxSteps, cfg.Resume = 0, true
	resumed := train(t, smallSpec(), cfg, d, mnisttrain.Hooks{})
	cfg.Out, cfg.Resume = "", false
	whole := train(t, smallSpec(), cfg, d, mnisttrain.Hooks{})
	sameWeights(t, whole.Model, resumed.Model)
}

func TestHookErrorAborts(t *testing.T) {
	boom := errors.New("boom")
	_, err := mnisttrain.Train(smallSpec(), recipe(""), subset(t, 64, 0), mnisttrain.Hooks{
		OnStep: func(mnisttrain.Step) error { return boom },
	})
	if !errors.Is(err, boom) {
		t.Errorf("got %v, want the hook's error", err)
	}
}

func TestBadConfig(t *testing.T) {
	d := subset(t, 64, 0)
	bad := []func(*mnisttrain.Config){
		func(c *mnisttrain.Config) { c.Epochs = 0 },
		func(c *mnisttrain.Config) { c.Batch = 0 },
		func(c *mnisttrain.Config) { c.LR = math.NaN() },
		func(c *mnisttrain.Config) { c.Optimizer = "rmsprop" },
		func(c *mnisttrain.Config) { c.Momentum = 1 },
		func(c *mnisttrain.Config) { c.DecayFactor = 0 },
		func(c *mnisttrain.Config) { c.Out, c.Resume = "", true },
	}
	for i, change := range bad {
		cfg := recipe("")
		change(&cfg)
		if _, err := mnisttrain.Train(smallSpec(), cfg, d, mnisttrain.Hooks{}); err == nil {
			t.Errorf("case %d: %+v accepted", i, cfg)
		}
	}
	if _, err := mnisttrain.Train(smallSpec(), recipe(""), mnisttrain.Data{}, mnisttrain.Hooks{}); err == nil {
		t.Error("no data accepted")
	}
}

func TestHistoryFiles(t *testing.T) {
	dir := t.TempDir()
	h := []mnisttrain.Epoch{{Epoch: 1, Steps: 10, LR: 0.1, TrainLoss: 0.5, TrainAccuracy: 0.8, ValLoss: 0.4, ValAccuracy: 0.85, ValN: 100, Seconds: 1.5}}
	if err := mnisttrain.WriteHistory(dir, h); err != nil {
		t.Fatal(err)
	}
	got, err := mnisttrain.ReadHistory(dir)
	if err != nil || !reflect.DeepEqual(got, h) {
		t.Fatalf("read back %+v, %v", got, err)
	}
	csv, err := os.ReadFile(filepath.Join(dir, mnisttrain.HistoryCSV))
	if err != nil {
		t.Fatal(err)
	}
	want := "epoch,steps,lr,train_loss,train_accuracy,val_loss,val_accuracy,val_n,seconds,partial\n1,10,0.1,0.5,0.8,0.4,0.85,100,1.50,false\n"
	if string(csv) != want {
		t.Errorf("csv:\n%s\nwant:\n%s", csv, want)
	}
}
