package viz

import (
	"image"
	"math"
	"testing"
)

// greyAt reads the red channel, which is the grey level of a grey pixel.
func greyAt(img image.Image, x, y int) uint8 { return rgbaAt(img, x, y).R }

func TestFiltersLayoutAndNormalisation(t *testing.T) {
	const out, in, kh, kw, cell = 2, 3, 2, 2, 3
	w := make([]float64, out*in*kh*kw)
	copy(w[0:4], []float64{-2, 0, 1, 2})
	copy(w[4:8], []float64{-200, 0, 100, 200}) // same shape, 100x larger
	// w[8:12] stays zero.
	copy(w[12:16], []float64{1, 1, 1, -4}) // output filter 1, input 0
	img, err := Filters(w, out, in, kh, kw, cell)
	if err != nil {
		t.Fatal(err)
	}
	checkSize(t, img, in*kw*cell+(in+1)*tilePad, out*kh*cell+(out+1)*tilePad)
	// tile returns the colour of weight (r, c) of tile (o, i).
	tile := func(o, i, r, c int) uint8 {
		x := tilePad + i*(kw*cell+tilePad) + c*cell + 1
		y := tilePad + o*(kh*cell+tilePad) + r*cell + 1
		return greyAt(img, x, y)
	}
	want := []uint8{0, 128, 191, 255} // symmetric: zero is mid grey
	for k, g := range want {
		if a, b := tile(0, 0, k/2, k%2), tile(0, 1, k/2, k%2); a != g || b != g {
			t.Errorf("weight %d: greys %d and %d, want %d in both (each tile normalised alone)", k, a, b, g)
		}
	}
	if g := tile(0, 2, 1, 1); g != 128 {
		t.Errorf("all-zero tile is grey %d, want 128", g)
	}
	if a, b := tile(1, 0, 0, 0), tile(1, 0, 1, 1); a != 159 || b != 0 {
		t.Errorf("tile (1,0): greys %d and %d, want 159 and 0", a, b)
	}
	if c := rgbaAt(img, 0, 0); c != tileFrame {
		t.Errorf("frame is %v, want %v", c, tileFrame)
	}
}

func TestActivationsLayoutAndNormalisation(t *testing.T) {
	const ch, h, w, cell, cols = 3, 2, 2, 2, 2
	a := []float64{
		1, 2, 3, 5, // min 1 black, max 5 white
		7, 7, 7, 7, // constant: black
		-1, 0, 0, 1,
	}
	img, err := Activations(a, ch, h, w, cell, cols)
	if err != nil {
		t.Fatal(err)
	}
	checkSize(t, img, cols*w*cell+(cols+1)*tilePad, 2*h*cell+3*tilePad)
	at := func(c, k int) uint8 {
		x := tilePad + (c%cols)*(w*cell+tilePad) + (k%w)*cell
		y := tilePad + (c/cols)*(h*cell+tilePad) + (k/w)*cell
		return greyAt(img, x+1, y+1)
	}
	for k, g := range []uint8{0, 64, 128, 255} {
		if got := at(0, k); got != g {
			t.Errorf("channel 0 value %d: grey %d, want %d", k, got, g)
		}
	}
	for k := 0; k < 4; k++ {
		if got := at(1, k); got != 0 {
			t.Errorf("constant channel: grey %d, want 0", got)
		}
	}
	if a, b := at(2, 0), at(2, 3); a != 0 || b != 255 {
		t.Errorf("channel 2 spans %d..%d, want 0..255", a, b)
	}
	// The fourth slot of the 2x2 grid is empty frame.
	if c := rgbaAt(img, img.Bounds().Dx()-tilePad-1, img.Bounds().Dy()-tilePad-1); c != tileFrame {
		t.Errorf("empty slot is %v, want the frame colour", c)
	}
}

func TestFilterErrors(t *testing.T) {
	w := make([]float64, 2*1*3*3)
	for name, f := range map[string]func() (image.Image, error){
		"filters short": func() (image.Image, error) { return Filters(w[1:], 2, 1, 3, 3, 1) },
		"filters in 0":  func() (image.Image, error) { return Filters(w, 2, 0, 3, 3, 1) },
		"filters cell":  func() (image.Image, error) { return Filters(w, 2, 1, 3, 3, 0) },
		"filters NaN":   func() (image.Image, error) { return Filters([]float64{math.NaN()}, 1, 1, 1, 1, 1) },
		"filters huge":  func() (image.Image, error) { return Filters(w, 2, 1, 3, 3, MaxSide/3) },
		"act cols 0":    func() (image.Image, error) { return Activations(w, 2, 3, 3, 1, 0) },
		"act long":      func() (image.Image, error) { return Activations(w, 1, 3, 3, 1, 1) },
		"act inf":       func() (image.Image, error) { return Activations([]float64{math.Inf(1)}, 1, 1, 1, 1, 1) },
		"act huge":      func() (image.Image, error) { return Activations(w, 2, 3, 3, MaxSide, 1) },
	} {
		img, err := f()
		if err == nil || img != nil {
			t.Errorf("%s: got image %v and error %v, want only an error", name, img != nil, err)
		}
	}
}

func TestCheckTilesMatchesGrid(t *testing.T) {
	// Three tiles in a row of 1x(c) cells: 3*(c+2)+2 pixels wide.
	c := (MaxSide-2)/3 - 2
	if err := checkTiles("x", 3, 3, 1, 1, c); err != nil {
		t.Errorf("width %d refused: %v", 3*(c+2)+2, err)
	}
	if err := checkTiles("x", 3, 3, 1, 1, c+1); err == nil {
		t.Errorf("width %d accepted", 3*(c+3)+2)
	}
	// And the layout agrees with the grid that draws it.
	tiles := []image.Image{solid(5, 2, red), solid(5, 2, red), solid(5, 2, red)}
	img, err := grid(tiles, 2, tilePad, nil, tileFrame)
	if err != nil {
		t.Fatal(err)
	}
	checkSize(t, img, 2*(5+tilePad)+tilePad, 2*(2+tilePad)+tilePad)
}

func TestFilterGridIsFiltersReshaped(t *testing.T) {
	w := noise(6*5*5, 9)
	row, err := FilterGrid(w, 6, 5, 5, 3, 6)
	if err != nil {
		t.Fatal(err)
	}
	checkSize(t, row, 6*15+7*tilePad, 15+2*tilePad)
	// Six single-channel filters laid out three to a row are the same
	// picture as Filters with two outputs of three channels.
	a, err := FilterGrid(w, 6, 5, 5, 3, 3)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Filters(w, 2, 3, 5, 5, 3)
	if err != nil {
		t.Fatal(err)
	}
	pa, pb := a.(*image.RGBA), b.(*image.RGBA)
	if pa.Bounds() != pb.Bounds() || string(pa.Pix) != string(pb.Pix) {
		t.Error("FilterGrid(w, 6, ..., 3) differs from Filters(w, 2, 3, ...)")
	}
	for name, f := range map[string]func() (image.Image, error){
		"short": func() (image.Image, error) { return FilterGrid(w[1:], 6, 5, 5, 3, 3) },
		"cols":  func() (image.Image, error) { return FilterGrid(w, 6, 5, 5, 3, 0) },
		"NaN":   func() (image.Image, error) { return FilterGrid([]float64{math.NaN()}, 1, 1, 1, 1, 1) },
		"huge":  func() (image.Image, error) { return FilterGrid(w, 6, 5, 5, MaxSide/20, 6) },
	} {
		if img, err := f(); err == nil || img != nil {
			t.Errorf("%s: got image %v and error %v, want only an error", name, img != nil, err)
		}
	}
}
