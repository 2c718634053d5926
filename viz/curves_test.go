package viz

import (
	"image"
	"math"
	"testing"
)

func TestCurvesDrawsRequestedSize(t *testing.T) {
	loss := Series{Name: "loss", X: []float64{1, 2, 3, 4}, Y: []float64{2, 1, 0.5, 0.3}}
	acc := Series{Name: "", X: []float64{1, 2, 3, 4}, Y: []float64{0.5, 0.8, 0.9, 0.95}}
	img, err := Curves("training", "epoch", "value", 321, 203, loss, acc)
	if err != nil {
		t.Fatal(err)
	}
	checkSize(t, img, 321, 203)
	// The border is blank, the curves are there in their colours.
	b := img.Bounds()
	for x := 0; x < b.Dx(); x++ {
		if c := rgbaAt(img, x, 0); c != white {
			t.Fatalf("top border pixel %d is %v", x, c)
		}
	}
	for i := range 2 {
		if n := countIn(img, b, ClassColor(i)); n < 50 {
			t.Errorf("series %d: only %d pixels of its colour", i, n)
		}
	}
	if n := b.Dx()*b.Dy() - countIn(img, b, white); n < 2000 {
		t.Errorf("only %d non-white pixels: no axes or text?", n)
	}
}

func TestCurvesSinglePointAndFlat(t *testing.T) {
	// One epoch, or a constant loss, has no range: still a picture.
	for _, s := range []Series{
		{Name: "one", X: []float64{1}, Y: []float64{0.5}},
		{Name: "flat", X: []float64{1, 2, 3}, Y: []float64{2, 2, 2}},
	} {
		img, err := Curves("", "", "", MinCurvesWidth, MinCurvesHeight, s)
		if err != nil {
			t.Errorf("%s: %v", s.Name, err)
			continue
		}
		checkSize(t, img, MinCurvesWidth, MinCurvesHeight)
	}
}

func TestLegendCorner(t *testing.T) {
	falling := Series{Y: []float64{3, 2, 1, 0.5}}
	rising := Series{Y: []float64{0.1, 0.8, 0.9, 0.95}}
	if !legendOnTop([]Series{falling}) || legendOnTop([]Series{rising}) {
		t.Error("legend should go where the curves end far from: top for loss, bottom for accuracy")
	}
}

func TestCurvesErrors(t *testing.T) {
	ok := Series{X: []float64{1, 2}, Y: []float64{1, 2}}
	for name, f := range map[string]func() (image.Image, error){
		"small":    func() (image.Image, error) { return Curves("", "", "", MinCurvesWidth-1, 300, ok) },
		"huge":     func() (image.Image, error) { return Curves("", "", "", 300, MaxSide+1, ok) },
		"none":     func() (image.Image, error) { return Curves("", "", "", 300, 300) },
		"mismatch": func() (image.Image, error) { return Curves("", "", "", 300, 300, Series{X: []float64{1}, Y: nil}) },
		"empty":    func() (image.Image, error) { return Curves("", "", "", 300, 300, Series{}) },
		"NaN": func() (image.Image, error) {
			return Curves("", "", "", 300, 300, Series{X: []float64{1}, Y: []float64{math.NaN()}})
		},
		"inf": func() (image.Image, error) {
			return Curves("", "", "", 300, 300, ok, Series{X: []float64{math.Inf(1)}, Y: []float64{1}})
		},
	} {
		img, err := f()
		if err == nil || img != nil {
			t.Errorf("%s: got image %v and error %v, want only an error", name, img != nil, err)
		}
	}
}
