package graph

import (
	"maps"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/featlearn/featlearn/graph/safetensors"
)

// ckRecipe is the recipe of the runs these tests checkpoint: 40 examples
// in batches of 7 make 6 batches an epoch.
func ckRecipe(epochs int) Recipe {
	return Recipe{Epochs: epochs, Batch: 7, LR: 0.05, Optimizer: OptSGD, Momentum: 0.9, Seed: 42}
}

// ckRun trains a ckNet by ckRecipe(epochs) into dir for at most maxSteps
// steps (0: no limit), resuming when asked, and returns the result.
func ckRun(t *testing.T, dir string, epochs, maxSteps int, resume bool) (*Model, *FitResult, error) {
	t.Helper()
	m := ckNet(t, 3)
	res, err := ckRecipe(epochs).Fit(m, CrossEntropy{}, ckData(t), FitConfig{
		Dir: dir, Resume: resume, MaxSteps: maxSteps, Meta: CheckpointMeta{Model: "ck", Config: "c"}})
	return m, res, err
}

// rewriteMeta writes a copy of the checkpoint at src into dir with one
// metadata entry set (or removed, for "<delete>"), and returns its path.
func rewriteMeta(t *testing.T, src, dir, key, value string) string {
	t.Helper()
	f, err := safetensors.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	md := maps.Clone(f.Metadata)
	if value == "<delete>" {
		delete(md, key)
	} else {
		md[key] = value
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	path := CheckpointPath(dir)
	if err := safetensors.WriteFile(path, f.Tensors, md); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestNonFiniteWeightsAreRefused is defect 6: a NaN or an infinity in a
// weight, a buffer or the optimizer state is an error naming the tensor,
// unless AllowNonFinite asks for it; a byte damaged after saving is found
// by the checksum, naming the tensor, with or without that option.
func TestNonFiniteWeightsAreRefused(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		name, tensor string
		value        float64
		optimizer    bool
	}{
		{"nan weight", "conv1.weight", math.NaN(), false},
		{"inf bias", "fc1.bias", math.Inf(-1), false},
		{"inf velocity", "optimizer/velocity/fc1.weight", math.Inf(1), true},
	} {
		m, opt := ckNet(t, 1), &SGD{LR: 0.1, Momentum: 0.9}
		ckFit(t, m, opt, "", false, 1)
		if c.optimizer {
			s := opt.State()
			s["velocity/fc1.weight"][2] = c.value
			if err := opt.SetState(s); err != nil {
				t.Fatal(err)
			}
		} else {
			p := m.Param(c.tensor)
			v := p.Float64s()
			v[2] = c.value
			if err := p.Set(v); err != nil {
				t.Fatal(err)
			}
		}
		path := filepath.Join(dir, strings.ReplaceAll(c.name, " ", "-")+".safetensors")
		if err := SaveCheckpoint(path, m, opt, CheckpointMeta{Model: "ck"}); err != nil {
			t.Fatal(err)
		}
		into := ckNet(t, 2)
		before := snapshot(into)
		_, err := LoadCheckpoint(path, into, &SGD{LR: 0.1, Momentum: 0.9})
		wantError(t, c.name, err, path, "tensor "+c.tensor, "at index 2")
		if sameBits(into, m) == "" || !equal(into.Params()[0].Float64s(), before[0]) {
			t.Errorf("%s: a refused load changed the model", c.name)
		}
		if _, err := LoadCheckpoint(path, into, &SGD{LR: 0.1, Momentum: 0.9}, AllowNonFinite()); err != nil {
			t.Errorf("%s with AllowNonFinite: %v", c.name, err)
		} else if name := sameBits(into, m); name != "" {
			t.Errorf("%s with AllowNonFinite: %s differs", c.name, name)
		}
		_, _, err = LoadModel(path, func(CheckpointMeta) (*Model, error) { return ckNet(t, 4), nil })
		if c.optimizer {
			if err != nil {
				t.Errorf("%s: LoadModel, which reads no optimizer state: %v", c.name, err)
			}
		} else {
			wantError(t, c.name+" by LoadModel", err, "tensor "+c.tensor)
		}
	}

	// One flipped bit in fc1.weight: finite, but the checksum knows.
	path, _ := ckSaved(t, &SGD{LR: 0.1, Momentum: 0.9})
	f, err := safetensors.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	w, _ := f.Tensor("fc1.weight")
	w.Data[7] ^= 0x40 // an exponent bit of the second value
	flipped := filepath.Join(dir, "flipped.safetensors")
	if err := safetensors.WriteFile(flipped, f.Tensors, f.Metadata); err != nil {
		t.Fatal(err)
	}
	for _, opts := range [][]LoadOption{nil, {AllowNonFinite()}} {
		_, err = LoadCheckpoint(flipped, ckNet(t, 1), nil, opts...)
		wantError(t, "flipped bit", err, flipped, "tensor fc1.weight is damaged", "checksum")
	}
	_, err = ReadCheckpointMeta(flipped)
	wantError(t, "flipped bit, metadata only", err, "tensor fc1.weight is damaged")
	noSums := rewriteMeta(t, flipped, filepath.Join(dir, "nosums"), checksumKey, "<delete>")
	if _, err := LoadCheckpoint(noSums, ckNet(t, 1), nil); err != nil {
		t.Errorf("a file without checksums: %v", err)
	}
}

// TestImpossibleMetadataIsRefused is defect 7: every metadata entry is
// checked when a checkpoint is read, and an error names the file and the
// key. A resume from such a file trains nothing.
func TestImpossibleMetadataIsRefused(t *testing.T) {
	dir := t.TempDir()
	// Two epochs of 6 batches, stopped 3 batches into the second.
	if _, res, err := ckRun(t, dir, 2, 9, false); err != nil || !res.OutOfSteps {
		t.Fatalf("%+v %v", res, err)
	}
	good := CheckpointPath(dir)
	meta, err := ReadCheckpointMeta(good)
	if err != nil || meta.Epoch != 1 || meta.Step != 9 {
		t.Fatalf("checkpoint: %+v %v", meta, err)
	}
	hist := func(steps int, extra string) string {
		return `[{"epoch":1,"steps":` + strconv.Itoa(steps) + `,"lr":0.05,"train_loss":1,"train_accuracy":0.5,` +
			`"val_loss":0,"val_accuracy":0,"val_n":0,"seconds":0.1` + extra + `}]`
	}
	pos := func(epoch, batch, seen, right int) string {
		return `{"epoch":` + strconv.Itoa(epoch) + `,"batch":` + strconv.Itoa(batch) + `,"loss_sum":3,"seen":` +
			strconv.Itoa(seen) + `,"right":` + strconv.Itoa(right) + `,"seconds":0}`
	}
	recipe := func(batch, seed int) string {
		return `{"epochs":2,"batch":` + strconv.Itoa(batch) + `,"lr":0.05,"optimizer":"sgd","momentum":0.9,` +
			`"weight_decay":0,"decay_every":0,"decay_factor":0,"seed":` + strconv.Itoa(seed) + `}`
	}
	// Each case sets key to value; the error must say want and name the
	// entry named (the key itself unless it disagrees with another).
	cases := []struct{ key, value, want, named string }{
		{"step", "9223372036854775807", "beyond the limit", "step"},
		{"step", "8", "8, but 1 epochs of 6 batches and 3 batches more", "step"},
		{"step", "10", "epoch 1 ends at step 6, want 7", "fit/history"},
		{"epoch", "99999999", "beyond the limit", "epoch"},
		{"epoch", "2", "in epoch 2, but 2 epochs are done", "fit/position"},
		{"epoch", "-1", "not a non-negative integer", "epoch"},
		{"seed", "x", "not an unsigned integer", "seed"},
		{"model_seed", "-1", "not an unsigned integer", "model_seed"},
		{"fit/train_n", "0", "want an integer in 1..", "fit/train_n"},
		{"fit/train_n", "14", "batch 3 of an epoch of 2 batches", "fit/position"},
		{"fit/batch", "0", "want an integer in 1..", "fit/batch"},
		{"fit/batch", "8", "21 examples seen in 3 batches of 8 from 40", "fit/position"},
		{"fit/drop_last", "maybe", "not true or false", "fit/drop_last"},
		{"fit/base_lr", "NaN", "want a positive number", "fit/base_lr"},
		{"fit/base_lr", "<delete>", "want a positive number", "fit/base_lr"},
		{"fit/position", pos(2, 7, 40, 0), "batch 7 of an epoch of 6 batches", "fit/position"},
		{"fit/position", pos(2, 3, 20, 0), "20 examples seen in 3 batches", "fit/position"},
		{"fit/position", pos(2, 3, 21, 22), "22 right of 21 seen", "fit/position"},
		{"fit/position", `{"epoch":2,"batch":3,"seen":21,"bogus":1}`, "unknown field", "fit/position"},
		{"fit/position", "", "unreadable JSON", "fit/position"},
		{"fit/history", "[]", "0 epochs, but the epoch is 1", "fit/history"},
		{"fit/history", hist(6, `,"partial":true`), "marked partial", "fit/history"},
		{"fit/history", hist(5, ""), "epoch 1 ends at step 5, want 6", "fit/history"},
		{"fit/history", strings.Replace(hist(6, ""), `"train_accuracy":0.5`, `"train_accuracy":1.5`, 1), "want 0..1", "fit/history"},
		{"fit/schedule", "{not json", "invalid character", "fit/schedule"},
		{"extra/recipe", recipe(0, 42), "batch size 0: want at least 1", "extra/recipe"},
		{"extra/recipe", recipe(8, 42), "batch 8, but fit/batch is 7", "extra/recipe"},
		{"extra/recipe", recipe(7, 43), "seed 43, but the checkpoint's seed is 42", "extra/recipe"},
		{"extra/recipe", "{", "unreadable JSON", "extra/recipe"},
		{checksumKey, `{"conv1.weight":"00000000"}`, "checksums for", checksumKey},
	}
	for i, c := range cases {
		bad := rewriteMeta(t, good, filepath.Join(dir, "bad", strconv.Itoa(i)), c.key, c.value)
		_, err := ReadCheckpointMeta(bad)
		wantError(t, c.key+"="+c.value, err, bad, c.want, `metadata "`+c.named+`"`)
		if err != nil && strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: error of several lines", c.key)
		}
		if _, err := LoadCheckpoint(bad, ckNet(t, 3), nil); err == nil {
			t.Errorf("%s=%s: LoadCheckpoint accepted it", c.key, c.value)
		}
	}

	// The resume that once trained a whole epoch from step 2^63-1 and
	// then failed to save now fails before training.
	huge := rewriteMeta(t, good, filepath.Join(dir, "huge"), "step", "9223372036854775807")
	m, res, err := ckRun(t, filepath.Dir(huge), 2, 0, true)
	wantError(t, "resume from step 2^63-1", err, huge, `metadata "step"`)
	if res != nil || sameBits(m, ckNet(t, 3)) != "" {
		t.Error("the refused resume trained")
	}
	// The untouched checkpoint still resumes.
	if _, res, err := ckRun(t, dir, 2, 0, true); err != nil || res.ResumedStep != 9 || res.Steps != 12 {
		t.Errorf("resume: %+v %v", res, err)
	}
}

