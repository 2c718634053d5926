package trainapp

import (
	"fmt"
	"image"
	"strings"

	"github.com/pkg/errors"

	"github.com/featlearn/featlearn/datasets"
	"github.com/featlearn/featlearn/graph"
	"github.com/featlearn/featlearn/viz"
)

// Picture is a named image, such as the feature maps of conv1.
type Picture struct {
	Name    string // the layer, such as "conv1"
	Caption string // what the picture shows
	Image   image.Image
}

// Filters draws the model's first weight layer as a grid of its learned
// filters, cols to a row, one tile per output unit: each 5x5 filter of a
// convolution, or, for a fully connected first layer, each unit's weights
// over the input image. Mid grey is zero, white positive and black
// negative, each tile scaled on its own; over an RGB input each tile is
// in colour (viz.ColourFilters). limit > 0 draws only the first limit
// units.
func Filters(m *graph.Model, cols, limit int) (image.Image, error) {
	p, err := FirstWeight(m)
	if err != nil {
		return nil, err
	}
	shape, in := p.Shape(), m.InputShape()
	var out, ch, kh, kw int
	switch {
	case len(shape) == 4:
		out, ch, kh, kw = shape[0], shape[1], shape[2], shape[3]
	case len(shape) == 2 && len(in) == 3 && shape[1] == in.Size():
		out, ch, kh, kw = shape[0], in[0], in[1], in[2]
	default:
		return nil, errors.Errorf("filters: %s has shape %v, want (out, in, kh, kw) or (out, %d)", p.Name, shape, in.Size())
	}
	if limit > 0 {
		out = min(out, limit)
	}
	w, n := p.Float64s(), ch*kh*kw
	cell := max(1, 60/kh)
	tiles := make([]image.Image, out)
	labels := make([]string, out)
	for o := range tiles {
		if ch == 3 { // an RGB input: one colour tile per filter
			tiles[o], err = viz.ColourFilters(w[o*n:(o+1)*n], 1, kh, kw, cell, 1)
		} else {
			tiles[o], err = viz.Filters(w[o*n:(o+1)*n], 1, ch, kh, kw, cell)
		}
		if err != nil {
			return nil, errors.Wrapf(err, "%s filter %d", p.Name, o+1)
		}
		labels[o] = fmt.Sprint(o + 1)
	}
	if out > 30 {
		labels = nil // numbers under hundreds of tiny tiles only add noise
	}
	img, err := viz.Grid(tiles, max(cols, 1), 4, labels)
	if err != nil {
		return nil, err
	}
	bar := viz.ColorBar{Scale: viz.ScaleSymmetricGrey, Min: -1, Max: 1, MinText: "-max|w|", MaxText: "+max|w|", Label: "each tile"}
	return titled(img, fmt.Sprintf("%s %v: learned filters", p.Name, shape), bar)
}

// titled gives a picture its title and its colour bar.
func titled(img image.Image, title string, bar viz.ColorBar) (image.Image, error) {
	img, err := viz.WithColorBar(img, bar)
	if err != nil {
		return nil, err
	}
	return viz.Annotate(img, viz.Labels{Title: title})
}

// FirstWeight returns the first parameter with weight decay: the first
// layer's weights.
func FirstWeight(m *graph.Model) (*graph.Param, error) {
	for _, p := range m.Params() {
		if p.Decay {
			return p, nil
		}
	}
	return nil, errors.New("filters: the model has no weights")
}

// FeatureMaps runs the model on one image of pixels (0 background, 255
// ink) and draws, for every convolution, its feature maps after the layers
// of the same shape that follow it (a BatchNorm, a ReLU): LeNet-5's 6
// maps of 28x28, then 16 of 10x10. A model without convolutions gives no
// pictures.
func FeatureMaps(m *graph.Model, pixels []uint8) ([]Picture, error) {
	if want := m.InputShape().Size(); len(pixels) != want {
		return nil, errors.Errorf("images of %d pixels, the model takes %d (shape %v)", len(pixels), want, m.InputShape())
	}
	return featureMaps(m, datasets.PixelsToFloat32(pixels, nil))
}

