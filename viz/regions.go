package viz

import (
	"fmt"
	"image"
	"image/color"
	"math"

	"github.com/pkg/errors"
)

// MinRegionsSize is the smallest DecisionRegions picture: below it the dots
// would cover the regions.
const MinRegionsSize = 16

// regionsMargin widens fitted bounds by this fraction of the points' span on
// every side, so that no point sits on the picture's edge.
const regionsMargin = 0.1

// ringWidth is the width of the black outline of DecisionRegions' dots.
const ringWidth = 1.25

// DecisionRegions draws a classifier's view of a 2-D feature space as a
// size×size picture: every pixel is coloured, in a pastel shade of
// ClassColor, by classify at the pixel's centre, and the points (xs[i],
// ys[i]) are drawn on top as dots of their label's strong colour with a
// black outline. bounds is xmin, xmax, ymin, ymax, with y growing upwards;
// its zero value fits the bounds to the points with a 10% margin. Points
// outside the bounds are not drawn. classify is called once per pixel, row by
// row from the top left, so the picture is deterministic whenever classify
// is; a panic in classify is returned as an error.
func DecisionRegions(classify func(x, y float64) int, xs, ys []float64, labels []int, size int, bounds [4]float64) (img image.Image, err error) {
	if classify == nil {
		return nil, errors.New("decision regions: classify is nil")
	}
	if size < MinRegionsSize || size > MaxSide {
		return nil, errors.Errorf("decision regions: size %d outside %d..%d", size, MinRegionsSize, MaxSide)
	}
	if len(xs) != len(ys) || len(xs) != len(labels) {
		return nil, errors.Errorf("decision regions: %d xs, %d ys and %d labels", len(xs), len(ys), len(labels))
	}
	if err := finite("decision regions: xs", xs); err != nil {
		return nil, err
	}
	if err := finite("decision regions: ys", ys); err != nil {
		return nil, err
	}
	b, err := regionBounds(bounds, xs, ys)
	if err != nil {
		return nil, err
	}
	defer func() {
		if r := recover(); r != nil {
			img, err = nil, errors.Errorf("decision regions: classify panicked: %s", fmt.Sprint(r))
		}
	}()
	out := image.NewRGBA(image.Rect(0, 0, size, size))
	paintRegions(out, classify, b)
	drawPoints(out, xs, ys, labels, b)
	return out, nil
}

// regionBounds checks the caller's bounds or, for the zero value, fits them
// to the points.
func regionBounds(b [4]float64, xs, ys []float64) ([4]float64, error) {
	if b == [4]float64{} {
		if len(xs) == 0 {
			return b, errors.New("decision regions: no bounds and no points to fit them to")
		}
		x0, x1 := padRange(minMax(xs))
		y0, y1 := padRange(minMax(ys))
		return [4]float64{x0, x1, y0, y1}, nil
	}
	if err := finite("decision regions: bounds", b[:]); err != nil {
		return b, err
	}
	if !(b[0] < b[1] && b[2] < b[3]) {
		return b, errors.Errorf("decision regions: bounds %v need xmin < xmax and ymin < ymax", b)
	}
	return b, nil
}

// padRange widens [lo, hi] by the margin; a single value gets a unit range
// around it, since a zero span has no scale to take a margin of.
func padRange(lo, hi float64) (float64, float64) {
	d := hi - lo
	if d == 0 {
		return lo - 1, hi + 1
	}
	return lo - regionsMargin*d, hi + regionsMargin*d
}

// paintRegions colours each pixel by the class classify gives its centre.
func paintRegions(img *image.RGBA, classify func(x, y float64) int, b [4]float64) {
	n := img.Bounds().Dx()
	for py := 0; py < n; py++ {
		y := b[3] - (float64(py)+0.5)/float64(n)*(b[3]-b[2])
		for px := 0; px < n; px++ {
			x := b[0] + (float64(px)+0.5)/float64(n)*(b[1]-b[0])
			img.SetRGBA(px, py, pastel(ClassColor(classify(x, y))))
		}
	}
}

// drawPoints draws each point as a disc of its class colour ringed in black,
// in input order so that overlaps are deterministic.
func drawPoints(img *image.RGBA, xs, ys []float64, labels []int, b [4]float64) {
	n := float64(img.Bounds().Dx())
	r := math.Max(3.5, n/80)
	for i := range xs {
		if xs[i] < b[0] || xs[i] > b[1] || ys[i] < b[2] || ys[i] > b[3] {
			continue
		}
		cx := (xs[i] - b[0]) / (b[1] - b[0]) * n
		cy := (b[3] - ys[i]) / (b[3] - b[2]) * n
		disc(img, cx, cy, r, ClassColor(labels[i]))
	}
}

// disc fills a circle of radius r at (cx, cy) with col inside a black ring
// of ringWidth; a pixel belongs to the disc when its centre does.
func disc(img *image.RGBA, cx, cy, r float64, col color.RGBA) {
	bounds := img.Bounds()
	x0, x1 := max(int(cx-r), bounds.Min.X), min(int(cx+r)+1, bounds.Max.X)
	y0, y1 := max(int(cy-r), bounds.Min.Y), min(int(cy+r)+1, bounds.Max.Y)
	for py := y0; py < y1; py++ {
		for px := x0; px < x1; px++ {
			d := math.Hypot(float64(px)+0.5-cx, float64(py)+0.5-cy)
			switch {
			case d <= r-ringWidth:
				img.SetRGBA(px, py, col)
			case d <= r:
				img.SetRGBA(px, py, black)
			}
		}
	}
}