// TestStaleTempFilesAreRemoved is defect 5: the temporary files a kill -9
// leaves in the output directory are removed on the next resume, and on
// the next save, but only those of Fit's own files.
func TestStaleTempFilesAreRemoved(t *testing.T) {
	dir := t.TempDir()
	if _, _, err := ckRun(t, dir, 1, 0, false); err != nil {
		t.Fatal(err)
	}
	plant := func() []string {
		var stale []string
		for _, name := range []string{"." + CheckpointFile + ".tmp-123", "." + HistoryJSON + ".tmp-9", "." + HistoryCSV + ".tmp-x", "." + BestFile + ".tmp-1"} {
			p := filepath.Join(dir, name)
			if err := os.WriteFile(p, []byte("half a file"), 0o644); err != nil {
				t.Fatal(err)
			}
			stale = append(stale, p)
		}
		return stale
	}
	other := filepath.Join(dir, ".notes.txt.tmp-1")
	if err := os.WriteFile(other, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	// Resuming a finished run trains and saves nothing: only the resume
	// can have removed them.
	stale := plant()
	if _, res, err := ckRun(t, dir, 1, 0, true); err != nil || res.ResumedEpoch != 1 || res.Steps != 6 {
		t.Fatalf("resume: %+v %v", res, err)
	}
	for _, p := range stale {
		if _, err := os.Stat(p); !os.IsNotExist(err) {
			t.Errorf("%s survived the resume", filepath.Base(p))
		}
	}
	stale = plant()
	if _, _, err := ckRun(t, dir, 2, 0, true); err != nil {
		t.Fatal(err)
	}
	for _, p := range stale {
		if _, err := os.Stat(p); !os.IsNotExist(err) {
			t.Errorf("%s survived the save", filepath.Base(p))
		}
	}
	if _, err := os.Stat(other); err != nil {
		t.Errorf("a temporary file of another name was removed: %v", err)
	}
}

// TestCheckLayoutAllocatesNothing checks a huge architecture against a
// small file: refused without allocating its weights.
func TestCheckLayoutAllocatesNothing(t *testing.T) {
	path, _ := ckSaved(t, &SGD{LR: 0.1})
	meta, err := ReadCheckpointMeta(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := CheckLayout(meta, ckNet(t, 1).Layer(), []int{1, 8, 8}); err != nil {
		t.Errorf("its own layout: %v", err)
	}
	huge := Sequential("ck", Flatten(), Dense("fc0", 1<<20), Dense("fc1", 1<<20))
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	err = CheckLayout(meta, huge, []int{1, 8, 8})
	runtime.ReadMemStats(&after)
	wantError(t, "huge", err, "missing tensor fc0.weight", "tensor fc1.weight has shape [3 36], the model's fc1.weight has [1048576 1048576]", "unknown tensor conv1.weight")
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 1<<20 {
		t.Errorf("checking a layout of 2^40 weights allocated %d bytes", alloc)
	}
	if err := CheckLayout(meta, ckNet(t, 1).Layer(), []int{1, 8, 8}, Float64()); err == nil || !strings.Contains(err.Error(), "is F32, the model's is F64") {
		t.Errorf("float64: %v", err)
	}
	if err := CheckLayout(CheckpointMeta{}, huge, []int{1}); err == nil {
		t.Error("metadata not read from a file accepted")
	}
}

// TestEarlyStoppingIntoNewDirectory: with early stopping the best
// weights are saved at the end of the first epoch, before the checkpoint
// that used to be the first to create the directory.
func TestEarlyStoppingIntoNewDirectory(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "new", "run")
	r := ckRecipe(2)
	r.Patience = 1
	_, err := r.Fit(ckNet(t, 3), CrossEntropy{}, ckData(t), FitConfig{Val: ckData(t), Dir: dir, Meta: CheckpointMeta{Model: "ck"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{CheckpointFile, BestFile} {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			t.Error(err)
		}
	}
}

// TestHistoryFileIsChecked: ReadHistory refuses what is not a regular
// file, trailing data, and inconsistent epochs, naming the file.
func TestHistoryFileIsChecked(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, HistoryJSON)
	good := `[{"epoch":1,"steps":6,"lr":0.1,"train_loss":1,"train_accuracy":0.5,"val_loss":1,"val_accuracy":0.5,"val_n":10,"seconds":1}]`
	for text, want := range map[string]string{
		good + "]":                   "data after the value",
		good + " x":                  "data after the value",
		`[{"epoch":2}]`:              "record 1 is epoch 2",
		`[{"epoch":1,"bogus":true}]`: "unknown field",
		`[{"epoch":1,"val_n":-1}]`:   "validated on -1",
		`[{"epoch":1,"lr":-1}]`:      "want finite numbers",
		`{"epoch":1}`:                "unreadable JSON",
		`[{"epoch":1,"partial":true},{"epoch":2}]`: "partial but not the last",
	} {
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := ReadHistory(dir)
		wantError(t, text, err, path, want)
	}
	if err := os.WriteFile(path, []byte(good+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if h, err := ReadHistory(dir); err != nil || len(h) != 1 {
		t.Errorf("good history: %v %v", h, err)
	}
	os.Remove(path)
	if err := os.Mkdir(path, 0o755); err != nil {
		t.Fatal(err)
	}
	_, err := ReadHistory(dir)
	wantError(t, "a directory", err, path, "not a regular file")
}
