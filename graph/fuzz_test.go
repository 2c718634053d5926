package graph

import (
	"bytes"
	"encoding/json"
	"maps"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/featlearn/featlearn/graph/safetensors"
)

// fzNet is the small model the checkpoint fuzz targets load into.
func fzNet(tb testing.TB) *Model {
	m, err := NewModel(Sequential("fz", Flatten(), Dense("fc1", 3)), []int{1, 2, 2}, 1)
	if err != nil {
		tb.Fatal(err)
	}
	return m
}

// fzData is 10 random examples for fzNet.
func fzData(tb testing.TB) *Arrays {
	rng := rand.New(rand.NewPCG(1, 2))
	x, y := make([]float32, 40), make([]float32, 10)
	for i := range x {
		x[i] = float32(rng.NormFloat64())
	}
	for i := range y {
		y[i] = float32(i % 3)
	}
	a, err := NewArrays(x, 4, y, 1)
	if err != nil {
		tb.Fatal(err)
	}
	return a
}

// fzCheckpoints trains fzNet by a few recipes, stopping in the middle of
// an epoch, and returns the checkpoints' bytes.
func fzCheckpoints(tb testing.TB) [][]byte {
	var out [][]byte
	for i, r := range []Recipe{
		{Epochs: 3, Batch: 3, LR: 0.1, Optimizer: OptSGD, Momentum: 0.9, Seed: 1},
		{Epochs: 3, Batch: 4, LR: 0.01, Optimizer: OptAdam, Schedule: SchedPlateau, DecayEvery: 1, DecayFactor: 0.5, Patience: 2, Seed: 2},
		{Epochs: 3, Batch: 10, LR: 0.1, Optimizer: OptRMSprop, DecayEvery: 1, DecayFactor: 0.5, Seed: 3},
	} {
		dir := filepath.Join(tb.TempDir(), "run")
		_, err := r.Fit(fzNet(tb), CrossEntropy{}, fzData(tb), FitConfig{Val: fzData(tb), Dir: dir, MaxSteps: 5 + i,
			Meta: CheckpointMeta{Model: "fz", Config: "4-3"}})
		if err != nil {
			tb.Fatal(err)
		}
		b, err := os.ReadFile(CheckpointPath(dir))
		if err != nil {
			tb.Fatal(err)
		}
		out = append(out, b)
	}
	return out
}

// fzMetas returns the metadata of the seed checkpoints.
func fzMetas(tb testing.TB) []map[string]string {
	var out []map[string]string
	for _, b := range fzCheckpoints(tb) {
		f, err := safetensors.Read(bytes.NewReader(b), int64(len(b)))
		if err != nil {
			tb.Fatal(err)
		}
		out = append(out, f.Metadata)
	}
	return out
}

// oneLine fails the test when an error message spans several lines.
func oneLine(t *testing.T, err error) {
	if err != nil && strings.ContainsAny(err.Error(), "\n\r") {
		t.Fatalf("error %q is not one line", err)
	}
}

// metaKeys are the entries FuzzDecodeMeta and FuzzFitState vary.
var metaKeys = []string{"epoch", "step", "seed", "extra/recipe", "fit/position", "fit/history",
	"fit/train_n", "fit/batch", "fit/drop_last", "fit/base_lr", "fit/schedule", "fit/early_stopping"}

// fuzzMeta is the metadata of a checkpoint with metaKeys set to vals; an
// empty value removes its entry.
func fuzzMeta(vals ...string) map[string]string {
	md := map[string]string{"format": CheckpointFormat, "model": "fz", "config": "4-3", "model_seed": "1", "optimizer": "sgd"}
	for i, k := range metaKeys {
		if vals[i] != "" {
			md[k] = vals[i]
		}
	}
	return md
}

// addMetaSeeds adds the metaKeys entries of the seed checkpoints.
func addMetaSeeds(f *testing.F) {
	for _, md := range fzMetas(f) {
		var vals []any
		for _, k := range metaKeys {
			vals = append(vals, md[k])
		}
		f.Add(vals...)
	}
}

