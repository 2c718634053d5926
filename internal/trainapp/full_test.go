package trainapp_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/featlearn/featlearn/datasets"
	"github.com/featlearn/featlearn/datasets/mnisttest"
	"github.com/featlearn/featlearn/graph"
)

// full skips a test unless FEATLEARN_FULL=1 asks for the full-length
// runs (minutes each on 2 cores).
func full(t *testing.T) {
	t.Helper()
	if os.Getenv("FEATLEARN_FULL") != "1" {
		t.Skip("full-length run: set FEATLEARN_FULL=1")
	}
}

var testAccuracy = regexp.MustCompile(`test accuracy ([0-9.]+)%`)

// accuracy reads the test accuracy train printed.
func accuracy(t *testing.T, stdout string) float64 {
	t.Helper()
	m := testAccuracy.FindStringSubmatch(stdout)
	if m == nil {
		t.Fatalf("no test accuracy in:\n%s", stdout)
	}
	a, _ := strconv.ParseFloat(m[1], 64)
	return a
}

// TestFullFolderOfPNGsMatchesIDX writes MNIST's 70,000 digits as PNG
// folders and trains LeNet-5 by the default recipe through them and
// through the IDX files. With the IDX files' validation split (the last
// 5,000) the two runs are one and the same; with the folder's own (a
// random tenth) the accuracy stays within the spread of seeds.
func TestFullFolderOfPNGsMatchesIDX(t *testing.T) {
	full(t)
	m := mnisttest.MNIST(t)
	folder := filepath.Join(t.TempDir(), "mnist")
	start := time.Now()
	if err := datasets.WriteFolder(folder, m.Train, m.Test, datasets.WritePNGFiles); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote 70,000 PNGs in %s", time.Since(start).Round(time.Second))
	start = time.Now()
	if _, err := datasets.LoadFolder(folder, datasets.FolderOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Logf("read them back in %s", time.Since(start).Round(100*time.Millisecond))

	idx, same, defaults := t.TempDir(), t.TempDir(), t.TempDir()
	base := []string{"train", "-progress", "lines"}
	out, _ := mustRunApp(t, featlearn(), 0, append(base, "-out", idx)...)
	fromIDX := accuracy(t, out)
	out, _ = mustRunApp(t, featlearn(), 0, append(base, "-data", folder, "-val", "5000", "-val-split", "last", "-out", same)...)
	fromFolder := accuracy(t, out)
	out, _ = mustRunApp(t, featlearn(), 0, append(base, "-data", folder, "-out", defaults)...)
	withDefaults := accuracy(t, out)
	t.Logf("test accuracy: IDX %.2f%%, PNG folder %.2f%%, PNG folder with its defaults %.2f%%", fromIDX, fromFolder, withDefaults)
	if d := fromFolder - fromIDX; d > 0.1 || d < -0.1 {
		t.Errorf("the folder of PNGs reached %.2f%%, the IDX files %.2f%%", fromFolder, fromIDX)
	}
	sameWeights(t, graph.CheckpointPath(idx), graph.CheckpointPath(same))
	if d := withDefaults - fromIDX; d > 0.3 || d < -0.3 {
		t.Errorf("with the folder's defaults %.2f%%, the IDX files %.2f%%: further apart than seeds", withDefaults, fromIDX)
	}
}

// AugmentedRecipe is the command line that takes LeNet-5 past 99.4 % on
// MNIST: LeCun's distortions, more epochs.
var AugmentedRecipe = []string{"-epochs", "30", "-decay-every", "10", "-shift", "2", "-rotate", "10", "-scale", "0.1", "-shear", "10"}

func TestFullLeNetWithDistortions(t *testing.T) {
	full(t)
	out, _ := mustRunApp(t, featlearn(), 0, append([]string{"train", "-progress", "lines", "-out", t.TempDir()}, AugmentedRecipe...)...)
	if a := accuracy(t, out); a < 99.4 {
		t.Errorf("LeNet-5 with distortions: %.2f%% on MNIST's test set, want at least 99.4%%", a)
	} else {
		t.Logf("LeNet-5 with distortions: %.2f%%", a)
	}
}
