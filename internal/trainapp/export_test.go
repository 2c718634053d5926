package trainapp_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/featlearn/featlearn/graph"
	"github.com/featlearn/featlearn/graph/onnx"
	"github.com/featlearn/featlearn/models/lenet"
)

// TestExport writes a checkpoint as ONNX with `lenet export` and reads the
// file back: same outputs, metadata from the checkpoint.
func TestExport(t *testing.T) {
	dir := t.TempDir()
	m, err := lenet.New(3)
	if err != nil {
		t.Fatal(err)
	}
	ckpt := graph.CheckpointPath(dir)
	meta := graph.CheckpointMeta{Model: lenet.Name, Config: lenet.Arch, Extra: map[string]string{"note": "hello"}}
	if err := graph.SaveCheckpoint(ckpt, m, nil, meta); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "digits.onnx")
	out, _ := mustRun(t, 0, "export", "-ckpt", ckpt, "-o", path)
	if !strings.Contains(out, "wrote "+path) || !strings.Contains(out, `input "input" (N, 1, 28, 28), output "logits" (N, 10)`) ||
		!strings.Contains(out, "read back: the same outputs") {
		t.Errorf("export output:\n%s", out)
	}
	back, got, err := onnx.ImportFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if got.Model != lenet.Name || got.Arch != lenet.Arch || len(got.Classes) != 10 || got.Input.Scale != 1.0/255 || got.Props["extra.note"] != "hello" {
		t.Errorf("metadata %+v", got)
	}
	x := make([]float32, 784)
	for i := range x {
		x[i] = float32(i%17) / 17
	}
	want, err := m.Predict(x, 1, 1)
	if err != nil {
		t.Fatal(err)
	}
	have, err := back.Predict(x, 1, 1)
	if err != nil {
		t.Fatal(err)
	}
	for i := range want {
		if have[i] != want[i] {
			t.Fatalf("logit %d: %v from the ONNX file, %v from the checkpoint", i, have[i], want[i])
		}
	}

	mustRun(t, 0, "export", "-ckpt", ckpt)
	mustExist(t, filepath.Join(dir, "lenet.onnx"))
	if _, errs := mustRun(t, 1, "export", "-ckpt", filepath.Join(dir, "none.safetensors")); !strings.Contains(errs, "no checkpoint") {
		t.Errorf("a missing checkpoint: %s", errs)
	}
	if _, errs := mustRun(t, 2, "export", "stray"); !strings.Contains(errs, "stray") {
		t.Errorf("a stray argument: %s", errs)
	}
}
