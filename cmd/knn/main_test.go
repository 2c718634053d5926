package main

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestRunSmall runs the command on a slice of MNIST with every picture.
func TestRunSmall(t *testing.T) {
	if testing.Short() {
		t.Skip("MNIST run skipped under -short")
	}
	out := t.TempDir()
	var stdout, stderr bytes.Buffer
	err := run([]string{"-train", "3000", "-test", "300", "-cv", "600", "-k", "1,3", "-out", out}, &stdout, &stderr)
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr.String())
	}
	if !strings.Contains(stdout.String(), "test error at k =") {
		t.Errorf("stdout lacks the test error:\n%s", stdout.String())
	}
	for _, name := range []string{"knn-featurespace.png", "knn-cv.png", "knn-confusion.png", "knn-curves.png"} {
		if _, err := os.Stat(filepath.Join(out, name)); err != nil {
			t.Error(err)
		}
	}
}

func TestBadFlags(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if err := run([]string{"-k", "1,x"}, &stdout, &stderr); err == nil || !strings.Contains(err.Error(), "-k") {
		t.Errorf("bad -k: error %v", err)
	}
	if err := run([]string{"-h"}, &stdout, &stderr); err != flag.ErrHelp {
		t.Errorf("-h: error %v, want flag.ErrHelp", err)
	}
	if err := run([]string{"-data", t.TempDir()}, &stdout, &stderr); err == nil {
		t.Error("empty data directory: no error")
	}
}
