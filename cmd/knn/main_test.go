package main

import (
	"bytes"
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
	cases := []struct {
		args []string
		code int
		want string
	}{
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
	}
	for _, c := range cases {
		var stdout, stderr bytes.Buffer
		code := mainCode(append(c.args, "-data", none), &stdout, &stderr)
		if c.args != nil && c.args[0] == "-h" {
			code = mainCode(c.args, &stdout, &stderr)
		}
		if code != c.code || !strings.Contains(stderr.String(), c.want) {
			t.Errorf("%q: exit %d, want %d with %q\n%s", c.args, code, c.code, c.want, stderr.String())
		}
		if code != 0 && strings.Count(stderr.String(), "\n") != 1 {
			t.Errorf("%q: stderr is not one line:\n%s", c.args, stderr.String())
		}
	}
}
