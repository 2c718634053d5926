package graph

import (
	"bytes"
	"maps"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/featlearn/featlearn/graph/safetensors"
)

// ckNet is a small convolutional classifier of 1x8x8 inputs into 3 classes.
func ckNet(t *testing.T, seed uint64, opts ...ModelOption) *Model {
	t.Helper()
	m, err := NewModel(Sequential("ck",
		Conv2D("conv1", 4, 3), ReLU(), MaxPool2D("pool1", 2), Flatten(), Dense("fc1", 3),
	), []int{1, 8, 8}, seed, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// ckData is 40 random 1x8x8 examples with random labels.
func ckData(t *testing.T) *Arrays {
	t.Helper()
	rng := rand.New(rand.NewPCG(7, 7))
	x, y := make([]float32, 40*64), make([]float32, 40)
	for i := range x {
		x[i] = float32(2*rng.Float64() - 1)
	}
	for i := range y {
		y[i] = float32(rng.IntN(3))
	}
	a, err := NewArrays(x, 64, y, 1)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// ckFit trains m with opt for epochs epochs, with a batch size that
// leaves a partial last batch, checkpointing into dir ("" for none) and
// resuming from it when resume is set; it returns the trainer.
func ckFit(t *testing.T, m *Model, opt Optimizer, dir string, resume bool, epochs int) *Trainer {
	t.Helper()
	tr, err := NewTrainer(m, CrossEntropy{}, opt)
	if err != nil {
		t.Fatal(err)
	}
	cfg := FitConfig{Epochs: epochs, BatchSize: 7, Seed: 42, Dir: dir, Resume: resume, Meta: CheckpointMeta{Model: "ck"}}
	if _, err := tr.Fit(ckData(t), cfg); err != nil {
		t.Fatal(err)
	}
	return tr
}

// sameBits reports the first parameter whose values differ in any bit.
func sameBits(a, b *Model) string {
	for i, p := range a.Params() {
		x, y := p.Float64s(), b.Params()[i].Float64s()
		for j := range x {
			if math.Float64bits(x[j]) != math.Float64bits(y[j]) {
				return p.Name
			}
		}
	}
	return ""
}

// sameState reports whether two optimizer states are bit-identical.
func sameState(a, b map[string][]float64) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if !slices.EqualFunc(v, b[k], func(x, y float64) bool { return math.Float64bits(x) == math.Float64bits(y) }) {
			return false
		}
	}
	return true
}

// TestResumeIsExact trains two epochs in one go, and one epoch, a
// checkpoint, a fresh model, optimizer and trainer, and the second epoch:
// the weights and optimizer state must end bit-identical.
func TestResumeIsExact(t *testing.T) {
	cases := []struct {
		name  string
		opt   func() Optimizer
		dtype []ModelOption
	}{
		{"sgd momentum", func() Optimizer { return &SGD{LR: 0.05, Momentum: 0.9, WeightDecay: 1e-3} }, nil},
		{"sgd nesterov float64", func() Optimizer { return &SGD{LR: 0.05, Momentum: 0.9, Nesterov: true} }, []ModelOption{Float64()}},
		{"adam", func() Optimizer { return &Adam{LR: 0.01, WeightDecay: 1e-3} }, nil},
		{"adam float64", func() Optimizer { return &Adam{LR: 0.01} }, []ModelOption{Float64()}},
		{"adamw", func() Optimizer { return &AdamW{LR: 0.01, WeightDecay: 0.05} }, nil},
		{"rmsprop", func() Optimizer { return &RMSprop{LR: 0.005, WeightDecay: 1e-3} }, nil},
		{"rmsprop centered momentum float64", func() Optimizer { return &RMSprop{LR: 0.005, Momentum: 0.9, Centered: true} }, []ModelOption{Float64()}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ref, refOpt := ckNet(t, 1, c.dtype...), c.opt()
			refTr := ckFit(t, ref, refOpt, "", false, 2)

			dir := t.TempDir()
			ckFit(t, ckNet(t, 1, c.dtype...), c.opt(), dir, false, 1)
			meta, err := ReadCheckpointMeta(CheckpointPath(dir))
			if err != nil {
				t.Fatal(err)
			}
			resumed, resumedOpt := ckNet(t, 1, c.dtype...), c.opt()
			tr := ckFit(t, resumed, resumedOpt, dir, true, 2)
			if p := sameBits(ref, resumed); p != "" {
				t.Errorf("%s differs from the uninterrupted run", p)
			}
			if !sameState(refOpt.State(), resumedOpt.State()) {
				t.Error("optimizer state differs from the uninterrupted run")
			}
			if tr.Steps() != refTr.Steps() {
				t.Errorf("%d steps, uninterrupted run %d", tr.Steps(), refTr.Steps())
			}

			// The comparison is sharp enough to notice a lost optimizer
			// state: the same checkpoint saved with a fresh optimizer
			// resumes to other weights.
			again := ckNet(t, 1, c.dtype...)
			ckFit(t, again, c.opt(), "", false, 1)
			dir2 := t.TempDir()
			if err := SaveCheckpoint(CheckpointPath(dir2), again, c.opt(), meta); err != nil {
				t.Fatal(err)
			}
			ckFit(t, again, c.opt(), dir2, true, 2)
			if sameBits(ref, again) == "" {
				t.Error("resuming without the optimizer state also matched: the test proves nothing")
			}
		})
	}
}

