package graph

import (
	"math"
	"strings"
	"testing"

	G "gorgonia.org/gorgonia"

	"github.com/featlearn/featlearn/ops"
)

// TestOneHotTargetsNameLossAndShapes gives cross-entropy one-hot targets,
// through Fit and through TrainBatch, and wants the loss and both shapes
// named instead of a buffer-size message.
func TestOneHotTargetsNameLossAndShapes(t *testing.T) {
	m := tinyNet(t, 1)
	x := tinyData(t).X
	onehot := make([]float32, 6*2)
	for i := 0; i < 6; i++ {
		onehot[2*i+i%2] = 1
	}
	data, err := NewArrays(x, 3, onehot, 2)
	if err != nil {
		t.Fatal(err)
	}
	tr, _ := NewTrainer(m, CrossEntropy{}, &SGD{LR: 0.1})
	_, err = tr.Fit(data, FitConfig{Epochs: 1, BatchSize: 2})
	for _, want := range []string{"cross-entropy", "[2]", "[]", "one-hot"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Fit: error %v, want one naming %q", err, want)
		}
	}
	if _, err := tr.TrainBatch(x[:6], onehot[:4], 2); err == nil || !strings.Contains(err.Error(), "cross-entropy") {
		t.Errorf("TrainBatch: error %v, want one naming the loss", err)
	}
	if _, err := Evaluate(m, CrossEntropy{}, data, 3); err == nil || !strings.Contains(err.Error(), "one-hot") {
		t.Errorf("Evaluate: error %v, want one naming the target shape", err)
	}
}

func TestLearningRateMustBePositive(t *testing.T) {
	m := tinyNet(t, 1)
	for _, lr := range []float64{0, -0.1, math.NaN(), math.Inf(1)} {
		if _, err := NewTrainer(m, CrossEntropy{}, &SGD{LR: lr}); err == nil || !strings.Contains(err.Error(), "learning rate") {
			t.Errorf("lr %v: error %v, want one naming the learning rate", lr, err)
		}
	}
}

// TestRunErrorsDropGorgoniaWrapping makes an op fail at run time (a label
// that is not a class) and wants the op's message without gorgonia's
// "Failed to carry" prefixes.
func TestRunErrorsDropGorgoniaWrapping(t *testing.T) {
	m := tinyNet(t, 1)
	tr, _ := NewTrainer(m, CrossEntropy{}, &SGD{LR: 0.1})
	_, err := tr.TrainBatch([]float32{0, 0, 0}, []float32{7}, 1)
	if err == nil || strings.Contains(err.Error(), "Failed to carry") || !strings.Contains(err.Error(), "label 7") {
		t.Fatalf("error %q, want the op's message about label 7 alone", err)
	}
}

// TestLayerMistakesNameTheLayer builds models with a custom layer's
// mistakes and wants each error to name the layer's path.
func TestLayerMistakesNameTheLayer(t *testing.T) {
	undeclared := Func("f", func(b *Block, x *G.Node) (*G.Node, error) {
		return x, nil
	})
	unused := &badLayer{name: "unused", declare: true}
	asksOther := &badLayer{name: "asks", ask: "other"}
	panics := &badLayer{name: "boom", panic: true}
	wrongShape := &badLayer{name: "shape", wrongShape: true}
	cases := []struct {
		layer Layer
		want  []string
	}{
		{Sequential("s", Dense("fc", 3), Residual("block1", unused)), []string{"block1.unused", "never uses"}},
		{Sequential("s", asksOther), []string{"asks", "asks.other", "did not declare"}},
		{Sequential("s", Residual("r", panics)), []string{"r.boom", "panicked"}},
		{Sequential("s", wrongShape), []string{"shape", "Setup gave output shape"}},
		{Sequential("s", Dense("fc", 3), Residual("r", Dense("fc", 4))), []string{"r", "body gives [4]", "shortcut [3]"}},
		{Sequential("s", undeclared, Dense("a.b", 2)), []string{"a.b", "no dots"}},
	}
	for _, c := range cases {
		_, err := NewModel(c.layer, []int{3}, 1)
		for _, w := range c.want {
			if err == nil || !strings.Contains(err.Error(), w) {
				t.Errorf("error %v, want one mentioning %q", err, w)
			}
		}
	}
}

// badLayer makes one of a custom layer's mistakes.
type badLayer struct {
	name                       string
	declare, panic, wrongShape bool
	ask                        string
}

func (l *badLayer) Name() string { return l.name }

func (l *badLayer) Setup(s *Scope, in Shape) (Shape, error) {
	if l.declare {
		if _, err := s.Param("weight", Shape{2}, Ones); err != nil {
			return nil, err
		}
	}
	return in, nil
}

func (l *badLayer) Forward(p *Pass, x *G.Node) (*G.Node, error) {
	switch {
	case l.panic:
		panic("oops")
	case l.ask != "":
		p.Param(l.ask)
	case l.wrongShape:
		return ops.Concat(1, x, x)
	}
	return x, nil
}