// FuzzDecodeMeta feeds arbitrary values of every entry a checkpoint's
// metadata holds to decodeMeta. It must never panic; what it accepts must
// keep its invariants (counters in bounds, a position and history that
// agree with them, a recipe that passes Check) and come back unchanged
// from encodeMeta and a second decodeMeta.
func FuzzDecodeMeta(f *testing.F) {
	addMetaSeeds(f)
	f.Fuzz(func(t *testing.T, epoch, step, seed, recipe, pos, hist, trainN, batch, dropLast, baseLR, sched, stop string) {
		meta, err := decodeMeta(fuzzMeta(epoch, step, seed, recipe, pos, hist, trainN, batch, dropLast, baseLR, sched, stop))
		oneLine(t, err)
		if err != nil {
			return
		}
		if meta.Epoch < 0 || meta.Epoch > maxMetaEpoch || meta.Step < 0 || meta.Step > maxMetaStep {
			t.Fatalf("accepted epoch %d, step %d", meta.Epoch, meta.Step)
		}
		if meta.fit != nil {
			s, err := parseFitState(meta)
			if err != nil {
				t.Fatalf("accepted, but its fit state is refused: %v", err)
			}
			nb := s.batches()
			if s.pos.Epoch != meta.Epoch+1 || s.pos.Batch > nb || len(s.history) != meta.Epoch || meta.Step < meta.Epoch*nb+s.pos.Batch {
				t.Fatalf("accepted position %+v with %d epochs of %d batches, step %d", s.pos, meta.Epoch, nb, meta.Step)
			}
		}
		if _, ok := meta.Extra[keyRecipe]; ok {
			r, err := RecipeOf(meta)
			if err != nil || r.Check() != nil {
				t.Fatalf("accepted a recipe RecipeOf refuses: %v", err)
			}
		}
		md, err := encodeMeta(meta)
		if err != nil {
			t.Fatalf("accepted metadata does not encode: %v", err)
		}
		again, err := decodeMeta(md)
		if err != nil {
			t.Fatalf("encoded metadata does not decode: %v", err)
		}
		if again.Epoch != meta.Epoch || again.Step != meta.Step || again.Seed != meta.Seed ||
			!maps.Equal(again.fit, meta.fit) || !maps.Equal(again.Extra, meta.Extra) {
			t.Fatal("metadata changed through encodeMeta and decodeMeta")
		}
	})
}

// FuzzFitState feeds arbitrary metadata to a resume: whatever decodeMeta
// accepts, a run of its recipe must restore (its schedule's and early
// stopping's states included) without error, and then train on without
// a non-finite learning rate.
func FuzzFitState(f *testing.F) {
	addMetaSeeds(f)
	f.Fuzz(func(t *testing.T, epoch, step, seed, recipe, pos, hist, trainN, batch, dropLast, baseLR, sched, stop string) {
		meta, err := decodeMeta(fuzzMeta(epoch, step, seed, recipe, pos, hist, trainN, batch, dropLast, baseLR, sched, stop))
		if err != nil || meta.fit == nil {
			return
		}
		r, err := RecipeOf(meta)
		if err != nil {
			return
		}
		opt, _ := r.NewOptimizer()
		tr, err := NewTrainer(fzNet(t), CrossEntropy{}, opt)
		if err != nil {
			t.Fatal(err)
		}
		cfg := FitConfig{Epochs: r.Epochs, BatchSize: r.Batch, Seed: r.Seed}
		if cfg.Schedule, err = r.NewSchedule(); err != nil {
			t.Fatalf("accepted recipe has no schedule: %v", err)
		}
		if r.Patience > 0 {
			cfg.EarlyStopping = &EarlyStopping{Monitor: ValLoss, Patience: r.Patience}
		}
		fit := &fit{t: tr, cfg: cfg, res: &FitResult{}}
		err = fit.restoreState(meta)
		oneLine(t, err)
		if err != nil {
			t.Fatalf("decodeMeta accepted a state the resume refuses: %v", err)
		}
		if cfg.Schedule != nil {
			lr := cfg.Schedule.LR(fit.baseLR, Progress{Epoch: fit.pos.Epoch, Epochs: max(r.Epochs, fit.pos.Epoch), Step: meta.Step, StepsPerEpoch: 1})
			if !(lr >= 0) || math.IsInf(lr, 0) {
				t.Fatalf("restored schedule gives learning rate %v", lr)
			}
		}
	})
}

// FuzzRecipeOf feeds arbitrary JSON as a checkpoint's recipe. What
// RecipeOf accepts must pass Check, make its optimizer and schedule, and
// survive its own JSON unchanged.
func FuzzRecipeOf(f *testing.F) {
	for _, md := range fzMetas(f) {
		f.Add(md[extraPrefix+keyRecipe])
	}
	f.Add(`{"epochs":1,"batch":0,"lr":1,"optimizer":"sgd","seed":1}`)
	f.Add(`{"epochs":1,"batch":1,"lr":1e400,"optimizer":"adamw","schedule":"cosine","warmup":-1}`)
	f.Add(`{"epochs":1,"batch":1,"lr":1,"optimizer":"sgd","momentum":1}`)
	f.Add(`null`)
	f.Add(`{"epochs":1,"batch":1,"lr":1,"optimizer":"sgd"} {}`)
	f.Fuzz(func(t *testing.T, text string) {
		r, err := RecipeOf(CheckpointMeta{Extra: map[string]string{keyRecipe: text}})
		oneLine(t, err)
		if err != nil {
			return
		}
		if err := r.Check(); err != nil {
			t.Fatalf("accepted a recipe Check refuses: %v", err)
		}
		if _, err := r.NewOptimizer(); err != nil {
			t.Fatalf("accepted recipe makes no optimizer: %v", err)
		}
		if _, err := r.NewSchedule(); err != nil {
			t.Fatalf("accepted recipe makes no schedule: %v", err)
		}
		again, err := RecipeOf(CheckpointMeta{Extra: map[string]string{keyRecipe: r.JSON()}})
		if err != nil || again != r {
			t.Fatalf("recipe %+v reads back from its JSON as %+v, %v", r, again, err)
		}
	})
}

