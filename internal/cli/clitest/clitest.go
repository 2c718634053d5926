// Package clitest runs a binary's command lines in-process and checks how
// each ends: its exit status, what it says on stderr, and that an error is
// one line. A binary's usage test is then a table of its cases:
//
//	clitest.Check(t, mainCode, []clitest.Case{
//		{[]string{"extra"}, 2, `unexpected argument "extra"`},
//		{[]string{"-h"}, 0, "usage: xor"},
//	})
package clitest

import (
	"bytes"
	"io"
	"strings"
	"testing"
)

// Main is a binary's body below main: it runs a command line and returns
// the exit status.
type Main func(args []string, stdout, stderr io.Writer) int

// Case is a command line and how it must end: with status Code and Want
// somewhere on stderr. It names an unnamed struct type, so that tables
// may list cases as {args, code, want} without go vet's objection to
// unkeyed fields of another package's struct.
type Case = struct {
	Args []string
	Code int
	Want string
}

// Check runs every case through main. It fails t for a case that does
// not end with its status and its text on stderr, and for a failure
// (status other than 0) that takes more than one line of stderr, unless
// the binary shows its usage on purpose (an unknown or missing command).
func Check(t *testing.T, main Main, cases []Case) {
	t.Helper()
	for _, c := range cases {
		var stdout, stderr bytes.Buffer
		code := main(c.Args, &stdout, &stderr)
		msg := stderr.String()
		if code != c.Code || !strings.Contains(msg, c.Want) {
			t.Errorf("%q: exit %d, want %d with %q\n%s", c.Args, code, c.Code, c.Want, msg)
		}
		if code != 0 && strings.Count(msg, "\n") != 1 && !strings.Contains(msg, "usage:") {
			t.Errorf("%q: stderr is not one line:\n%s", c.Args, msg)
		}
	}
}

// WithArgs returns main with args added to the end of every command line:
// a -data directory that does not exist, so that any work would fail.
func WithArgs(main Main, args ...string) Main {
	return func(line []string, stdout, stderr io.Writer) int {
		return main(append(append([]string(nil), line...), args...), stdout, stderr)
	}
}
