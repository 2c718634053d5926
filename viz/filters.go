package viz

import (
	"image"
	"math"

	"github.com/pkg/errors"
)

// tilePad is the frame between the tiles of Filters and Activations.
const tilePad = 2

// Filters draws convolution filters stored in PyTorch's layout
// (out, in, kh, kw), the lecture's "learned filters": one row per output
// filter and, within it, one kh×kw tile per input channel. Each tile is
// normalised on its own, symmetrically: mid grey is zero, white is the
// tile's largest |w| and black its negative, so the sign structure of small
// filters shows even when their magnitudes differ. Tiles are cell pixels per
// weight and framed by tilePad (2) pixels of slate blue, a colour that no
// grey tile contains, so the picture is in*kw*cell + (in+1)*2 wide and
// out*kh*cell + (out+1)*2 high.
func Filters(w []float64, out, in, kh, kw, cell int) (image.Image, error) {
	if err := positive([]string{"out", "in", "kh", "kw", "cell"}, out, in, kh, kw, cell); err != nil {
		return nil, errors.Wrap(err, "filters")
	}
	if err := checkLen("filters", len(w), out, in, kh, kw); err != nil {
		return nil, err
	}
	if err := finite("filters", w); err != nil {
		return nil, err
	}
	img, err := filterGrid(w, out*in, kh, kw, cell, in)
	if err != nil {
		return nil, errors.Wrap(err, "filters")
	}
	return img, nil
}

// FilterGrid draws n kh×kw filters stored one after the other, cols to a
// row, each normalised symmetrically on its own as in Filters. It suits
// single-channel filters, such as LeNet's first six, which Filters would
// stack in one tall column; Filters(w, out, in, ...) is FilterGrid(w,
// out*in, ..., in).
func FilterGrid(w []float64, n, kh, kw, cell, cols int) (image.Image, error) {
	if err := positive([]string{"n", "kh", "kw", "cell", "cols"}, n, kh, kw, cell, cols); err != nil {
		return nil, errors.Wrap(err, "filter grid")
	}
	if err := checkLen("filter grid", len(w), n, kh, kw); err != nil {
		return nil, err
	}
	if err := finite("filter grid", w); err != nil {
		return nil, err
	}
	img, err := filterGrid(w, n, kh, kw, cell, cols)
	if err != nil {
		return nil, errors.Wrap(err, "filter grid")
	}
	return img, nil
}

// filterGrid draws validated filters; see FilterGrid.
func filterGrid(w []float64, n, kh, kw, cell, cols int) (*image.RGBA, error) {
	if err := checkTiles("picture", n, cols, kh, kw, cell); err != nil {
		return nil, err
	}
	size := kh * kw
	tiles := make([]image.Image, n)
	for t := range tiles {
		k := w[t*size : (t+1)*size]
		s := maxAbs(k)
		tile, err := grayTile(k, kh, kw, cell, func(v float64) float64 {
			if s == 0 {
				return 0.5
			}
			return 0.5 + 0.5*v/s
		})
		if err != nil {
			return nil, err
		}
		tiles[t] = tile
	}
	return grid(tiles, cols, tilePad, nil, tileFrame)
}

// Activations draws the feature maps of one example, channels×h×w
// row-major (the slides' 6 maps of 28×28 after the first convolution, 16 of
// 10×10 after the second), as grey tiles, cols to a row. Each tile is
// normalised to its own range, black its minimum and white its maximum, so
// that weak channels stay visible; a constant channel (a dead ReLU) is black.
// The layout is Filters': cells of h*cell by w*cell framed by 2 pixels.
func Activations(a []float64, channels, h, w, cell int, cols int) (image.Image, error) {
	if err := positive([]string{"channels", "h", "w", "cell", "cols"}, channels, h, w, cell, cols); err != nil {
		return nil, errors.Wrap(err, "activations")
	}
	if err := checkLen("activations", len(a), channels, h, w); err != nil {
		return nil, err
	}
	if err := finite("activations", a); err != nil {
		return nil, err
	}
	if err := checkTiles("activations", channels, cols, h, w, cell); err != nil {
		return nil, err
	}
	n := h * w
	tiles := make([]image.Image, channels)
	for c := range tiles {
		m := a[c*n : (c+1)*n]
		lo, hi := minMax(m)
		tile, err := grayTile(m, h, w, cell, func(v float64) float64 {
			if hi == lo {
				return 0
			}
			return (v - lo) / (hi - lo)
		})
		if err != nil {
			return nil, errors.Wrap(err, "activations")
		}
		tiles[c] = tile
	}
	img, err := grid(tiles, cols, tilePad, nil, tileFrame)
	if err != nil {
		return nil, errors.Wrap(err, "activations")
	}
	return img, nil
}

// checkTiles refuses, before any tile is drawn, a framed grid of n tiles of
// h×w values of cell pixels, across to a row, that would exceed MaxSide:
// drawing a few huge tiles first would take seconds and gigabytes.
func checkTiles(what string, n, across, h, w, cell int) error {
	tw, err := side(what+" width", w, cell)
	if err != nil {
		return err
	}
	th, err := side(what+" height", h, cell)
	if err != nil {
		return err
	}
	cols := min(across, n)
	rows := (n + cols - 1) / cols
	gw, err := side(what+" width", cols, tw+tilePad)
	if err != nil {
		return err
	}
	gh, err := side(what+" height", rows, th+tilePad)
	if err != nil {
		return err
	}
	// Each column and row brought its leading frame; add the closing one.
	if gw+tilePad > MaxSide || gh+tilePad > MaxSide {
		return errors.Errorf("%s is larger than %d pixels", what, MaxSide)
	}
	return nil
}

// minMax returns the smallest and largest value of a non-empty slice.
func minMax(v []float64) (lo, hi float64) {
	lo, hi = math.Inf(1), math.Inf(-1)
	for _, x := range v {
		lo, hi = math.Min(lo, x), math.Max(hi, x)
	}
	return lo, hi
}