// FuzzRestore feeds arbitrary bytes as a checkpoint file to the whole
// load: safetensors, metadata, checksums, layout, finite values, optimizer
// state. It must never panic; a refused load changes neither the model
// nor the optimizer, and an accepted one leaves the file's finite values
// in the model.
func FuzzRestore(f *testing.F) {
	for _, b := range fzCheckpoints(f) {
		f.Add(b)
		f.Add(b[:len(b)-5])
		for _, at := range []int{9, 40, len(b) / 2, len(b) - 3} {
			bad := bytes.Clone(b)
			bad[at] ^= 0x41
			f.Add(bad)
		}
	}
	// One model for all inputs, put back to its first weights before each.
	m := fzNet(f)
	first := snapshot(m)
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := safetensors.Read(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			return
		}
		meta, err := checkFile(file)
		oneLine(t, err)
		if err != nil {
			return
		}
		for i, p := range m.Params() {
			if err := p.Set(first[i]); err != nil {
				t.Fatal(err)
			}
		}
		opt := &SGD{LR: 0.1, Momentum: 0.9}
		if meta.Optimizer != "sgd" {
			opt = nil
		}
		err = restore(file, meta, m, opt, loadConfig{})
		oneLine(t, err)
		if err != nil {
			for i, p := range m.Params() {
				if !equal(p.Float64s(), first[i]) {
					t.Fatalf("a refused load changed %s", p.Name)
				}
			}
			if opt != nil && len(opt.State()) != 0 {
				t.Fatal("a refused load changed the optimizer")
			}
			return
		}
		for _, p := range m.Params() {
			saved, _ := file.Tensor(p.Name)
			want, _ := saved.Float64s()
			got := p.Float64s()
			for i := range got {
				if math.IsNaN(got[i]) || math.IsInf(got[i], 0) || math.Float64bits(got[i]) != math.Float64bits(want[i]) {
					t.Fatalf("%s[%d] is %v, the file holds %v", p.Name, i, got[i], want[i])
				}
			}
		}
	})
}

// FuzzReadHistory feeds arbitrary bytes as history.json. It must never
// panic; what it accepts must be a consistent history that WriteHistory
// and ReadHistory give back unchanged.
func FuzzReadHistory(f *testing.F) {
	for _, md := range fzMetas(f) {
		var h []EpochInfo
		if err := json.Unmarshal([]byte(md[fitPrefix+keyHistory]), &h); err != nil {
			f.Fatal(err)
		}
		b, _ := json.MarshalIndent(append(h, EpochInfo{Epoch: len(h) + 1, Steps: 99, Partial: true}), "", "  ")
		f.Add(b)
	}
	f.Add([]byte(`[{"epoch":1,"steps":5,"lr":0.1,"train_loss":1e308,"train_accuracy":1,"val_loss":-1,"val_accuracy":0,"val_n":0,"seconds":0}]`))
	f.Add([]byte(`[{"epoch":2}]`))
	f.Add([]byte(`[{"epoch":1,"partial":true},{"epoch":2}]`))
	f.Add([]byte(`[]`))
	f.Add([]byte(`null`))
	f.Add([]byte(`{"epoch":1}`))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		h, err := decodeHistory(data)
		oneLine(t, err)
		if err != nil {
			return
		}
		if err := checkEpochs(h); err != nil {
			t.Fatalf("accepted an inconsistent history: %v", err)
		}
		if err := WriteHistory(dir, h); err != nil {
			t.Fatalf("accepted history does not write: %v", err)
		}
		again, err := ReadHistory(dir)
		if err != nil || len(again) != len(h) {
			t.Fatalf("written history reads back as %d epochs, %v", len(again), err)
		}
		for i := range h {
			if again[i] != h[i] {
				t.Fatalf("epoch %d reads back as %+v, was %+v", i+1, again[i], h[i])
			}
		}
	})
}
