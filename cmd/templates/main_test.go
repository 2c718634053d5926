package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/featlearn/featlearn/internal/cli/clitest"
)

// TestRunSmall runs one pass over 1,000 training images with the pictures.
func TestRunSmall(t *testing.T) {
	if testing.Short() {
		t.Skip("MNIST run skipped under -short")
	}
	out := t.TempDir()
	var stdout, stderr bytes.Buffer
	if code := mainCode([]string{"-train", "1000", "-epochs", "1", "-snapshots", "2", "-out", out}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr.String())
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

// TestStrayArgumentIsUsageError is defect 3 for templates, with defect 4:
// every flag is checked before any work (the data directory does not
// exist, so any work would fail with status 1), and the error is one line
// naming the flag, with status 2.
func TestStrayArgumentIsUsageError(t *testing.T) {
	none := filepath.Join(t.TempDir(), "none")
	clitest.Check(t, clitest.WithArgs(mainCode, "-data", none), []clitest.Case{
		{[]string{"extra"}, 2, `unexpected argument "extra"`},
		{[]string{"-threshold", "0"}, 2, "-threshold"},
		{[]string{"-threshold", "256"}, 2, "-threshold"},
		{[]string{"-threshold", "-1"}, 2, "-threshold"},
		{[]string{"-epochs", "0"}, 2, "-epochs"},
		{[]string{"-snapshots", "-1"}, 2, "-snapshots"},
		{[]string{"-snapshots", "1000000000"}, 2, "-snapshots"},
		{[]string{"-train", "-5"}, 2, "-train"},
		{[]string{"-out", ""}, 2, "-out"},
		{nil, 1, none},
		{[]string{"-h"}, 0, "usage: templates"},
	})
}
