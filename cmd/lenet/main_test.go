package main

import (
	"path/filepath"
	"testing"

	"github.com/featlearn/featlearn/internal/cli/clitest"
)

// TestStrayArgumentIsUsageError is defect 3 for lenet, and the exit
// statuses of its commands: 2 for usage, given before any work (the data
// directory does not exist, so any work would fail with status 1), 1 for
// a failure, 0 for help. Status 130 is trainapp's
// TestInterruptSavesAndResumes.
func TestStrayArgumentIsUsageError(t *testing.T) {
	none := filepath.Join(t.TempDir(), "none")
	clitest.Check(t, mainCode, []clitest.Case{
		{[]string{"train", "extra", "-train-n", "2000", "-data", none}, 2, `unexpected argument "extra"`},
		{[]string{"eval", "extra", "-data", none}, 2, `unexpected argument "extra"`},
		{[]string{"summary", "extra"}, 2, `unexpected argument "extra"`},
		{[]string{"viz", "extra"}, 2, `unexpected argument "extra"`},
		{[]string{"train", "-epochs", "0", "-data", none}, 2, "-epochs"},
		{[]string{"train", "-lr", "NaN", "-data", none}, 2, "-lr"},
		{[]string{"train", "-bogus"}, 2, "-bogus"},
		{[]string{"predict", "-k", "0", "x.png"}, 2, "-k"},
		{[]string{"fly"}, 2, `unknown command "fly"`},
		{[]string{"eval", "-ckpt", none}, 1, none},
		{[]string{"train", "-train-n", "64", "-epochs", "1", "-data", none, "-out", t.TempDir()}, 1, none},
		{[]string{"train", "-h"}, 0, "-epochs"},
		{[]string{"eval", "-h"}, 0, "-allow-nonfinite"},
	})
}
