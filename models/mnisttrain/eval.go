package mnisttrain

import (
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/pkg/errors"

	"github.com/featlearn/featlearn/datasets"
	"github.com/featlearn/featlearn/graph"
)

// Evaluation is a classifier's record on a labelled set.
type Evaluation struct {
	N        int
	Loss     float64 // mean cross-entropy
	Accuracy float64
	// Confusion[t][p] counts the examples of true class t predicted as p.
	Confusion [][]int
}

// Evaluate runs the model over every example of s, in batches of
// EvalBatch, and returns its loss, accuracy and confusion matrix.
func Evaluate(m *graph.Model, s *datasets.Set) (*Evaluation, error) {
	if m == nil || s == nil || s.N == 0 {
		return nil, errors.New("evaluate: need a model and a non-empty set")
	}
	if err := checkInput(m, s.Size()); err != nil {
		return nil, err
	}
	classes := m.OutputShape().Size()
	ev := &Evaluation{N: s.N, Confusion: make([][]int, classes)}
	for i := range ev.Confusion {
		ev.Confusion[i] = make([]int, classes)
	}
	var x []float32
	idx := make([]int, 0, EvalBatch)
	right, lossSum := 0, 0.0
	for lo := 0; lo < s.N; lo += EvalBatch {
		idx = idx[:0]
		for i := lo; i < min(lo+EvalBatch, s.N); i++ {
			idx = append(idx, i)
		}
		x = s.Float32Batch(idx, x)
		out, err := m.Predict(x, len(idx), EvalBatch)
		if err != nil {
			return nil, err
		}
		for j, i := range idx {
			logits, label := out[j*classes:(j+1)*classes], s.Label(i)
			if label >= classes {
				return nil, errors.Errorf("evaluate: example %d has label %d, the model has %d classes", i, label, classes)
			}
			p := graph.Argmax(logits)
			ev.Confusion[label][p]++
			if p == label {
				right++
			}
			lossSum -= logSoftmax(logits, label)
		}
	}
	ev.Loss, ev.Accuracy = lossSum/float64(s.N), float64(right)/float64(s.N)
	return ev, nil
}

// checkInput refuses a set whose images do not fit the model.
func checkInput(m *graph.Model, size int) error {
	if want := m.InputShape().Size(); size != want {
		return errors.Errorf("images of %d pixels, the model takes %d (shape %v)", size, want, m.InputShape())
	}
	return nil
}

// logSoftmax returns log softmax(logits)[k], computed stably.
func logSoftmax(logits []float64, k int) float64 {
	mx := logits[graph.Argmax(logits)]
	sum := 0.0
	for _, v := range logits {
		sum += math.Exp(v - mx)
	}
	return logits[k] - mx - math.Log(sum)
}

// PerClass returns the accuracy on each true class (NaN for a class with
// no examples).
func (e *Evaluation) PerClass() []float64 {
	acc := make([]float64, len(e.Confusion))
	for t, row := range e.Confusion {
		n := 0
		for _, c := range row {
			n += c
		}
		acc[t] = math.NaN()
		if n > 0 {
			acc[t] = float64(row[t]) / float64(n)
		}
	}
	return acc
}

// Format renders the accuracy, the per-class accuracy and the confusion
// matrix (rows: true class, columns: predicted class) as text.
func (e *Evaluation) Format() string {
	var b strings.Builder
	fmt.Fprintf(&b, "accuracy %.2f%% (%d of %d right), loss %.4f\n\n", 100*e.Accuracy, int(math.Round(e.Accuracy*float64(e.N))), e.N, e.Loss)
	b.WriteString("per-class accuracy:\n")
	for c, a := range e.PerClass() {
		fmt.Fprintf(&b, "  %d: %6.2f%%\n", c, 100*a)
	}
	b.WriteString("\nconfusion matrix (rows: true class, columns: predicted):\n      ")
	for p := range e.Confusion {
		fmt.Fprintf(&b, "%6d", p)
	}
	b.WriteString("\n")
	for t, row := range e.Confusion {
		fmt.Fprintf(&b, "%6d", t)
		for _, c := range row {
			fmt.Fprintf(&b, "%6d", c)
		}
		b.WriteString("\n")
	}
	return b.String()
}

// Guess is one class with its probability.
type Guess struct {
	Class int
	Prob  float64
}

// Probabilities runs the model on one image of pixels (0 background, 255
// ink, as datasets.ReadDigitFile returns) and returns the softmax of its
// logits.
func Probabilities(m *graph.Model, pixels []uint8) ([]float64, error) {
	if err := checkInput(m, len(pixels)); err != nil {
		return nil, err
	}
	logits, err := m.Predict(datasets.PixelsToFloat32(pixels, nil), 1, 1)
	if err != nil {
		return nil, err
	}
	return Softmax(logits), nil
}

// Softmax returns exp(v_i)/Σ exp(v_j), computed stably.
func Softmax(v []float64) []float64 {
	out := make([]float64, len(v))
	if len(v) == 0 {
		return out
	}
	mx, sum := v[graph.Argmax(v)], 0.0
	for i, x := range v {
		out[i] = math.Exp(x - mx)
		sum += out[i]
	}
	for i := range out {
		out[i] /= sum
	}
	return out
}

// TopK returns the k most probable classes, most probable first.
func TopK(probs []float64, k int) []Guess {
	g := make([]Guess, len(probs))
	for c, p := range probs {
		g[c] = Guess{c, p}
	}
	sort.SliceStable(g, func(i, j int) bool { return g[i].Prob > g[j].Prob })
	return g[:min(k, len(g))]
}
