package viz

import (
	"image"
	"image/color"
	"testing"
)

// solid is a w×h image of one colour.
func solid(w, h int, c color.RGBA) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	fill(img, img.Bounds(), c)
	return img
}

var red = color.RGBA{255, 0, 0, 255}

func TestGridDimensions(t *testing.T) {
	imgs := []image.Image{solid(10, 20, red), solid(30, 5, red), solid(4, 4, red)}
	for _, tt := range []struct {
		cols, pad int
		labels    []string
		w, h      int
	}{
		// cell 30x20; 2 columns, 2 rows.
		{2, 4, nil, 2*30 + 3*4, 2*20 + 3*4},
		// Labels add a 16-pixel strip under every row.
		{2, 4, []string{"a", "b", "c"}, 2*30 + 3*4, 2*(20+16) + 3*4},
		// A label wider than every image widens every cell: 10 glyphs of 7.
		{3, 0, []string{"abcdefghij", "", "c"}, 3 * 70, 20 + 16},
		// More columns than images: one row, as many columns as images.
		{10, 1, nil, 3*30 + 4, 20 + 2},
	} {
		img, err := Grid(imgs, tt.cols, tt.pad, tt.labels)
		if err != nil {
			t.Fatal(err)
		}
		checkSize(t, img, tt.w, tt.h)
	}
}

func TestGridPlacesAndLabels(t *testing.T) {
	imgs := []image.Image{solid(10, 20, red), solid(30, 20, red)}
	img, err := Grid(imgs, 2, 4, []string{"7", ""})
	if err != nil {
		t.Fatal(err)
	}
	// The narrow image is centred in its 30-pixel cell: 10 white columns,
	// 10 red, 10 white.
	if n := countIn(img, image.Rect(4, 4, 34, 24), red); n != 10*20 {
		t.Errorf("cell 0 has %d red pixels, want 200", n)
	}
	if c, d := rgbaAt(img, 4+9, 10), rgbaAt(img, 4+10, 10); c != white || d != red {
		t.Errorf("cell 0 columns 9 and 10 are %v and %v, want white then red", c, d)
	}
	// Something is written under the first tile and nothing under the second.
	label := func(i int) image.Rectangle {
		x := 4 + i*34
		return image.Rect(x, 24, x+30, 24+labelGap+glyphH)
	}
	if n := label(0).Dx()*label(0).Dy() - countIn(img, label(0), white); n < 5 {
		t.Errorf("label \"7\" left only %d non-white pixels", n)
	}
	if n := countIn(img, label(1), white); n != label(1).Dx()*label(1).Dy() {
		t.Errorf("empty label drew %d pixels", label(1).Dx()*label(1).Dy()-n)
	}
}

func TestGridSubImage(t *testing.T) {
	// Images whose bounds do not start at the origin draw from their own
	// origin, not from (0, 0).
	big := solid(20, 20, white)
	fill(big, image.Rect(10, 10, 20, 20), red)
	img, err := Grid([]image.Image{big.SubImage(image.Rect(10, 10, 20, 20))}, 1, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	checkSize(t, img, 10, 10)
	if n := countIn(img, img.Bounds(), red); n != 100 {
		t.Errorf("%d red pixels, want 100", n)
	}
}

func TestGridErrors(t *testing.T) {
	one := []image.Image{solid(2, 2, red)}
	for name, f := range map[string]func() (image.Image, error){
		"no images": func() (image.Image, error) { return Grid(nil, 1, 0, nil) },
		"cols 0":    func() (image.Image, error) { return Grid(one, 0, 0, nil) },
		"pad -1":    func() (image.Image, error) { return Grid(one, 1, -1, nil) },
		"labels":    func() (image.Image, error) { return Grid(one, 1, 0, []string{}) },
		"nil image": func() (image.Image, error) { return Grid([]image.Image{nil}, 1, 0, nil) },
		"empty":     func() (image.Image, error) { return Grid([]image.Image{solid(0, 3, red)}, 1, 0, nil) },
		"huge pad":  func() (image.Image, error) { return Grid(one, 1, MaxSide, nil) },
		"too wide": func() (image.Image, error) {
			return Grid([]image.Image{solid(MaxSide/2+1, 1, red), solid(1, 1, red)}, 2, 0, nil)
		},
	} {
		img, err := f()
		if err == nil || img != nil {
			t.Errorf("%s: got image %v and error %v, want only an error", name, img != nil, err)
		}
	}
}

func TestScale(t *testing.T) {
	g := image.NewGray(image.Rect(0, 0, 2, 1))
	g.SetGray(1, 0, color.Gray{200})
	s := Scale(g, 3)
	checkSize(t, s, 6, 3)
	if _, ok := s.(*image.Gray); !ok {
		t.Errorf("scaled gray image is a %T", s)
	}
	for y := 0; y < 3; y++ {
		for x := 0; x < 6; x++ {
			want := uint8(0)
			if x >= 3 {
				want = 200
			}
			if c := rgbaAt(s, x, y); c.R != want {
				t.Errorf("(%d,%d) is %v, want grey %d", x, y, c, want)
			}
		}
	}
	rgba := solid(2, 2, white)
	rgba.SetRGBA(1, 1, red)
	sr := Scale(rgba.SubImage(image.Rect(1, 1, 2, 2)), 4)
	checkSize(t, sr, 4, 4)
	if n := countIn(sr, sr.Bounds(), red); n != 16 {
		t.Errorf("scaled sub-image has %d red pixels, want 16", n)
	}
	if Scale(g, 1) != image.Image(g) || Scale(g, -3) != image.Image(g) || Scale(nil, 2) != nil {
		t.Error("factor < 2 or nil image should come back unchanged")
	}
	if Scale(g, MaxSide) != image.Image(g) {
		t.Error("a result over MaxSide should give the image back unchanged")
	}
}
