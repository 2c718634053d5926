package ops

import (
	"hash"

	"github.com/chewxy/hm"
	"github.com/featlearn/featlearn/ops/internal/kernels"
	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// PerceptronLoss returns the mean over the batch of the perceptron
// criterion, a scalar: for each row n of scores (N, C) it is the score of
// the class the row guesses minus the score of its true class,
// max_c s[n,c] - s[n,y[n]], which is 0 when the guess is right and positive
// otherwise. labels is (N), class indices stored in the scores' float type;
// an index that is not an integer in [0, C) makes Do fail, naming it.
//
// The guess is the first class of highest score, the rule graph.Argmax
// uses. The gradient with respect to the scores is (e_guess - e_truth)/N
// times the upstream gradient, zero for a right guess, so that one SGD step
// of rate 1 on a single example through a bias-free linear layer is the
// classic perceptron update: the weights from the active inputs to the
// true class go up by the inputs, those to the guessed class go down.
// The loss is piecewise linear; at a tie for the highest score the
// gradient is the one of the first tied class. labels receive no gradient.
func PerceptronLoss(scores, labels *G.Node) (*G.Node, error) {
	if _, err := checkPerceptron(scores.Shape(), labels.Shape()); err != nil {
		return nil, err
	}
	return apply(perceptronOp{plainOp: fresh()}, scores, labels)
}

// checkPerceptron validates the scores (N, C) and labels (N) shapes and
// returns C.
func checkPerceptron(scores, labels tensor.Shape) (int, error) {
	if len(scores) != 2 || len(labels) != 1 || labels[0] != scores[0] {
		return 0, errors.Errorf("perceptron loss: scores %v and labels %v: want scores (N, C) and labels (N)", scores, labels)
	}
	if scores[0] < 1 || scores[1] < 1 {
		return 0, errors.Errorf("perceptron loss: scores %v are empty", scores)
	}
	return scores[1], nil
}

// perceptronOperands checks the inputs of the loss or its gradient op (want
// of them) and returns the scores, the labels (with validated indices) and C.
func perceptronOperands(name string, inputs []G.Value, want int) (s, y *tensor.Dense, c int, err error) {
	if err = checkArity(name, len(inputs), want); err != nil {
		return nil, nil, 0, err
	}
	var args [2]*tensor.Dense
	ds, err := denseArgs(args[:], inputs[:2])
	if err != nil {
		return nil, nil, 0, errors.Wrap(err, name)
	}
	s, y = ds[0], ds[1]
	if c, err = checkPerceptron(s.Shape(), y.Shape()); err != nil {
		return nil, nil, 0, err
	}
	return s, y, c, errors.Wrap(checkLabels(y, c), "perceptron loss")
}

// perceptronOp is PerceptronLoss.
type perceptronOp struct{ plainOp }

func (op perceptronOp) Arity() int    { return 2 }
func (op perceptronOp) Type() hm.Type { return fnType(2, 1, 0) }

func (op perceptronOp) InferShape(ds ...G.DimSizer) (tensor.Shape, error) {
	shapes, err := inferShapes(ds)
	if err != nil {
		return nil, err
	}
	if err := checkArity(op.String(), len(shapes), 2); err != nil {
		return nil, err
	}
	if _, err := checkPerceptron(shapes[0], shapes[1]); err != nil {
		return nil, err
	}
	return tensor.ScalarShape(), nil
}

func (op perceptronOp) Do(inputs ...G.Value) (G.Value, error) { return doAlloc(op, inputs) }

// UsePreallocDo returns a gorgonia scalar, as SoftmaxCrossEntropy does.
func (op perceptronOp) UsePreallocDo(_ G.Value, inputs ...G.Value) (G.Value, error) {
	s, y, c, err := perceptronOperands(op.String(), inputs, 2)
	if err != nil {
		return nil, err
	}
	if s.Dtype() == tensor.Float32 {
		return G.NewF32(float32(kernels.PerceptronForward(data[float32](s), data[float32](y), c))), nil
	}
	return G.NewF64(kernels.PerceptronForward(data[float64](s), data[float64](y), c)), nil
}

func (op perceptronOp) WriteHash(h hash.Hash) { writeHash(h, op.String()) }
func (op perceptronOp) Hashcode() uint32      { return hashOf(op) }
func (op perceptronOp) String() string        { return "PerceptronLoss" }

func (op perceptronOp) DiffWRT(int) []bool { return []bool{true, false} }

func (op perceptronOp) SymDiff(inputs G.Nodes, _, grad *G.Node) (G.Nodes, error) {
	ds, err := apply(perceptronGradOp{plainOp: fresh()}, inputs[0], inputs[1], grad)
	if err != nil {
		return nil, err
	}
	return G.Nodes{ds, nil}, nil
}

// perceptronGradOp computes dL/dscores of PerceptronLoss from the scores,
// the labels and the scalar dL/dloss.
type perceptronGradOp struct{ plainOp }

func (op perceptronGradOp) Arity() int    { return 3 }
func (op perceptronGradOp) Type() hm.Type { return fnType(2, 1, 0, 2) }

func (op perceptronGradOp) InferShape(ds ...G.DimSizer) (tensor.Shape, error) {
	shapes, err := inferShapes(ds)
	if err != nil {
		return nil, err
	}
	if err := checkArity(op.String(), len(shapes), 3); err != nil {
		return nil, err
	}
	if _, err := checkPerceptron(shapes[0], shapes[1]); err != nil {
		return nil, err
	}
	return shapes[0].Clone(), nil
}

func (op perceptronGradOp) Do(inputs ...G.Value) (G.Value, error) { return doAlloc(op, inputs) }

func (op perceptronGradOp) UsePreallocDo(prealloc G.Value, inputs ...G.Value) (G.Value, error) {
	s, y, c, err := perceptronOperands(op.String(), inputs, 3)
	if err != nil {
		return nil, err
	}
	g, err := scalarValue(inputs[2])
	if err != nil {
		return nil, errors.Wrap(err, op.String())
	}
	ds := op.output(prealloc, s.Dtype(), s.Shape())
	scale := g / float64(s.Shape()[0])
	if s.Dtype() == tensor.Float32 {
		kernels.PerceptronBackward(data[float32](ds), data[float32](s), data[float32](y), c, float32(scale))
	} else {
		kernels.PerceptronBackward(data[float64](ds), data[float64](s), data[float64](y), c, scale)
	}
	return ds, nil
}

func (op perceptronGradOp) WriteHash(h hash.Hash) { writeHash(h, op.String()) }
func (op perceptronGradOp) Hashcode() uint32      { return hashOf(op) }
func (op perceptronGradOp) String() string        { return "PerceptronLossGrad" }
