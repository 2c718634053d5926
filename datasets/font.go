package datasets

import (
	"image"
	"image/color"
	"image/draw"
)

// digitFont is a 5x7 bitmap font for the digits 0-9, one string per row.
// Grid labels are only ever digits, so embedding ten glyphs avoids a font
// dependency.
var digitFont = [10][7]string{
	{".###.", "#...#", "#..##", "#.#.#", "##..#", "#...#", ".###."},
	{"..#..", ".##..", "..#..", "..#..", "..#..", "..#..", ".###."},
	{".###.", "#...#", "....#", "...#.", "..#..", ".#...", "#####"},
	{"#####", "...#.", "..#..", "...#.", "....#", "#...#", ".###."},
	{"...#.", "..##.", ".#.#.", "#..#.", "#####", "...#.", "...#."},
	{"#####", "#....", "####.", "....#", "....#", "#...#", ".###."},
	{"..##.", ".#...", "#....", "####.", "#...#", "#...#", ".###."},
	{"#####", "....#", "...#.", "..#..", ".#...", ".#...", ".#..."},
	{".###.", "#...#", "#...#", ".###.", "#...#", "#...#", ".###."},
	{".###.", "#...#", "#...#", ".####", "....#", "...#.", ".##.."},
}

// Glyph size of digitFont in font pixels.
const glyphW, glyphH = 5, 7

// drawNumber draws the decimal digits of n with their top-left corner at
// at, each font pixel a scale x scale square of colour c.
func drawNumber(dst draw.Image, at image.Point, n, scale int, c color.Color) {
	for i, d := range digitsOf(n) {
		origin := at.Add(image.Pt(i*(glyphW+1)*scale, 0))
		drawGlyph(dst, origin, d, scale, c)
	}
}

// drawGlyph draws one digit's bitmap.
func drawGlyph(dst draw.Image, at image.Point, d, scale int, c color.Color) {
	src := image.NewUniform(c)
	for y, row := range digitFont[d] {
		for x, bit := range row {
			if bit != '#' {
				continue
			}
			r := image.Rect(x*scale, y*scale, (x+1)*scale, (y+1)*scale).Add(at)
			draw.Draw(dst, r, src, image.Point{}, draw.Src)
		}
	}
}

// digitsOf returns n's decimal digits, most significant first.
func digitsOf(n int) []int {
	if n < 0 {
		n = -n
	}
	digits := []int{n % 10}
	for n /= 10; n > 0; n /= 10 {
		digits = append([]int{n % 10}, digits...)
	}
	return digits
}
