package trainapp

import (
	"io"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/featlearn/featlearn/datasets"
	"github.com/featlearn/featlearn/graph"
)

// TestPredictSeesWhatTrainingSaw: an image file's input, as predict and
// viz make it, is the input training gathered for the same bytes.
func TestPredictSeesWhatTrainingSaw(t *testing.T) {
	pix := make([]uint8, 2*3*4*5)
	for i := range pix {
		pix[i] = uint8(i * 13)
	}
	s, err := datasets.NewImageSet(pix, []uint8{0, 1}, 3, 4, 5, []string{"a", "b"})
	if err != nil {
		t.Fatal(err)
	}
	for _, in := range []Input{
		{Channels: 3, Rows: 4, Cols: 5, Classes: []string{"a", "b"}},
		{Channels: 3, Rows: 4, Cols: 5, Classes: []string{"a", "b"}, Mean: []float64{0.2, 0.4, 0.6}, Std: []float64{0.1, 0.2, 0.3}},
	} {
		d, err := in.dataset(s, graph.Augment{Shift: 1}, 9)
		if err != nil {
			t.Fatal(err)
		}
		want := make([]float32, 60)
		if err := d.Gather([]int{1}, want, make([]float32, 1)); err != nil {
			t.Fatal(err)
		}
		got, err := in.floats(s.Pixels(1))
		if err != nil {
			t.Fatal(err)
		}
		for i := range want {
			if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
				t.Fatalf("mean %v: value %d is %v, training saw %v", in.Mean, i, got[i], want[i])
			}
		}
		if in.Mean != nil && got[0] == float32(pix[60])/255 {
			t.Error("the inputs were not normalised")
		}
	}
}

func TestReportRemovesAKilledRunsTemporaryPicture(t *testing.T) {
	dir := t.TempDir()
	stale := filepath.Join(dir, ".confusion.png.tmp-123")
	if err := os.WriteFile(stale, []byte("half a png"), 0o644); err != nil {
		t.Fatal(err)
	}
	ev := graph.Metrics{N: 4, Accuracy: 0.5, Confusion: [][]int{{1, 1}, {1, 1}}}
	if err := writeConfusion(filepath.Join(dir, "confusion.png"), ev, []string{"a", "b"}, io.Discard); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Errorf("the killed run's %s is still there (%v)", stale, err)
	}
	if _, err := os.Stat(filepath.Join(dir, "confusion.png")); err != nil {
		t.Error(err)
	}
}
