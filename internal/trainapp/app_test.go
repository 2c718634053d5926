package trainapp_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/featlearn/featlearn/datasets"
	"github.com/featlearn/featlearn/graph"
	"github.com/featlearn/featlearn/internal/cli"
	"github.com/featlearn/featlearn/internal/trainapp"
	"github.com/featlearn/featlearn/models/lenet"
)

func app() *trainapp.App {
	return &trainapp.App{Name: lenet.Name, Title: "LeNet-5", Defaults: lenet.DefaultRecipe(),
		Spec: trainapp.Spec{Name: lenet.Name, Arch: lenet.Arch, Build: lenet.New}}
}

// run calls Main and returns its exit status, stdout and stderr.
func run(args ...string) (int, string, string) {
	var out, errs bytes.Buffer
	code := trainapp.Main(app(), args, &out, &errs)
	return code, out.String(), errs.String()
}

// mustRun fails the test unless the command exits with want.
func mustRun(t *testing.T, want int, args ...string) (string, string) {
	t.Helper()
	code, out, errs := run(args...)
	if code != want {
		t.Fatalf("%v: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", args, code, want, out, errs)
	}
	return out, errs
}

func mustExist(t *testing.T, paths ...string) {
	t.Helper()
	for _, p := range paths {
		if fi, err := os.Stat(p); err != nil || fi.Size() == 0 {
			t.Errorf("%s: %v", p, err)
		}
	}
}

func TestTrainResumeEvalPredictSummaryViz(t *testing.T) {
	dir := t.TempDir()
	out, errs := mustRun(t, 0, "train", "-train-n", "256", "-epochs", "1", "-out", dir, "-progress", "lines")
	if !strings.Contains(out, "LeNet-5: test accuracy") || !strings.Contains(out, "confusion matrix") || !strings.Contains(errs, "epoch 1/1") {
		t.Errorf("train output:\n%s\n%s", out, errs)
	}
	ckpt := graph.CheckpointPath(dir)
	mustExist(t, ckpt, filepath.Join(dir, "history.json"), filepath.Join(dir, "history.csv"), filepath.Join(dir, "confusion.png"))

	_, errs = mustRun(t, 0, "train", "-resume", "-epochs", "2", "-out", dir, "-progress", "bar")
	if !strings.Contains(errs, "resuming from") || !strings.Contains(errs, "img/s") || !strings.Contains(errs, "epoch 2/2") {
		t.Errorf("resume output:\n%s", errs)
	}
	if meta, err := graph.ReadCheckpointMeta(ckpt); err != nil || meta.Epoch != 2 || meta.Step != 8 {
		t.Errorf("checkpoint after resuming: %+v, %v", meta, err)
	}

	// A bare -resume takes the 2 epochs from the checkpoint: nothing is left.
	_, errs = mustRun(t, 0, "train", "-resume", "-out", dir)
	if !strings.Contains(errs, "on 256 images") || !strings.Contains(errs, ": 2 epochs") || strings.Contains(errs, "epoch 3") {
		t.Errorf("bare resume output:\n%s", errs)
	}

	out, _ = mustRun(t, 0, "eval", "-ckpt", ckpt)
	if !strings.Contains(out, "per-class accuracy") || !strings.Contains(out, "2 epochs, 8 steps") {
		t.Errorf("eval output:\n%s", out)
	}
	mustExist(t, filepath.Join(dir, "confusion-test.png"))

	png := filepath.Join(dir, "seven.png")
	m, err := datasets.LoadMNIST("")
	if err != nil {
		t.Fatal(err)
	}
	if err := datasets.WritePNG(png, m.Test.Digit(0)); err != nil {
		t.Fatal(err)
	}
	out, _ = mustRun(t, 0, "predict", "-ckpt", ckpt, png)
	if !strings.Contains(out, "seven.png\n  1. ") || strings.Count(out, "%") != 3 {
		t.Errorf("predict output:\n%s", out)
	}

	out, _ = mustRun(t, 0, "summary")
	for _, want := range []string{"6x28x28", "16x10x10", "61706", "1,600,000,000", "4,000,000", "10,000"} {
		if !strings.Contains(out, want) {
			t.Errorf("summary lacks %s:\n%s", want, out)
		}
	}

	pics := t.TempDir()
	out, _ = mustRun(t, 0, "viz", "-ckpt", ckpt, "-out", pics, "-image", png)
	for _, name := range []string{"filters", "input", "maps-conv1", "maps-conv2", "curves"} {
		mustExist(t, filepath.Join(pics, "lenet-"+name+".png"))
	}
	if !strings.Contains(out, "seven.png") {
		t.Errorf("viz output:\n%s", out)
	}
}

