package viz

import (
	"bytes"
	"image"
	"math"
	"testing"
)

// byX is class 0 left of x = 0 and class 1 right of it.
func byX(x, y float64) int {
	if x < 0 {
		return 0
	}
	return 1
}

func TestDecisionRegionsHalves(t *testing.T) {
	const n = 64
	img, err := DecisionRegions(byX, nil, nil, nil, n, [4]float64{-1, 1, -1, 1})
	if err != nil {
		t.Fatal(err)
	}
	checkSize(t, img, n, n)
	left, right := pastel(ClassColor(0)), pastel(ClassColor(1))
	if left == right || left == ClassColor(0) {
		t.Fatal("class colours are not distinct pastels")
	}
	if a, b := countIn(img, image.Rect(0, 0, n/2, n), left), countIn(img, image.Rect(n/2, 0, n, n), right); a != n*n/2 || b != n*n/2 {
		t.Errorf("left half has %d of its colour, right half %d, want %d each", a, b, n*n/2)
	}
}

func TestDecisionRegionsYUp(t *testing.T) {
	above := func(x, y float64) int {
		if y > 0 {
			return 2
		}
		return 3
	}
	img, err := DecisionRegions(above, nil, nil, nil, 32, [4]float64{-1, 1, -5, 5})
	if err != nil {
		t.Fatal(err)
	}
	if c := rgbaAt(img, 5, 2); c != pastel(ClassColor(2)) {
		t.Errorf("top of the picture is %v, want class 2 (y > 0)", c)
	}
}

func TestDecisionRegionsPoints(t *testing.T) {
	const n = 200 // dot radius 3 pixels
	xs, ys, labels := []float64{0.5, 5}, []float64{0.5, 5}, []int{0, 1}
	img, err := DecisionRegions(byX, xs, ys, labels, n, [4]float64{-1, 1, -1, 1})
	if err != nil {
		t.Fatal(err)
	}
	// (0.5, 0.5) maps to pixel (150, 50): a class-0 dot on class-1 ground,
	// ringed in black; the point at (5, 5) is off the picture.
	if c := rgbaAt(img, 150, 50); c != ClassColor(0) {
		t.Errorf("dot centre is %v, want %v", c, ClassColor(0))
	}
	if c := rgbaAt(img, 150+2, 50); c != black {
		t.Errorf("dot edge is %v, want black", c)
	}
	if c := rgbaAt(img, 150+4, 50); c != pastel(ClassColor(1)) {
		t.Errorf("beside the dot is %v, want the region", c)
	}
	if k := countIn(img, img.Bounds(), ClassColor(1)); k != 0 {
		t.Errorf("the point outside the bounds left %d pixels", k)
	}
}

func TestDecisionRegionsDeterministicAndFitted(t *testing.T) {
	xs, ys, labels := []float64{0, 10, 4}, []float64{-2, 2, 0}, []int{0, 1, 1}
	draw := func() []byte {
		img, err := DecisionRegions(byX, xs, ys, labels, 50, [4]float64{})
		if err != nil {
			t.Fatal(err)
		}
		return img.(*image.RGBA).Pix
	}
	if !bytes.Equal(draw(), draw()) {
		t.Error("two drawings differ")
	}
	b, err := regionBounds([4]float64{}, xs, ys)
	if err != nil || b != [4]float64{-1, 11, -2.4, 2.4} {
		t.Errorf("fitted bounds %v (%v), want the points' range and a 10%% margin", b, err)
	}
	b, err = regionBounds([4]float64{}, []float64{3}, []float64{3})
	if err != nil || b != [4]float64{2, 4, 2, 4} {
		t.Errorf("one point: bounds %v (%v)", b, err)
	}
}

func TestDecisionRegionsErrors(t *testing.T) {
	unit := [4]float64{-1, 1, -1, 1}
	one := []float64{0}
	for name, f := range map[string]func() (image.Image, error){
		"nil classify": func() (image.Image, error) { return DecisionRegions(nil, nil, nil, nil, 64, unit) },
		"small":        func() (image.Image, error) { return DecisionRegions(byX, nil, nil, nil, MinRegionsSize-1, unit) },
		"huge":         func() (image.Image, error) { return DecisionRegions(byX, nil, nil, nil, MaxSide+1, unit) },
		"lengths":      func() (image.Image, error) { return DecisionRegions(byX, one, one, nil, 64, unit) },
		"NaN point": func() (image.Image, error) {
			return DecisionRegions(byX, one, []float64{math.NaN()}, []int{0}, 64, unit)
		},
		"no points":   func() (image.Image, error) { return DecisionRegions(byX, nil, nil, nil, 64, [4]float64{}) },
		"flat bounds": func() (image.Image, error) { return DecisionRegions(byX, nil, nil, nil, 64, [4]float64{1, 1, 0, 1}) },
		"upside down": func() (image.Image, error) { return DecisionRegions(byX, nil, nil, nil, 64, [4]float64{0, 1, 1, 0}) },
		"inf bounds": func() (image.Image, error) {
			return DecisionRegions(byX, nil, nil, nil, 64, [4]float64{0, math.Inf(1), 0, 1})
		},
		"panic": func() (image.Image, error) {
			return DecisionRegions(func(x, y float64) int { panic("boom") }, nil, nil, nil, 64, unit)
		},
	} {
		img, err := f()
		if err == nil || img != nil {
			t.Errorf("%s: got image %v and error %v, want only an error", name, img != nil, err)
		}
	}
}
