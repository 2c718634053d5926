package trainapp_test

import (
	"bytes"
	"maps"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"

	"github.com/featlearn/featlearn/datasets"
	"github.com/featlearn/featlearn/graph"
	"github.com/featlearn/featlearn/graph/safetensors"
	"github.com/featlearn/featlearn/internal/trainapp"
	"github.com/featlearn/featlearn/models/lenet"
)

// untrained saves an untrained LeNet-5 as a checkpoint in dir, after
// change, if not nil, has altered it, and returns the path.
func untrained(t *testing.T, dir string, change func(m *graph.Model)) string {
	t.Helper()
	m, err := lenet.New(1)
	if err != nil {
		t.Fatal(err)
	}
	if change != nil {
		change(m)
	}
	path := filepath.Join(dir, "ckpt.safetensors")
	if err := graph.SaveCheckpoint(path, m, nil, graph.CheckpointMeta{Model: lenet.Name, Config: lenet.Arch}); err != nil {
		t.Fatal(err)
	}
	return path
}

// digitPNG writes test digit i as a PNG into dir.
func digitPNG(t *testing.T, dir, name string, i int) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := datasets.WritePNG(path, testDigits(t).Digit(i)); err != nil {
		t.Fatal(err)
	}
	return path
}

var digits *datasets.Set

func testDigits(t *testing.T) *datasets.Set {
	t.Helper()
	if digits == nil {
		m, err := datasets.LoadMNIST("")
		if err != nil {
			t.Fatal(err)
		}
		digits = m.Test
	}
	return digits
}

