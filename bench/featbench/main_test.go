package main

import (
	"bytes"
	"strings"
	"testing"
)

// TestStrayArgumentIsUsageError is defect 3 for featbench, with defect 4:
// flags are checked before the bench loads MNIST, and the error is one
// line naming the flag, with status 2.
func TestStrayArgumentIsUsageError(t *testing.T) {
	cases := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"mlp"}, 2, `unexpected argument "mlp"`},
		{[]string{"-model", "vgg"}, 2, "-model"},
		{[]string{"-model", "lenet", "extra", "-data", "x"}, 2, `unexpected argument "extra"`},
		{[]string{"-bogus"}, 2, "-bogus"},
		{[]string{"-h"}, 0, "usage: featbench"},
		{[]string{"-data", "/nonexistent/featlearn"}, 1, "/nonexistent/featlearn"},
	}
	for _, c := range cases {
		var stdout, stderr bytes.Buffer
		code := mainCode(c.args, &stdout, &stderr)
		if code != c.code || !strings.Contains(stderr.String(), c.want) {
			t.Errorf("%q: exit %d, want %d with %q\n%s", c.args, code, c.code, c.want, stderr.String())
		}
		if c.code != 0 && strings.Count(stderr.String(), "\n") != 1 {
			t.Errorf("%q: stderr is not one line:\n%s", c.args, stderr.String())
		}
	}
}