// featureMaps is FeatureMaps of one example's input values.
func featureMaps(m *graph.Model, x []float32) ([]Picture, error) {
	acts, err := m.Activations(x, 1)
	if err != nil {
		return nil, err
	}
	var pics []Picture
	for i := 0; i < len(acts); i++ {
		a := acts[i]
		if len(a.Output) != 3 || a.Params == 0 || a.Container {
			continue
		}
		name, shown, after := a.Path, a, []string(nil)
		for i+1 < len(acts) && follows(acts[i+1], a) {
			i++ // a BatchNorm shown after its convolution gets no picture of its own
			shown, after = acts[i], append(after, acts[i].Kind)
		}
		c, h, w := shown.Output[0], shown.Output[1], shown.Output[2]
		img, err := viz.Activations(shown.Values, c, h, w, max(1, 84/h), min(c, 8))
		if err != nil {
			return nil, errors.Wrap(err, name)
		}
		caption := fmt.Sprintf("%s: %d maps of %dx%d", name, c, h, w)
		if len(after) > 0 {
			caption = fmt.Sprintf("%s after %s: %d maps of %dx%d", name, strings.Join(after, ", "), c, h, w)
		}
		if img, err = titled(img, caption, viz.ColorBar{Scale: viz.ScaleGrey, Min: 0, Max: 1, MinText: "min", MaxText: "max", Label: "each map"}); err != nil {
			return nil, errors.Wrap(err, name)
		}
		pics = append(pics, Picture{Name: name, Caption: caption, Image: img})
	}
	return pics, nil
}

// follows says whether b is a shape-keeping layer (a nonlinearity, a
// BatchNorm) applied right after a convolution a, whose maps are best
// shown after it.
func follows(b, a graph.Activation) bool {
	if b.Container || b.Output.String() != a.Output.String() {
		return false
	}
	return b.Params == 0 && !strings.HasPrefix(b.Kind, "Dropout") || strings.HasPrefix(b.Kind, "BatchNorm")
}

// Digit draws an image of pixels, rows x cols, enlarged cell times.
func Digit(pixels []uint8, rows, cols, cell int) (image.Image, error) {
	return viz.Gray(datasets.PixelsToFloat64(pixels, nil), rows, cols, cell)
}

// inputImage draws a model's input image, gray or RGB, enlarged to about
// 112 pixels.
func inputImage(pixels []uint8, in Input) (image.Image, error) {
	cell := max(1, 112/max(in.Rows, in.Cols))
	if in.Channels == 3 {
		return viz.RGB(datasets.PixelsToFloat64(pixels, nil), in.Rows, in.Cols, cell)
	}
	return Digit(pixels, in.Rows, in.Cols, cell)
}

// Curves draws a history as two plots side by side: the training and
// validation loss, and the training and validation accuracy, per epoch.
// Partial epochs are left out.
func Curves(title string, h []graph.EpochInfo) (image.Image, error) {
	var x, tl, vl, ta, va []float64
	for _, e := range h {
		if e.Partial {
			continue
		}
		x = append(x, float64(e.Epoch))
		tl, ta = append(tl, e.TrainLoss), append(ta, 100*e.TrainAccuracy)
		if e.ValN > 0 {
			vl, va = append(vl, e.ValLoss), append(va, 100*e.ValAccuracy)
		}
	}
	if len(x) == 0 {
		return nil, errors.New("curves: no complete epoch in the history")
	}
	loss := []viz.Series{{Name: "training", X: x, Y: tl}}
	acc := []viz.Series{{Name: "training", X: x, Y: ta}}
	if len(vl) == len(x) {
		loss = append(loss, viz.Series{Name: "validation", X: x, Y: vl})
		acc = append(acc, viz.Series{Name: "validation", X: x, Y: va})
	}
	left, err := viz.Curves(title+": loss", "epoch", "cross-entropy", 480, 360, loss...)
	if err != nil {
		return nil, err
	}
	right, err := viz.Curves(title+": accuracy", "epoch", "accuracy (%)", 480, 360, acc...)
	if err != nil {
		return nil, err
	}
	return viz.Grid([]image.Image{left, right}, 2, 0, nil)
}

// ConfusionImage draws an evaluation's confusion matrix.
func ConfusionImage(m graph.Metrics) (image.Image, error) {
	if m.Confusion == nil {
		return nil, errors.New("confusion matrix: the loss does not classify")
	}
	return viz.ConfusionMatrix(m.Confusion, nil, 36)
}
