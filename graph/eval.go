package graph

import (
	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"
)

// evalKey identifies an evaluation program: a batch size and a loss.
type evalKey struct {
	batch int
	loss  string
}

// evalProgram returns the cached program computing outputs and loss, without
// gradients, for a batch size.
func (m *Model) evalProgram(loss Loss, batch int) (tp *trainProgram, err error) {
	key := evalKey{batch, loss.Name()}
	if tp, ok := m.evals[key]; ok {
		return tp, nil
	}
	defer recoverTo(&err)
	p, err := m.newProgram(batch)
	if err != nil {
		return nil, err
	}
	tp = &trainProgram{Program: p}
	var target *G.Node
	target, tp.target = lossTarget(p.Graph, loss, m.dtype, batch, m.output)
	lossNode, err := loss.Build(p.Output, target)
	if err != nil {
		return nil, errors.Wrapf(err, "loss %s", loss.Name())
	}
	tp.loss = newLike(m.dtype, 1)
	if err = p.capture(lossNode, tp.loss); err != nil {
		return nil, err
	}
	p.compile()
	if m.evals == nil {
		m.evals = map[evalKey]*trainProgram{}
	}
	m.evals[key] = tp
	return tp, nil
}

// Evaluate runs model over data in batches of at most batch examples, in
// order and without changing the model, and returns the mean loss per
// example and the accuracy.
func Evaluate(model *Model, loss Loss, data Dataset, batch int) (Metrics, error) {
	n := data.Len()
	if batch < 1 || n == 0 {
		return Metrics{}, errors.Errorf("evaluate: batch size %d over %d examples", batch, n)
	}
	b := newBatches(model.input.Size(), loss.TargetShape(model.output).Size(), batch)
	idx := make([]int, batch)
	var outs []float64
	var lossSum float64
	right := 0
	for lo := 0; lo < n; lo += batch {
		k := min(batch, n-lo)
		for i := range k {
			idx[i] = lo + i
		}
		x, y := b.fill(k)
		if err := data.Gather(idx[:k], x, y); err != nil {
			return Metrics{}, errors.Wrapf(err, "evaluate: examples %d..%d", lo, lo+k-1)
		}
		p, err := model.evalProgram(loss, k)
		if err != nil {
			return Metrics{}, err
		}
		setFloats(p.in, x)
		setFloats(p.target, y)
		if err := p.run(); err != nil {
			return Metrics{}, errors.Wrap(err, "evaluate")
		}
		outs = appendFloats(outs[:0], p.out)
		lossSum += first(p.loss) * float64(k)
		right += loss.Correct(outs, y, k)
	}
	return Metrics{Loss: lossSum / float64(n), Accuracy: float64(right) / float64(n), N: n}, nil
}