func TestCheckpointRoundTrip(t *testing.T) {
	m, opt := ckNet(t, 3), &Adam{LR: 0.01}
	tr := ckFit(t, m, opt, "", false, 1)
	path := filepath.Join(t.TempDir(), "ck.safetensors")
	meta := CheckpointMeta{Model: "ck", Config: `{"filters":4,"kernel":3}`, Epoch: 1, Step: tr.Steps(),
		Seed: 1<<63 + 5, Extra: map[string]string{"dataset": "random", "note": "é <&>"}}
	if err := SaveCheckpoint(path, m, opt, meta); err != nil {
		t.Fatal(err)
	}
	got, err := ReadCheckpointMeta(path)
	if err != nil {
		t.Fatal(err)
	}
	meta.Optimizer = "adam"
	if got.Model != meta.Model || got.Config != meta.Config || got.Epoch != 1 || got.Step != meta.Step ||
		got.Seed != meta.Seed || got.Optimizer != "adam" || len(got.Extra) != 2 || got.Extra["note"] != "é <&>" {
		t.Errorf("meta %+v, want %+v", got, meta)
	}

	// A model whose program is already compiled sees the loaded weights.
	fresh, freshOpt := ckNet(t, 4), &Adam{LR: 0.01}
	x := ckData(t).X[:3*64]
	before, err := fresh.Predict(x, 3, 3)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := LoadCheckpoint(path, fresh, freshOpt); err != nil {
		t.Fatal(err)
	}
	after, _ := fresh.Predict(x, 3, 3)
	want, _ := m.Predict(x, 3, 3)
	if !slices.Equal(after, want) || slices.Equal(before, want) {
		t.Errorf("predictions after loading %v, want %v", after, want)
	}
	if p := sameBits(m, fresh); p != "" {
		t.Errorf("%s not restored", p)
	}
	if !sameState(opt.State(), freshOpt.State()) {
		t.Error("optimizer state not restored")
	}
}

