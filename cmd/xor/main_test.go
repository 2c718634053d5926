package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/featlearn/featlearn/internal/cli/clitest"
)

func TestRun(t *testing.T) {
	dot := filepath.Join(t.TempDir(), "xnor.dot")
	var stdout, stderr bytes.Buffer
	if code := mainCode([]string{"-steps", "300", "-dot", dot}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr.String())
	}
	if !strings.Contains(stdout.String(), "hand-wired") || !strings.Contains(stdout.String(), "learned weights") {
		t.Errorf("stdout:\n%s", stdout.String())
	}
	if b, err := os.ReadFile(dot); err != nil || !strings.Contains(string(b), "digraph") {
		t.Errorf("DOT file: %v", err)
	}
}

// TestStrayArgumentIsUsageError is defect 3 for xor, with defect 4: every
// flag is checked before any work, and the error is one line naming the
// flag, with status 2; a failure is status 1.
func TestStrayArgumentIsUsageError(t *testing.T) {
	clitest.Check(t, mainCode, []clitest.Case{
		{[]string{"extra"}, 2, `unexpected argument "extra"`},
		{[]string{"-steps", "10", "extra", "-lr", "1"}, 2, `unexpected argument "extra"`},
		{[]string{"-steps", "0"}, 2, "-steps"},
		{[]string{"-steps", "-1"}, 2, "-steps"},
		{[]string{"-lr", "0"}, 2, "-lr"},
		{[]string{"-lr", "NaN"}, 2, "-lr"},
		{[]string{"-lr", "-Inf"}, 2, "-lr"},
		{[]string{"-hidden", "1"}, 2, "-hidden"},
		{[]string{"-hidden", "1000000000"}, 2, "-hidden"},
		{[]string{"-bogus"}, 2, "-bogus"},
		{[]string{"-steps", "1", "-dot", filepath.Join(t.TempDir(), "none", "x.dot")}, 1, "x.dot"},
		{[]string{"-h"}, 0, "usage: xor"},
	})
}
