package datasets

import (
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"io"

	"github.com/pkg/errors"

	"github.com/featlearn/featlearn/internal/atomicfile"
)

// Grid layout, in output pixels: the gap around cells and the label
// strip's font scale.
const (
	gridGap        = 4
	gridLabelScale = 2
)

var (
	gridBackground = color.RGBA{0x30, 0x30, 0x30, 0xff}
	gridLabel      = color.RGBA{0xff, 0xd0, 0x40, 0xff}
)

// DigitImage wraps rows x cols pixels as a grayscale image without
// copying. MNIST's convention carries over: ink is white on black.
func DigitImage(pixels []uint8, rows, cols int) (*image.Gray, error) {
	if rows <= 0 || cols <= 0 || len(pixels) != rows*cols {
		return nil, errors.Errorf("%d pixels for a %dx%d image", len(pixels), rows, cols)
	}
	return &image.Gray{Pix: pixels, Stride: cols, Rect: image.Rect(0, 0, cols, rows)}, nil
}

// Digit returns image i of a grayscale Set as a grayscale image sharing
// the Set's memory, and nil for an RGB Set (Image draws both). Like
// Pixels it panics when i is out of range.
func (s *Set) Digit(i int) *image.Gray {
	img, _ := DigitImage(s.Pixels(i), s.Rows, s.Cols)
	return img
}

// Grid draws the examples at idx in rows of cols cells, each image
// enlarged scale times (in colour for an RGB Set) with its label below
// it, and returns one picture of them all.
func (s *Set) Grid(idx []int, cols, scale int) (*image.RGBA, error) {
	if len(idx) == 0 || cols <= 0 || scale <= 0 {
		return nil, errors.Errorf("grid of %d images in %d columns at scale %d, want positive numbers",
			len(idx), cols, scale)
	}
	for _, i := range idx {
		if i < 0 || i >= s.N {
			return nil, errors.Errorf("grid index %d is outside 0..%d", i, s.N-1)
		}
	}
	cellW := s.Cols*scale + gridGap
	cellH := s.Rows*scale + glyphH*gridLabelScale + 2*gridGap
	rows := (len(idx) + cols - 1) / cols
	grid := image.NewRGBA(image.Rect(0, 0, cols*cellW+gridGap, rows*cellH+gridGap))
	draw.Draw(grid, grid.Bounds(), image.NewUniform(gridBackground), image.Point{}, draw.Src)
	for j, i := range idx {
		at := image.Pt(gridGap+(j%cols)*cellW, gridGap+(j/cols)*cellH)
		s.drawCell(grid, at, i, scale)
	}
	return grid, nil
}

// drawCell draws image i enlarged with its label underneath.
func (s *Set) drawCell(dst *image.RGBA, at image.Point, i, scale int) {
	px, plane := s.Pixels(i), s.Rows*s.Cols
	colour := s.NumChannels() == 3
	for y := 0; y < s.Rows*scale; y++ {
		for x := 0; x < s.Cols*scale; x++ {
			k := (y/scale)*s.Cols + x/scale
			v := px[k]
			c := color.RGBA{v, v, v, 0xff}
			if colour {
				c.G, c.B = px[plane+k], px[2*plane+k]
			}
			dst.SetRGBA(at.X+x, at.Y+y, c)
		}
	}
	label := at.Add(image.Pt(0, s.Rows*scale+gridGap))
	drawNumber(dst, label, s.Label(i), gridLabelScale, gridLabel)
}

// WritePNG encodes img as PNG into path atomically: path never holds
// half a picture.
func WritePNG(path string, img image.Image) error {
	return atomicfile.Write(path, func(w io.Writer) error { return png.Encode(w, img) })
}
