package ops

import (
	"sync/atomic"
	"testing"

	"github.com/featlearn/featlearn/ops/internal/kernels"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// TestOpsNoAllocs checks that, once warm, the LeNet kernels allocate
// nothing: the TapeMachine calls them every training step.
func TestOpsNoAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector's sync.Pool drops buffers")
	}
	f32 := func(d *tensor.Dense) *tensor.Dense { return as(d, tensor.Float32) }
	for layer := 1; layer <= 2; layer++ {
		x, w, b, p := convBenchInputs(layer)
		p, _ = p.normalized()
		fwd := convOp{plainOp: fresh(), kind: sharedConv, p: p, bias: true}
		y, err := fwd.Do(x, w, b)
		if err != nil {
			t.Fatal(err)
		}
		relu := activationOp{plainOp: fresh(), act: kernels.ActReLU}
		r, _ := relu.Do(y)
		pool := maxPoolOp{plainOp: fresh(), p: pool2x2}
		pooled, _ := pool.Do(r)
		dpool := f32(randT(5, pooled.Shape()...))
		calls := []struct {
			op   preallocer
			args []G.Value
		}{
			{fwd, []G.Value{x, w, b}},
			{relu, []G.Value{y}},
			{pool, []G.Value{r}},
			{maxPoolGradOp{plainOp: fresh(), p: pool2x2}, []G.Value{r, pooled, dpool}},
			{activationGradOp{plainOp: fresh(), act: kernels.ActReLU}, []G.Value{r, y}},
		}
		for _, wrt := range []convWRT{convWrtX, convWrtW, convWrtB} {
			calls = append(calls, struct {
				op   preallocer
				args []G.Value
			}{convGradOp{plainOp: fresh(), kind: sharedConv, p: p, wrt: wrt}, []G.Value{x, w, y}})
		}
		for _, c := range calls {
			var out G.Value
			run := func() {
				if out, err = c.op.UsePreallocDo(out, c.args...); err != nil {
					t.Fatal(err)
				}
			}
			run()
			if n := testing.AllocsPerRun(10, run); n != 0 {
				t.Errorf("layer %d: %v allocates %v times per call", layer, c.op, n)
			}
		}
	}
}

// TestNewOpsNoAllocs checks that, once warm, LeakyReLU, the average pools,
// Add, Concat, Dropout and BatchNorm (both modes, Stats filled) and their
// gradient ops allocate nothing, on float32 tensors large enough to be
// spread over the cores. gorgonia's TapeMachine itself allocates a few
// small objects per instruction and run (see the benchmarks' allocs/op);
// that is outside the ops.
func TestNewOpsNoAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector's sync.Pool drops buffers")
	}
	f32 := func(d *tensor.Dense) *tensor.Dense { return as(d, tensor.Float32) }
	x, x2 := f32(randT(1, 64, 16, 10, 10)), f32(randT(2, 64, 16, 10, 10))
	gamma, beta := f32(randT(3, 16)), f32(randT(4, 16))
	pp := PoolParams{3, 3, 2, 2, 1, 1}
	pooled := f32(randT(5, 64, 16, 5, 5))
	step := uint64(7)
	drop := DropoutParams{Rate: 0.3, Seed: 1, Step: &step}
	stats := new(BatchStats)
	train := BatchNormParams{Eps: 1e-5, Training: true, Stats: stats}
	eval := BatchNormParams{Eps: 1e-5, RunningMean: gamma, RunningVar: f32(tensor.Ones(tensor.Float64, 16))}
	trainState, evalState := new(bnShared), new(bnShared)
	dgb := f32(randT(6, 16))
	calls := []struct {
		op   preallocer
		args []G.Value
	}{
		{activationOp{plainOp: fresh(), act: kernels.ActLeakyReLU, slope: 0.01}, []G.Value{x}},
		{activationGradOp{plainOp: fresh(), act: kernels.ActLeakyReLU, slope: 0.01}, []G.Value{x, x2}},
		{avgPoolOp{plainOp: fresh(), p: pp, includePad: false}, []G.Value{x}},
		{avgPoolGradOp{plainOp: fresh(), p: pp, includePad: false}, []G.Value{x, pooled}},
		{globalAvgPoolOp{plainOp: fresh()}, []G.Value{x}},
		{globalAvgPoolGradOp{plainOp: fresh()}, []G.Value{x, f32(randT(7, 64, 16))}},
		{addOp{plainOp: fresh()}, []G.Value{x, x2}},
		{concatOp{plainOp: fresh(), axis: 1, n: 2, dims: 4}, []G.Value{x, x2}},
		{concatGradOp{plainOp: fresh(), index: 1, axis: 1, off: 8, size: 8, dims: 4}, []G.Value{x}},
		{dropoutOp{plainOp: fresh(), p: drop}, []G.Value{x}},
		{dropoutOp{plainOp: fresh(), p: drop, grad: true}, []G.Value{x2}},
		{batchNormOp{plainOp: fresh(), p: train, dims: 4, state: trainState}, []G.Value{x, gamma, beta}},
		{bnGradOp{plainOp: fresh(), wrt: bnWRTgamma, p: train, dims: 4, state: trainState}, []G.Value{x, x2}},
		{bnGradOp{plainOp: fresh(), wrt: bnWRTbeta, p: train, dims: 4, state: trainState}, []G.Value{x2}},
		{bnGradOp{plainOp: fresh(), wrt: bnWRTx, p: train, dims: 4, state: trainState}, []G.Value{x, gamma, x2, dgb, dgb}},
		{batchNormOp{plainOp: fresh(), p: eval, dims: 4, state: evalState}, []G.Value{x, gamma, beta}},
		{bnGradOp{plainOp: fresh(), wrt: bnWRTx, p: eval, dims: 4, state: evalState}, []G.Value{gamma, x2}},
	}
	for _, c := range calls {
		var out G.Value
		var err error
		run := func() {
			if out, err = c.op.UsePreallocDo(out, c.args...); err != nil {
				t.Fatalf("%v: %v", c.op, err)
			}
		}
		run()
		if n := testing.AllocsPerRun(10, run); n != 0 {
			t.Errorf("%v allocates %v times per call", c.op, n)
		}
	}
	if stats.Count != 6400 || len(stats.Mean) != 16 {
		t.Errorf("Stats holds %d values per channel and %d means", stats.Count, len(stats.Mean))
	}
}

