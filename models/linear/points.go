package linear

import (
	"github.com/pkg/errors"

	"github.com/featlearn/featlearn/datasets"
	"github.com/featlearn/featlearn/graph"
)

// Plane is a linear classifier of points in the plane, for feature-space
// pictures: its decision boundaries are straight lines.
type Plane struct {
	Model   *graph.Model
	w, b    []float64
	classes int
}

// DefaultPlaneConfig trains a plane classifier for 200 full passes in
// batches of 20.
func DefaultPlaneConfig() Config {
	return Config{Epochs: 200, BatchSize: 20, LR: 0.1, Momentum: 0.9, Seed: 1}
}

// TrainPlane trains softmax regression on 2-D points through the graph.
func TrainPlane(p *datasets.Points, cfg Config) (*Plane, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	if p == nil || p.N == 0 || p.Dim != 2 {
		return nil, errors.New("linear: plane classifier needs non-empty 2-D points")
	}
	classes := 0
	for _, l := range p.Labels {
		if l < 0 {
			return nil, errors.Errorf("linear: negative label %d", l)
		}
		classes = max(classes, l+1)
	}
	m, err := New(2, max(classes, 2))
	if err != nil {
		return nil, err
	}
	data, err := graph.NewArrays(p.Float32s(), 2, p.LabelsFloat32(), 1)
	if err != nil {
		return nil, err
	}
	if _, err := fit(m, data, nil, cfg, nil); err != nil {
		return nil, err
	}
	return &Plane{Model: m, w: m.Param("linear.weight").Float64s(), b: m.Param("linear.bias").Float64s(), classes: max(classes, 2)}, nil
}

// Classify returns the class of highest score at (x, y). It reads the
// trained weights directly: a picture asks for every pixel, and running
// the graph once a pixel would cost far more than the two multiplications.
func (pl *Plane) Classify(x, y float64) int {
	best, bestScore := 0, 0.0
	for c := range pl.classes {
		s := pl.w[2*c]*x + pl.w[2*c+1]*y + pl.b[c]
		if c == 0 || s > bestScore {
			best, bestScore = c, s
		}
	}
	return best
}

// ErrorRate returns the fraction of p the classifier gets wrong.
func (pl *Plane) ErrorRate(p *datasets.Points) float64 {
	wrong := 0
	for i := range p.N {
		pt := p.Point(i)
		if pl.Classify(pt[0], pt[1]) != p.Labels[i] {
			wrong++
		}
	}
	return float64(wrong) / float64(max(p.N, 1))
}
