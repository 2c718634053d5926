package knn

import (
	"fmt"
	"image"
	"io"

	"github.com/pkg/errors"

	"github.com/featlearn/featlearn/datasets"
	"github.com/featlearn/featlearn/models/linear"
	"github.com/featlearn/featlearn/viz"
)

// FeatureSpace draws two classes of points in the plane with the decision
// regions of the nearest-neighbour rule, of the k-NN vote for each k in
// ks, and of a linear classifier trained through the graph, side by side,
// each size pixels square.
func FeatureSpace(p *datasets.Points, ks []int, size int) (image.Image, error) {
	if p == nil || p.N == 0 || p.Dim != 2 {
		return nil, errors.New("knn: feature space needs non-empty 2-D points")
	}
	c, err := New(p.Float32s(), 2, p.Labels)
	if err != nil {
		return nil, err
	}
	xs, ys := make([]float64, p.N), make([]float64, p.N)
	for i := range p.N {
		xs[i], ys[i] = p.Point(i)[0], p.Point(i)[1]
	}
	var tiles []image.Image
	var labels []string
	for _, k := range append([]int{1}, ks...) {
		img, err := viz.DecisionRegions(voter(c, k), xs, ys, p.Labels, size, [4]float64{})
		if err != nil {
			return nil, err
		}
		tiles = append(tiles, img)
		labels = append(labels, map[bool]string{true: "nearest neighbour", false: fmt.Sprintf("%d nearest neighbours", k)}[k == 1])
	}
	pl, err := linear.TrainPlane(p, linear.DefaultPlaneConfig())
	if err != nil {
		return nil, err
	}
	img, err := viz.DecisionRegions(pl.Classify, xs, ys, p.Labels, size, [4]float64{})
	if err != nil {
		return nil, err
	}
	return viz.Grid(append(tiles, img), len(tiles)+1, 8, append(labels, "linear classifier"))
}

// voter returns the k-NN rule of c as a function of a point in the plane.
func voter(c *Classifier, k int) func(x, y float64) int {
	return func(x, y float64) int {
		p, err := c.Predict([]float32{float32(x), float32(y)}, 1, k)
		if err != nil {
			return -1
		}
		return p[0]
	}
}

// CVPicture draws the cross-validation error against k: the error over
// all held-out examples and, at each k, the lowest and highest error of a
// single fold.
func CVPicture(cv *CVResult) (image.Image, error) {
	if cv == nil || len(cv.Ks) == 0 || len(cv.FoldErrors) == 0 || len(cv.Mean) != len(cv.Ks) {
		return nil, errors.New("knn: empty or inconsistent cross-validation result")
	}
	for f, errs := range cv.FoldErrors {
		if len(errs) != len(cv.Ks) {
			return nil, errors.Errorf("knn: fold %d has %d errors for %d values of k", f, len(errs), len(cv.Ks))
		}
	}
	x := floats(cv.Ks)
	lo, hi := make([]float64, len(x)), make([]float64, len(x))
	for j := range x {
		lo[j], hi[j] = cv.FoldErrors[0][j], cv.FoldErrors[0][j]
		for _, f := range cv.FoldErrors {
			lo[j], hi[j] = min(lo[j], f[j]), max(hi[j], f[j])
		}
	}
	title := fmt.Sprintf("%d-fold cross-validation on %d training images: k = %d", cv.Folds, cv.N, cv.Best)
	return viz.Curves(title, "k (neighbours voting)", "error", 640, 400,
		viz.Series{Name: "cross-validation error", X: x, Y: cv.Mean},
		viz.Series{Name: "lowest fold", X: x, Y: lo},
		viz.Series{Name: "highest fold", X: x, Y: hi})
}

// CurvesPicture draws the training, validation and test error against k.
func CurvesPicture(c *Curves) (image.Image, error) {
	if c == nil || len(c.Ks) == 0 {
		return nil, errors.New("knn: empty error curves")
	}
	x := floats(c.Ks)
	return viz.Curves("k-NN: capacity falls as k grows", "k (neighbours voting)", "error", 640, 400,
		viz.Series{Name: "training", X: x, Y: c.Train},
		viz.Series{Name: "validation", X: x, Y: c.Val},
		viz.Series{Name: "test", X: x, Y: c.Test})
}

// ConfusionPicture draws the test confusion matrix of a Run.
func ConfusionPicture(r *Result) (image.Image, error) {
	if r == nil || r.Confusion == nil {
		return nil, errors.New("knn: no confusion matrix")
	}
	return viz.ConfusionMatrix(r.Confusion, nil, 40)
}

func floats(v []int) []float64 {
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = float64(x)
	}
	return out
}

// Figures draws the pictures of the k-NN page from a Run on train and
// test: the decision regions on two moons, the cross-validation curve, the
// training, validation and test error against k, and the test confusion
// matrix. seed fixes the moons and the curves' samples.
func Figures(train, test *datasets.Set, r *Result, seed uint64, progress io.Writer) ([]viz.Figure, error) {
	var figs []viz.Figure
	add := func(name string, img image.Image, err error) error {
		if err != nil {
			return errors.Wrap(err, name)
		}
		figs = append(figs, viz.Figure{Name: name, Image: img})
		return nil
	}
	moons, err := datasets.Moons(100, 0.25, seed)
	if err != nil {
		return nil, err
	}
	img, err := FeatureSpace(moons, []int{15}, 300)
	if err := add("knn-featurespace.png", img, err); err != nil {
		return nil, err
	}
	img, err = CVPicture(r.CV)
	if err := add("knn-cv.png", img, err); err != nil {
		return nil, err
	}
	img, err = ConfusionPicture(r)
	if err := add("knn-confusion.png", img, err); err != nil {
		return nil, err
	}
	cfg := DefaultCurveConfig()
	cfg.Seed = seed
	logf(progress, "knn: error curves on %d training, %d validation and %d test images", cfg.Train, cfg.Val, cfg.Test)
	curves, err := ErrorCurves(train, test, cfg)
	if err != nil {
		return nil, err
	}
	img, err = CurvesPicture(curves)
	if err := add("knn-curves.png", img, err); err != nil {
		return nil, err
	}
	return figs, nil
}
