package mnisttrain_test

import (
	"math"
	"strings"
	"testing"

	"github.com/featlearn/featlearn/graph"
	"github.com/featlearn/featlearn/models/lenet"
	"github.com/featlearn/featlearn/models/mlp"
	"github.com/featlearn/featlearn/models/mnistdata"
	"github.com/featlearn/featlearn/models/mnisttrain"
)

func TestEvaluateAgreesWithGraph(t *testing.T) {
	d := subset(t, 640, 1200) // 1200: two full evaluation batches and a partial one
	res := train(t, smallSpec(), recipe(""), d, mnisttrain.Hooks{})
	ev, err := mnisttrain.Evaluate(res.Model, d.Val)
	if err != nil {
		t.Fatal(err)
	}
	want, err := graph.Evaluate(res.Model, graph.CrossEntropy{}, mnistdata.Dataset(d.Val), 100)
	if err != nil {
		t.Fatal(err)
	}
	if ev.N != 1200 || ev.Accuracy != want.Accuracy || math.Abs(ev.Loss-want.Loss) > 1e-4 {
		t.Errorf("evaluation %d %.5f %.5f, graph says %d %.5f %.5f", ev.N, ev.Accuracy, ev.Loss, want.N, want.Accuracy, want.Loss)
	}
	total, right := 0, 0
	for c, row := range ev.Confusion {
		for p, n := range row {
			total += n
			if p == c {
				right += n
			}
		}
	}
	if total != 1200 || float64(right)/1200 != ev.Accuracy {
		t.Errorf("confusion holds %d examples, %d right", total, right)
	}
	for c, a := range ev.PerClass() {
		if !(a >= 0 && a <= 1) {
			t.Errorf("class %d accuracy %v", c, a)
		}
	}
	if s := ev.Format(); !strings.Contains(s, "per-class accuracy") || !strings.Contains(s, "of 1200 right") {
		t.Errorf("format:\n%s", s)
	}
}

func TestProbabilitiesAndTopK(t *testing.T) {
	m, err := lenet.New(1)
	if err != nil {
		t.Fatal(err)
	}
	probs, err := mnisttrain.Probabilities(m, realMNIST(t).Test.Pixels(0))
	if err != nil {
		t.Fatal(err)
	}
	sum := 0.0
	for _, p := range probs {
		sum += p
	}
	if len(probs) != 10 || math.Abs(sum-1) > 1e-9 {
		t.Fatalf("%d probabilities summing to %v", len(probs), sum)
	}
	top := mnisttrain.TopK(probs, 3)
	if len(top) != 3 || top[0].Prob < top[1].Prob || top[1].Prob < top[2].Prob || top[0].Class != graph.Argmax(probs) {
		t.Errorf("top 3: %+v", top)
	}
	if _, err := mnisttrain.Probabilities(m, make([]uint8, 100)); err == nil {
		t.Error("a 10x10 image accepted")
	}
	big := mnisttrain.Softmax([]float64{1000, 1000, -1000})
	if big[0] != 0.5 || big[1] != 0.5 || big[2] != 0 {
		t.Errorf("softmax of large logits: %v", big)
	}
}

func TestPictures(t *testing.T) {
	ln, err := lenet.New(1)
	if err != nil {
		t.Fatal(err)
	}
	img, err := mnisttrain.Filters(ln, 6, 0)
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() < 6*5*12 || b.Dy() < 5*12 {
		t.Errorf("lenet filters %v: want 6 tiles of 60x60 in a row", b)
	}
	maps, err := mnisttrain.FeatureMaps(ln, realMNIST(t).Test.Pixels(0))
	if err != nil {
		t.Fatal(err)
	}
	if len(maps) != 2 || maps[0].Caption != "conv1 after ReLU: 6 maps of 28x28" || maps[1].Caption != "conv2 after ReLU: 16 maps of 10x10" {
		t.Errorf("feature maps: %v", maps)
	}
	mp, err := mlp.New(1)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := mnisttrain.Filters(mp, 20, 50); err != nil {
		t.Error(err)
	}
	if maps, err := mnisttrain.FeatureMaps(mp, realMNIST(t).Test.Pixels(0)); err != nil || len(maps) != 0 {
		t.Errorf("mlp feature maps: %d, %v", len(maps), err)
	}
	h := []mnisttrain.Epoch{{Epoch: 1, TrainLoss: 0.5, TrainAccuracy: 0.8, ValLoss: 0.4, ValAccuracy: 0.85, ValN: 10},
		{Epoch: 2, TrainLoss: 0.3, TrainAccuracy: 0.9, ValLoss: 0.35, ValAccuracy: 0.88, ValN: 10}}
	if img, err := mnisttrain.Curves("test", h); err != nil || img.Bounds().Dx() != 960 {
		t.Errorf("curves: %v", err)
	}
	if _, err := mnisttrain.Curves("test", nil); err == nil {
		t.Error("curves of no epochs: no error")
	}
}
