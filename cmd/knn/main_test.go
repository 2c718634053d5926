package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/featlearn/featlearn/internal/cli/clitest"
)

// TestRunSmall runs the command on a slice of MNIST with every picture.
func TestRunSmall(t *testing.T) {
	if testing.Short() {
		t.Skip("MNIST run skipped under -short")
	}
	out := t.TempDir()
	var stdout, stderr bytes.Buffer
	code := mainCode([]string{"-train", "3000", "-test", "300", "-cv", "600", "-k", "1,3", "-out", out}, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr.String())
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

// TestStrayArgumentIsUsageError is defect 3 for knn, with defect 4: every
// flag is checked before any work (the data directory does not exist, so
// any work would fail with status 1), and the error is one line naming
// the flag, with status 2.
func TestStrayArgumentIsUsageError(t *testing.T) {
	none := filepath.Join(t.TempDir(), "none")
	clitest.Check(t, clitest.WithArgs(mainCode, "-data", none), []clitest.Case{
		{[]string{"extra", "-k", "1"}, 2, `unexpected argument "extra"`},
		{[]string{"-k", "1,x"}, 2, "-k"},
		{[]string{"-k", "0"}, 2, "-k"},
		{[]string{"-k", "1000000000"}, 2, "-k"},
		{[]string{"-folds", "1"}, 2, "-folds"},
		{[]string{"-folds", "-3"}, 2, "-folds"},
		{[]string{"-cv", "-1"}, 2, "-cv"},
		{[]string{"-cv", "3", "-folds", "5"}, 2, "-cv"},
		{[]string{"-train", "-1"}, 2, "-train"},
		{[]string{"-test", "-1"}, 2, "-test"},
		{[]string{"-out", ""}, 2, "-out"},
		{[]string{"-bogus"}, 2, "-bogus"},
		{[]string{"-h"}, 0, "usage: knn"},
		{nil, 1, none},
	})
}
