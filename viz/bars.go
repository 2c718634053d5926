package viz

import (
	"image"
	"math"

	"github.com/pkg/errors"
)

// Minimum size of the plotting area of a Bars picture.
const (
	MinBarsWidth  = 40
	MinBarsHeight = 40
)

// Bars draws one bar per value from a zero line, the way a dense layer's
// outputs or a classifier's probabilities are read: red upwards for a
// positive value and blue downwards for a negative one (Heatmap's colours),
// the largest magnitude reaching the edge. The plotting area is width ×
// height pixels; the y axis is ticked with the largest and smallest value
// shown, the labels (nil, or one per value) are written under their bars
// when they fit, and l titles the picture (see Annotate).
func Bars(values []float64, labels []string, l Labels, width, height int) (image.Image, error) {
	if len(values) == 0 {
		return nil, errors.New("bars: no values")
	}
	if labels != nil && len(labels) != len(values) {
		return nil, errors.Errorf("bars: %d labels for %d values", len(labels), len(values))
	}
	if width < MinBarsWidth || height < MinBarsHeight || width > MaxSide || height > MaxSide {
		return nil, errors.Errorf("bars: plotting area %dx%d outside %dx%d..%d", width, height, MinBarsWidth, MinBarsHeight, MaxSide)
	}
	if err := finite("bars", values); err != nil {
		return nil, err
	}
	lo, hi := minMax(values)
	lo, hi = math.Min(lo, 0), math.Max(hi, 0)
	span := hi - lo
	if span == 0 {
		span = 1
	}
	hiText, loText := tickText(hi), tickText(lo)
	axisW := max(textWidth(hiText, 1), textWidth(loText, 1)) + 4
	labelH := 0
	n := len(values)
	slot := float64(width) / float64(n)
	showLabels := labels != nil && maxTextWidth(labels) <= int(slot)
	if showLabels {
		labelH = textHeight(1) + labelGap
	}
	img := image.NewRGBA(image.Rect(0, 0, axisW+width+1, height+labelH+textHeight(1)))
	fill(img, img.Bounds(), white)
	top := textHeight(1) / 2
	zero := top + int(math.Round(hi/span*float64(height-1)))
	for i, v := range values {
		x0 := axisW + int(math.Round(float64(i)*slot))
		x1 := axisW + int(math.Round(float64(i+1)*slot))
		if x1-x0 >= 4 {
			x0, x1 = x0+1, x1-1
		}
		x1 = max(x1, x0+1)
		y := top + int(math.Round((hi-v)/span*float64(height-1)))
		col := diverging(1, 1)
		if v < 0 {
			col = diverging(-1, 1)
		}
		fill(img, image.Rect(x0, min(y, zero), x1, max(y, zero)+1), col)
		if showLabels {
			drawTextCentered(img, (x0+x1)/2, top+height+labelGap, labels[i], textGrey, 1)
		}
	}
	fill(img, image.Rect(axisW-2, zero, axisW+width+1, zero+1), textGrey)
	fill(img, image.Rect(axisW-2, top, axisW-1, top+height), textGrey)
	drawText(img, 0, top-textHeight(1)/2, hiText, textGrey, 1)
	if lo < 0 {
		drawText(img, 0, top+height-1-textHeight(1)/2, loText, textGrey, 1)
	}
	return Annotate(img, l)
}

// maxTextWidth is the width of the widest of texts.
func maxTextWidth(texts []string) int {
	w := 0
	for _, s := range texts {
		w = max(w, textWidth(s, 1))
	}
	return w
}
