package main

import (
	"testing"

	"github.com/featlearn/featlearn/internal/cli/clitest"
)

// TestStrayArgumentIsUsageError is defect 3 for featbench, with defect 4:
// flags are checked before the bench loads MNIST, and the error is one
// line naming the flag, with status 2.
func TestStrayArgumentIsUsageError(t *testing.T) {
	clitest.Check(t, mainCode, []clitest.Case{
		{[]string{"mlp"}, 2, `unexpected argument "mlp"`},
		{[]string{"-model", "vgg"}, 2, "-model"},
		{[]string{"-model", "lenet", "extra", "-data", "x"}, 2, `unexpected argument "extra"`},
		{[]string{"-bogus"}, 2, "-bogus"},
		{[]string{"-h"}, 0, "usage: featbench"},
		{[]string{"-data", "/nonexistent/featlearn"}, 1, "/nonexistent/featlearn"},
	})
}
