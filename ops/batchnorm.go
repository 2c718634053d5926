package ops

import (
	"fmt"
	"hash"
	"math"

	"github.com/chewxy/hm"
	"github.com/featlearn/featlearn/ops/internal/kernels"
	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// BatchNormParams configures BatchNorm.
type BatchNormParams struct {
	Eps      float64 // added to the variance; PyTorch's default is 1e-5 (the caller passes it)
	Training bool    // true: normalise by the batch's statistics and differentiate through them
	// Evaluation mode (Training false) normalises by these running statistics, one per
	// channel, of the input's dtype; they are read at every run, so a caller may update them
	// between runs.
	RunningMean, RunningVar *tensor.Dense
	// Stats, when not nil in training mode, receives the batch's statistics at every run:
	// the caller folds them into its running statistics after a successful step.
	Stats *BatchStats
}

// BatchStats holds what a training-mode BatchNorm measured on its last batch, per channel:
// the mean and the unbiased variance (divided by count-1, as PyTorch folds into running_var),
// and the number of values per channel.
type BatchStats struct {
	Mean, Var []float64
	Count     int
}

// Fold applies PyTorch's running update running = (1-momentum)·running +
// momentum·batch to runningMean and runningVar, one float32 or float64
// value per channel, from the batch mean and unbiased variance in s. The
// caller calls it after a successful training step; PyTorch's default
// momentum is 0.1. The update is computed in float64 and rounded once.
func (s *BatchStats) Fold(runningMean, runningVar *tensor.Dense, momentum float64) error {
	if s == nil || s.Count < 2 || len(s.Mean) == 0 || len(s.Var) != len(s.Mean) {
		return errors.New("batchnorm: no batch statistics to fold (has a training run filled them?)")
	}
	if !(momentum >= 0 && momentum <= 1) {
		return errors.Errorf("batchnorm: momentum %v is not in [0, 1]", momentum)
	}
	for i, r := range []*tensor.Dense{runningMean, runningVar} {
		if err := checkRunning(r, "running statistic", len(s.Mean), tensor.Dtype{}); err != nil {
			return err
		}
		batch := s.Mean
		if i == 1 {
			batch = s.Var
		}
		if r.Dtype() == tensor.Float32 {
			kernels.FoldRunning(data[float32](r), batch, momentum)
		} else {
			kernels.FoldRunning(data[float64](r), batch, momentum)
		}
	}
	return nil
}

// checkRunning returns an error unless r is a float tensor of c values and,
// when dt is set, of dtype dt.
func checkRunning(r *tensor.Dense, what string, c int, dt tensor.Dtype) error {
	switch {
	case r == nil:
		return errors.Errorf("batchnorm: %s is nil", what)
	case r.Dtype() != tensor.Float32 && r.Dtype() != tensor.Float64:
		return errors.Errorf("batchnorm: %s has dtype %v, want float32 or float64", what, r.Dtype())
	case dt != (tensor.Dtype{}) && r.Dtype() != dt:
		return errors.Errorf("batchnorm: %s has dtype %v, the input %v", what, r.Dtype(), dt)
	case r.Size() != c || r.Dims() != 1:
		return errors.Errorf("batchnorm: %s has shape %v, want (%d)", what, r.Shape(), c)
	}
	return nil
}

// BatchNorm normalises x per channel, as PyTorch's BatchNorm1d and
// BatchNorm2d do: y = (x - mean)/sqrt(var + Eps)·gamma + beta. x is (N, C),
// (N, C, L) or (N, C, H, W), and the statistics of channel c run over every
// axis but the second; gamma and beta are (C). In training mode mean and var
// are the batch's, var biased (divided by the count), accumulated in float64
// by two passes over the channel, and the gradient flows through them; a
// channel must hold more than one value. In evaluation mode they are
// p.RunningMean and p.RunningVar, constants to the gradient. The gradient
// ops reuse the mean and 1/sqrt(var+Eps) the forward op measured in the same
// run, through state they share with it. Channels are spread over the cores,
// each summed by one thread in a fixed order, so the bits do not depend on
// the number of cores.
func BatchNorm(x, gamma, beta *G.Node, p BatchNormParams) (*G.Node, error) {
	if !(p.Eps >= 0) || math.IsInf(p.Eps, 0) {
		return nil, errors.Errorf("batchnorm: eps %v is not a finite non-negative number", p.Eps)
	}
	op := batchNormOp{plainOp: fresh(), p: p, dims: x.Dims(), state: new(bnShared)}
	g, err := op.geom(x.Shape(), gamma.Shape(), beta.Shape())
	if err != nil {
		return nil, err
	}
	if !p.Training {
		dt := x.Dtype()
		if err := checkRunning(p.RunningMean, "running mean", g.C(), dt); err != nil {
			return nil, err
		}
		if err := checkRunning(p.RunningVar, "running variance", g.C(), dt); err != nil {
			return nil, err
		}
	}
	return apply(op, x, gamma, beta)
}

// batchNormOp is BatchNorm's forward op.
type batchNormOp struct {
	plainOp
	p     BatchNormParams
	dims  int
	state *bnShared
}

// geom checks the shapes of x, gamma and beta and returns x's geometry.
func (op batchNormOp) geom(x, gamma, beta tensor.Shape) (kernels.BNGeom, error) {
	if len(x) < 2 || len(x) > 4 {
		return kernels.BNGeom{}, errors.Errorf("batchnorm: input shape %v is not (N, C), (N, C, L) or (N, C, H, W)", x.Clone())
	}
	g := bnGeomOf(x)
	for _, s := range []tensor.Shape{gamma, beta} {
		if len(s) != 1 || s[0] != g.C() {
			return kernels.BNGeom{}, errors.Errorf("batchnorm: gamma %v and beta %v, want (%d) for input %v", gamma.Clone(), beta.Clone(), g.C(), x.Clone())
		}
	}
	if op.p.Training && g.M() <= 1 {
		return kernels.BNGeom{}, errors.Errorf("batchnorm: expected more than 1 value per channel when training, got input shape %v", x.Clone())
	}
	return g, nil
}

func (op batchNormOp) Arity() int    { return 3 }
func (op batchNormOp) Type() hm.Type { return fnType(op.dims, 1, 1, op.dims) }

func (op batchNormOp) InferShape(ds ...G.DimSizer) (tensor.Shape, error) {
	shapes, err := inferShapes(ds)
	if err != nil {
		return nil, err
	}
	if err := checkArity(op.String(), len(shapes), 3); err != nil {
		return nil, err
	}
	if _, err := op.geom(shapes[0], shapes[1], shapes[2]); err != nil {
		return nil, err
	}
	return shapes[0].Clone(), nil
}

func (op batchNormOp) Do(inputs ...G.Value) (G.Value, error) { return doAlloc(op, inputs) }

func (op batchNormOp) UsePreallocDo(prealloc G.Value, inputs ...G.Value) (G.Value, error) {
	if len(inputs) != 3 {
		return nil, checkArity(op.String(), len(inputs), 3)
	}
	var args [3]*tensor.Dense
	ds, err := denseArgs(args[:], inputs)
	if err != nil {
		return nil, errors.Wrap(err, op.String())
	}
	x, gamma, beta := ds[0], ds[1], ds[2]
	g, err := op.geom(x.Shape(), gamma.Shape(), beta.Shape())
	if err != nil {
		return nil, err
	}
	st := op.state
	st.run++
	st.Prepare(g.C())
	if !op.p.Training {
		if err := op.readRunning(x.Dtype(), g.C()); err != nil {
			return nil, err
		}
	}
	y := op.output(prealloc, x.Dtype(), x.Shape())
	mode := kernels.BNForwardEval
	if op.p.Training {
		mode = kernels.BNForwardTrain
	}
	if x.Dtype() == tensor.Float32 {
		kernels.BatchNorm(mode, g, &st.BNState, op.p.Eps, kernels.BNArgs[float32]{Out: data[float32](y), X: data[float32](x), Gamma: data[float32](gamma), Beta: data[float32](beta)})
	} else {
		kernels.BatchNorm(mode, g, &st.BNState, op.p.Eps, kernels.BNArgs[float64]{Out: data[float64](y), X: data[float64](x), Gamma: data[float64](gamma), Beta: data[float64](beta)})
	}
	if s := op.p.Stats; op.p.Training && s != nil {
		m := g.M()
		s.Mean, s.Var, s.Count = resize(s.Mean, g.C()), resize(s.Var, g.C()), m
		copy(s.Mean, st.Mean())
		for c, v := range st.VarB() {
			s.Var[c] = v * float64(m) / float64(m-1)
		}
	}
	return y, nil
}

// readRunning fills the state from the running statistics.
func (op batchNormOp) readRunning(dt tensor.Dtype, c int) error {
	rm, rv := op.p.RunningMean, op.p.RunningVar
	if err := checkRunning(rm, "running mean", c, dt); err != nil {
		return err
	}
	if err := checkRunning(rv, "running variance", c, dt); err != nil {
		return err
	}
	st := op.state
	for ch := range c {
		var m, v float64
		if dt == tensor.Float32 {
			m, v = float64(data[float32](rm)[ch]), float64(data[float32](rv)[ch])
		} else {
			m, v = data[float64](rm)[ch], data[float64](rv)[ch]
		}
		st.SetChannel(ch, m, v, op.p.Eps)
	}
	return nil
}

// bnGeomOf returns the geometry of an (N, C, ...) shape of at least two
// dimensions: N samples of C channels of the product of the other axes.
func bnGeomOf(s tensor.Shape) kernels.BNGeom {
	sz := 1
	for _, d := range s[2:] {
		sz *= d
	}
	return kernels.NewBNGeom(s[0], s[1], sz)
}

// resize returns s with length n, reusing its memory when it is large enough.
func resize(s []float64, n int) []float64 {
	if cap(s) >= n {
		return s[:n]
	}
	return make([]float64, n)
}

// bnHash writes the parameters every BatchNorm op hashes. The running
// statistics and Stats are told apart by address: two ops that read or
// fill different tensors must stay apart.
func bnHash(h hash.Hash, name string, p BatchNormParams, dims int, extra ...any) {
	params := append([]any{p.Eps, p.Training, fmt.Sprintf("%p", p.RunningMean), fmt.Sprintf("%p", p.RunningVar),
		fmt.Sprintf("%p", p.Stats), dims}, extra...)
	writeHash(h, name, params...)
}

func (op batchNormOp) WriteHash(h hash.Hash) { bnHash(h, "BatchNorm", op.p, op.dims) }
func (op batchNormOp) Hashcode() uint32      { return hashOf(op) }

func (op batchNormOp) String() string {
	return fmt.Sprintf("BatchNorm(eps=%v,training=%v)", op.p.Eps, op.p.Training)
}

func (op batchNormOp) DiffWRT(int) []bool { return []bool{true, true, true} }

// SymDiff builds dgamma = Σ dy·x̂ and dbeta = Σ dy per channel, and from them
// dx: in training mode dx = gamma·invstd/M·(M·dy - Σ dy - x̂·Σ dy·x̂), in
// evaluation mode dx = gamma·invstd·dy.
func (op batchNormOp) SymDiff(inputs G.Nodes, output, grad *G.Node) (G.Nodes, error) {
	grads := func(wrt bnWRT) bnGradOp {
		return bnGradOp{plainOp: fresh(), wrt: wrt, p: op.p, dims: op.dims, state: op.state}
	}
	x, gamma := inputs[0], inputs[1]
	dgamma, err := apply(grads(bnWRTgamma), x, grad)
	if err != nil {
		return nil, err
	}
	dbeta, err := apply(grads(bnWRTbeta), grad)
	if err != nil {
		return nil, err
	}
	var dx *G.Node
	if op.p.Training {
		dx, err = apply(grads(bnWRTx), x, gamma, grad, dgamma, dbeta)
	} else {
		dx, err = apply(grads(bnWRTx), gamma, grad)
	}
	if err != nil {
		return nil, err
	}
	return G.Nodes{dx, dgamma, dbeta}, nil
}

// bnWRT names the input a bnGradOp differentiates with respect to.
type bnWRT int

const (
	bnWRTx     bnWRT = iota // training: (x, gamma, dy, dgamma, dbeta); evaluation: (gamma, dy)
	bnWRTgamma              // (x, dy)
	bnWRTbeta               // (dy)
)

// bnGradOp computes one of BatchNorm's input gradients, with the mean and
// invstd its forward op left in state during the same run.
type bnGradOp struct {
	plainOp
	wrt   bnWRT
	p     BatchNormParams
	dims  int
	state *bnShared
}

func (op bnGradOp) Arity() int {
	switch {
	case op.wrt == bnWRTgamma:
		return 2
	case op.wrt == bnWRTbeta:
		return 1
	case op.p.Training:
		return 5
	}
	return 2
}

func (op bnGradOp) Type() hm.Type {
	d := op.dims
	switch {
	case op.wrt == bnWRTgamma:
		return fnType(d, d, 1)
	case op.wrt == bnWRTbeta:
		return fnType(d, 1)
	case op.p.Training:
		return fnType(d, 1, d, 1, 1, d)
	}
	return fnType(1, d, d)
}

// dyIndex is the position of dy among the op's inputs.
func (op bnGradOp) dyIndex() int {
	switch {
	case op.wrt == bnWRTbeta:
		return 0
	case op.wrt == bnWRTx && op.p.Training:
		return 2
	}
	return 1
}

// geom checks the input shapes and returns dy's geometry.
func (op bnGradOp) geom(shapes []tensor.Shape) (kernels.BNGeom, error) {
	if len(shapes) != op.Arity() {
		return kernels.BNGeom{}, errors.Errorf("%v: expected %d inputs, got %d", op, op.Arity(), len(shapes))
	}
	dy := shapes[op.dyIndex()]
	if len(dy) != op.dims || op.dims < 2 {
		return kernels.BNGeom{}, errors.Errorf("%v: gradient shape %v has not %d dimensions", op, dy.Clone(), op.dims)
	}
	g := bnGeomOf(dy)
	for i, s := range shapes {
		switch {
		case i == op.dyIndex():
		case len(s) == 1 && s[0] == g.C(): // gamma, dgamma or dbeta
		case op.wrt != bnWRTbeta && i == 0 && s.Eq(dy) && !(op.wrt == bnWRTx && !op.p.Training): // x
		default:
			return kernels.BNGeom{}, errors.Errorf("%v: input %d has shape %v, gradient %v", op, i, s.Clone(), dy.Clone())
		}
	}
	return g, nil
}

func (op bnGradOp) InferShape(ds ...G.DimSizer) (tensor.Shape, error) {
	shapes, err := inferShapes(ds)
	if err != nil {
		return nil, err
	}
	g, err := op.geom(shapes)
	if err != nil {
		return nil, err
	}
	if op.wrt == bnWRTx {
		return shapes[op.dyIndex()].Clone(), nil
	}
	return tensor.Shape{g.C()}, nil
}

func (op bnGradOp) Do(inputs ...G.Value) (G.Value, error) { return doAlloc(op, inputs) }

func (op bnGradOp) UsePreallocDo(prealloc G.Value, inputs ...G.Value) (G.Value, error) {
	var args [5]*tensor.Dense
	ds, err := denseArgs(args[:], inputs)
	if err != nil {
		return nil, errors.Wrap(err, op.String())
	}
	var shapeArgs [5]tensor.Shape
	shapes := shapeArgs[:len(ds)]
	for i, d := range ds {
		shapes[i] = d.Shape()
	}
	g, err := op.geom(shapes)
	if err != nil {
		return nil, err
	}
	if !op.state.Ready(g.C()) {
		return nil, errors.Errorf("%v: the forward op has not run on %d channels", op, g.C())
	}
	dy := ds[op.dyIndex()]
	var out *tensor.Dense
	if op.wrt == bnWRTx {
		out = op.output(prealloc, dy.Dtype(), dy.Shape())
	} else {
		dims := [1]int{g.C()}
		out = op.output(prealloc, dy.Dtype(), dims[:])
	}
	if dy.Dtype() == tensor.Float32 {
		bnGradRun(op, g, out, ds, &op.state.beta32)
	} else {
		bnGradRun(op, g, out, ds, &op.state.beta64)
	}
	return out, nil
}

// bnGradRun runs the gradient op's kernel pass. The gradient of gamma sums
// dy on the same pass and keeps the sums in stash for the gradient of
// beta, which copies them when it runs after it on the same dy in the same
// run, instead of reading dy again.
func bnGradRun[T float](op bnGradOp, g kernels.BNGeom, out *tensor.Dense, ds []*tensor.Dense, stash *bnStash[T]) {
	st := op.state
	a := gradArgs[T](op, out, ds)
	switch op.wrt {
	case bnWRTgamma:
		stash.sums = stash.sums[:0]
		if cap(stash.sums) >= g.C() {
			stash.sums = stash.sums[:g.C()]
		} else {
			stash.sums = make([]T, g.C())
		}
		a.DBeta = stash.sums
		kernels.BatchNorm(op.mode(), g, &st.BNState, op.p.Eps, a)
		stash.run, stash.dy = st.run, &a.DY[0]
		return
	case bnWRTbeta:
		if stash.run == st.run && stash.dy == &a.DY[0] && len(stash.sums) == g.C() {
			copy(a.Out, stash.sums)
			return
		}
	}
	kernels.BatchNorm(op.mode(), g, &st.BNState, op.p.Eps, a)
}

// bnShared is what a BatchNorm op shares with its gradient ops: the
// kernels' per-channel statistics of the last forward run, the number of
// forward runs, and the sums of dy that the gradient of gamma took for the
// gradient of beta.
type bnShared struct {
	kernels.BNState
	run    uint64
	beta32 bnStash[float32]
	beta64 bnStash[float64]
}

// bnStash holds the per-channel sums of the output gradient at dy in
// forward run run.
type bnStash[T float] struct {
	run  uint64
	dy   *T
	sums []T
}

// mode is the kernel pass the op runs.
func (op bnGradOp) mode() kernels.BNMode {
	switch {
	case op.wrt == bnWRTgamma:
		return kernels.BNGradGamma
	case op.wrt == bnWRTbeta:
		return kernels.BNGradBeta
	case op.p.Training:
		return kernels.BNGradXTrain
	}
	return kernels.BNGradXEval
}

// gradArgs sorts the op's input values into the kernel's arguments.
func gradArgs[T float](op bnGradOp, out *tensor.Dense, ds []*tensor.Dense) kernels.BNArgs[T] {
	a := kernels.BNArgs[T]{Out: data[T](out), DY: data[T](ds[op.dyIndex()])}
	switch {
	case op.wrt == bnWRTgamma:
		a.X = data[T](ds[0])
	case op.wrt == bnWRTx && op.p.Training:
		a.X, a.Gamma, a.DGamma, a.DBeta = data[T](ds[0]), data[T](ds[1]), data[T](ds[3]), data[T](ds[4])
	case op.wrt == bnWRTx:
		a.Gamma = data[T](ds[0])
	}
	return a
}

func (op bnGradOp) WriteHash(h hash.Hash) {
	bnHash(h, "BatchNormGrad", op.p, op.dims, op.wrt, fmt.Sprintf("%p", op.state))
}
func (op bnGradOp) Hashcode() uint32 { return hashOf(op) }

func (op bnGradOp) String() string {
	return fmt.Sprintf("BatchNormGrad%s(eps=%v,training=%v)", [...]string{"X", "Gamma", "Beta"}[op.wrt], op.p.Eps, op.p.Training)
}