// TestCheckpointIsPlainSafetensors checks the layout other tools see.
func TestCheckpointIsPlainSafetensors(t *testing.T) {
	m, opt := ckNet(t, 3), &SGD{LR: 0.1, Momentum: 0.9}
	ckFit(t, m, opt, "", false, 1)
	path := filepath.Join(t.TempDir(), "ck.safetensors")
	if err := SaveCheckpoint(path, m, opt, CheckpointMeta{Model: "ck", Epoch: 1, Step: 6}); err != nil {
		t.Fatal(err)
	}
	f, err := safetensors.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]int{
		"conv1.weight": {4, 1, 3, 3}, "conv1.bias": {4}, "fc1.weight": {3, 36}, "fc1.bias": {3},
		"optimizer/velocity/conv1.weight": {4, 1, 3, 3}, "optimizer/velocity/conv1.bias": {4},
		"optimizer/velocity/fc1.weight": {3, 36}, "optimizer/velocity/fc1.bias": {3},
	}
	if len(f.Tensors) != len(want) {
		t.Errorf("%d tensors, want %d", len(f.Tensors), len(want))
	}
	for name, shape := range want {
		tn, ok := f.Tensor(name)
		if !ok || tn.DType != "F32" || !slices.Equal(tn.Shape, shape) {
			t.Errorf("%s: %v %s %v, want F32 %v", name, ok, tn.DType, tn.Shape, shape)
		}
	}
	for k, v := range map[string]string{"format": CheckpointFormat, "model": "ck", "epoch": "1", "step": "6", "seed": "0", "optimizer": "sgd"} {
		if f.Metadata[k] != v {
			t.Errorf("metadata %s = %q, want %q", k, f.Metadata[k], v)
		}
	}
	if f.Metadata["featlearn_version"] == "" || !strings.Contains(f.Metadata["rng"], "epoch 2") {
		t.Errorf("metadata %q", f.Metadata)
	}
}

// ckSaved trains a ckNet for an epoch with opt and saves it.
func ckSaved(t *testing.T, opt Optimizer) (string, *Model) {
	t.Helper()
	m := ckNet(t, 3)
	tr := ckFit(t, m, opt, "", false, 1)
	path := filepath.Join(t.TempDir(), "ck.safetensors")
	if err := SaveCheckpoint(path, m, opt, CheckpointMeta{Model: "ck", Epoch: 1, Step: tr.Steps()}); err != nil {
		t.Fatal(err)
	}
	return path, m
}

func wantError(t *testing.T, what string, err error, parts ...string) {
	t.Helper()
	if err == nil {
		t.Errorf("%s: no error", what)
		return
	}
	for _, p := range parts {
		if !strings.Contains(err.Error(), p) {
			t.Errorf("%s: error %q does not mention %q", what, err, p)
		}
	}
}

func TestLoadWrongModel(t *testing.T) {
	path, _ := ckSaved(t, &SGD{LR: 0.1, Momentum: 0.9})
	mlp, err := NewModel(Sequential("mlp", Flatten(), Dense("fc0", 5), Dense("fc1", 3)), []int{1, 8, 8}, 1)
	if err != nil {
		t.Fatal(err)
	}
	before := snapshot(mlp)
	_, err = LoadCheckpoint(path, mlp, &SGD{LR: 0.1, Momentum: 0.9})
	wantError(t, "mlp", err, path, `checkpoint of "ck"`, "missing tensor fc0.weight",
		"tensor fc1.weight has shape [3 36], the model's fc1.weight has [3 5]", "unknown tensor conv1.weight")
	for i, p := range mlp.Params() {
		if !equal(p.Float64s(), before[i]) {
			t.Errorf("failed load changed %s", p.Name)
		}
	}

	_, err = LoadCheckpoint(path, ckNet(t, 1, Float64()), nil)
	wantError(t, "float64 model", err, "tensor conv1.weight is F32, the model's is F64")

	wider, err := NewModel(Sequential("ck", Conv2D("conv1", 5, 3), ReLU(), MaxPool2D("pool1", 2), Flatten(), Dense("fc1", 3)), []int{1, 8, 8}, 1)
	if err != nil {
		t.Fatal(err)
	}
	_, err = LoadCheckpoint(path, wider, nil)
	wantError(t, "wider conv", err, "conv1.weight has shape [4 1 3 3], the model's conv1.weight has [5 1 3 3]")
}

