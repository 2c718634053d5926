package viz

import (
	"image"
	"math"
	"testing"
)

func TestConfusionMatrixLayoutAndShades(t *testing.T) {
	counts := [][]int{{9, 1, 0}, {0, 10, 0}, {0, 0, 0}}
	const cell = 30
	img, err := ConfusionMatrix(counts, []string{"cat", "dog", "emu"}, cell)
	if err != nil {
		t.Fatal(err)
	}
	l, err := newCMLayout([]string{"cat", "dog", "emu"}, cell, cmAccuracy(counts))
	if err != nil {
		t.Fatal(err)
	}
	checkSize(t, img, l.width, l.height)
	if l.width < 3*cell || l.height < 3*cell || l.x0 < textWidth("cat", 1) || l.y0 < 2*glyphH {
		t.Errorf("layout %+v leaves no room for the labels", l)
	}
	// shade reads a square's colour at its corner, clear of lines and text.
	shade := func(tr, pr int) image.Point { return image.Pt(l.x0+pr*cell+3, l.y0+tr*cell+3) }
	for _, tt := range []struct {
		tr, pr int
		frac   float64
	}{
		{0, 0, 0.9}, {0, 1, 0.1}, {0, 2, 0}, {1, 1, 1}, {1, 0, 0}, {2, 2, 0}, // an empty row stays white
	} {
		p := shade(tt.tr, tt.pr)
		if c, want := rgbaAt(img, p.X, p.Y), lerp(white, heatNeg, math.Sqrt(tt.frac)); c != want {
			t.Errorf("square [%d][%d] is %v, want %v", tt.tr, tt.pr, c, want)
		}
	}
	// Counts are written: the 10 on the dark diagonal in white.
	sq := image.Rect(l.x0+cell, l.y0+cell, l.x0+2*cell, l.y0+2*cell)
	if n := countIn(img, sq, white); n < 10 {
		t.Errorf("square [1][1] has %d white text pixels", n)
	}
	if acc := cmAccuracy(counts); acc != "accuracy 95.00% of 20" {
		t.Errorf("accuracy line %q", acc)
	}
}

func TestConfusionMatrixDefaultLabelsAndSmallCells(t *testing.T) {
	counts := make([][]int, 12)
	for i := range counts {
		counts[i] = make([]int, 12)
		counts[i][i] = 1000
	}
	// Cells too small for "1000": the squares are drawn, the counts left out.
	img, err := ConfusionMatrix(counts, nil, 8)
	if err != nil {
		t.Fatal(err)
	}
	labels, _ := checkConfusion(counts, nil, 8)
	if labels[11] != "11" {
		t.Errorf("default labels %v", labels)
	}
	l, _ := newCMLayout(labels, 8, cmAccuracy(counts))
	checkSize(t, img, l.width, l.height)
	if c := rgbaAt(img, l.x0+4, l.y0+4); c != heatNeg {
		t.Errorf("diagonal square centre is %v, want plain %v", c, heatNeg)
	}
}

func TestConfusionMatrixErrors(t *testing.T) {
	for name, f := range map[string]func() (image.Image, error){
		"empty":    func() (image.Image, error) { return ConfusionMatrix(nil, nil, 10) },
		"ragged":   func() (image.Image, error) { return ConfusionMatrix([][]int{{1, 2}, {3}}, nil, 10) },
		"wide":     func() (image.Image, error) { return ConfusionMatrix([][]int{{1, 2}}, nil, 10) },
		"negative": func() (image.Image, error) { return ConfusionMatrix([][]int{{-1}}, nil, 10) },
		"labels":   func() (image.Image, error) { return ConfusionMatrix([][]int{{1}}, []string{"a", "b"}, 10) },
		"cell 0":   func() (image.Image, error) { return ConfusionMatrix([][]int{{1}}, nil, 0) },
		"huge":     func() (image.Image, error) { return ConfusionMatrix([][]int{{1}}, nil, MaxSide) },
	} {
		img, err := f()
		if err == nil || img != nil {
			t.Errorf("%s: got image %v and error %v, want only an error", name, img != nil, err)
		}
	}
}

func TestConfusionMatrixNumbersColumnsOfLongNames(t *testing.T) {
	counts := [][]int{{3, 1}, {0, 4}}
	names := []string{"blue-circle", "red-square"}
	img, err := ConfusionMatrix(counts, names, 20)
	if err != nil {
		t.Fatal(err)
	}
	l, _ := newCMLayout([]string{"0 blue-circle", "1 red-square"}, 20, cmAccuracy(counts))
	checkSize(t, img, l.width, l.height)
	// The column labels are the numbers, centred over their squares, so
	// nothing is drawn above the gap between the two columns.
	above := image.Rect(l.x0+18, l.y0-cmGap-glyphH, l.x0+22, l.y0-cmGap)
	if n := countIn(img, above, textGrey); n > 0 {
		t.Errorf("%d label pixels between the column labels: the names overlap", n)
	}
}
