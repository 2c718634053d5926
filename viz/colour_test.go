package viz

import (
	"image/color"
	"testing"
)

func TestColourFilters(t *testing.T) {
	// Two 1x1 filters: the first all red, the second green against blue.
	w := []float64{2, 0, 0, 0, 1, -1}
	img, err := ColourFilters(w, 2, 1, 1, 3, 2)
	if err != nil {
		t.Fatal(err)
	}
	at := func(tile int) color.RGBA {
		x := tilePad + tile*(3+tilePad) + 1
		return color.RGBAModel.Convert(img.At(x, tilePad+1)).(color.RGBA)
	}
	if c := at(0); c.R != 255 || c.G != 128 || c.B != 128 {
		t.Errorf("red filter drawn %v", c)
	}
	if c := at(1); c.R != 128 || c.G != 255 || c.B != 0 {
		t.Errorf("green-minus-blue filter drawn %v", c)
	}
	if _, err := ColourFilters(w, 3, 1, 1, 3, 2); err == nil {
		t.Error("too few weights: no error")
	}
	rgb, err := RGB([]float64{1, 0, 0.5, 0, 2, -1}, 1, 2, 1)
	if err != nil {
		t.Fatal(err)
	}
	if c := rgb.At(0, 0).(color.RGBA); c != (color.RGBA{255, 128, 255, 255}) {
		t.Errorf("pixel 0 drawn %v, want red 1, green 0.5, blue 2 clamped", c)
	}
}