func TestLoadOptimizerMismatch(t *testing.T) {
	path, _ := ckSaved(t, &Adam{LR: 0.01})
	m, opt := ckNet(t, 5), &SGD{LR: 0.1, Momentum: 0.9}
	before := snapshot(m)
	_, err := LoadCheckpoint(path, m, opt)
	wantError(t, "adam into sgd", err, "holds adam optimizer state, the optimizer is sgd")
	if !equal(m.Params()[0].Float64s(), before[0]) || len(opt.State()) != 0 {
		t.Error("failed load changed the model or the optimizer")
	}

	// AdamW's state has Adam's keys: only the recorded kind tells them apart.
	for _, c := range []struct {
		saved, into Optimizer
		want        string
	}{
		{&AdamW{LR: 0.01, WeightDecay: 0.1}, &Adam{LR: 0.01}, "holds adamw optimizer state, the optimizer is adam"},
		{&Adam{LR: 0.01}, &AdamW{LR: 0.01}, "holds adam optimizer state, the optimizer is adamw"},
		{&RMSprop{LR: 0.01}, &SGD{LR: 0.01}, "holds rmsprop optimizer state, the optimizer is sgd"},
	} {
		p, _ := ckSaved(t, c.saved)
		_, err := LoadCheckpoint(p, ckNet(t, 5), c.into)
		wantError(t, c.want, err, c.want)
	}

	weightsOnly := filepath.Join(t.TempDir(), "w.safetensors")
	if err := SaveCheckpoint(weightsOnly, m, nil, CheckpointMeta{Model: "ck"}); err != nil {
		t.Fatal(err)
	}
	_, err = LoadCheckpoint(weightsOnly, ckNet(t, 6), &Adam{})
	wantError(t, "weights only into an optimizer", err, "no optimizer state", "nil optimizer")
	if meta, err := LoadCheckpoint(weightsOnly, ckNet(t, 6), nil); err != nil || meta.Optimizer != "" {
		t.Errorf("weights only: %+v %v", meta, err)
	}

	err = SaveCheckpoint(weightsOnly, m, &SGD{}, CheckpointMeta{Optimizer: "adam"})
	wantError(t, "meta names another optimizer", err, `"adam"`, "sgd")
	err = SaveCheckpoint(weightsOnly, m, nil, CheckpointMeta{Optimizer: "adam"})
	wantError(t, "meta names a missing optimizer", err, `"adam"`)
}

func TestLoadDamagedCheckpoint(t *testing.T) {
	path, m := ckSaved(t, &SGD{LR: 0.1, Momentum: 0.9})
	good, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	truncated := write("truncated.safetensors", good[:len(good)-4])
	_, err = LoadCheckpoint(truncated, ckNet(t, 1), nil)
	wantError(t, "truncated", err, "checkpoint", truncated, "data section")
	if _, err := ReadCheckpointMeta(truncated); err == nil {
		t.Error("read the metadata of a truncated checkpoint")
	}

	badDtype := write("dtype.safetensors", bytes.Replace(good, []byte(`"F32"`), []byte(`"F33"`), 1))
	_, err = LoadCheckpoint(badDtype, ckNet(t, 1), nil)
	wantError(t, "damaged dtype", err, badDtype, `unknown dtype "F33"`)

	_, err = LoadCheckpoint(filepath.Join(dir, "missing.safetensors"), ckNet(t, 1), nil)
	wantError(t, "missing file", err, "missing.safetensors")

	plain := filepath.Join(dir, "plain.safetensors")
	if err := safetensors.WriteFile(plain, []safetensors.Tensor{safetensors.F32("x", []int{1}, []float32{1})}, nil); err != nil {
		t.Fatal(err)
	}
	_, err = ReadCheckpointMeta(plain)
	wantError(t, "plain safetensors", err, plain, "not a featlearn checkpoint")

	f, err := safetensors.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for key, bad := range map[string]string{"epoch": "-1", "step": "x", "seed": "-3"} {
		md := map[string]string{}
		for k, v := range f.Metadata {
			md[k] = v
		}
		md[key] = bad
		p := filepath.Join(dir, key+".safetensors")
		if err := safetensors.WriteFile(p, f.Tensors, md); err != nil {
			t.Fatal(err)
		}
		_, err = LoadCheckpoint(p, ckNet(t, 1), nil)
		wantError(t, "bad "+key, err, p, key, bad)
	}

	extra := filepath.Join(dir, "extra.safetensors")
	ts := append(slices.Clone(f.Tensors), safetensors.F32("optimizer/velocity/ghost", []int{1}, []float32{1}))
	md := maps.Clone(f.Metadata)
	md[checksumKey] = tensorChecksums(ts) // an edited file, not a damaged one
	if err := safetensors.WriteFile(extra, ts, md); err != nil {
		t.Fatal(err)
	}
	_, err = LoadCheckpoint(extra, ckNet(t, 1), &SGD{})
	wantError(t, "state of an unknown parameter", err, "optimizer/velocity/ghost", "no parameter")
	if _, err := LoadCheckpoint(extra, m, nil); err != nil {
		t.Errorf("weights only ignore optimizer state: %v", err)
	}
}

