package linear

import (
	"testing"
)

func TestPictures(t *testing.T) {
	m := loadMNIST(t)
	cfg := DefaultConfig()
	cfg.Epochs, cfg.TrainLimit, cfg.TestLimit = 1, 1000, 100
	r, err := Train(m.Train, m.Test, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, hinton := range []bool{true, false} {
		img, err := WeightsPicture(r.Model, 28, 28, 2, hinton)
		if err != nil {
			t.Fatal(err)
		}
		if b := img.Bounds(); b.Dx() < 5*56 || b.Dy() < 2*56 {
			t.Errorf("weights picture %v: want two rows of five 56-pixel maps", b)
		}
	}
	bin, err := Binary(m.Train, m.Test, 4, 9, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := DiscriminantPicture(bin, 28, 28, 2, true); err != nil {
		t.Error(err)
	}
	c := &Curve{Epochs: []int{1, 2}, TrainError: []float64{0.2, 0.1}, ValError: []float64{0.3, 0.2}, TestError: []float64{0.3, 0.25},
		TrainLoss: []float64{1, 0.5}, ValLoss: []float64{1.1, 0.9}, TestLoss: []float64{1.1, 0.95}}
	if _, err := OverfitPicture(c, 10); err != nil {
		t.Error(err)
	}
	d := &DecayCV{Decays: []float64{0, 0.01, 0.1}, Mean: []float64{0.2, 0.18, 0.3}, FoldErrors: [][]float64{{0.2, 0.18, 0.3}}, Best: 0.01}
	if _, err := DecayPicture(d); err != nil {
		t.Error(err)
	}
	if _, err := DiscriminantPicture(nil, 28, 28, 2, true); err == nil {
		t.Error("no classifier: no error")
	}
	if _, err := OverfitPicture(nil, 10); err == nil {
		t.Error("no curves: no error")
	}
	if _, err := DecayPicture(nil); err == nil {
		t.Error("no CV result: no error")
	}
	if r.Format() == "" || bin.Format() == "" {
		t.Error("empty report")
	}
}

// TestFigures draws the page's pictures, running the over-fitting and
// weight-decay experiments they show.
func TestFigures(t *testing.T) {
	if testing.Short() {
		t.Skip("MNIST pictures skipped under -short")
	}
	m := loadMNIST(t)
	cfg := DefaultConfig()
	cfg.Epochs, cfg.TrainLimit, cfg.TestLimit = 1, 1000, 100
	r, err := Train(m.Train, m.Test, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	bin, err := Binary(m.Train, m.Test, 2, 3, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	figs, err := Figures(m.Train, m.Test, r, bin, 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(figs) != 5 || figs[2].Name != "linear-2v3.png" {
		t.Errorf("%d figures (third %q), want 5 with linear-2v3.png third", len(figs), figs[2].Name)
	}
}
