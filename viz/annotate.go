package viz

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"math"

	"github.com/pkg/errors"
)

// Labels are the words round a picture: a title above it, an x-axis label
// under it and a y-axis label up its left side. An empty label takes no
// room.
type Labels struct {
	Title, X, Y string
}

// annotateMargin is the white border Annotate and WithColorBar leave round
// a picture and between its parts.
const annotateMargin = 6

// Annotate returns img on a white canvas with its labels: the title
// centred above it, the x label centred under it and the y label written
// upwards on its left, each one line of the 7x13 face. With no labels it
// returns img itself.
func Annotate(img image.Image, l Labels) (image.Image, error) {
	if err := checkImage("annotate: image", img); err != nil {
		return nil, err
	}
	if l.Title == "" && l.X == "" && l.Y == "" {
		return img, nil
	}
	b := img.Bounds()
	left, top, bottom := 0, 0, 0
	if l.Y != "" {
		left = textHeight(1) + annotateMargin
	}
	if l.Title != "" {
		top = textHeight(1) + annotateMargin
	}
	if l.X != "" {
		bottom = textHeight(1) + annotateMargin
	}
	w, err := addSides("annotated width", annotateMargin, left, max(b.Dx(), textWidth(l.Title, 1), textWidth(l.X, 1)), annotateMargin)
	if err != nil {
		return nil, err
	}
	h, err := addSides("annotated height", annotateMargin, top, max(b.Dy(), textWidth(l.Y, 1)), bottom, annotateMargin)
	if err != nil {
		return nil, err
	}
	out := image.NewRGBA(image.Rect(0, 0, w, h))
	fill(out, out.Bounds(), white)
	inner := w - 2*annotateMargin - left
	x0 := annotateMargin + left + (inner-b.Dx())/2
	y0 := annotateMargin + top
	draw.Draw(out, image.Rect(x0, y0, x0+b.Dx(), y0+b.Dy()), img, b.Min, draw.Over)
	cx := annotateMargin + left + inner/2
	drawTextCentered(out, cx, annotateMargin, l.Title, black, 1)
	drawTextCentered(out, cx, y0+b.Dy()+annotateMargin, l.X, textGrey, 1)
	if l.Y != "" {
		drawTextUp(out, annotateMargin, y0+(b.Dy()-textWidth(l.Y, 1))/2, l.Y, textGrey, 1)
	}
	return out, nil
}

// ColorScale names a colour scale of this package, for a ColorBar.
type ColorScale int

const (
	// ScaleDiverging is Heatmap's: blue for Min, white for zero, red for
	// Max, with Min = -Max.
	ScaleDiverging ColorScale = iota
	// ScaleGrey is Gray's and Activations': black for Min, white for Max.
	ScaleGrey
	// ScaleSymmetricGrey is Filters': black for Min, mid grey for zero,
	// white for Max, with Min = -Max.
	ScaleSymmetricGrey
)

// ColorBar is the legend of a picture's colour scale: a strip of the
// scale's colours from Min at the bottom to Max at the top, ticked with
// their values (or MinText and MaxText when set, for pictures whose tiles
// are scaled one by one) and headed by Label.
type ColorBar struct {
	Scale            ColorScale
	Min, Max         float64
	MinText, MaxText string
	Label            string
}

// colorBarWidth is the width of the colour strip.
const colorBarWidth = 12

// color returns the bar's colour at t in [0, 1], 0 at Min.
func (c ColorBar) color(t float64) color.Color {
	switch c.Scale {
	case ScaleGrey:
		return grey8(t)
	case ScaleSymmetricGrey:
		return grey8(t)
	}
	return diverging(2*t-1, 1)
}

// ticks returns the bar's texts for its top, middle and bottom.
func (c ColorBar) ticks() (top, mid, bottom string) {
	top, bottom = c.MaxText, c.MinText
	if top == "" {
		top = tickText(c.Max)
	}
	if bottom == "" {
		bottom = tickText(c.Min)
	}
	if c.Scale != ScaleGrey {
		mid = "0"
	}
	return top, mid, bottom
}

// tickText writes a value in at most about seven characters.
func tickText(v float64) string {
	if v == 0 {
		return "0"
	}
	if a := math.Abs(v); a >= 1e4 || a < 1e-2 {
		return fmt.Sprintf("%.1e", v)
	}
	return fmt.Sprintf("%.3g", v)
}

// WithColorBar returns img with the colour bar bar drawn at its right, as
// tall as img (at least 80 pixels), on a white canvas.
func WithColorBar(img image.Image, bar ColorBar) (image.Image, error) {
	if err := checkImage("color bar: image", img); err != nil {
		return nil, err
	}
	if math.IsNaN(bar.Min) || math.IsNaN(bar.Max) || math.IsInf(bar.Min, 0) || math.IsInf(bar.Max, 0) || bar.Min > bar.Max {
		return nil, errors.Errorf("color bar: range %v..%v", bar.Min, bar.Max)
	}
	top, mid, bottom := bar.ticks()
	b := img.Bounds()
	labelH := 0
	if bar.Label != "" {
		labelH = textHeight(1) + 2
	}
	stripH := max(b.Dy()-labelH-textHeight(1), 80)
	tickW := max(textWidth(top, 1), textWidth(mid, 1), textWidth(bottom, 1))
	barW := max(colorBarWidth+4+tickW, textWidth(bar.Label, 1))
	w, err := addSides("color bar width", b.Dx(), 2*annotateMargin, barW, annotateMargin)
	if err != nil {
		return nil, err
	}
	h, err := addSides("color bar height", max(b.Dy(), stripH+labelH+textHeight(1)), 2*annotateMargin)
	if err != nil {
		return nil, err
	}
	out := image.NewRGBA(image.Rect(0, 0, w, h))
	fill(out, out.Bounds(), white)
	draw.Draw(out, image.Rect(annotateMargin, annotateMargin, annotateMargin+b.Dx(), annotateMargin+b.Dy()), img, b.Min, draw.Over)
	x0 := annotateMargin + b.Dx() + annotateMargin
	y0 := annotateMargin + labelH + textHeight(1)/2
	drawText(out, x0, annotateMargin, bar.Label, textGrey, 1)
	for y := 0; y < stripH; y++ {
		t := 1 - float64(y)/float64(max(stripH-1, 1))
		fill(out, image.Rect(x0, y0+y, x0+colorBarWidth, y0+y+1), bar.color(t))
	}
	frame(out, image.Rect(x0-1, y0-1, x0+colorBarWidth+1, y0+stripH+1), textGrey)
	tx := x0 + colorBarWidth + 4
	drawText(out, tx, y0-textHeight(1)/2, top, textGrey, 1)
	if mid != "" {
		drawText(out, tx, y0+stripH/2-textHeight(1)/2, mid, textGrey, 1)
	}
	drawText(out, tx, y0+stripH-textHeight(1)/2, bottom, textGrey, 1)
	return out, nil
}

// frame draws a one-pixel rectangle outline just inside r.
func frame(dst draw.Image, r image.Rectangle, c color.Color) {
	fill(dst, image.Rect(r.Min.X, r.Min.Y, r.Max.X, r.Min.Y+1), c)
	fill(dst, image.Rect(r.Min.X, r.Max.Y-1, r.Max.X, r.Max.Y), c)
	fill(dst, image.Rect(r.Min.X, r.Min.Y, r.Min.X+1, r.Max.Y), c)
	fill(dst, image.Rect(r.Max.X-1, r.Min.Y, r.Max.X, r.Max.Y), c)
}
