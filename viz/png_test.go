package viz

import (
	"image"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestWritePNGRoundTrip(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "a", "b", "hinton.png")
	img, err := Hinton([]float64{1, -0.5, 0.25, 0}, 2, 2, 5, 0)
	if err != nil {
		t.Fatal(err)
	}
	for range 2 { // the second write replaces the first
		if err := WritePNG(path, img); err != nil {
			t.Fatal(err)
		}
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	back, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	checkSize(t, back, 10, 10)
	for y := 0; y < 10; y++ {
		for x := 0; x < 10; x++ {
			if rgbaAt(back, x, y) != rgbaAt(img, x, y) {
				t.Fatalf("pixel (%d,%d) changed", x, y)
			}
		}
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Errorf("directory holds %d entries, want only the picture (no temp files)", len(entries))
	}
	if st, _ := os.Stat(path); st.Mode().Perm() != 0o644 {
		t.Errorf("mode %v, want 0644", st.Mode().Perm())
	}
}

func TestWritePNGErrors(t *testing.T) {
	dir := t.TempDir()
	if err := WritePNG(filepath.Join(dir, "x.png"), nil); err == nil {
		t.Error("nil image written")
	}
	if err := WritePNG(filepath.Join(dir, "x.png"), image.NewRGBA(image.Rect(0, 0, 0, 0))); err == nil {
		t.Error("empty image written")
	}
	// A path whose "directory" is a file cannot be created.
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := WritePNG(filepath.Join(file, "x.png"), solid(2, 2, red)); err == nil {
		t.Error("wrote under a regular file")
	}
	// A directory where the picture should go: the rename fails, and the
	// temporary file must not be left behind.
	if err := os.Mkdir(filepath.Join(dir, "taken.png"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := WritePNG(filepath.Join(dir, "taken.png"), solid(2, 2, red)); err == nil {
		t.Error("replaced a directory")
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 2 {
		t.Errorf("directory holds %d entries, want file and taken.png only", len(entries))
	}
}

func TestWriteFiguresWritesEachAndSaysSo(t *testing.T) {
	dir := t.TempDir()
	img := image.NewGray(image.Rect(0, 0, 3, 2))
	var log strings.Builder
	err := WriteFigures(filepath.Join(dir, "sub"), []Figure{{Name: "a.png", Image: img}, {Name: "b.png", Image: img}}, &log)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"a.png", "b.png"} {
		if _, err := os.Stat(filepath.Join(dir, "sub", name)); err != nil {
			t.Errorf("%s not written: %v", name, err)
		}
		if !strings.Contains(log.String(), name) {
			t.Errorf("progress %q does not name %s", log.String(), name)
		}
	}
	if err := WriteFigures(dir, []Figure{{Name: "c.png"}}, nil); err == nil {
		t.Error("a figure without an image was written")
	}
}
