package viz

import (
	"image"
	"image/color"

	"github.com/pkg/errors"
)

// ColourFilters draws out filters over three input channels, stored in
// PyTorch's layout (out, 3, kh, kw), as colour tiles, cols to a row: the
// first layer of a network that sees RGB images. The three channels of a
// filter are scaled together, symmetrically, so a tile's mid grey is a
// zero weight in every channel, and a filter that responds to red shows
// red: each channel is 0.5 + 0.5·w/m, m being the tile's largest |w|.
// Tiles are cell pixels per weight, framed as Filters frames them.
func ColourFilters(w []float64, out, kh, kw, cell, cols int) (image.Image, error) {
	if err := positive([]string{"out", "kh", "kw", "cell", "cols"}, out, kh, kw, cell, cols); err != nil {
		return nil, errors.Wrap(err, "colour filters")
	}
	if err := checkLen("colour filters", len(w), out, 3, kh, kw); err != nil {
		return nil, err
	}
	if err := finite("colour filters", w); err != nil {
		return nil, err
	}
	if err := checkTiles("colour filters", out, cols, kh, kw, cell); err != nil {
		return nil, err
	}
	plane := kh * kw
	tiles := make([]image.Image, out)
	for o := range tiles {
		f := w[o*3*plane : (o+1)*3*plane]
		m := maxAbs(f)
		tiles[o] = rgbTile(f, kh, kw, cell, func(v float64) float64 {
			if m == 0 {
				return 0.5
			}
			return 0.5 + 0.5*v/m
		})
	}
	img, err := grid(tiles, cols, tilePad, nil, tileFrame)
	if err != nil {
		return nil, errors.Wrap(err, "colour filters")
	}
	return img, nil
}

// RGB draws a colour image stored as three planes (red, green, blue) of
// h×w intensities in [0, 1] (values outside are clamped), each pixel a
// cell×cell square.
func RGB(pix []float64, h, w, cell int) (image.Image, error) {
	if err := positive([]string{"h", "w", "cell"}, h, w, cell); err != nil {
		return nil, errors.Wrap(err, "rgb")
	}
	if err := checkLen("rgb", len(pix), 3, h, w); err != nil {
		return nil, err
	}
	if err := finite("rgb", pix); err != nil {
		return nil, err
	}
	if _, err := side("rgb width", w, cell); err != nil {
		return nil, err
	}
	if _, err := side("rgb height", h, cell); err != nil {
		return nil, err
	}
	return rgbTile(pix, h, w, cell, func(v float64) float64 { return v }), nil
}

// rgbTile draws three planes of h×w values through norm, which maps each
// to [0, 1]; the sizes must be validated.
func rgbTile(pix []float64, h, w, cell int, norm func(float64) float64) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w*cell, h*cell))
	plane := h * w
	byte8 := func(v float64) uint8 { return uint8(255*min(max(norm(v), 0), 1) + 0.5) }
	for i := range plane {
		c := color.RGBA{byte8(pix[i]), byte8(pix[plane+i]), byte8(pix[2*plane+i]), 0xff}
		x0, y0 := (i%w)*cell, (i/w)*cell
		fill(img, image.Rect(x0, y0, x0+cell, y0+cell), c)
	}
	return img
}
