package ops

import (
	"fmt"
	"hash"

	"github.com/chewxy/hm"
	"github.com/featlearn/featlearn/ops/internal/kernels"
	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// DropoutParams configures Dropout.
type DropoutParams struct {
	Rate float64 // probability of dropping an element, 0 <= Rate < 1
	Seed uint64  // with *Step, fixes the mask
	// Step is read at every run: the mask of element i is a pure function
	// of (Seed, *Step, i). The caller advances it between runs, never
	// during one, since the gradient op reads it again.
	Step *uint64
}

// Dropout returns inverted dropout of x: each element is dropped, set to
// exactly 0, with probability p.Rate, and kept elements are divided by
// 1-Rate (in x's dtype, 1-Rate rounded to it first), so the expected output
// is x. Whether element i (in row-major order) is kept is DropoutKeep(Seed,
// *Step, i, Rate): a counter-based hash, not a random generator, so there
// is no state to save, a run resumed at step s draws the same masks, and
// the result is the same on any number of cores. Rate 0 is the identity.
// The gradient op recomputes the mask and returns dy·mask/(1-Rate). Two
// Dropout ops with the same Seed and Step draw the same mask for equal
// element indices: give each layer its own seed.
func Dropout(x *G.Node, p DropoutParams) (*G.Node, error) {
	if err := p.validate(); err != nil {
		return nil, err
	}
	return apply(dropoutOp{plainOp: fresh(), p: p}, x)
}

// validate rejects a rate outside [0, 1) and a missing step.
func (p DropoutParams) validate() error {
	if !(p.Rate >= 0 && p.Rate < 1) {
		return errors.Errorf("dropout: rate %v is not in [0, 1)", p.Rate)
	}
	if p.Step == nil {
		return errors.New("dropout: Step is nil")
	}
	return nil
}

// DropoutKeep reports whether element i is kept under seed, step and rate.
// Elements 2k and 2k+1 take the low and high 32 bits of one splitmix64
// output, drawn at position k of the stream that (seed, step) selects; an
// element is kept when its 32 bits are at least rate·2³², so it is kept
// with probability 1-rate to within 2⁻³².
func DropoutKeep(seed, step uint64, i int, rate float64) bool {
	return kernels.DropoutKeep(seed, step, i, rate)
}

// dropoutOp applies the mask to x, or with grad set to dy.
type dropoutOp struct {
	plainOp
	p    DropoutParams
	grad bool
}

func (op dropoutOp) Arity() int { return 1 }

func (op dropoutOp) Type() hm.Type {
	a := hm.TypeVariable('a')
	return hm.NewFnType(a, a)
}

func (op dropoutOp) InferShape(ds ...G.DimSizer) (tensor.Shape, error) {
	if err := checkArity(op.String(), len(ds), 1); err != nil {
		return nil, err
	}
	s, err := shapeOf(ds[0])
	return s.Clone(), err
}

func (op dropoutOp) Do(inputs ...G.Value) (G.Value, error) { return doAlloc(op, inputs) }

func (op dropoutOp) UsePreallocDo(prealloc G.Value, inputs ...G.Value) (G.Value, error) {
	if len(inputs) != 1 {
		return nil, checkArity(op.String(), len(inputs), 1)
	}
	if err := op.p.validate(); err != nil {
		return nil, err
	}
	x, err := denseOf(inputs[0])
	if err != nil {
		return nil, errors.Wrap(err, op.String())
	}
	y := op.output(prealloc, x.Dtype(), x.Shape())
	step := *op.p.Step
	if x.Dtype() == tensor.Float32 {
		kernels.Dropout(data[float32](y), data[float32](x), op.p.Rate, op.p.Seed, step)
	} else {
		kernels.Dropout(data[float64](y), data[float64](x), op.p.Rate, op.p.Seed, step)
	}
	return y, nil
}

// WriteHash covers the rate, the seed and the step's address: dropouts
// that read different step counters must stay apart.
func (op dropoutOp) WriteHash(h hash.Hash) {
	writeHash(h, op.name(), op.p.Rate, op.p.Seed, op.p.Step)
}
func (op dropoutOp) Hashcode() uint32 { return hashOf(op) }

func (op dropoutOp) String() string {
	return fmt.Sprintf("%s(rate=%v,seed=%d)", op.name(), op.p.Rate, op.p.Seed)
}

func (op dropoutOp) name() string {
	if op.grad {
		return "DropoutGrad"
	}
	return "Dropout"
}

func (op dropoutOp) DiffWRT(int) []bool { return []bool{true} }

// SymDiff applies the same mask and scale to dy: the mask is recomputed
// from (Seed, *Step, i), so nothing passes from the forward op.
func (op dropoutOp) SymDiff(inputs G.Nodes, output, grad *G.Node) (G.Nodes, error) {
	if op.grad {
		return nil, errors.Errorf("%v: the gradient op is not differentiable", op)
	}
	dx, err := apply(dropoutOp{plainOp: fresh(), p: op.p, grad: true}, grad)
	if err != nil {
		return nil, err
	}
	return G.Nodes{dx}, nil
}
