package templates

import (
	"testing"
)

func TestPictures(t *testing.T) {
	m := loadMNIST(t)
	cfg := DefaultConfig()
	cfg.Epochs, cfg.TrainLimit, cfg.TestLimit, cfg.Snapshots = 1, 500, 100, 3
	r, err := Train(m.Train, m.Test, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	imgs, err := r.SnapshotImages(m.Train, cfg.Threshold, 2, true)
	if err != nil {
		t.Fatal(err)
	}
	if len(imgs) != 3 || imgs[0].Bounds().Dx() < 11*56 {
		t.Errorf("%d snapshot images, the first %v: want 3 rows of eleven 56-pixel maps", len(imgs), imgs[0].Bounds())
	}
	figs, err := r.Figures(m.Train, cfg.Threshold)
	if err != nil {
		t.Fatal(err)
	}
	if len(figs) != 4 {
		t.Errorf("%d figures, want 4", len(figs))
	}
	if _, err := WeightsPicture(Templates(r.Model)[:3], 28, 28, 2, true); err == nil {
		t.Error("three templates: no error")
	}
	if _, err := r.SnapshotImages(nil, 128, 2, true); err == nil {
		t.Error("no training set: no error")
	}
	if r.Format() == "" {
		t.Error("empty report")
	}
}
