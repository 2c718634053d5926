package viz

import (
	"image"
	"image/color"
	"math"
	"testing"
)

// rgbaAt reads a pixel as 8-bit RGBA, whatever the image's model.
func rgbaAt(img image.Image, x, y int) color.RGBA {
	return color.RGBAModel.Convert(img.At(x, y)).(color.RGBA)
}

// countIn counts the pixels of r that have colour c.
func countIn(img image.Image, r image.Rectangle, c color.RGBA) int {
	n := 0
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			if rgbaAt(img, x, y) == c {
				n++
			}
		}
	}
	return n
}

func checkSize(t *testing.T, img image.Image, w, h int) {
	t.Helper()
	if b := img.Bounds(); b.Dx() != w || b.Dy() != h || b.Min != (image.Point{}) {
		t.Fatalf("bounds %v, want %dx%d at the origin", b, w, h)
	}
}

func TestHintonBlobsAndSigns(t *testing.T) {
	const cell = 9 // a full blob is 8x8 = 64 pixels
	img, err := Hinton([]float64{0.25, 1, -1, 0, 3}, 1, 5, cell, 1)
	if err != nil {
		t.Fatal(err)
	}
	checkSize(t, img, 5*cell, cell)
	cellRect := func(i int) image.Rectangle { return image.Rect(i*cell, 0, (i+1)*cell, cell) }
	for i, want := range []struct{ white, black int }{
		{16, 0}, // quarter magnitude: quarter area, a 4x4 blob
		{64, 0},
		{0, 64}, // negative weights are black
		{0, 0},  // zero draws nothing
		{64, 0}, // beyond scale saturates
	} {
		r := cellRect(i)
		if w, b := countIn(img, r, hintonPos), countIn(img, r, hintonNeg); w != want.white || b != want.black {
			t.Errorf("cell %d: %d white and %d black pixels, want %d and %d", i, w, b, want.white, want.black)
		}
		if g := countIn(img, r, hintonBG); g != cell*cell-want.white-want.black {
			t.Errorf("cell %d: %d background pixels, want the rest", i, g)
		}
	}
	// A full blob leaves a one-pixel gap, so neighbours stay apart.
	for y := 0; y < cell; y++ {
		if c := rgbaAt(img, 2*cell-1, y); c != hintonBG {
			t.Fatalf("last column of a full cell is %v at y=%d, want the background", c, y)
		}
	}
}

func TestHintonAreaProportional(t *testing.T) {
	const n, cell = 21, 41 // full blob 40x40
	w := make([]float64, n)
	for i := range w {
		w[i] = float64(i) / float64(n-1)
	}
	img, err := Hinton(w, 1, n, cell, 0) // scale 0: the largest |w|, here 1
	if err != nil {
		t.Fatal(err)
	}
	prev := -1
	for i, v := range w {
		a := countIn(img, image.Rect(i*cell, 0, (i+1)*cell, cell), hintonPos)
		if a < prev {
			t.Errorf("w=%.2f: area %d shrank from %d", v, a, prev)
		}
		if f := float64(a) / 1600; math.Abs(f-v) > 0.05 {
			t.Errorf("w=%.2f: area fraction %.3f", v, f)
		}
		prev = a
	}
}

func TestHintonScale(t *testing.T) {
	// Scale 2 makes a weight of 1 half a full blob; scale 0 would fill it.
	const cell = 21
	half, err := Hinton([]float64{1}, 1, 1, cell, 2)
	if err != nil {
		t.Fatal(err)
	}
	full, _ := Hinton([]float64{1}, 1, 1, cell, 0)
	r := image.Rect(0, 0, cell, cell)
	h, f := countIn(half, r, hintonPos), countIn(full, r, hintonPos)
	if f != 400 || math.Abs(float64(h)/400-0.5) > 0.05 {
		t.Errorf("areas %d (scale 2) and %d (auto), want about 200 and 400", h, f)
	}
	// All-zero weights have no scale: a plain grey picture, not a NaN blob.
	zero, err := Hinton(make([]float64, 4), 2, 2, 3, 0)
	if err != nil || countIn(zero, zero.Bounds(), hintonBG) != 36 {
		t.Errorf("all-zero map: err %v or not all grey", err)
	}
}

func TestHeatmapColours(t *testing.T) {
	img, err := Heatmap([]float64{-2, 0, 2, 1, 5, -5}, 2, 3, 4, 2)
	if err != nil {
		t.Fatal(err)
	}
	checkSize(t, img, 12, 8)
	at := func(i int) color.RGBA { return rgbaAt(img, (i%3)*4+1, (i/3)*4+2) }
	isRed := func(c color.RGBA) bool { return c.R > 150 && c.G < 60 && c.B < 60 }
	isBlue := func(c color.RGBA) bool { return c.B > 150 && c.R < 60 && c.B > c.G+50 }
	if c := at(0); !isBlue(c) {
		t.Errorf("-scale is %v, want blue", c)
	}
	if c := at(1); c != white {
		t.Errorf("0 is %v, want white", c)
	}
	if c := at(2); !isRed(c) {
		t.Errorf("+scale is %v, want red", c)
	}
	if c := at(3); c != lerp(white, heatPos, 0.5) || c.R < 200 || c.G > 160 {
		t.Errorf("scale/2 is %v, want a light red halfway", c)
	}
	if at(4) != at(2) || at(5) != at(0) {
		t.Errorf("values beyond scale are not clamped: %v %v", at(4), at(5))
	}
	// Each value fills its whole cell.
	if n := countIn(img, image.Rect(0, 0, 4, 4), at(0)); n != 16 {
		t.Errorf("cell 0 has %d pixels of its colour, want 16", n)
	}
}

