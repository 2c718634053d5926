package viz

import (
	"image"
	"image/color"
	"image/draw"
	"math"

	"github.com/pkg/errors"
)

// Hinton draws a rows×cols weight map as a Hinton diagram, the lecture's way
// to display weights: each weight is a square blob centred in its cell whose
// area is proportional to |w|/scale (a weight of magnitude scale or more
// fills the cell but for a one-pixel gap, so neighbouring blobs stay apart)
// and whose colour is its sign, white positive and black negative, on a mid
// grey background. w is row-major; cell is the side of a cell in pixels;
// scale <= 0 means the largest |w|. The image is cols*cell wide and
// rows*cell high.
func Hinton(w []float64, rows, cols, cell int, scale float64) (image.Image, error) {
	img, scale, err := mapCanvas("hinton", w, rows, cols, cell, scale)
	if err != nil {
		return nil, err
	}
	draw.Draw(img, img.Bounds(), image.NewUniform(hintonBG), image.Point{}, draw.Src)
	full := blobRoom(cell)
	for i, v := range w {
		s := blobSide(v, scale, full)
		if s == 0 {
			continue
		}
		col := hintonPos
		if v < 0 {
			col = hintonNeg
		}
		x0 := (i%cols)*cell + (cell-s)/2
		y0 := (i/cols)*cell + (cell-s)/2
		draw.Draw(img, image.Rect(x0, y0, x0+s, y0+s), image.NewUniform(col), image.Point{}, draw.Src)
	}
	return img, nil
}

// blobRoom is the side of a full blob: one pixel less than the cell so that
// two saturated neighbours do not merge, except in cells too small to spare it.
func blobRoom(cell int) int {
	if cell >= 3 {
		return cell - 1
	}
	return cell
}

// blobSide is the side of v's blob: the square root makes the blob's area,
// not its side, proportional to |v|, as the eye reads areas.
func blobSide(v, scale float64, full int) int {
	if scale <= 0 {
		return 0
	}
	f := math.Min(1, math.Abs(v)/scale)
	return int(math.Round(float64(full) * math.Sqrt(f)))
}

// Heatmap draws a rows×cols map with a diverging colour scale: blue for
// -scale and below, white for zero, red for +scale and above, linear in
// between. w is row-major; scale <= 0 means the largest |w|. Each value fills
// its cell×cell square, so the image is cols*cell by rows*cell.
func Heatmap(w []float64, rows, cols, cell int, scale float64) (image.Image, error) {
	img, scale, err := mapCanvas("heatmap", w, rows, cols, cell, scale)
	if err != nil {
		return nil, err
	}
	for i, v := range w {
		x0, y0 := (i%cols)*cell, (i/cols)*cell
		fill(img, image.Rect(x0, y0, x0+cell, y0+cell), diverging(v, scale))
	}
	return img, nil
}

// mapCanvas validates the arguments shared by Hinton and Heatmap and makes
// their canvas; it returns the scale to use.
func mapCanvas(what string, w []float64, rows, cols, cell int, scale float64) (*image.RGBA, float64, error) {
	if err := positive([]string{"rows", "cols", "cell"}, rows, cols, cell); err != nil {
		return nil, 0, errors.Wrap(err, what)
	}
	if err := checkLen(what, len(w), rows, cols); err != nil {
		return nil, 0, err
	}
	if err := finite(what, w); err != nil {
		return nil, 0, err
	}
	scale, err := checkScale(scale, w)
	if err != nil {
		return nil, 0, errors.Wrap(err, what)
	}
	wd, err := side(what+" width", cols, cell)
	if err != nil {
		return nil, 0, err
	}
	ht, err := side(what+" height", rows, cell)
	if err != nil {
		return nil, 0, err
	}
	return image.NewRGBA(image.Rect(0, 0, wd, ht)), scale, nil
}

// Gray draws an h×w row-major image of intensities in [0, 1] (values outside
// are clamped: 0 is black, 1 white), each pixel a cell×cell square.
func Gray(pix []float64, h, w, cell int) (image.Image, error) {
	if err := positive([]string{"h", "w", "cell"}, h, w, cell); err != nil {
		return nil, errors.Wrap(err, "gray")
	}
	if err := checkLen("gray", len(pix), h, w); err != nil {
		return nil, err
	}
	if err := finite("gray", pix); err != nil {
		return nil, err
	}
	img, err := grayTile(pix, h, w, cell, func(v float64) float64 { return v })
	if err != nil {
		return nil, errors.Wrap(err, "gray")
	}
	return img, nil
}

// grayTile draws an h×w map through norm, which maps each value to [0, 1];
// the sizes must already be validated except against MaxSide.
func grayTile(pix []float64, h, w, cell int, norm func(float64) float64) (*image.Gray, error) {
	wd, err := side("image width", w, cell)
	if err != nil {
		return nil, err
	}
	ht, err := side("image height", h, cell)
	if err != nil {
		return nil, err
	}
	img := image.NewGray(image.Rect(0, 0, wd, ht))
	for i, v := range pix {
		x0, y0 := (i%w)*cell, (i/w)*cell
		fill(img, image.Rect(x0, y0, x0+cell, y0+cell), grey8(norm(v)))
	}
	return img, nil
}

// fill paints r with a single colour.
func fill(dst draw.Image, r image.Rectangle, c color.Color) {
	draw.Draw(dst, r, image.NewUniform(c), image.Point{}, draw.Src)
}

// WeightMaps draws several rows×cols maps (for instance the ten 28×28 weight
// vectors of a linear classifier's output units) in one picture, perRow maps
// to a row, each with its label underneath (labels may be nil). All maps
// share one scale, the largest |w| over all of them, so that their blobs or
// colours compare across maps. hinton chooses Hinton diagrams over heat maps.
func WeightMaps(maps [][]float64, rows, cols, perRow, cell int, hinton bool, labels []string) (image.Image, error) {
	if len(maps) == 0 {
		return nil, errors.New("weight maps: no maps")
	}
	if err := positive([]string{"perRow"}, perRow); err != nil {
		return nil, errors.Wrap(err, "weight maps")
	}
	for i, m := range maps {
		if err := finite("weight maps", m); err != nil {
			return nil, errors.Wrapf(err, "map %d", i)
		}
	}
	scale, _ := checkScale(0, maps...)
	render := Heatmap
	if hinton {
		render = Hinton
	}
	tiles := make([]image.Image, len(maps))
	for i, m := range maps {
		t, err := render(m, rows, cols, cell, scale)
		if err != nil {
			return nil, errors.Wrapf(err, "weight maps: map %d", i)
		}
		tiles[i] = t
	}
	return Grid(tiles, perRow, gridPad(cell), labels)
}

// gridPad is the gap between tiles of a multi-map picture: wide enough to
// separate maps, in proportion to their cells but never dominating them.
func gridPad(cell int) int {
	return min(max(4, cell), 16)
}
