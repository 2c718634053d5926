package mlp_test

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/featlearn/featlearn/graph"
	"github.com/featlearn/featlearn/graph/safetensors"
	"github.com/featlearn/featlearn/models/mlp"
)

// hostileCheckpoint writes a tiny MLP checkpoint whose metadata names
// architecture arch and whose only tensor is one float, and returns its
// path and size.
func hostileCheckpoint(t *testing.T, dir, name, arch string) (string, int64) {
	t.Helper()
	path := filepath.Join(dir, name)
	md := map[string]string{"format": graph.CheckpointFormat, "model": mlp.Name, "config": arch, "epoch": "0", "step": "0", "seed": "0"}
	if err := safetensors.WriteFile(path, []safetensors.Tensor{safetensors.F32("fc1.weight", []int{1}, []float32{0})}, md); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return path, fi.Size()
}

// TestHostileMLPCheckpointIsRefusedBeforeAllocating is defect 2: a file
// of a few hundred bytes whose metadata describes a huge MLP is refused
// without building it. The first two are the files (a layer of a
// billion units; 50 layers of 100,000), refused by ParseArch's bounds;
// the third is within those bounds (58 million weights, 234 MB) and is
// refused because the file does not hold its tensors.
func TestHostileMLPCheckpointIsRefusedBeforeAllocating(t *testing.T) {
	dir := t.TempDir()
	cases := []struct{ name, arch, want string }{
		{"billion.safetensors", "784-1000000000-10 relu", "want 1..32768"},
		{"fifty.safetensors", "784-" + strings.Repeat("100000-", 50) + "10 relu", "50 hidden layers"},
		{"in-bounds.safetensors", "784-32768-1000-10 relu", "tensor fc1.weight has shape [1], the model's fc1.weight has [32768 784]"},
	}
	for _, c := range cases {
		path, size := hostileCheckpoint(t, dir, c.name, c.arch)
		t.Logf("%s: %d bytes", c.name, size)
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		_, _, err := mlp.Load(path)
		runtime.ReadMemStats(&after)
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), path) {
			t.Errorf("%s: error %v, want %q naming the file", c.name, err, c.want)
		}
		if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 1<<20 {
			t.Errorf("%s: refusing it allocated %d bytes", c.name, alloc)
		}
	}
}
