package main

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestRunSmall runs one pass over 1,000 training images with the pictures.
func TestRunSmall(t *testing.T) {
	if testing.Short() {
		t.Skip("MNIST run skipped under -short")
	}
	out := t.TempDir()
	var stdout, stderr bytes.Buffer
	if err := run([]string{"-train", "1000", "-epochs", "1", "-snapshots", "2", "-out", out}, &stdout, &stderr); err != nil {
		t.Fatalf("%v\n%s", err, stderr.String())
	}
	if !strings.Contains(stdout.String(), "pass 1:") {
		t.Errorf("stdout lacks the pass:\n%s", stdout.String())
	}
	for _, name := range []string{"templates-learning.png", "templates-learning-heatmap.png", "templates-hinton.png", "templates-heatmap.png"} {
		if _, err := os.Stat(filepath.Join(out, name)); err != nil {
			t.Error(err)
		}
	}
}

func TestBadFlags(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if err := run([]string{"-threshold", "0"}, &stdout, &stderr); err == nil {
		t.Error("threshold 0: no error")
	}
	if err := run([]string{"-h"}, &stdout, &stderr); err != flag.ErrHelp {
		t.Errorf("-h: error %v, want flag.ErrHelp", err)
	}
}
