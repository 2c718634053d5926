package linear

import (
	"fmt"
	"image"
	"io"
	"math"

	"github.com/pkg/errors"

	"github.com/featlearn/featlearn/datasets"
	"github.com/featlearn/featlearn/graph"
	"github.com/featlearn/featlearn/viz"
)

// Templates returns the weights of a linear classifier of 28x28 images
// (or any images) one vector per class.
func Templates(m *graph.Model) ([][]float64, error) {
	if m == nil {
		return nil, errors.New("linear: no model")
	}
	p := m.Param("linear.weight")
	if p == nil {
		return nil, errors.New("linear: the model has no linear.weight")
	}
	w, shape := p.Float64s(), p.Shape()
	out := make([][]float64, shape[0])
	for c := range out {
		out[c] = w[c*shape[1] : (c+1)*shape[1] : (c+1)*shape[1]]
	}
	return out, nil
}

// WeightsPicture draws the weights of a linear classifier of rows x cols
// images, one map per class, five to a row: Hinton diagrams (white blobs
// for positive weights, black for negative, area for magnitude) when
// hinton is set, heat maps otherwise. cell is the side of a weight in
// pixels.
func WeightsPicture(m *graph.Model, rows, cols, cell int, hinton bool) (image.Image, error) {
	w, err := Templates(m)
	if err != nil {
		return nil, err
	}
	labels := make([]string, len(w))
	for c := range labels {
		labels[c] = fmt.Sprint(c)
	}
	return viz.WeightMaps(w, rows, cols, 5, cell, hinton, labels)
}

// DiscriminantPicture draws the weights of b minus those of a of a binary
// classifier: where a pixel's ink pushes towards b (white in a Hinton
// diagram) or towards a (black).
func DiscriminantPicture(r *BinaryResult, rows, cols, cell int, hinton bool) (image.Image, error) {
	if r == nil || r.Model == nil || r.Model.Param("linear.weight") == nil {
		return nil, errors.New("linear: no binary classifier")
	}
	label := fmt.Sprintf("ink here says %d (white) or %d (black)", r.B, r.A)
	return viz.WeightMaps([][]float64{r.Discriminant()}, rows, cols, 1, cell, hinton, []string{label})
}

// OverfitPicture draws the over-fitting curves: error and cross-entropy
// on the training, validation and test images against the epoch.
func OverfitPicture(c *Curve, train int) (image.Image, error) {
	if c == nil || len(c.Epochs) == 0 {
		return nil, errors.New("linear: empty curves")
	}
	x := make([]float64, len(c.Epochs))
	for i, e := range c.Epochs {
		x[i] = float64(e)
	}
	title := fmt.Sprintf("softmax regression on %d images", train)
	errImg, err := viz.Curves(title+": error", "epoch", "error", 560, 380,
		viz.Series{Name: "training", X: x, Y: c.TrainError},
		viz.Series{Name: "validation", X: x, Y: c.ValError},
		viz.Series{Name: "test", X: x, Y: c.TestError})
	if err != nil {
		return nil, err
	}
	lossImg, err := viz.Curves(title+": loss", "epoch", "cross-entropy", 560, 380,
		viz.Series{Name: "training", X: x, Y: c.TrainLoss},
		viz.Series{Name: "validation", X: x, Y: c.ValLoss},
		viz.Series{Name: "test", X: x, Y: c.TestLoss})
	if err != nil {
		return nil, err
	}
	return viz.Grid([]image.Image{errImg, lossImg}, 2, 4, nil)
}

// DecayPicture draws the cross-validation error against log10 of the
// weight decay; a decay of 0, which has no logarithm, is drawn one decade
// left of the smallest positive one.
func DecayPicture(r *DecayCV) (image.Image, error) {
	if r == nil || len(r.Decays) == 0 || len(r.FoldErrors) == 0 {
		return nil, errors.New("linear: empty cross-validation result")
	}
	smallest := math.Inf(1)
	for _, d := range r.Decays {
		if d > 0 {
			smallest = min(smallest, d)
		}
	}
	x := make([]float64, len(r.Decays))
	for i, d := range r.Decays {
		if d > 0 {
			x[i] = math.Log10(d)
		} else {
			x[i] = math.Log10(smallest) - 1
		}
	}
	title := fmt.Sprintf("%d-fold cross-validation: weight decay %g", len(r.FoldErrors), r.Best)
	return viz.Curves(title, "log10 weight decay (0 drawn a decade left)", "error", 640, 400,
		viz.Series{Name: "cross-validation error", X: x, Y: r.Mean})
}

// Figures draws the pictures of the linear-classifier page: the ten
// weight maps of r as Hinton diagrams and as heat maps, the discriminant
// of bin, the over-fitting curves and the weight-decay cross-validation
// curve (those two train their own small classifiers, seeded by seed).
func Figures(train, test *datasets.Set, r *Result, bin *BinaryResult, seed uint64, progress io.Writer) ([]viz.Figure, error) {
	var figs []viz.Figure
	add := func(name string, img image.Image, err error) error {
		if err != nil {
			return errors.Wrap(err, name)
		}
		figs = append(figs, viz.Figure{Name: name, Image: img})
		return nil
	}
	for _, h := range []struct {
		name   string
		hinton bool
	}{{"linear-hinton.png", true}, {"linear-heatmap.png", false}} {
		img, err := WeightsPicture(r.Model, train.Rows, train.Cols, 5, h.hinton)
		if err := add(h.name, img, err); err != nil {
			return nil, err
		}
	}
	img, err := DiscriminantPicture(bin, train.Rows, train.Cols, 8, true)
	if err := add(fmt.Sprintf("linear-%dv%d.png", bin.A, bin.B), img, err); err != nil {
		return nil, err
	}
	ocfg := DefaultOverfitConfig()
	ocfg.Seed = seed
	logf(progress, "linear: over-fitting curves on %d training images", ocfg.Train)
	c, err := OverfitCurves(train, test, ocfg)
	if err != nil {
		return nil, err
	}
	img, err = OverfitPicture(c, ocfg.Train)
	if err := add("linear-overfit.png", img, err); err != nil {
		return nil, err
	}
	dcfg := DefaultDecayConfig()
	dcfg.Seed = seed
	logf(progress, "linear: choosing the weight decay by %d-fold cross-validation on %d training images", dcfg.Folds, dcfg.Size)
	d, err := CrossValidateDecay(train, test, dcfg)
	if err != nil {
		return nil, err
	}
	logf(progress, "linear: weight decay %g chosen (CV errors %.4f), test error %.4f", d.Best, d.Mean, d.TestError)
	img, err = DecayPicture(d)
	if err := add("linear-decay.png", img, err); err != nil {
		return nil, err
	}
	return figs, nil
}
