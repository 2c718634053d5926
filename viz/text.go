package viz

import (
	"image"
	"image/color"
	"image/draw"

	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"
)

// face is the only font: a 7x13 bitmap face that is crisp at every size we
// need and needs no font files at run time.
var face = basicfont.Face7x13

const (
	glyphW  = 7  // advance of every glyph in face
	glyphH  = 13 // line height of face
	glyphUp = 11 // ascent of face: baseline distance from the top
)

// textWidth is the width in pixels of s drawn at magnification k.
func textWidth(s string, k int) int {
	return font.MeasureString(face, s).Ceil() * k
}

// textHeight is the height in pixels of one line at magnification k.
func textHeight(k int) int { return glyphH * k }

// drawText draws s with its top-left corner at (x, y), magnified k times by
// nearest neighbour so that headings stay as crisp as the small labels.
func drawText(dst draw.Image, x, y int, s string, col color.Color, k int) {
	if s == "" || k < 1 {
		return
	}
	mask := textMask(s)
	src := image.NewUniform(col)
	if k == 1 {
		r := mask.Bounds().Add(image.Pt(x, y))
		draw.DrawMask(dst, r, src, image.Point{}, mask, image.Point{}, draw.Over)
		return
	}
	big := scaleAlpha(mask, k)
	r := big.Bounds().Add(image.Pt(x, y))
	draw.DrawMask(dst, r, src, image.Point{}, big, image.Point{}, draw.Over)
}

// drawTextCentered draws s centred horizontally on cx with its top at y.
func drawTextCentered(dst draw.Image, cx, y int, s string, col color.Color, k int) {
	drawText(dst, cx-textWidth(s, 1)*k/2, y, s, col, k)
}

// drawTextUp draws s rotated a quarter turn anticlockwise (reading bottom to
// top, as on a y axis), with the rotated box's top-left corner at (x, y).
func drawTextUp(dst draw.Image, x, y int, s string, col color.Color, k int) {
	if s == "" || k < 1 {
		return
	}
	m := scaleAlpha(textMask(s), k)
	w, h := m.Bounds().Dx(), m.Bounds().Dy()
	rot := image.NewAlpha(image.Rect(0, 0, h, w))
	for yy := 0; yy < h; yy++ {
		for xx := 0; xx < w; xx++ {
			rot.SetAlpha(yy, w-1-xx, m.AlphaAt(xx, yy))
		}
	}
	r := rot.Bounds().Add(image.Pt(x, y))
	draw.DrawMask(dst, r, image.NewUniform(col), image.Point{}, rot, image.Point{}, draw.Over)
}

// textMask renders s once into an alpha mask of exactly its advance width
// and the face's line height.
func textMask(s string) *image.Alpha {
	w := textWidth(s, 1)
	m := image.NewAlpha(image.Rect(0, 0, max(w, 1), glyphH))
	d := font.Drawer{Dst: m, Src: image.Opaque, Face: face, Dot: fixed.P(0, glyphUp)}
	d.DrawString(s)
	return m
}

// scaleAlpha magnifies a mask k times by nearest neighbour.
func scaleAlpha(m *image.Alpha, k int) *image.Alpha {
	b := m.Bounds()
	out := image.NewAlpha(image.Rect(0, 0, b.Dx()*k, b.Dy()*k))
	for y := 0; y < b.Dy()*k; y++ {
		for x := 0; x < b.Dx()*k; x++ {
			out.SetAlpha(x, y, m.AlphaAt(b.Min.X+x/k, b.Min.Y+y/k))
		}
	}
	return out
}
