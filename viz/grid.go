package viz

import (
	"image"
	"image/color"
	"image/draw"

	"github.com/pkg/errors"
)

// labelGap is the space between a tile and its label.
const labelGap = 3

// Grid tiles imgs left to right, cols to a row, on a white background. Every
// tile gets a cell as large as the largest image (and as wide as the widest
// label), with the image centred in it; pad pixels separate the cells from
// each other and from the border. When labels is not nil it needs one label
// per image, drawn centred under it.
//
// With n images, c = min(cols, n) columns and r = ceil(n/c) rows, the picture
// is c*cellW + (c+1)*pad wide and r*(cellH+labelH) + (r+1)*pad high, where
// labelH is 0 without labels and 16 (a 13-pixel line and a 3-pixel gap) with.
func Grid(imgs []image.Image, cols, pad int, labels []string) (image.Image, error) {
	img, err := grid(imgs, cols, pad, labels, white)
	if err != nil {
		// A typed nil *image.RGBA would make a non-nil image.Image.
		return nil, err
	}
	return img, nil
}

// grid is Grid with a background colour: tiles whose own colours reach white
// (grey filters and feature maps) need a frame colour that is none of theirs.
func grid(imgs []image.Image, cols, pad int, labels []string, bg color.Color) (*image.RGBA, error) {
	l, err := gridLayout(imgs, cols, pad, labels)
	if err != nil {
		return nil, err
	}
	out := image.NewRGBA(image.Rect(0, 0, l.width, l.height))
	fill(out, out.Bounds(), bg)
	for i, img := range imgs {
		x0 := pad + (i%l.cols)*(l.cellW+pad)
		y0 := pad + (i/l.cols)*(l.cellH+l.labelH+pad)
		b := img.Bounds()
		at := image.Pt(x0+(l.cellW-b.Dx())/2, y0+(l.cellH-b.Dy())/2)
		draw.Draw(out, b.Sub(b.Min).Add(at), img, b.Min, draw.Over)
		if labels != nil {
			drawTextCentered(out, x0+l.cellW/2, y0+l.cellH+labelGap, labels[i], textGrey, 1)
		}
	}
	return out, nil
}

// layout is the geometry of a grid picture.
type layout struct {
	cols, rows           int
	cellW, cellH, labelH int
	width, height        int
}

// gridLayout validates Grid's arguments and computes its geometry.
func gridLayout(imgs []image.Image, cols, pad int, labels []string) (layout, error) {
	var l layout
	if len(imgs) == 0 {
		return l, errors.New("grid: no images")
	}
	if cols < 1 || pad < 0 {
		return l, errors.Errorf("grid: need cols >= 1 and pad >= 0, got %d and %d", cols, pad)
	}
	if labels != nil && len(labels) != len(imgs) {
		return l, errors.Errorf("grid: %d labels for %d images", len(labels), len(imgs))
	}
	for i, img := range imgs {
		if err := checkImage("grid: image", img); err != nil {
			return l, errors.Wrapf(err, "image %d", i)
		}
		l.cellW = max(l.cellW, img.Bounds().Dx())
		l.cellH = max(l.cellH, img.Bounds().Dy())
	}
	for _, s := range labels {
		l.cellW = max(l.cellW, textWidth(s, 1))
	}
	if labels != nil {
		l.labelH = labelGap + textHeight(1)
	}
	l.cols = min(cols, len(imgs))
	l.rows = (len(imgs) + l.cols - 1) / l.cols
	return l, l.size(pad)
}

// size computes the picture's width and height, refusing ones over MaxSide.
func (l *layout) size(pad int) error {
	wCells, err := side("grid width", l.cols, l.cellW)
	if err != nil {
		return err
	}
	wPads, err := side("grid width", l.cols+1, pad)
	if err != nil {
		return err
	}
	hCells, err := side("grid height", l.rows, l.cellH+l.labelH)
	if err != nil {
		return err
	}
	hPads, err := side("grid height", l.rows+1, pad)
	if err != nil {
		return err
	}
	if l.width, err = addSides("grid width", wCells, wPads); err != nil {
		return err
	}
	l.height, err = addSides("grid height", hCells, hPads)
	return err
}

// Scale magnifies img factor times by nearest neighbour, keeping pixels
// crisp, which is what small maps such as 28×28 digits need. It returns img
// itself when img is nil or empty, factor < 2, or the result would be larger
// than MaxSide a side: a helper without an error cannot refuse otherwise.
func Scale(img image.Image, factor int) image.Image {
	if checkImage("image", img) != nil || factor < 2 {
		return img
	}
	b := img.Bounds()
	w, errW := side("scaled width", b.Dx(), factor)
	h, errH := side("scaled height", b.Dy(), factor)
	if errW != nil || errH != nil {
		return img
	}
	if g, ok := img.(*image.Gray); ok {
		out := image.NewGray(image.Rect(0, 0, w, h))
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				out.SetGray(x, y, g.GrayAt(b.Min.X+x/factor, b.Min.Y+y/factor))
			}
		}
		return out
	}
	out := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < b.Dy(); y++ {
		for x := 0; x < b.Dx(); x++ {
			c := img.At(b.Min.X+x, b.Min.Y+y)
			fill(out, image.Rect(x*factor, y*factor, (x+1)*factor, (y+1)*factor), c)
		}
	}
	return out
}