func TestGray(t *testing.T) {
	img, err := Gray([]float64{-1, 0, 0.5, 1, 2, 0.25}, 2, 3, 2)
	if err != nil {
		t.Fatal(err)
	}
	checkSize(t, img, 6, 4)
	for i, want := range []uint8{0, 0, 128, 255, 255, 64} {
		for d := 0; d < 4; d++ {
			x, y := (i%3)*2+d%2, (i/3)*2+d/2
			if c := rgbaAt(img, x, y); c.R != want || c.G != want || c.B != want {
				t.Errorf("pixel %d (%d,%d) is %v, want grey %d", i, x, y, c, want)
			}
		}
	}
}

func TestWeightMapsCommonScale(t *testing.T) {
	const rows, cols, cell = 1, 1, 21
	maps := [][]float64{{1}, {0.25}, {-1}}
	img, err := WeightMaps(maps, rows, cols, 2, cell, true, nil)
	if err != nil {
		t.Fatal(err)
	}
	pad := gridPad(cell)
	checkSize(t, img, 2*cell+3*pad, 2*cell+3*pad)
	tile := func(i int) image.Rectangle {
		x, y := pad+(i%2)*(cell+pad), pad+(i/2)*(cell+pad)
		return image.Rect(x, y, x+cell, y+cell)
	}
	// One scale for all: the 0.25 map's blob is a quarter of the 1 map's,
	// where separate scales would have filled both.
	if a, b := countIn(img, tile(0), hintonPos), countIn(img, tile(1), hintonPos); a != 400 || b != 100 {
		t.Errorf("blob areas %d and %d, want 400 and 100", a, b)
	}
	if n := countIn(img, tile(2), hintonNeg); n != 400 {
		t.Errorf("negative map has %d black pixels, want 400", n)
	}
	heat, err := WeightMaps(maps, rows, cols, 3, cell, false, []string{"0", "1", "2"})
	if err != nil {
		t.Fatal(err)
	}
	checkSize(t, heat, 3*cell+4*pad, cell+labelGap+glyphH+2*pad)
	if c := rgbaAt(heat, pad+cell+pad+1, pad+1); c != lerp(white, heatPos, 0.25) {
		t.Errorf("heat map of 0.25 is %v, want a quarter red", c)
	}
}

func TestMapErrors(t *testing.T) {
	ok := []float64{1, 2, 3, 4}
	for name, f := range map[string]func() (image.Image, error){
		"hinton rows 0":    func() (image.Image, error) { return Hinton(ok, 0, 4, 2, 0) },
		"hinton cell 0":    func() (image.Image, error) { return Hinton(ok, 2, 2, 0, 0) },
		"hinton short":     func() (image.Image, error) { return Hinton(ok, 2, 3, 2, 0) },
		"hinton NaN":       func() (image.Image, error) { return Hinton([]float64{math.NaN()}, 1, 1, 2, 0) },
		"hinton inf scale": func() (image.Image, error) { return Hinton(ok, 2, 2, 2, math.Inf(1)) },
		"hinton huge":      func() (image.Image, error) { return Hinton(ok, 2, 2, MaxSide, 0) },
		"hinton overflow":  func() (image.Image, error) { return Hinton(ok, 2, 2, math.MaxInt, 0) },
		"heatmap cols -1":  func() (image.Image, error) { return Heatmap(ok, 4, -1, 2, 0) },
		"heatmap inf":      func() (image.Image, error) { return Heatmap([]float64{math.Inf(-1)}, 1, 1, 2, 0) },
		"gray long":        func() (image.Image, error) { return Gray(ok, 1, 3, 1) },
		"gray cell 0":      func() (image.Image, error) { return Gray(ok, 2, 2, 0) },
		"gray huge":        func() (image.Image, error) { return Gray(ok, 2, 2, MaxSide) },
		"maps none":        func() (image.Image, error) { return WeightMaps(nil, 2, 2, 1, 1, true, nil) },
		"maps perRow 0":    func() (image.Image, error) { return WeightMaps([][]float64{ok}, 2, 2, 0, 1, true, nil) },
		"maps ragged":      func() (image.Image, error) { return WeightMaps([][]float64{ok, {1}}, 2, 2, 1, 1, true, nil) },
		"maps labels":      func() (image.Image, error) { return WeightMaps([][]float64{ok}, 2, 2, 1, 1, false, []string{"a", "b"}) },
		"maps NaN":         func() (image.Image, error) { return WeightMaps([][]float64{{math.NaN()}}, 1, 1, 1, 1, false, nil) },
	} {
		img, err := f()
		if err == nil || img != nil {
			t.Errorf("%s: got image %v and error %v, want only an error", name, img != nil, err)
		}
	}
}
