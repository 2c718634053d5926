package viz

import (
	"image"
	"image/color"
	"math"
	"testing"
)

func TestAnnotateAddsRoomForEachLabel(t *testing.T) {
	tile, err := Heatmap([]float64{-1, 0, 0.5, 1}, 2, 2, 10, 0)
	if err != nil {
		t.Fatal(err)
	}
	same, err := Annotate(tile, Labels{})
	if err != nil || same != tile {
		t.Fatalf("no labels: got a new picture (%v)", err)
	}
	titled, err := Annotate(tile, Labels{Title: "conv1"})
	if err != nil {
		t.Fatal(err)
	}
	full, err := Annotate(tile, Labels{Title: "conv1", X: "x", Y: "y"})
	if err != nil {
		t.Fatal(err)
	}
	tb, fb := titled.Bounds(), full.Bounds()
	if tb.Dy() <= tile.Bounds().Dy()+textHeight(1) || fb.Dy() <= tb.Dy() || fb.Dx() <= tb.Dx() {
		t.Errorf("sizes: tile %v, titled %v, all labels %v", tile.Bounds(), tb, fb)
	}
	if !hasDark(titled, image.Rect(0, 0, tb.Dx(), annotateMargin+textHeight(1))) {
		t.Error("no title drawn above the picture")
	}
}

func TestAnnotateRefusesNil(t *testing.T) {
	if _, err := Annotate(nil, Labels{Title: "x"}); err == nil {
		t.Error("nil image accepted")
	}
}

func TestWithColorBarShowsTheScale(t *testing.T) {
	tile, err := Heatmap([]float64{-2, 2}, 1, 2, 40, 0)
	if err != nil {
		t.Fatal(err)
	}
	img, err := WithColorBar(tile, ColorBar{Scale: ScaleDiverging, Min: -2, Max: 2, Label: "weight"})
	if err != nil {
		t.Fatal(err)
	}
	b := img.Bounds()
	if b.Dx() <= tile.Bounds().Dx()+colorBarWidth || b.Dy() < 80 {
		t.Fatalf("picture %v too small for a bar", b)
	}
	// The strip runs from red at the top to blue at the bottom.
	x := annotateMargin + tile.Bounds().Dx() + annotateMargin + colorBarWidth/2
	var reds, blues int
	for y := 0; y < b.Dy(); y++ {
		r, _, bl, _ := img.At(x, y).RGBA()
		switch {
		case r>>8 > 150 && bl>>8 < 80:
			reds++
		case bl>>8 > 150 && r>>8 < 80:
			blues++
		}
	}
	if reds == 0 || blues == 0 {
		t.Errorf("strip has %d red and %d blue pixels", reds, blues)
	}
	for _, bad := range []ColorBar{{Min: 1, Max: -1}, {Min: math.NaN(), Max: 1}, {Min: 0, Max: math.Inf(1)}} {
		if _, err := WithColorBar(tile, bad); err == nil {
			t.Errorf("range %v..%v accepted", bad.Min, bad.Max)
		}
	}
}

func TestBarsDrawSignsAndRefuseBadInput(t *testing.T) {
	img, err := Bars([]float64{1, -0.5, 0, 0.25}, []string{"a", "b", "c", "d"}, Labels{Title: "fc3", X: "unit", Y: "value"}, 120, 60)
	if err != nil {
		t.Fatal(err)
	}
	var red, blue bool
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			c := color.RGBAModel.Convert(img.At(x, y)).(color.RGBA)
			red = red || c == heatPos
			blue = blue || c == heatNeg
		}
	}
	if !red || !blue {
		t.Errorf("red bars %v, blue bars %v", red, blue)
	}
	cases := []struct {
		v      []float64
		labels []string
		w, h   int
	}{
		{nil, nil, 100, 100},
		{[]float64{1}, []string{"a", "b"}, 100, 100},
		{[]float64{math.NaN()}, nil, 100, 100},
		{[]float64{1}, nil, 10, 100},
		{[]float64{1}, nil, 100, MaxSide + 1},
	}
	for _, c := range cases {
		if _, err := Bars(c.v, c.labels, Labels{}, c.w, c.h); err == nil {
			t.Errorf("Bars(%v, %v, %d, %d) accepted", c.v, c.labels, c.w, c.h)
		}
	}
}

// hasDark reports whether r of img holds a pixel darker than mid grey.
func hasDark(img image.Image, r image.Rectangle) bool {
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			if g := color.GrayModel.Convert(img.At(x, y)).(color.Gray); g.Y < 100 {
				return true
			}
		}
	}
	return false
}
