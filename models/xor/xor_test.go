package xor

import (
	"testing"

	"github.com/featlearn/featlearn/graph"
)

// checkGate asserts a gate's outputs round to want and are within 0.01 of 0 or 1.
func checkGate(t *testing.T, name string, build func() (*graph.Model, error), want []float64) {
	t.Helper()
	m, err := build()
	if err != nil {
		t.Fatal(err)
	}
	_, out, err := TruthTable(m)
	if err != nil {
		t.Fatal(err)
	}
	for i, o := range out {
		if d := o - want[i]; d > 0.01 || d < -0.01 {
			t.Errorf("%s row %d: %.5f, want %v", name, i, o, want[i])
		}
	}
}

func TestGates(t *testing.T) {
	checkGate(t, "AND", AND, []float64{0, 0, 0, 1})
	checkGate(t, "OR", OR, []float64{0, 1, 1, 1})
	checkGate(t, "NOR", NOR, []float64{1, 0, 0, 0})
	checkGate(t, "NOT", NOT, []float64{1, 0})
	checkGate(t, "XNOR", XNOR, []float64{1, 0, 0, 1})
}

func TestLearnDefaultSeed(t *testing.T) {
	l, err := Learn(DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	if l.Accuracy != 1 {
		t.Fatalf("default seed: accuracy %v, loss %v", l.Accuracy, l.Loss)
	}
}

func TestLearnMostSeeds(t *testing.T) {
	solved := 0
	for seed := uint64(0); seed < 10; seed++ {
		cfg := DefaultConfig()
		cfg.Seed = seed
		l, err := Learn(cfg)
		if err != nil {
			t.Fatal(err)
		}
		if l.Accuracy == 1 {
			solved++
		} else {
			t.Logf("seed %d: accuracy %v loss %.4f", seed, l.Accuracy, l.Loss)
		}
	}
	if solved < 9 {
		t.Fatalf("%d of seeds 0..9 learned XOR, want at least 9", solved)
	}
}

func TestLearnRejectsBadConfig(t *testing.T) {
	if _, err := Learn(Config{Hidden: 1, Steps: 10, LR: 0.1}); err == nil {
		t.Error("one hidden unit accepted")
	}
}
