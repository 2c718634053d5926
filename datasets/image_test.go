package datasets

import (
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestDigitImage(t *testing.T) {
	s := tinySet(t, 3)
	img := s.Digit(1)
	if img.Bounds() != image.Rect(0, 0, 2, 3) || img.GrayAt(1, 2).Y != s.Pixels(1)[5] {
		t.Errorf("Digit: bounds %v", img.Bounds())
	}
	if _, err := DigitImage(make([]uint8, 5), 2, 2); err == nil {
		t.Error("DigitImage with too few pixels gave no error")
	}
}

func TestGridAndPNG(t *testing.T) {
	s := tinySet(t, 12)
	img, err := s.Grid([]int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, 4, 3)
	if err != nil {
		t.Fatal(err)
	}
	cellW, cellH := 2*3+gridGap, 3*3+glyphH*gridLabelScale+2*gridGap
	if want := image.Rect(0, 0, 4*cellW+gridGap, 3*cellH+gridGap); img.Bounds() != want {
		t.Errorf("grid bounds %v, want %v", img.Bounds(), want)
	}
	// Example 5's pixel (1, 2) is enlarged 3x at cell (1, 1).
	at := image.Pt(gridGap+cellW+1*3, gridGap+cellH+2*3)
	if v := s.Pixels(5)[5]; img.RGBAAt(at.X, at.Y) != (color.RGBA{v, v, v, 0xff}) {
		t.Errorf("grid pixel %v = %v, want gray %d", at, img.RGBAAt(at.X, at.Y), v)
	}
	if labelPixels(img) == 0 {
		t.Error("no label drawn")
	}
	path := filepath.Join(t.TempDir(), "grid.png")
	if err := WritePNG(path, img); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	back, err := png.Decode(f)
	if err != nil || back.Bounds() != img.Bounds() {
		t.Errorf("PNG round trip: %v", err)
	}
	if err := WritePNG(filepath.Join(path, "x.png"), img); err == nil {
		t.Error("WritePNG into a file's path gave no error")
	}
}

func labelPixels(img *image.RGBA) int {
	n := 0
	for y := img.Rect.Min.Y; y < img.Rect.Max.Y; y++ {
		for x := img.Rect.Min.X; x < img.Rect.Max.X; x++ {
			if img.RGBAAt(x, y) == gridLabel {
				n++
			}
		}
	}
	return n
}

func TestGridErrors(t *testing.T) {
	s := tinySet(t, 3)
	for name, c := range map[string]struct {
		idx         []int
		cols, scale int
		want        string
	}{
		"no images":  {nil, 2, 1, "grid of 0 images"},
		"zero cols":  {[]int{0}, 0, 1, "0 columns"},
		"bad index":  {[]int{0, 3}, 2, 1, "index 3"},
		"bad scale":  {[]int{0}, 1, 0, "scale 0"},
		"neg. index": {[]int{-1}, 1, 1, "index -1"},
	} {
		if _, err := s.Grid(c.idx, c.cols, c.scale); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want %q", name, err, c.want)
		}
	}
}

func TestDigitFont(t *testing.T) {
	for d, glyph := range digitFont {
		for _, row := range glyph {
			if len(row) != glyphW || strings.Trim(row, ".#") != "" {
				t.Errorf("digit %d row %q", d, row)
			}
		}
	}
	img := image.NewRGBA(image.Rect(0, 0, 40, 10))
	drawNumber(img, image.Point{}, 17, 1, gridLabel)
	if n := labelPixels(img); n == 0 || img.RGBAAt(2, 0) != gridLabel || img.RGBAAt(6, 0) != gridLabel {
		t.Errorf("drawing 17 set %d pixels", n)
	}
}
