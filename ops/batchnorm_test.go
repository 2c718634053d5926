package ops

import (
	"fmt"
	"math"
	"runtime"
	"strings"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// bnTrain builds a training-mode BatchNorm of inputs x, gamma and beta.
func bnTrain(eps float64, stats *BatchStats) builder {
	return func(xs ...*G.Node) (*G.Node, error) {
		return BatchNorm(xs[0], xs[1], xs[2], BatchNormParams{Eps: eps, Training: true, Stats: stats})
	}
}

// bnEval builds an evaluation-mode BatchNorm whose running statistics,
// given in float64, take the input's dtype.
func bnEval(eps float64, rm, rv *tensor.Dense) builder {
	return func(xs ...*G.Node) (*G.Node, error) {
		dt := xs[0].Dtype()
		return BatchNorm(xs[0], xs[1], xs[2], BatchNormParams{Eps: eps, RunningMean: as(rm, dt), RunningVar: as(rv, dt)})
	}
}

// channelValues returns the values of channel c of x, sample by sample.
func channelValues(x *tensor.Dense, c int) []float64 {
	s := x.Shape()
	per := 1
	for _, d := range s[2:] {
		per *= d
	}
	var v []float64
	for n := 0; n < s[0]; n++ {
		v = append(v, x.Float64s()[(n*s[1]+c)*per:][:per]...)
	}
	return v
}

// naiveBatchStats returns the mean and biased variance of every channel.
func naiveBatchStats(x *tensor.Dense) (mean, variance []float64) {
	for c := 0; c < x.Shape()[1]; c++ {
		v := channelValues(x, c)
		m := 0.0
		for _, e := range v {
			m += e
		}
		m /= float64(len(v))
		q := 0.0
		for _, e := range v {
			q += (e - m) * (e - m)
		}
		mean, variance = append(mean, m), append(variance, q/float64(len(v)))
	}
	return mean, variance
}

// naiveBatchNorm is the definition: (x - mean)/sqrt(var + eps)·gamma + beta
// with the given per-channel statistics.
func naiveBatchNorm(x, gamma, beta *tensor.Dense, mean, variance []float64, eps float64) *tensor.Dense {
	s := x.Shape()
	per := x.Size() / (s[0] * s[1])
	out := make([]float64, x.Size())
	for i, v := range x.Float64s() {
		c := i / per % s[1]
		out[i] = (v-mean[c])/math.Sqrt(variance[c]+eps)*gamma.Float64s()[c] + beta.Float64s()[c]
	}
	return t64(out, s...)
}

// bnInputs returns x of the given shape and gamma, beta for its channels.
func bnInputs(seed uint64, shape ...int) (x, gamma, beta *tensor.Dense) {
	return randT(seed, shape...), randT(seed+1, shape[1]), randT(seed+2, shape[1])
}

// TestBatchNormByHand normalises two samples of two features: channel 0
// holds 1 and 3 (mean 2, biased variance 1, unbiased 2), channel 1 holds
// 10 and 20 (mean 15, variance 25, unbiased 50).
func TestBatchNormByHand(t *testing.T) {
	x := t64([]float64{1, 10, 3, 20}, 2, 2)
	gamma, beta := t64([]float64{2, 0.5}, 2), t64([]float64{0, 1}, 2)
	want := t64([]float64{-2, 0.5, 2, 1.5}, 2, 2) // x̂ = ∓1, times gamma, plus beta
	var stats BatchStats
	checkForward(t, bnTrain(0, &stats), want, x, gamma, beta)
	assertSame(t, "mean", stats.Mean, []float64{2, 15})
	assertSame(t, "unbiased var", stats.Var, []float64{2, 50})
	if stats.Count != 2 {
		t.Errorf("count %d, want 2", stats.Count)
	}
	// The same statistics as running statistics give the same output.
	checkForward(t, bnEval(0, t64([]float64{2, 15}, 2), t64([]float64{1, 25}, 2)), want, x, gamma, beta)
	// eps joins the variance: channel 0 divides by sqrt(1+3) = 2.
	checkForward(t, bnEval(3, t64([]float64{2, 15}, 2), t64([]float64{1, 1}, 2)),
		t64([]float64{-1, 0.5*(10-15)/2 + 1, 1, 0.5*(20-15)/2 + 1}, 2, 2), x, gamma, beta)
}

func TestBatchNormForward(t *testing.T) {
	for i, shape := range [][]int{{4, 3}, {64, 120}, {3, 2, 5}, {2, 3, 4, 5}, {16, 6, 28, 28}, {5, 4, 1, 1}} {
		x, gamma, beta := bnInputs(uint64(10*i), shape...)
		mean, variance := naiveBatchStats(x)
		checkForward(t, bnTrain(1e-5, nil), naiveBatchNorm(x, gamma, beta, mean, variance, 1e-5), x, gamma, beta)
		rm, rv := randT(uint64(10*i+5), shape[1]), randT(uint64(10*i+6), shape[1])
		for c := range rv.Float64s() {
			rv.Float64s()[c] += 1.5 // a variance is positive
		}
		checkForward(t, bnEval(1e-3, rm, rv), naiveBatchNorm(x, gamma, beta, rm.Float64s(), rv.Float64s(), 1e-3), x, gamma, beta)
	}
}

// TestBatchNormLargeMean normalises float32 values 1000 + U(-1, 1): the
// float64 two-pass statistics keep y accurate where E[x²]-E[x]² in float32
// would lose every digit.
func TestBatchNormLargeMean(t *testing.T) {
	x, gamma, beta := bnInputs(1, 8, 3, 6, 6)
	for i := range x.Float64s() {
		x.Float64s()[i] += 1000
	}
	x = t64(toF64(t, as(x, tensor.Float32)), x.Shape()...) // the values float32 holds
	mean, variance := naiveBatchStats(x)
	checkForward(t, bnTrain(1e-5, nil), naiveBatchNorm(x, gamma, beta, mean, variance, 1e-5), x, gamma, beta)
}

func TestBatchNormGrad(t *testing.T) {
	for i, shape := range [][]int{{4, 3}, {3, 2, 3, 4}, {2, 3, 5}, {2, 2, 1, 2}} {
		x, gamma, beta := bnInputs(uint64(10*i), shape...)
		checkGrad(t, bnTrain(1e-5, nil), x, gamma, beta)
		rm, rv := randT(uint64(10*i+5), shape[1]), randT(uint64(10*i+6), shape[1])
		for c := range rv.Float64s() {
			rv.Float64s()[c] += 1.5
		}
		checkGrad(t, bnEval(1e-5, rm, rv), x, gamma, beta)
	}
	// A bias large against the spread, as after a convolution.
	x, gamma, beta := bnInputs(50, 3, 2, 2, 3)
	for i := range x.Float64s() {
		x.Float64s()[i] = 5 + 0.1*x.Float64s()[i]
	}
	checkGrad(t, bnTrain(1e-5, nil), x, gamma, beta)
}

// TestBatchNormStatsAndFold checks the statistics Stats receives against
// the definitions and folds them with PyTorch's momentum rule.
func TestBatchNormStatsAndFold(t *testing.T) {
	x, gamma, beta := bnInputs(3, 5, 4, 3, 2)
	var stats BatchStats
	p, err := compile(t, bnTrain(1e-5, &stats), tensor.Float32, x, gamma, beta)
	if err != nil {
		t.Fatal(err)
	}
	p.run(t)
	xf := t64(toF64(t, as(x, tensor.Float32)), x.Shape()...)
	mean, variance := naiveBatchStats(xf)
	m := 5 * 3 * 2
	unbiased := make([]float64, len(variance))
	for c, v := range variance {
		unbiased[c] = v * float64(m) / float64(m-1)
	}
	assertClose(t, "mean", stats.Mean, mean, tensor.Shape{4}, tensor.Shape{len(stats.Mean)}, 1e-12)
	assertClose(t, "var", stats.Var, unbiased, tensor.Shape{4}, tensor.Shape{len(stats.Var)}, 1e-12)
	if stats.Count != m {
		t.Errorf("count %d, want %d", stats.Count, m)
	}
	for _, dt := range []tensor.Dtype{tensor.Float64, tensor.Float32} {
		rm, rv := as(t64([]float64{0, 1, 2, 3}, 4), dt), as(t64([]float64{1, 1, 2, 0.5}, 4), dt)
		if err := stats.Fold(rm, rv, 0.1); err != nil {
			t.Fatal(err)
		}
		wantM, wantV := make([]float64, 4), make([]float64, 4)
		for c := range 4 {
			wantM[c] = 0.9*float64(c) + 0.1*mean[c]
			wantV[c] = 0.9*[]float64{1, 1, 2, 0.5}[c] + 0.1*unbiased[c]
		}
		tol := map[tensor.Dtype]float64{tensor.Float64: 1e-15, tensor.Float32: 1e-7}[dt]
		assertClose(t, dt.String()+" running mean", toF64(t, rm), wantM, rm.Shape(), tensor.Shape{4}, tol)
		assertClose(t, dt.String()+" running var", toF64(t, rv), wantV, rv.Shape(), tensor.Shape{4}, tol)
	}
	rm, rv := t64([]float64{0, 0, 0, 0}, 4), t64([]float64{1, 1, 1, 1}, 4)
	for _, bad := range []func() error{
		func() error { return stats.Fold(rm, rv, 1.5) },
		func() error { return stats.Fold(rm, t64([]float64{1, 1, 1}, 3), 0.1) },
		func() error { return stats.Fold(nil, rv, 0.1) },
		func() error { return (&BatchStats{}).Fold(rm, rv, 0.1) },
	} {
		if bad() == nil {
			t.Error("bad Fold: no error")
		}
	}
}

// TestBatchNormRunningReadEachRun changes the running statistics between two
// runs of one evaluation program.
func TestBatchNormRunningReadEachRun(t *testing.T) {
	x, gamma, beta := bnInputs(4, 3, 2, 2, 2)
	rm, rv := t64([]float64{0, 0}, 2), t64([]float64{1, 1}, 2)
	p, err := compile(t, func(xs ...*G.Node) (*G.Node, error) {
		return BatchNorm(xs[0], xs[1], xs[2], BatchNormParams{Eps: 1e-5, RunningMean: rm, RunningVar: rv})
	}, tensor.Float64, x, gamma, beta)
	if err != nil {
		t.Fatal(err)
	}
	var y G.Value
	G.Read(p.out, &y)
	for _, stats := range [][2][]float64{{{0, 0}, {1, 1}}, {{0.5, -1}, {4, 0.25}}} {
		copy(rm.Float64s(), stats[0])
		copy(rv.Float64s(), stats[1])
		p.run(t)
		want := naiveBatchNorm(x, gamma, beta, stats[0], stats[1], 1e-5)
		assertClose(t, "y", toF64(t, y), want.Float64s(), want.Shape(), y.Shape(), 1e-12)
	}
}

func TestBatchNormErrors(t *testing.T) {
	for _, shape := range [][]int{{1, 3}, {1, 3, 1, 1}, {1, 2, 1}} {
		x, gamma, beta := bnInputs(1, shape...)
		_, err := compile(t, bnTrain(1e-5, nil), tensor.Float32, x, gamma, beta)
		if err == nil || !strings.Contains(err.Error(), "expected more than 1 value per channel when training") {
			t.Errorf("%v in training: error %v", shape, err)
		}
		// Evaluation mode normalises a single sample.
		rm, rv := t64(make([]float64, shape[1]), shape[1]), tensor.Ones(tensor.Float64, shape[1])
		if _, err := compile(t, bnEval(1e-5, rm, rv), tensor.Float32, x, gamma, beta); err != nil {
			t.Errorf("%v in evaluation: %v", shape, err)
		}
	}
	x, gamma, beta := bnInputs(1, 4, 3)
	bad := []struct {
		what string
		f    builder
		in   []*tensor.Dense
	}{
		{"gamma too short", bnTrain(1e-5, nil), []*tensor.Dense{x, randT(1, 2), beta}},
		{"1-D input", bnTrain(1e-5, nil), []*tensor.Dense{randT(1, 4), randT(1, 4), randT(1, 4)}},
		{"5-D input", bnTrain(1e-5, nil), []*tensor.Dense{randT(1, 2, 3, 1, 1, 2), gamma, beta}},
		{"negative eps", bnTrain(-1, nil), []*tensor.Dense{x, gamma, beta}},
		{"no running stats", func(xs ...*G.Node) (*G.Node, error) {
			return BatchNorm(xs[0], xs[1], xs[2], BatchNormParams{Eps: 1e-5})
		}, []*tensor.Dense{x, gamma, beta}},
		{"running stats of another dtype", func(xs ...*G.Node) (*G.Node, error) {
			return BatchNorm(xs[0], xs[1], xs[2], BatchNormParams{Eps: 1e-5, RunningMean: randT(1, 3), RunningVar: randT(2, 3)})
		}, []*tensor.Dense{x, gamma, beta}},
		{"running stats of another size", bnEval(1e-5, randT(1, 4), randT(2, 4)), []*tensor.Dense{x, gamma, beta}},
	}
	for _, c := range bad {
		for _, dt := range []tensor.Dtype{tensor.Float32} {
			if _, err := compile(t, c.f, dt, c.in...); err == nil {
				t.Errorf("%s: no error", c.what)
			}
		}
	}
	st := new(bnShared)
	if _, err := (bnGradOp{wrt: bnWRTbeta, dims: 2, state: st}).Do(randT(1, 4, 3)); err == nil {
		t.Error("gradient before the forward op ran: no error")
	}
}

// TestBatchNormThreads checks that the forward and gradient passes give the
// same bits on one core and on two, for planes and for a 2-D input wide
// enough to be split by channels.
func TestBatchNormThreads(t *testing.T) {
	for _, shape := range [][]int{{16, 8, 12, 12}, {64, 300}} {
		x, gamma, beta := bnInputs(7, shape...)
		c := shape[1]
		xf, gf, bf := as(x, tensor.Float32), as(gamma, tensor.Float32), as(beta, tensor.Float32)
		dy := as(randT(9, shape...), tensor.Float32)
		run := func(procs int) [][]float32 {
			defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
			st := new(bnShared)
			p := BatchNormParams{Eps: 1e-5, Training: true}
			y, err := batchNormOp{p: p, dims: len(shape), state: st}.Do(xf, gf, bf)
			if err != nil {
				t.Fatal(err)
			}
			grad := func(wrt bnWRT, in ...G.Value) []float32 {
				out, err := bnGradOp{wrt: wrt, p: p, dims: len(shape), state: st}.Do(in...)
				if err != nil {
					t.Fatal(err)
				}
				return out.Data().([]float32)
			}
			dg, db := grad(bnWRTgamma, xf, dy), grad(bnWRTbeta, dy)
			dgT, dbT := tensor.New(tensor.WithShape(c), tensor.WithBacking(dg)), tensor.New(tensor.WithShape(c), tensor.WithBacking(db))
			return [][]float32{y.Data().([]float32), dg, db, grad(bnWRTx, xf, gf, dy, dgT, dbT)}
		}
		one, two := run(1), run(2)
		for k := range one {
			if i := sameBits(one[k], two[k]); i >= 0 {
				t.Fatalf("%v: output %d differs at %d: %v on 1 core, %v on 2", shape, k, i, one[k][i], two[k][i])
			}
		}
	}
}

// TestBatchNormKernels runs the float32 passes, whose vector kernels take
// 16, 8 or 4 values at a time and then single ones, on every plane size up
// to 37 (1 is a 2-D input), and checks the elementwise results bit for bit
// against the same operations in Go, with the constants the op derived
// from its statistics, and the sums against float64 sums of the same
// values.
func TestBatchNormKernels(t *testing.T) { eachLevel(t, checkBatchNormKernels) }

func checkBatchNormKernels(t *testing.T) {
	for s := 1; s <= 37; s++ {
		shape := []int{3, 2, s}
		x64, g64, b64 := bnInputs(uint64(s), shape...)
		x64 = t64(toF64(t, as(x64, tensor.Float32)), shape...) // the values float32 holds
		x, gamma, beta := as(x64, tensor.Float32), as(g64, tensor.Float32), as(b64, tensor.Float32)
		dy := as(randT(uint64(s+100), shape...), tensor.Float32)
		dy64 := t64(toF64(t, dy), shape...)
		for _, training := range []bool{true, false} {
			st := new(bnShared)
			p := BatchNormParams{Eps: 1e-5, Training: training, Stats: new(BatchStats),
				RunningMean: as(randT(1, 2), tensor.Float32), RunningVar: as(tensor.Ones(tensor.Float64, 2), tensor.Float32)}
			y, err := batchNormOp{p: p, dims: 3, state: st}.Do(x, gamma, beta)
			if err != nil {
				t.Fatal(err)
			}
			grad := func(wrt bnWRT, in ...G.Value) *tensor.Dense {
				out, err := bnGradOp{wrt: wrt, p: p, dims: 3, state: st}.Do(in...)
				if err != nil {
					t.Fatal(err)
				}
				return out.(*tensor.Dense)
			}
			dg, db := grad(bnWRTgamma, x, dy), grad(bnWRTbeta, dy)
			var dx *tensor.Dense
			if training {
				dx = grad(bnWRTx, x, gamma, dy, dg, db)
				mean, variance := naiveBatchStats(x64)
				assertClose(t, "mean", st.Mean(), mean, tensor.Shape{2}, tensor.Shape{2}, 1e-14)
				assertClose(t, "var", st.VarB(), variance, tensor.Shape{2}, tensor.Shape{2}, 1e-13)
			} else {
				dx = grad(bnWRTx, gamma, dy)
			}
			var wantY, wantDx, wantDg, wantDb []float64
			for i, v := range x.Float32s() {
				c := i / s % 2
				m, k := float32(st.Mean()[c]), float32(float64(gamma.Float32s()[c])*st.Invstd()[c])
				wantY = append(wantY, float64(float32(float32(v-m)*k)+beta.Float32s()[c]))
				d := dy.Float32s()[i]
				if training {
					inv, mf := st.Invstd()[c], float64(3*s)
					gm, m, k, w := float32(float64(db.Float32s()[c])/mf), float32(st.Mean()[c]), float32(float64(dg.Float32s()[c])*inv/mf), float32(float64(gamma.Float32s()[c])*inv)
					wantDx = append(wantDx, float64((d-gm-float32(float32(v-m)*k))*w))
				} else {
					wantDx = append(wantDx, float64(d*float32(float64(gamma.Float32s()[c])*st.Invstd()[c])))
				}
			}
			for c := range 2 {
				var dot, sum float64
				for n := range 3 {
					for i := range s {
						k := (n*2+c)*s + i
						dot += dy64.Float64s()[k] * (x64.Float64s()[k] - st.Mean()[c])
						sum += dy64.Float64s()[k]
					}
				}
				wantDg, wantDb = append(wantDg, dot*st.Invstd()[c]), append(wantDb, sum)
			}
			what := func(v string) string { return fmt.Sprintf("%s s=%d training=%v", v, s, training) }
			assertSame(t, what("y"), toF64(t, y), wantY)
			assertSame(t, what("dx"), toF64(t, dx), wantDx)
			assertClose(t, what("dgamma"), toF64(t, dg), wantDg, tensor.Shape{2}, dg.Shape(), 1e-6)
			assertClose(t, what("dbeta"), toF64(t, db), wantDb, tensor.Shape{2}, db.Shape(), 1e-6)
		}
	}
}

func benchBatchNorm(b *testing.B, shape ...int) {
	x, gamma, beta := bnInputs(1, shape...)
	benchForwardBackward(b, bnTrain(1e-5, nil), nil, x, gamma, beta)
}

func BenchmarkBatchNorm64x16x10x10(b *testing.B) { benchBatchNorm(b, 64, 16, 10, 10) }
func BenchmarkBatchNorm64x6x28x28(b *testing.B)  { benchBatchNorm(b, 64, 6, 28, 28) }

// TestBatchNormBetaFromGammaPass checks that the gradient of beta, when
// the gradient of gamma has summed the same dy in the same run, copies its
// sums, and computes them itself otherwise (another dy, another run, or
// before the gradient of gamma): the same bits either way, at every level.
func TestBatchNormBetaFromGammaPass(t *testing.T) {
	eachLevel(t, func(t *testing.T) {
		for _, shape := range [][]int{{4, 3, 5, 7}, {16, 5}} {
			x, gamma, beta := bnInputs(3, shape...)
			xf, gf, bf := as(x, tensor.Float32), as(gamma, tensor.Float32), as(beta, tensor.Float32)
			dy, dy2 := as(randT(4, shape...), tensor.Float32), as(randT(5, shape...), tensor.Float32)
			p := BatchNormParams{Eps: 1e-5, Training: true}
			st := new(bnShared)
			fwd := batchNormOp{p: p, dims: len(shape), state: st}
			gOp := bnGradOp{wrt: bnWRTgamma, p: p, dims: len(shape), state: st}
			bOp := bnGradOp{wrt: bnWRTbeta, p: p, dims: len(shape), state: st}
			run := func(op bnGradOp, in ...G.Value) []float32 {
				out, err := op.Do(in...)
				if err != nil {
					t.Fatal(err)
				}
				return out.Data().([]float32)
			}
			if _, err := fwd.Do(xf, gf, bf); err != nil {
				t.Fatal(err)
			}
			alone := run(bOp, dy) // before the gradient of gamma
			run(gOp, xf, dy)
			if st.beta32.run != st.run {
				t.Fatal("the gradient of gamma left no sums")
			}
			copied := run(bOp, dy)
			other := run(bOp, dy2) // another dy: its own sums
			if i := sameBits(alone, copied); i >= 0 {
				t.Fatalf("%v: dbeta[%d] copied %v, computed %v", shape, i, copied[i], alone[i])
			}
			if _, err := fwd.Do(xf, gf, bf); err != nil { // a new run
				t.Fatal(err)
			}
			again := run(bOp, dy2)
			if i := sameBits(other, again); i >= 0 {
				t.Fatalf("%v: dbeta of another dy [%d] = %v, then %v", shape, i, other[i], again[i])
			}
			var sum float64
			for _, v := range dy2.Float32s() {
				sum += float64(v)
			}
			var got float64
			for _, v := range other {
				got += float64(v)
			}
			if math.Abs(got-sum) > 1e-4*max(1, math.Abs(sum)) {
				t.Fatalf("%v: Σ dbeta of another dy = %v, want Σ dy = %v (the stale sums were copied?)", shape, got, sum)
			}
		}
	})
}
