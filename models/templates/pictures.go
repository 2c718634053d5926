package templates

import (
	"fmt"
	"image"

	"github.com/pkg/errors"

	"github.com/featlearn/featlearn/datasets"
	"github.com/featlearn/featlearn/viz"
)

// digitLabels are the names of the ten maps.
var digitLabels = []string{"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"}

// WeightsPicture draws ten templates of rows x cols weights, five to a row:
// Hinton diagrams (a white blob for a positive weight, black for a
// negative one, its area the magnitude) when hinton is set, heat maps
// with a colour bar otherwise. cell is the side of one weight in pixels.
func WeightsPicture(w [][]float64, rows, cols, cell int, hinton bool) (image.Image, error) {
	if len(w) != datasets.Classes {
		return nil, errors.Errorf("templates: %d templates, want %d", len(w), datasets.Classes)
	}
	img, err := viz.WeightMaps(w, rows, cols, 5, cell, hinton, digitLabels)
	if err != nil || hinton {
		return img, err
	}
	s := 0.0
	for _, t := range w {
		for _, v := range t {
			s = max(s, v, -v)
		}
	}
	return viz.WithColorBar(img, viz.ColorBar{Scale: viz.ScaleDiverging, Min: -s, Max: s, Label: "weight"})
}

// SnapshotImages draws the network after each recorded training image:
// the binarised image shown, then the ten templates after its update, in
// one row, all on the scale of the largest weight. A notebook can show
// them one after another to watch the network learn.
func (r *Result) SnapshotImages(train *datasets.Set, threshold uint8, cell int, hinton bool) ([]image.Image, error) {
	if train == nil {
		return nil, errors.New("templates: no training set")
	}
	out := make([]image.Image, 0, len(r.Snapshots))
	labels := append([]string{"image"}, digitLabels...)
	for _, s := range r.Snapshots {
		if s.Index < 0 || s.Index >= train.N {
			return nil, errors.Errorf("templates: snapshot image %d is not in a training set of %d", s.Index, train.N)
		}
		maps := append([][]float64{binarised(train.Pixels(s.Index), threshold)}, s.Weights...)
		img, err := viz.WeightMaps(maps, r.Rows, r.Cols, len(maps), cell, hinton, labels)
		if err != nil {
			return nil, err
		}
		out = append(out, img)
	}
	return out, nil
}

// LearningPicture stacks SnapshotImages, each captioned with the step, the
// image's class and the guess that decided the update.
func (r *Result) LearningPicture(train *datasets.Set, threshold uint8, cell int, hinton bool) (image.Image, error) {
	imgs, err := r.SnapshotImages(train, threshold, cell, hinton)
	if err != nil {
		return nil, err
	}
	if len(imgs) == 0 {
		return nil, errors.New("templates: no snapshots recorded")
	}
	captions := make([]string, len(imgs))
	for i, s := range r.Snapshots {
		captions[i] = fmt.Sprintf("after image %d: a %d, guessed %d", s.Step, s.Label, s.Guess)
		if s.Label == s.Guess {
			captions[i] += " (right: no change)"
		} else {
			captions[i] += fmt.Sprintf(" (+1 to %d, -1 to %d where it has ink)", s.Label, s.Guess)
		}
	}
	return viz.Grid(imgs, 1, 6, captions)
}

// binarised returns 1 where a pixel is ink and 0 elsewhere.
func binarised(pixels []uint8, threshold uint8) []float64 {
	out := make([]float64, len(pixels))
	for i, p := range pixels {
		if p >= threshold {
			out[i] = 1
		}
	}
	return out
}

// Figures draws the pictures of the template page: the network learning
// over its first training images and its final templates, each as Hinton
// diagrams and as heat maps. train and threshold must be those r was
// trained with.
func (r *Result) Figures(train *datasets.Set, threshold uint8) ([]viz.Figure, error) {
	var figs []viz.Figure
	for _, f := range []struct {
		name   string
		hinton bool
		final  bool
	}{
		{"templates-learning.png", true, false}, {"templates-learning-heatmap.png", false, false},
		{"templates-hinton.png", true, true}, {"templates-heatmap.png", false, true},
	} {
		var img image.Image
		var err error
		if f.final {
			img, err = WeightsPicture(Templates(r.Model), r.Rows, r.Cols, 5, f.hinton)
		} else {
			img, err = r.LearningPicture(train, threshold, 3, f.hinton)
		}
		if err != nil {
			return nil, errors.Wrap(err, f.name)
		}
		figs = append(figs, viz.Figure{Name: f.name, Image: img})
	}
	return figs, nil
}
