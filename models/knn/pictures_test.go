package knn

import (
	"testing"

	"github.com/featlearn/featlearn/datasets"
)

func TestPictures(t *testing.T) {
	p, err := datasets.Moons(30, 0.2, 1)
	if err != nil {
		t.Fatal(err)
	}
	img, err := FeatureSpace(p, []int{5}, 64)
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() < 3*64 || b.Dy() < 64 {
		t.Errorf("feature space %v: want three 64-pixel panels side by side", b)
	}
	cv, err := CrossValidate(p.Float32s(), 2, p.Labels, []int{1, 3}, 3, 1)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := CVPicture(cv); err != nil {
		t.Error(err)
	}
	if _, err := CurvesPicture(&Curves{Ks: []int{1, 3}, Train: []float64{0, 0.1}, Val: []float64{0.2, 0.1}, Test: []float64{0.2, 0.15}}); err != nil {
		t.Error(err)
	}
	conf := make([][]int, 10)
	for i := range conf {
		conf[i] = make([]int, 10)
		conf[i][i] = 5
	}
	if _, err := ConfusionPicture(&Result{Confusion: conf}); err != nil {
		t.Error(err)
	}
	if _, err := FeatureSpace(&datasets.Points{}, nil, 64); err == nil {
		t.Error("no points: no error")
	}
	if _, err := CVPicture(nil); err == nil {
		t.Error("no CV result: no error")
	}
	if _, err := CurvesPicture(nil); err == nil {
		t.Error("no curves: no error")
	}
	if _, err := ConfusionPicture(&Result{}); err == nil {
		t.Error("no confusion matrix: no error")
	}
}

// TestFigures draws the page's pictures from a small run.
func TestFigures(t *testing.T) {
	if testing.Short() {
		t.Skip("MNIST pictures skipped under -short")
	}
	m := loadMNIST(t)
	cfg := DefaultConfig()
	cfg.CVSize, cfg.TrainLimit, cfg.TestLimit = 1000, 5000, 500
	r, err := Run(m.Train, m.Test, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	figs, err := Figures(m.Train, m.Test, r, 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(figs) != 4 {
		t.Errorf("%d figures, want 4", len(figs))
	}
	if s := r.Format(); len(s) == 0 {
		t.Error("empty report")
	}
}
