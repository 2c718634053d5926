package graph

import (
	"math/rand/v2"
	"testing"
)

// handPerceptron applies the perceptron rule to w (classes rows of len(x)):
// on a wrong guess, add x to the true class's row and subtract it from the
// guessed class's row. It returns the guess.
func handPerceptron(w []float64, x []float32, label int) int {
	in := len(x)
	scores := make([]float64, len(w)/in)
	for c := range scores {
		for i, v := range x {
			scores[c] += w[c*in+i] * float64(v)
		}
	}
	guess := Argmax(scores)
	if guess != label {
		for i, v := range x {
			w[label*in+i] += float64(v)
			w[guess*in+i] -= float64(v)
		}
	}
	return guess
}

// TestPerceptronStepIsThePerceptronRule trains a bias-free Dense layer by
// G.Grad, the TapeMachine and SGD at rate 1, one example per step, and
// checks every weight against the rule applied by hand after every step,
// in float64 and float32.
func TestPerceptronStepIsThePerceptronRule(t *testing.T) {
	for _, opts := range [][]ModelOption{{Float64()}, nil} {
		const in, classes = 6, 4
		m, err := NewModel(Sequential("p", Dense("fc", classes, NoBias())), []int{in}, 3, opts...)
		if err != nil {
			t.Fatal(err)
		}
		tr, err := NewTrainer(m, Perceptron{}, &SGD{LR: 1})
		if err != nil {
			t.Fatal(err)
		}
		hand := m.Param("fc.weight").Float64s()
		rng := rand.New(rand.NewPCG(5, 5))
		wrong := 0
		for step := range 40 {
			x := make([]float32, in)
			for i := range x {
				x[i] = float32(rng.IntN(2))
			}
			label := rng.IntN(classes)
			right := 0
			if handPerceptron(hand, x, label) == label {
				right = 1
			} else {
				wrong++
			}
			res, err := tr.TrainBatch(x, []float32{float32(label)}, 1)
			if err != nil {
				t.Fatal(err)
			}
			if res.Correct != right {
				t.Fatalf("step %d: the graph's guess was right %d times, the rule's %d", step+1, res.Correct, right)
			}
			got := m.Param("fc.weight").Float64s()
			for i := range got {
				if d := got[i] - hand[i]; d > 1e-5 || d < -1e-5 {
					t.Fatalf("step %d: weight %d is %v, the rule gives %v", step+1, i, got[i], hand[i])
				}
			}
		}
		if wrong < 5 {
			t.Errorf("only %d wrong guesses in 40 steps: the test exercised few updates", wrong)
		}
	}
}