func TestUsage(t *testing.T) {
	cases := []struct {
		args []string
		code int
		want string
	}{
		{nil, 2, "usage:"},
		{[]string{"-h"}, 0, "lenet train"},
		{[]string{"fly"}, 2, `unknown command "fly"`},
		{[]string{"train", "-h"}, 0, "-epochs"},
		{[]string{"train", "-bogus"}, 2, "-bogus"},
		{[]string{"train", "-progress", "fancy"}, 2, "-progress"},
		{[]string{"train", "-optimizer", "lbfgs", "-train-n", "64"}, 2, "-optimizer"},
		{[]string{"train", "extra", "-train-n", "2000", "-epochs", "1"}, 2, `unexpected argument "extra"`},
		{[]string{"summary", "extra"}, 2, `unexpected argument "extra"`},
		{[]string{"train", "-epochs", "0"}, 2, "-epochs"},
		{[]string{"train", "-batch", "0"}, 2, "-batch"},
		{[]string{"train", "-lr", "0"}, 2, "-lr"},
		{[]string{"train", "-momentum", "2"}, 2, "-momentum"},
		{[]string{"train", "-momentum", "NaN"}, 2, "-momentum"},
		{[]string{"train", "-wd", "Inf"}, 2, "-wd"},
		{[]string{"train", "-decay-every", "-3"}, 2, "-decay-every"},
		{[]string{"train", "-decay-factor", "Inf"}, 2, "-decay-factor"},
		{[]string{"train", "-max-steps", "-5"}, 2, "-max-steps"},
		{[]string{"train", "-train-n", "-5"}, 2, "-train-n"},
		{[]string{"train", "-schedule", "wiggle"}, 2, "-schedule"},
		{[]string{"eval", "-ckpt", "/nonexistent/ckpt"}, 1, "train one first"},
		{[]string{"predict"}, 2, "PNG or JPEG"},
		{[]string{"eval", "-set", "train"}, 2, "-set"},
		{[]string{"viz", "-index", "-1", "-ckpt", "/nonexistent/ckpt"}, 2, "-index"},
		{[]string{"viz", "-cols", "-1", "-ckpt", "/nonexistent/ckpt"}, 2, "-cols"},
		{[]string{"viz", "-cols", "1000000000", "-ckpt", "/nonexistent/ckpt"}, 2, "-cols"},
		{[]string{"viz", "-filters", "-2", "-ckpt", "/nonexistent/ckpt"}, 2, "-filters"},
	}
	for _, c := range cases {
		code, out, errs := run(c.args...)
		if code != c.code || !strings.Contains(out+errs, c.want) {
			t.Errorf("%v: exit %d, want %d with %q\n%s%s", c.args, code, c.code, c.want, out, errs)
		}
	}
}

// signalWriter collects stderr and closes ready when training has begun.
type signalWriter struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	ready chan struct{}
	once  sync.Once
}

func (w *signalWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if bytes.Contains(p, []byte("training LeNet-5")) {
		w.once.Do(func() { close(w.ready) })
	}
	return w.buf.Write(p)
}

func TestInterruptSavesAndResumes(t *testing.T) {
	dir := t.TempDir()
	stderr := &signalWriter{ready: make(chan struct{})}
	done := make(chan int, 1)
	var stdout bytes.Buffer
	go func() {
		done <- trainapp.Main(app(), []string{"train", "-train-n", "5000", "-epochs", "40", "-out", dir, "-progress", "lines"}, &stdout, stderr)
	}()
	select {
	case <-stderr.ready:
	case code := <-done:
		t.Fatalf("training ended with %d before it began", code)
	}
	time.Sleep(200 * time.Millisecond)
	if err := syscall.Kill(os.Getpid(), syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	code := <-done
	stderr.mu.Lock()
	errs := stderr.buf.String()
	stderr.mu.Unlock()
	if code != cli.ExitInterrupted || !strings.Contains(errs, "-resume") {
		t.Fatalf("exit %d, stderr:\n%s", code, errs)
	}
	meta, err := graph.ReadCheckpointMeta(graph.CheckpointPath(dir))
	if err != nil || meta.Step == 0 {
		t.Fatalf("checkpoint after the interrupt: %+v, %v", meta, err)
	}
	// The interrupt came in epoch 1 or 2; either way -epochs 1 ends at once.
	out, errs := mustRun(t, 0, "train", "-resume", "-out", dir, "-epochs", "1", "-progress", "lines")
	if !strings.Contains(errs, "resuming from") || !strings.Contains(errs, "on 5000 images") || !strings.Contains(out, "test accuracy") {
		t.Errorf("resume after the interrupt:\n%s\n%s", out, errs)
	}
}
