package lab

import (
	"fmt"
	"image"

	"github.com/pkg/errors"

	"github.com/featlearn/featlearn/datasets"
	"github.com/featlearn/featlearn/graph"
	"github.com/featlearn/featlearn/models/templates"
	"github.com/featlearn/featlearn/viz"
)

// Every picture of the lab comes from package viz, as the binaries' PNGs
// do: titled, with a colour bar wherever colour stands for a value.

// maxFilterTiles is the most first-layer units drawn: an MLP's 300 tiles
// of 28x28 would be a poster.
const maxFilterTiles = 36

// digitNames label ten classes.
var digitNames = []string{"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"}

// inputPicture draws the 28x28 input the net sees.
func inputPicture(px []uint8, binary bool) (picture, error) {
	vals := datasets.PixelsToFloat64(px, nil)
	title := "input 1x28x28"
	if binary {
		for i, p := range px {
			vals[i] = 0
			if p >= Threshold {
				vals[i] = 1
			}
		}
		title = "input 784, ink >= 128"
	}
	img, err := viz.Gray(vals, datasets.DigitSize, datasets.DigitSize, 4)
	if err != nil {
		return picture{}, err
	}
	bar := viz.ColorBar{Scale: viz.ScaleGrey, Min: 0, Max: 1, Label: "pixel"}
	return labelled(img, viz.Labels{Title: title}, &bar, picture{Title: title, Shape: "1x28x28"})
}

// layerPicture draws one layer's output for one example: maps of (C, H,
// W) as heat maps on one shared scale, one tile per channel, and vectors
// as bars.
func layerPicture(a graph.Activation) (picture, error) {
	shape := shapeText(a.Output)
	p := picture{Title: a.Path, Shape: shape, Kind: a.Kind}
	title := fmt.Sprintf("%s  %s  %s", a.Path, a.Kind, shape)
	if a.Fused != "" {
		title = fmt.Sprintf("%s  %s  %s (%s)", a.Path, a.Kind, shape, a.Fused)
	}
	switch len(a.Output) {
	case 3:
		c, h, w := a.Output[0], a.Output[1], a.Output[2]
		maps := make([][]float64, c)
		labels := make([]string, c)
		for i := range maps {
			maps[i] = a.Values[i*h*w : (i+1)*h*w]
			labels[i] = fmt.Sprintf("ch %d", i+1)
		}
		img, err := viz.WeightMaps(maps, h, w, min(c, 8), max(2, 56/h), false, labels)
		if err != nil {
			return p, errors.Wrap(err, a.Path)
		}
		s := maxAbs(a.Values)
		bar := viz.ColorBar{Scale: viz.ScaleDiverging, Min: -s, Max: s, Label: "output"}
		return labelled(img, viz.Labels{Title: title}, &bar, p)
	case 1:
		n := a.Output[0]
		var labels []string
		if n == len(digitNames) {
			labels = digitNames
		}
		img, err := viz.Bars(a.Values, labels, viz.Labels{Title: title, X: "unit", Y: "output"}, min(max(n*4, 200), 480), 70)
		if err != nil {
			return p, errors.Wrap(err, a.Path)
		}
		p.Image, err = pngURL(img)
		return p, err
	}
	return p, errors.Errorf("%s: output of shape %s cannot be drawn", a.Path, shape)
}

// filterPicture draws the first weight layer: each convolution filter, or
// each first-layer unit's weights over the image, as a heat map on one
// shared scale; the template learner's ten templates as Hinton diagrams.
func filterPicture(m *graph.Model, kind string) (picture, error) {
	if kind == "templates" {
		w := templates.Templates(m)
		img, err := templates.WeightsPicture(w, 28, 28, 4, true)
		if err != nil {
			return picture{}, err
		}
		title := "votes.weight 10x784: templates (white +, black -, area |w|)"
		return labelled(img, viz.Labels{Title: title}, nil, picture{Title: title, Shape: "10x784"})
	}
	var p *graph.Param
	for _, q := range m.Params() {
		if q.Decay {
			p = q
			break
		}
	}
	if p == nil {
		return picture{}, errors.New("filters: the model has no weights")
	}
	shape, w := p.Shape(), p.Float64s()
	var n, kh, kw int
	switch {
	case len(shape) == 4:
		n, kh, kw = shape[0]*shape[1], shape[2], shape[3]
	case len(shape) == 2 && shape[1] == 28*28:
		n, kh, kw = shape[0], 28, 28
	default:
		return picture{}, errors.Errorf("filters: %s has shape %v", p.Name, shape)
	}
	shown := min(n, maxFilterTiles)
	tiles := make([][]float64, shown)
	labels := make([]string, shown)
	for i := range tiles {
		tiles[i] = w[i*kh*kw : (i+1)*kh*kw]
		labels[i] = fmt.Sprint(i + 1)
	}
	cell := max(1, 60/kh)
	img, err := viz.WeightMaps(tiles, kh, kw, min(shown, 12), cell, false, labels)
	if err != nil {
		return picture{}, err
	}
	title := fmt.Sprintf("%s %s", p.Name, shapeText(shape))
	if shown < n {
		title += fmt.Sprintf(", the first %d of %d", shown, n)
	}
	s := maxAbs(w[:shown*kh*kw])
	bar := viz.ColorBar{Scale: viz.ScaleDiverging, Min: -s, Max: s, Label: "weight"}
	return labelled(img, viz.Labels{Title: title}, &bar, picture{Title: title, Shape: shapeText(shape)})
}

// labelled titles img, adds its colour bar and encodes it into p.
func labelled(img image.Image, l viz.Labels, bar *viz.ColorBar, p picture) (picture, error) {
	var err error
	if bar != nil {
		if img, err = viz.WithColorBar(img, *bar); err != nil {
			return p, err
		}
	}
	if img, err = viz.Annotate(img, l); err != nil {
		return p, err
	}
	p.Image, err = pngURL(img)
	return p, err
}

// maxAbs returns the largest magnitude of v.
func maxAbs(v []float64) float64 {
	m := 0.0
	for _, x := range v {
		m = max(m, x, -x)
	}
	return m
}
