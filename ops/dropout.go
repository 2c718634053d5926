package ops

import (
	"fmt"
	"hash"
	"math"
	"unsafe"

	"github.com/chewxy/hm"
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
	h := mix64(dropoutKey(seed, step) + uint64(i>>1+1)*golden)
	return keepMask(uint32(h>>(32*(i&1))), dropoutThreshold(rate)) != 0
}

// golden is splitmix64's increment, 2⁶⁴ divided by the golden ratio.
const golden = 0x9e3779b97f4a7c15

// mix64 is splitmix64's finaliser, a bijection of 64-bit words.
func mix64(z uint64) uint64 {
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// dropoutKey is the start of the splitmix64 stream of (seed, step).
// Distinct steps of one seed give distinct keys, as mix64 is a bijection.
func dropoutKey(seed, step uint64) uint64 { return mix64(mix64(seed+golden) ^ step) }

// dropoutThreshold is the least 32-bit draw that keeps an element.
func dropoutThreshold(rate float64) uint64 { return uint64(rate * (1 << 32)) }

// keepMask is all ones when the draw u keeps an element (u >= t), else 0,
// computed without a branch: the draws are random, so a branch would be
// mispredicted at every other dropped element.
func keepMask(u uint32, t uint64) uint64 { return (uint64(u)-t)>>63 - 1 }

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
		dropoutRun(data[float32](y), data[float32](x), op.p.Rate, op.p.Seed, step)
	} else {
		dropoutRun(data[float64](y), data[float64](x), op.p.Rate, op.p.Seed, step)
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

// dropoutPairs is the least number of element pairs that dropout spreads
// over the cores: about 3 µs of hashing.
const dropoutPairs = 1024

// dropoutRun writes x masked and divided by 1-rate into y, over the cores
// in chunks of element pairs. Each element depends on its index alone, so
// the split does not change the bits.
func dropoutRun[T float](y, x []T, rate float64, seed, step uint64) {
	y = y[:len(x)]
	if rate == 0 {
		copy(y, x)
		return
	}
	keep := T(1 - rate)
	j := getJob[dropoutJob[T]]()
	*j = dropoutJob[T]{y: y, x: x, key: dropoutKey(seed, step), t: dropoutThreshold(rate), keep: keep, inv: 1 / float64(keep)}
	parallelRun((len(x)+1)/2, dropoutPairs, j)
	putJob(j)
}

// dropoutJob is dropoutRun over element pairs [lo, hi).
type dropoutJob[T float] struct {
	y, x []T
	key  uint64
	t    uint64
	keep T       // 1-rate in T
	inv  float64 // 1/keep
}

func (j *dropoutJob[T]) run(lo, hi int) {
	y, x, n := j.y, j.x, len(j.x)
	state := j.key + uint64(lo)*golden
	for k := lo; k < hi; k++ {
		state += golden // position k of the stream: key + (k+1)·golden
		h := mix64(state)
		i := 2 * k
		y[i] = masked(divide(x[i], j.keep, j.inv), keepMask(uint32(h), j.t))
		if i+1 < n {
			y[i+1] = masked(divide(x[i+1], j.keep, j.inv), keepMask(uint32(h>>32), j.t))
		}
	}
}

// divide returns v/keep rounded to T, given inv = 1/keep in float64. For
// float32 it multiplies in float64, which is several times faster than a
// division and gives the same bits: the product is within 2⁻⁵² of v/keep,
// while a quotient of two float32s that is not a float32 or a rounding
// midpoint lies at least 2⁻⁴⁹ from every midpoint, and it is a midpoint only
// when keep is a power of two, whose reciprocal is exact (TestDropoutDivide
// checks this on millions of values).
func divide[T float](v, keep T, inv float64) T {
	if unsafe.Sizeof(v) == 4 {
		return T(float64(v) * inv)
	}
	return v / keep
}

// masked returns v where m is all ones and +0 where m is 0, by masking its
// bits, so that a dropped NaN or Inf gives 0 as well.
func masked[T float](v T, m uint64) T {
	if unsafe.Sizeof(v) == 4 {
		b := math.Float32bits(*(*float32)(unsafe.Pointer(&v))) & uint32(m)
		return *(*T)(unsafe.Pointer(&b))
	}
	b := math.Float64bits(*(*float64)(unsafe.Pointer(&v))) & m
	return *(*T)(unsafe.Pointer(&b))
}
