package graph

import (
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/pkg/errors"
)

// evalKey identifies an evaluation program: a batch size and a loss.
type evalKey struct {
	batch int
	loss  string
}

// evalProgram returns the cached evaluation-mode program computing outputs
// and loss, without gradients, for a batch size.
func (m *Model) evalProgram(loss Loss, batch int) (tp *trainProgram, err error) {
	key := evalKey{batch, loss.Name()}
	if tp, ok := m.evals[key]; ok {
		return tp, nil
	}
	defer recoverTo(&err)
	p, err := m.newProgram(batch, false)
	if err != nil {
		return nil, err
	}
	tp = &trainProgram{Program: p}
	lossNode, err := tp.addLoss(loss, m)
	if err == nil {
		err = tp.captureLoss(lossNode, m)
	}
	if err != nil {
		return nil, err
	}
	p.compile()
	if m.evals == nil {
		m.evals = map[evalKey]*trainProgram{}
	}
	m.evals[key] = tp
	return tp, nil
}

// Evaluate runs the trainer's model over data in evaluation mode with its
// loss, in batches of at most batch examples (see Evaluate).
func (t *Trainer) Evaluate(data Dataset, batch int) (Metrics, error) {
	return Evaluate(t.model, t.loss, data, batch)
}

// Metrics summarises a model's outputs on a dataset.
type Metrics struct {
	Loss     float64 // mean loss per example
	Accuracy float64
	N        int
	// Confusion[t][p] counts the examples of true class t predicted as p,
	// for losses over class indices (CrossEntropy, Perceptron); nil for
	// others.
	Confusion [][]int
}

// classes returns the number of classes of a loss over class indices for a
// model output, or 0 when the loss's targets are not class indices.
func classes(loss Loss, out Shape) int {
	if len(loss.TargetShape(out)) == 0 && len(out) == 1 && out[0] > 1 {
		return out[0]
	}
	return 0
}

// Evaluate runs model in evaluation mode over data in batches of at most
// batch examples, in order and without changing the model, and returns
// the mean loss per example, the accuracy and, for classifiers, the
// confusion matrix. It is featlearn's one evaluator: Fit validates with
// it and the binaries test with it.
func Evaluate(model *Model, loss Loss, data Dataset, batch int) (Metrics, error) {
	if model == nil || loss == nil {
		return Metrics{}, errors.New("evaluate: need a model and a loss")
	}
	if err := checkData(model, loss, data, "evaluate"); err != nil {
		return Metrics{}, err
	}
	n := data.Len()
	if batch < 1 {
		return Metrics{}, errors.Errorf("evaluate: batch size %d", batch)
	}
	k := classes(loss, model.output)
	met := Metrics{N: n}
	if k > 0 {
		met.Confusion = make([][]int, k)
		for i := range met.Confusion {
			met.Confusion[i] = make([]int, k)
		}
	}
	b := newBatches(model.input.Size(), loss.TargetShape(model.output).Size(), batch)
	idx := make([]int, batch)
	var outs []float64
	var lossSum float64
	right := 0
	for lo := 0; lo < n; lo += batch {
		size := min(batch, n-lo)
		for i := range size {
			idx[i] = lo + i
		}
		x, y := b.fill(size)
		if err := data.Gather(idx[:size], x, y); err != nil {
			return Metrics{}, errors.Wrapf(err, "evaluate: examples %d..%d", lo, lo+size-1)
		}
		p, err := model.evalProgram(loss, size)
		if err != nil {
			return Metrics{}, err
		}
		setFloats(p.in, x)
		setFloats(p.target, y)
		if err := p.run(); err != nil {
			return Metrics{}, errors.Wrap(err, "evaluate")
		}
		outs = appendFloats(outs[:0], p.out)
		lossSum += first(p.loss) * float64(size)
		right += loss.Correct(outs, y, size)
		if err := met.count(outs, y, lo); err != nil {
			return Metrics{}, err
		}
	}
	met.Loss, met.Accuracy = lossSum/float64(n), float64(right)/float64(n)
	return met, nil
}

// count adds a batch's predictions to the confusion matrix.
func (m *Metrics) count(outs []float64, y []float32, lo int) error {
	k := len(m.Confusion)
	if k == 0 {
		return nil
	}
	for i, label := range y {
		t := int(label)
		if float32(t) != label || t < 0 || t >= k {
			return errors.Errorf("evaluate: example %d has label %v, the model has %d classes", lo+i, label, k)
		}
		m.Confusion[t][Argmax(outs[i*k:(i+1)*k])]++
	}
	return nil
}

// PerClass returns the accuracy on each true class (NaN for a class with
// no examples); nil without a confusion matrix.
func (m Metrics) PerClass() []float64 {
	if m.Confusion == nil {
		return nil
	}
	acc := make([]float64, len(m.Confusion))
	for t, row := range m.Confusion {
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

// Format renders the accuracy and, for classifiers, the per-class
// accuracy and the confusion matrix (rows: true class, columns: predicted
// class) as text.
func (m Metrics) Format() string {
	var b strings.Builder
	fmt.Fprintf(&b, "accuracy %.2f%% (%d of %d right), loss %.4f\n", 100*m.Accuracy, int(math.Round(m.Accuracy*float64(m.N))), m.N, m.Loss)
	if m.Confusion == nil {
		return b.String()
	}
	b.WriteString("\nper-class accuracy:\n")
	for c, a := range m.PerClass() {
		fmt.Fprintf(&b, "  %d: %6.2f%%\n", c, 100*a)
	}
	b.WriteString("\nconfusion matrix (rows: true class, columns: predicted):\n      ")
	for p := range m.Confusion {
		fmt.Fprintf(&b, "%6d", p)
	}
	b.WriteString("\n")
	for t, row := range m.Confusion {
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

// Probabilities runs a classifier in evaluation mode on one example and
// returns the softmax of its outputs.
func (m *Model) Probabilities(x []float32) ([]float64, error) {
	logits, err := m.Predict(x, 1, 1)
	if err != nil {
		return nil, err
	}
	return SoftmaxValues(logits), nil
}

// SoftmaxValues returns exp(v_i)/Σ exp(v_j), computed stably.
func SoftmaxValues(v []float64) []float64 {
	out := make([]float64, len(v))
	if len(v) == 0 {
		return out
	}
	mx, sum := v[Argmax(v)], 0.0
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
	return g[:max(0, min(k, len(g)))]
}

// batches holds reusable input and target buffers for a batch size.
type batches struct {
	in, tg int
	x, y   []float32
}

func newBatches(in, tg, batch int) *batches {
	return &batches{in: in, tg: tg, x: make([]float32, in*batch), y: make([]float32, tg*batch)}
}

// fill returns the buffers cut to n examples.
func (b *batches) fill(n int) ([]float32, []float32) { return b.x[:n*b.in], b.y[:n*b.tg] }
