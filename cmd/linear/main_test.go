package main

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"github.com/featlearn/featlearn/internal/cli/clitest"
)

// TestRunQuick trains both classifiers for one epoch without pictures.
func TestRunQuick(t *testing.T) {
	if testing.Short() {
		t.Skip("MNIST run skipped under -short")
	}
	var stdout, stderr bytes.Buffer
	if code := mainCode([]string{"-epochs", "1", "-a", "4", "-b", "9", "-pictures=false"}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr.String())
	}
	for _, want := range []string{"linear 4 v 9", "softmax regression 784 -> 10"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("stdout lacks %q:\n%s", want, stdout.String())
		}
	}
}

// TestStrayArgumentIsUsageError is defect 3 for linear, with defect 4:
// every flag is checked before any work (the data directory does not
// exist, so any work would fail with status 1), and the error is one line
// naming the flag, with status 2.
func TestStrayArgumentIsUsageError(t *testing.T) {
	none := filepath.Join(t.TempDir(), "none")
	clitest.Check(t, clitest.WithArgs(mainCode, "-data", none), []clitest.Case{
		{[]string{"extra"}, 2, `unexpected argument "extra"`},
		{[]string{"-epochs", "2", "extra", "-lr", "1"}, 2, `unexpected argument "extra"`},
		{[]string{"-a", "3", "-b", "3"}, 2, "-a and -b"},
		{[]string{"-a", "10"}, 2, "-a"},
		{[]string{"-b", "-1"}, 2, "-b"},
		{[]string{"-epochs", "0"}, 2, "-epochs"},
		{[]string{"-batch", "0"}, 2, "-batch"},
		{[]string{"-lr", "NaN"}, 2, "-lr"},
		{[]string{"-lr", "-1"}, 2, "-lr"},
		{[]string{"-lr", "Inf"}, 2, "-lr"},
		{[]string{"-decay", "1.5"}, 2, "-decay"},
		{[]string{"-decay", "NaN"}, 2, "-decay"},
		{[]string{"-wd", "-0.1"}, 2, "-wd"},
		{[]string{"-wd", "Inf"}, 2, "-wd"},
		{[]string{"-out", ""}, 2, "-out"},
		{nil, 1, none},
		{[]string{"-h"}, 0, "usage: linear"},
	})
}