// TestPredictRefusesHugeAndSpecialFiles is defect 1: predict refuses a
// device, a pipe, a directory and a 3 GB file without reading them, one
// line each naming the file, and goes on to the good image; the whole run
// allocates a few megabytes.
func TestPredictRefusesHugeAndSpecialFiles(t *testing.T) {
	dir := t.TempDir()
	ckpt := untrained(t, dir, nil)
	good := digitPNG(t, dir, "good.png", 0)
	big := filepath.Join(dir, "big.png")
	if err := os.WriteFile(big, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(big, 3<<30); err != nil { // sparse
		t.Fatal(err)
	}
	fifo := filepath.Join(dir, "fifo.png")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	bad := []string{"/dev/zero", big, fifo, dir}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	code, out, errs := run(append(append([]string{"predict", "-ckpt", ckpt}, bad...), good)...)
	runtime.ReadMemStats(&after)
	if code != 1 || !strings.Contains(out, "good.png\n  1. ") || !strings.Contains(errs, "4 of 5 images could not be read") {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errs)
	}
	lines := strings.Split(strings.TrimSpace(errs), "\n")
	if len(lines) != len(bad)+1 {
		t.Errorf("stderr has %d lines, want one per bad file and a summary:\n%s", len(lines), errs)
	}
	for i, path := range bad {
		if i < len(lines) && !strings.HasPrefix(lines[i], "lenet: "+path+": ") {
			t.Errorf("line %d %q does not name %s", i+1, lines[i], path)
		}
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 64<<20 {
		t.Errorf("predict allocated %d bytes", alloc)
	}
}

// TestPredictGoesOnPastBadFiles is defect 9: predict a.png bad.png c.png
// reports bad.png on one line, still predicts c.png, and fails at the end.
func TestPredictGoesOnPastBadFiles(t *testing.T) {
	dir := t.TempDir()
	ckpt := untrained(t, dir, nil)
	a, c := digitPNG(t, dir, "a.png", 0), digitPNG(t, dir, "c.png", 1)
	badPath := filepath.Join(dir, "bad.png")
	if err := os.WriteFile(badPath, []byte("not an image at all"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errs := run("predict", "-ckpt", ckpt, a, badPath, c)
	if code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	if !strings.Contains(out, "a.png\n  1. ") || !strings.Contains(out, "c.png\n  1. ") {
		t.Errorf("stdout lacks a.png or c.png:\n%s", out)
	}
	want := "lenet: " + badPath + ": not a readable PNG or JPEG image"
	if lines := strings.Split(strings.TrimSpace(errs), "\n"); len(lines) != 2 || !strings.HasPrefix(lines[0], want) || lines[1] != "lenet: 1 of 3 images could not be read" {
		t.Errorf("stderr:\n%s\nwant %q and a summary", errs, want)
	}
}

// TestNonFiniteWeightsAreRefused is defect 6 through the command line:
// eval and predict refuse a checkpoint with a NaN weight on one line
// naming the tensor; eval -allow-nonfinite loads it for a look.
func TestNonFiniteWeightsAreRefused(t *testing.T) {
	dir := t.TempDir()
	ckpt := untrained(t, dir, func(m *graph.Model) {
		p := m.Param("conv1.weight")
		v := p.Float64s()
		v[5] = v[5] / 0 * 0 // NaN
		if err := p.Set(v); err != nil {
			t.Fatal(err)
		}
	})
	for _, args := range [][]string{{"eval", "-ckpt", ckpt}, {"predict", "-ckpt", ckpt, digitPNG(t, dir, "d.png", 0)}, {"viz", "-ckpt", ckpt}} {
		code, _, errs := run(args...)
		if code != 1 || !strings.Contains(errs, "tensor conv1.weight holds NaN at index 5") || !strings.Contains(errs, ckpt) || strings.Count(errs, "\n") != 1 {
			t.Errorf("%s: exit %d\n%s", args[0], code, errs)
		}
	}
	code, out, errs := run("eval", "-ckpt", ckpt, "-allow-nonfinite", "-png", "-")
	if code != 0 || !strings.Contains(out, "accuracy") {
		t.Errorf("eval -allow-nonfinite: exit %d\n%s%s", code, out, errs)
	}
}

// TestImpossibleMetadataIsRefused is defect 7 through the command line: a
// resume from a checkpoint whose recipe or step is impossible fails with
// status 1 (not a usage error: no flag is at fault), one line naming the
// file and the metadata key, before any training.
func TestImpossibleMetadataIsRefused(t *testing.T) {
	dir := t.TempDir()
	mustRun(t, 0, "train", "-train-n", "128", "-epochs", "1", "-batch", "32", "-out", dir, "-progress", "lines")
	ckpt := graph.CheckpointPath(dir)
	f, err := safetensors.ReadFile(ckpt)
	if err != nil {
		t.Fatal(err)
	}
	for key, value := range map[string]string{
		"extra/recipe": strings.Replace(f.Metadata["extra/recipe"], `"batch":32`, `"batch":0`, 1),
		"step":         "9223372036854775807",
	} {
		md := maps.Clone(f.Metadata)
		md[key] = value
		bad := filepath.Join(t.TempDir(), "run")
		if err := os.MkdirAll(bad, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := safetensors.WriteFile(graph.CheckpointPath(bad), f.Tensors, md); err != nil {
			t.Fatal(err)
		}
		for _, args := range [][]string{{"train", "-resume", "-epochs", "3", "-out", bad}, {"eval", "-ckpt", graph.CheckpointPath(bad)}} {
			code, _, errs := run(args...)
			if code != 1 || !strings.Contains(errs, `metadata "`+key+`"`) || !strings.Contains(errs, graph.CheckpointPath(bad)) ||
				strings.Contains(errs, "training LeNet-5") || strings.Count(errs, "\n") != 1 {
				t.Errorf("%s with %s=%.40s: exit %d\n%s", args[0], key, value, code, errs)
			}
		}
	}
}

// mainWith is Main with the App given, for the Spec.Check test.
func mainWith(a *trainapp.App, args ...string) (int, string) {
	var out, errs bytes.Buffer
	code := trainapp.Main(a, args, &out, &errs)
	return code, errs.String()
}

// TestSpecCheckRunsBeforeBuild checks the App calls Spec.Check before
// Spec.Build, and that a refusal stops the load.
func TestSpecCheckRunsBeforeBuild(t *testing.T) {
	ckpt := untrained(t, t.TempDir(), nil)
	a, built := app(), false
	a.Spec.Build = func(seed uint64) (*graph.Model, error) { built = true; return lenet.New(seed) }
	a.Spec.Check = func(graph.CheckpointMeta) error { return os.ErrInvalid }
	if code, errs := mainWith(a, "eval", "-ckpt", ckpt); code != 1 || built || !strings.Contains(errs, "invalid argument") {
		t.Errorf("exit %d, built %v\n%s", code, built, errs)
	}
}

// TestResumeWithoutCheckpoint: -resume on an empty directory says there
// is nothing to resume, apart from the damaged checkpoints above.
func TestResumeWithoutCheckpoint(t *testing.T) {
	dir := t.TempDir()
	code, _, errs := run("train", "-resume", "-out", dir)
	if code != 1 || !strings.Contains(errs, "nothing to resume in "+dir+": no checkpoint.safetensors there") {
		t.Errorf("exit %d\n%s", code, errs)
	}
}
