package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
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
	cases := []struct {
		args []string
		code int
		want string
	}{
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
	}
	for _, c := range cases {
		var stdout, stderr bytes.Buffer
		code := mainCode(c.args, &stdout, &stderr)
		if code != c.code || !strings.Contains(stderr.String(), c.want) {
			t.Errorf("%q: exit %d, want %d with %q\n%s", c.args, code, c.code, c.want, stderr.String())
		}
		if c.code == 2 && strings.Count(stderr.String(), "\n") != 1 {
			t.Errorf("%q: stderr is not one line:\n%s", c.args, stderr.String())
		}
	}
	var stdout, stderr bytes.Buffer
	if code := mainCode([]string{"-h"}, &stdout, &stderr); code != 0 || !strings.Contains(stderr.String(), "usage: xor") {
		t.Errorf("-h: exit %d\n%s", code, stderr.String())
	}
}
