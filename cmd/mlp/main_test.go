package main

import (
	"bytes"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/featlearn/featlearn/graph"
	"github.com/featlearn/featlearn/graph/safetensors"
	"github.com/featlearn/featlearn/internal/cli/clitest"
	"github.com/featlearn/featlearn/models/mlp"
)

// TestStrayArgumentIsUsageError is defect 3 for mlp, and the exit
// statuses of its commands: 2 for usage, given before any work (the data
// directory does not exist, so any work would fail with status 1), 1 for
// a failure, 0 for help.
func TestStrayArgumentIsUsageError(t *testing.T) {
	none := filepath.Join(t.TempDir(), "none")
	clitest.Check(t, mainCode, []clitest.Case{
		{[]string{"train", "extra", "-train-n", "2000", "-data", none}, 2, `unexpected argument "extra"`},
		{[]string{"summary", "-hidden", "300", "extra"}, 2, `unexpected argument "extra"`},
		{[]string{"train", "-hidden", "0", "-data", none}, 2, "not a positive number"},
		{[]string{"train", "-hidden", "100000", "-data", none}, 2, "want 1..32768"},
		{[]string{"train", "-act", "elu", "-data", none}, 2, "activation"},
		{[]string{"train", "-batch", "-1", "-data", none}, 2, "-batch"},
		{[]string{"eval", "-ckpt", none}, 1, none},
		{[]string{"summary", "-h"}, 0, "-hidden"},
	})
}

// TestHostileMLPCheckpointIsRefusedBeforeAllocating is defect 2 through
// the binary: `mlp eval` and `mlp predict` refuse a few hundred bytes that
// describe a huge MLP, with status 1, one line naming the file, and no
// memory spent on the model.
func TestHostileMLPCheckpointIsRefusedBeforeAllocating(t *testing.T) {
	dir := t.TempDir()
	for _, arch := range []string{"784-1000000000-10 relu", "784-" + strings.Repeat("100000-", 50) + "10 relu", "784-32768-1000-10 relu"} {
		path := filepath.Join(dir, "hostile.safetensors")
		md := map[string]string{"format": graph.CheckpointFormat, "model": mlp.Name, "config": arch, "epoch": "0", "step": "0", "seed": "0"}
		if err := safetensors.WriteFile(path, []safetensors.Tensor{safetensors.F32("fc1.weight", []int{1}, []float32{0})}, md); err != nil {
			t.Fatal(err)
		}
		for _, cmd := range [][]string{{"eval", "-ckpt", path, "-data", dir}, {"predict", "-ckpt", path, path}} {
			var stdout, stderr bytes.Buffer
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			code := mainCode(cmd, &stdout, &stderr)
			runtime.ReadMemStats(&after)
			if code != 1 || !strings.Contains(stderr.String(), path) || strings.Count(stderr.String(), "\n") != 1 {
				t.Errorf("%s %.30q: exit %d, want 1 and one line naming the file\n%s", cmd[0], arch, code, stderr.String())
			}
			if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 1<<20 {
				t.Errorf("%s %.30q: refusing it allocated %d bytes", cmd[0], arch, alloc)
			}
		}
	}
}
