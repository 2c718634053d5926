package main

import (
	"bytes"
	"io"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/featlearn/featlearn/graph"
	"github.com/featlearn/featlearn/graph/safetensors"
	"github.com/featlearn/featlearn/internal/cli/clitest"
	"github.com/featlearn/featlearn/internal/trainapp"
	"github.com/featlearn/featlearn/models/resnet"
)

func mainCode(args []string, stdout, stderr io.Writer) int {
	return trainapp.Main(newApp(), args, stdout, stderr)
}

// TestStrayArgumentIsUsageError: resnet's exit statuses, as every
// binary's (README).
func TestStrayArgumentIsUsageError(t *testing.T) {
	none := filepath.Join(t.TempDir(), "none")
	clitest.Check(t, mainCode, []clitest.Case{
		{[]string{"train", "extra", "-data", none}, 2, `unexpected argument "extra"`},
		{[]string{"train", "-epochs", "0", "-data", none}, 2, "-epochs"},
		{[]string{"fly"}, 2, `unknown command "fly"`},
		{[]string{"eval", "-ckpt", none}, 1, none},
		{[]string{"summary"}, 0, ""},
		{[]string{"train", "-h"}, 0, "-epochs"},
	})
}

// TestCheckpointOfAnotherLayoutIsRefused: a checkpoint that names the
// residual network but holds other tensors is refused with one line
// naming the file, before the network is built.
func TestCheckpointOfAnotherLayoutIsRefused(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "other.safetensors")
	md := map[string]string{"format": graph.CheckpointFormat, "model": resnet.Name, "config": resnet.Arch, "epoch": "0", "step": "0", "seed": "0"}
	if err := safetensors.WriteFile(path, []safetensors.Tensor{safetensors.F32("conv1.weight", []int{1}, []float32{0})}, md); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	code := mainCode([]string{"eval", "-ckpt", path, "-data", dir}, &stdout, &stderr)
	runtime.ReadMemStats(&after)
	// Building the network first costs about 0.5 MB; the check alone
	// about 35 kB.
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 256<<10 {
		t.Errorf("refusing it allocated %d bytes: the network was built before its layout was checked", alloc)
	}
	if code != 1 || !strings.Contains(stderr.String(), path) || strings.Count(stderr.String(), "\n") != 1 {
		t.Errorf("exit %d, want 1 and one line naming the file\n%s", code, stderr.String())
	}
}