// coverTask records which items its Run calls cover.
type coverTask struct{ hits []int32 }

func (c *coverTask) Run(lo, hi int) {
	for i := lo; i < hi; i++ {
		atomic.AddInt32(&c.hits[i], 1)
	}
}

func TestParallelCoversEveryItemOnce(t *testing.T) {
	for _, n := range []int{0, 1, 7, 16, 100, 1001} {
		c := &coverTask{hits: make([]int32, n)}
		Parallel(n, 8, c)
		for i, h := range c.hits {
			if h != 1 {
				t.Fatalf("n %d: item %d run %d times", n, i, h)
			}
		}
	}
}

// TestMaxPool2x2Wide runs the 2x2 kernels on rows wide enough for the
// 8-window path (8 windows, 16 with an overlapping tail, 20 and 21 with an
// odd input width), on rows for the 4-window path (LeNet's 10x10, an odd
// 7x9, 6 and 7 windows with odd and even heights), on narrow planes
// gathered for it (3 windows) and on one too small for it, on inputs full
// of NaN, ±Inf and ties, against the naive definitions.
func TestMaxPool2x2Wide(t *testing.T) { eachLevel(t, checkMaxPool2x2Wide) }

func checkMaxPool2x2Wide(t *testing.T) {
	shapes := [][]int{{1, 2, 4, 16}, {2, 3, 8, 40}, {1, 1, 5, 43}, {2, 2, 6, 32}, {2, 3, 10, 10}, {1, 2, 7, 9},
		{2, 2, 9, 14}, {1, 3, 8, 12}, {2, 2, 6, 7}, {3, 2, 2, 11}, {1, 1, 4, 6}}
	for i, shape := range shapes {
		for _, dt := range []tensor.Dtype{tensor.Float32, tensor.Float64} {
			xd := as(specialT(uint64(50+i), shape...), dt)
			x := t64(toF64(t, xd), xd.Shape()...)
			y, err := maxPoolOp{p: pool2x2}.Do(xd)
			if err != nil {
				t.Fatal(err)
			}
			assertSame(t, "y", toF64(t, y), naiveMaxPool(x, pool2x2).Float64s())
			dy := as(randT(5, y.Shape()...), dt)
			// Start from garbage: the kernel must write every element.
			dirty := as(randT(6, shape...), dt)
			dx, err := maxPoolGradOp{p: pool2x2}.UsePreallocDo(dirty, xd, y, dy)
			if err != nil {
				t.Fatal(err)
			}
			want := make([]float64, x.Size())
			for o, k := range naiveWinners(x, pool2x2) {
				want[k] += toF64(t, dy)[o]
			}
			assertSame(t, "dx", toF64(t, dx), want)
		}
	}
}
