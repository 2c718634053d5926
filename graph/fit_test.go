package graph

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
)

// subset returns the first nTrain training and nVal validation images of
// MNIST's usual split.
func subset(t testing.TB, nTrain, nVal int) (train, val *datasets.Set) {
	t.Helper()
	train, val, err := mnisttest.MNIST(t).TrainVal()
	if err != nil {
		t.Fatal(err)
	}
	return train.First(nTrain), val.First(nVal)
}

// smallMLP is a 784-32-10 MLP: fast, yet it learns.
func smallMLP(t testing.TB, seed uint64) *Model {
	t.Helper()
	m, err := NewModel(Sequential("mlp", Flatten(), Dense("fc1", 32, WithInit(He)), ReLU(), Dense("fc2", 10)), []int{1, 28, 28}, seed)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// smallCNN has every stateful layer: conv-BatchNorm-ReLU, a residual
// block, dropout and global average pooling.
func smallCNN(t testing.TB, seed uint64) *Model {
	t.Helper()
	net := Sequential("cnn",
		Conv2D("conv1", 4, 3, Pad(1), Stride(2), NoBias()), BatchNorm("bn1"), ReLU(),
		Residual("block1", Conv2D("conv", 4, 3, Pad(1), NoBias()), BatchNorm("bn"), ReLU(), Dropout("drop", 0.2)),
		MaxPool2D("pool", 2), Dropout("drop", 0.3),
		GlobalAvgPool2D("gap"), Dense("fc", 10))
	m, err := NewModel(net, []int{1, 28, 28}, seed)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// recipe is a short recipe with momentum and a decay, so that the
// optimizer state and the schedule both matter on resume.
func recipe() Recipe {
	return Recipe{Epochs: 2, Batch: 32, LR: 0.05, Optimizer: OptSGD, Momentum: 0.9,
		WeightDecay: 1e-4, DecayEvery: 1, DecayFactor: 0.5, Seed: 7}
}

// fitOn trains m by r on images, validating on val, with cfg's extras.
func fitOn(t *testing.T, m *Model, r Recipe, train, val *datasets.Set, cfg FitConfig) *FitResult {
	t.Helper()
	cfg.Meta.Model = m.Name()
	res, err := r.FitImages(m, train, val, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// sameTensors fails unless two models hold bit-identical parameters and
// buffers.
func sameTensors(t *testing.T, a, b *Model) {
	t.Helper()
	bt := b.tensors()
	for i, p := range a.tensors() {
		av, bv := p.Float64s(), bt[i].Float64s()
		for j := range av {
			if math.Float64bits(av[j]) != math.Float64bits(bv[j]) {
				t.Fatalf("%s[%d]: %v vs %v", p.Name, j, av[j], bv[j])
			}
		}
	}
}

// sameHistory fails unless two histories agree on everything but time.
func sameHistory(t *testing.T, a, b []EpochInfo) {
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
	train, val := subset(t, 640, 200)
	whole := smallMLP(t, 7)
	wholeRes := fitOn(t, whole, recipe(), train, val, FitConfig{Dir: t.TempDir()})

	dir := t.TempDir()
	first := recipe()
	first.Epochs = 1
	fitOn(t, smallMLP(t, 7), first, train, val, FitConfig{Dir: dir})
	resumed := smallMLP(t, 7)
	res := fitOn(t, resumed, recipe(), train, val, FitConfig{Dir: dir, Resume: true})

	if res.ResumedEpoch != 1 || res.ResumedStep != 20 || res.Steps != 40 {
		t.Errorf("resumed at epoch %d step %d, ended at step %d", res.ResumedEpoch, res.ResumedStep, res.Steps)
	}
	sameTensors(t, whole, resumed)
	sameHistory(t, wholeRes.History, res.History)
	meta, err := ReadCheckpointMeta(CheckpointPath(dir))
	if err != nil {
		t.Fatal(err)
	}
	if saved, err := RecipeOf(meta); err != nil || saved != recipe() {
		t.Errorf("recipe of the checkpoint: %+v, %v", saved, err)
	}
	onDisk, err := ReadHistory(dir)
	if err != nil {
		t.Fatal(err)
	}
	sameHistory(t, wholeRes.History, onDisk)
}

// TestResumeMidEpochWithBatchNormAndDropout interrupts a run of a net
// with BatchNorm, dropout and a residual block in the middle of an epoch,
// resumes it, and wants the uninterrupted run's weights and running
// statistics bit for bit; a second run from the same seed is identical
// too.
func TestResumeMidEpochWithBatchNormAndDropout(t *testing.T) {
	train, val := subset(t, 600, 100) // 600/32: the last batch of each epoch is partial
	r := recipe()
	r.Optimizer, r.LR = OptAdamW, 3e-3
	whole := smallCNN(t, 3)
	wholeRes := fitOn(t, whole, r, train, val, FitConfig{})
	again := smallCNN(t, 3)
	fitOn(t, again, r, train, val, FitConfig{})
	sameTensors(t, whole, again)

	dir := t.TempDir()
	stopAt := func(s StepInfo) error {
		if s.Step == 27 { // in epoch 2 of 19 batches each
			return ErrStop
		}
		return nil
	}
	cut := fitOn(t, smallCNN(t, 3), r, train, val, FitConfig{Dir: dir, OnStep: stopAt})
	if !cut.Interrupted || cut.Steps != 27 || len(cut.History) != 2 || !cut.History[1].Partial {
		t.Fatalf("interrupted %v at step %d with %d history lines", cut.Interrupted, cut.Steps, len(cut.History))
	}
	resumed := smallCNN(t, 3)
	res := fitOn(t, resumed, r, train, val, FitConfig{Dir: dir, Resume: true})
	sameTensors(t, whole, resumed)
	sameHistory(t, wholeRes.History, res.History)

	moved := false
	for _, b := range whole.Buffers() {
		for _, v := range b.Float64s() {
			moved = moved || (v != 0 && v != 1)
		}
	}
	if !moved {
		t.Error("the running statistics never moved: the test checks nothing")
	}
	other := smallCNN(t, 4)
	fitOn(t, other, r, train, val, FitConfig{})
	if reflect.DeepEqual(whole.Params()[0].Float64s(), other.Params()[0].Float64s()) {
		t.Error("another seed gave the same weights")
	}
}

func TestResumeRefusesAnotherRun(t *testing.T) {
	train, _ := subset(t, 64, 0)
	dir := t.TempDir()
	r := recipe()
	r.Epochs = 1
	fitOn(t, smallMLP(t, 7), r, train, nil, FitConfig{Dir: dir})
	r.Epochs = 2
	other := r
	other.LR = 0.1
	cases := map[string]func() (*FitResult, error){
		"recipe": func() (*FitResult, error) {
			return other.FitImages(smallMLP(t, 7), train, nil, FitConfig{Dir: dir, Resume: true})
		},
		"examples": func() (*FitResult, error) {
			return r.FitImages(smallMLP(t, 7), train.First(32), nil, FitConfig{Dir: dir, Resume: true})
		},
		"model": func() (*FitResult, error) {
			return r.FitImages(smallMLP(t, 7), train, nil, FitConfig{Dir: dir, Resume: true, Meta: CheckpointMeta{Model: "x"}})
		},
		"empty": func() (*FitResult, error) {
			return r.FitImages(smallMLP(t, 7), train, nil, FitConfig{Dir: t.TempDir(), Resume: true})
		},
	}
	for name, run := range cases {
		if _, err := run(); err == nil || !strings.Contains(err.Error(), "resume") {
			t.Errorf("%s: got %v, want a resume error", name, err)
		}
	}
}

func TestNaNLossStopsAndKeepsLastCheckpoint(t *testing.T) {
	train, _ := subset(t, 320, 0)
	dir := t.TempDir()
	r := recipe()
	r.DecayFactor = 1e12 // epoch 2 trains at a learning rate of 5e10
	_, err := r.FitImages(smallMLP(t, 7), train, nil, FitConfig{Dir: dir})
	if err == nil || !strings.Contains(err.Error(), "step") || !strings.Contains(err.Error(), "epoch 2") {
		t.Fatalf("got %v, want an error naming the step in epoch 2", err)
	}
	meta, err := ReadCheckpointMeta(CheckpointPath(dir))
	if err != nil || meta.Epoch != 1 || meta.Step != 10 {
		t.Fatalf("checkpoint after the NaN: %+v, %v; want the one of epoch 1", meta, err)
	}
	one := r
	one.Epochs = 1
	want := smallMLP(t, 7)
	fitOn(t, want, one, train, nil, FitConfig{})
	got, _, err := LoadModel(CheckpointPath(dir), func(CheckpointMeta) (*Model, error) { return smallMLP(t, 1), nil })
	if err != nil {
		t.Fatal(err)
	}
	sameTensors(t, want, got)
}

func TestMemoryStaysFlat(t *testing.T) {
	train, val := subset(t, 1000, 500)
	r := recipe()
	r.Epochs = 5
	var heap []uint64
	onEpoch := func(EpochInfo) error {
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		heap = append(heap, ms.HeapInuse)
		return nil
	}
	fitOn(t, smallCNN(t, 1), r, train, val, FitConfig{OnEpoch: onEpoch})
	t.Logf("heap in use after each epoch: %v", heap)
	if heap[4] > heap[1]+heap[1]/10 {
		t.Errorf("heap grew from %d after epoch 2 to %d after epoch 5", heap[1], heap[4])
	}
}

func TestStepBudget(t *testing.T) {
	train, val := subset(t, 320, 100)
	dir := t.TempDir()
	res := fitOn(t, smallMLP(t, 7), recipe(), train, val, FitConfig{Dir: dir, MaxSteps: 15})
	if !res.OutOfSteps || res.Steps != 15 || len(res.History) != 2 || !res.History[1].Partial || res.History[1].ValN != 100 {
		t.Fatalf("budget of 15 steps: %+v", res)
	}
	resumed := smallMLP(t, 7)
	fitOn(t, resumed, recipe(), train, val, FitConfig{Dir: dir, Resume: true})
	whole := smallMLP(t, 7)
	fitOn(t, whole, recipe(), train, val, FitConfig{})
	sameTensors(t, whole, resumed)
}

func TestHookErrorAborts(t *testing.T) {
	train, _ := subset(t, 64, 0)
	boom := errors.New("boom")
	_, err := recipe().FitImages(smallMLP(t, 7), train, nil, FitConfig{OnStep: func(StepInfo) error { return boom }})
	if !errors.Is(err, boom) {
		t.Errorf("got %v, want the hook's error", err)
	}
}

func TestBadRecipeNamesTheField(t *testing.T) {
	train, _ := subset(t, 64, 0)
	bad := map[string]func(*Recipe){
		"epochs":       func(r *Recipe) { r.Epochs = 0 },
		"batch":        func(r *Recipe) { r.Batch = 0 },
		"lr":           func(r *Recipe) { r.LR = math.NaN() },
		"optimizer":    func(r *Recipe) { r.Optimizer = "lbfgs" },
		"momentum":     func(r *Recipe) { r.Momentum = 1 },
		"decay_factor": func(r *Recipe) { r.DecayFactor = 0 },
		"decay_every":  func(r *Recipe) { r.DecayEvery = -3 },
		"weight_decay": func(r *Recipe) { r.WeightDecay = math.Inf(1) },
		"schedule":     func(r *Recipe) { r.Schedule = "wiggle" },
		"patience":     func(r *Recipe) { r.Patience = -1 },
	}
	for field, change := range bad {
		r := recipe()
		change(&r)
		_, err := r.FitImages(smallMLP(t, 7), train, nil, FitConfig{})
		var re *RecipeError
		if !errors.As(err, &re) || re.Field != field {
			t.Errorf("%s: got %v, want a RecipeError naming it", field, err)
		}
	}
	if _, err := recipe().FitImages(smallMLP(t, 7), nil, nil, FitConfig{}); err == nil {
		t.Error("no data accepted")
	}
	if _, err := recipe().FitImages(smallMLP(t, 7), train, nil, FitConfig{Resume: true}); err == nil {
		t.Error("resume without a directory accepted")
	}
}

func TestHistoryFiles(t *testing.T) {
	dir := t.TempDir()
	h := []EpochInfo{{Epoch: 1, Steps: 10, LR: 0.1, TrainLoss: 0.5, TrainAccuracy: 0.8, ValLoss: 0.4, ValAccuracy: 0.85, ValN: 100, Seconds: 1.5}}
	if err := WriteHistory(dir, h); err != nil {
		t.Fatal(err)
	}
	got, err := ReadHistory(dir)
	if err != nil || !reflect.DeepEqual(got, h) {
		t.Fatalf("read back %+v, %v", got, err)
	}
	csv, err := os.ReadFile(filepath.Join(dir, HistoryCSV))
	if err != nil {
		t.Fatal(err)
	}
	want := "epoch,steps,lr,train_loss,train_accuracy,val_loss,val_accuracy,val_n,seconds,partial\n1,10,0.1,0.5,0.8,0.4,0.85,100,1.50,false\n"
	if string(csv) != want {
		t.Errorf("csv:\n%s\nwant:\n%s", csv, want)
	}
}