// ghostState is an optimizer of its own kind whose state names a
// parameter the model does not have.
type ghostState struct{ *SGD }

func (g ghostState) State() map[string][]float64 {
	s := g.SGD.State()
	s["velocity/ghost"] = []float64{1}
	return s
}

func TestFailedSaveKeepsPreviousCheckpoint(t *testing.T) {
	path, m := ckSaved(t, &SGD{LR: 0.1, Momentum: 0.9})
	before, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	err = SaveCheckpoint(path, m, ghostState{&SGD{}}, CheckpointMeta{Optimizer: "ghost", Epoch: 2})
	wantError(t, "ghost state", err, "velocity/ghost", "no parameter")
	err = SaveCheckpoint(path, m, ghostState{&SGD{}}, CheckpointMeta{Epoch: 2})
	wantError(t, "unnamed optimizer", err, "CheckpointMeta.Optimizer")
	err = SaveCheckpoint(path, m, nil, CheckpointMeta{Epoch: -1})
	wantError(t, "negative epoch", err, "epoch -1")
	err = SaveCheckpoint(path, nil, nil, CheckpointMeta{})
	wantError(t, "no model", err, "no model")
	err = SaveCheckpoint(path, m, (*SGD)(nil), CheckpointMeta{})
	wantError(t, "nil *SGD", err, "internal error")
	after, _ := os.ReadFile(path)
	if !bytes.Equal(before, after) {
		t.Error("a failed save changed the previous checkpoint")
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Errorf("directory holds %d files after failed saves, want 1", len(entries))
	}
	if meta, err := LoadCheckpoint(path, ckNet(t, 1), &SGD{}); err != nil || meta.Epoch != 1 {
		t.Errorf("previous checkpoint: %+v %v", meta, err)
	}
}

// TestCheckpointRecordsOptimizerKind saves and loads each optimizer of the
// package and checks the kind and the state tensors recorded.
func TestCheckpointRecordsOptimizerKind(t *testing.T) {
	for _, c := range []struct {
		opt   func() Optimizer
		kind  string
		slots []string
	}{
		{func() Optimizer { return &SGD{LR: 0.1, Momentum: 0.9} }, "sgd", []string{"velocity"}},
		{func() Optimizer { return &Adam{LR: 0.01} }, "adam", []string{"m", "v"}},
		{func() Optimizer { return &AdamW{LR: 0.01, WeightDecay: 0.01} }, "adamw", []string{"m", "v"}},
		{func() Optimizer { return &RMSprop{LR: 0.01} }, "rmsprop", []string{"square_avg"}},
		{func() Optimizer { return &RMSprop{LR: 0.01, Momentum: 0.9, Centered: true} }, "rmsprop",
			[]string{"square_avg", "momentum_buffer", "grad_avg"}},
	} {
		opt := c.opt()
		path, _ := ckSaved(t, opt)
		meta, err := ReadCheckpointMeta(path)
		if err != nil || meta.Optimizer != c.kind {
			t.Errorf("%T: optimizer %q, %v; want %q", opt, meta.Optimizer, err, c.kind)
		}
		f, err := safetensors.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		for _, slot := range c.slots {
			if _, ok := f.Tensor("optimizer/" + slot + "/conv1.weight"); !ok {
				t.Errorf("%s: no optimizer/%s/conv1.weight", c.kind, slot)
			}
		}
		loaded := c.opt()
		if _, err := LoadCheckpoint(path, ckNet(t, 9), loaded); err != nil {
			t.Fatalf("%s: %v", c.kind, err)
		}
		if !sameState(opt.State(), loaded.State()) {
			t.Errorf("%s: state not restored", c.kind)
		}
	}
}
