package ops

import (
	"math"
	"runtime"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

func dropout(p DropoutParams) builder {
	return func(xs ...*G.Node) (*G.Node, error) { return Dropout(xs[0], p) }
}

// naiveDropout is the definition in x's dtype: x/(1-rate) where
// DropoutKeep keeps the element, else 0.
func naiveDropout(x *tensor.Dense, rate float64, seed, step uint64) []float64 {
	out := make([]float64, x.Size())
	for i, v := range toF64nt(x) {
		if DropoutKeep(seed, step, i, rate) {
			if x.Dtype() == tensor.Float32 {
				out[i] = float64(float32(v) / float32(1-rate))
			} else {
				out[i] = v / (1 - rate)
			}
		}
	}
	return out
}

// toF64nt is toF64 without a *testing.T.
func toF64nt(x *tensor.Dense) []float64 {
	if x.Dtype() == tensor.Float64 {
		return x.Float64s()
	}
	out := make([]float64, x.Size())
	for i, v := range x.Float32s() {
		out[i] = float64(v)
	}
	return out
}

// TestDropoutForward compares the op bit for bit with the definition, on
// odd and even sizes, small and spread over the cores, with NaN and Inf
// among the inputs: dropped, they give 0.
func TestDropoutForward(t *testing.T) {
	for _, n := range []int{1, 2, 7, 64 * 120, 100_001} {
		x := randT(uint64(n), n)
		x.Float64s()[0], x.Float64s()[n/2] = math.NaN(), math.Inf(-1)
		for _, dt := range []tensor.Dtype{tensor.Float64, tensor.Float32} {
			for _, step := range []uint64{0, 1, 12345} {
				xd := as(x, dt)
				y, err := dropoutOp{p: DropoutParams{Rate: 0.3, Seed: 42, Step: &step}}.Do(xd)
				if err != nil {
					t.Fatal(err)
				}
				assertSame(t, dt.String(), toF64(t, y), naiveDropout(xd, 0.3, 42, step))
			}
		}
	}
}

// TestDropoutMask checks the mask's statistics on 100k elements: the kept
// fraction, independence between steps, between seeds and between the two
// halves of one hash.
func TestDropoutMask(t *testing.T) {
	const n, rate = 100_000, 0.3
	mask := func(seed, step uint64) []bool {
		m := make([]bool, n)
		for i := range m {
			m[i] = DropoutKeep(seed, step, i, rate)
		}
		return m
	}
	sigma := math.Sqrt(rate * (1 - rate) / n)
	within := func(what string, got, want float64) {
		t.Helper()
		if math.Abs(got-want) > 5*sigma {
			t.Errorf("%s: %.4f, want %.4f ± %.4f", what, got, want, 5*sigma)
		}
	}
	a := mask(7, 100)
	again := mask(7, 100)
	for _, other := range []struct {
		what string
		m    []bool
	}{{"next step", mask(7, 101)}, {"other seed", mask(8, 100)}} {
		kept, agree, both := 0, 0, 0
		for i := range a {
			if a[i] != again[i] {
				t.Fatalf("mask of element %d changed for the same seed and step", i)
			}
			if a[i] {
				kept++
			}
			if a[i] == other.m[i] {
				agree++
			}
			if a[i] && other.m[i] {
				both++
			}
		}
		within("kept fraction", float64(kept)/n, 1-rate)
		// Independent masks agree with probability (1-r)² + r².
		within(other.what+" agreement", float64(agree)/n, (1-rate)*(1-rate)+rate*rate)
		within(other.what+" both kept", float64(both)/n, (1-rate)*(1-rate))
	}
	pairs := 0
	for i := 0; i < n; i += 2 {
		if a[i] && a[i+1] {
			pairs++
		}
	}
	within("pairs kept", 2*float64(pairs)/n, (1-rate)*(1-rate))
	for _, r := range []float64{0, 0.5, 0.999} {
		kept := 0
		for i := range n {
			if DropoutKeep(1, 2, i, r) {
				kept++
			}
		}
		if s := math.Sqrt(r * (1 - r) / n); math.Abs(float64(kept)/n-(1-r)) > 5*s+1e-9 {
			t.Errorf("rate %v: kept %d of %d", r, kept, n)
		}
	}
}

// TestDropoutThreads checks that one core and two give the same bits.
func TestDropoutThreads(t *testing.T) {
	x := as(randT(1, 100_000), tensor.Float32)
	step := uint64(3)
	op := dropoutOp{p: DropoutParams{Rate: 0.3, Seed: 9, Step: &step}}
	run := func(procs int) []float32 {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
		y, err := op.Do(x)
		if err != nil {
			t.Fatal(err)
		}
		return y.Data().([]float32)
	}
	if i := sameBits(run(1), run(2)); i >= 0 {
		t.Fatalf("element %d differs between 1 and 2 cores", i)
	}
}

// TestDropoutGrad checks the gradient by finite differences at a fixed step,
// and that it is exactly 0 where the forward dropped and dy/(1-rate), not
// dy/rate as in gorgonia, where it kept.
func TestDropoutGrad(t *testing.T) {
	step := uint64(5)
	p := DropoutParams{Rate: 0.3, Seed: 1, Step: &step}
	checkGrad(t, dropout(p), randT(1, 4, 5, 3))
	checkGrad(t, dropout(p), randT(2, 9))
	checkGrad(t, dropout(DropoutParams{Rate: 0, Step: &step}), randT(3, 6))
	for _, dt := range []tensor.Dtype{tensor.Float64, tensor.Float32} {
		x, dy := as(randT(4, 50, 31), dt), as(randT(5, 50, 31), dt)
		y, err := dropoutOp{p: p}.Do(x)
		if err != nil {
			t.Fatal(err)
		}
		dx, err := dropoutOp{p: p, grad: true}.Do(dy)
		if err != nil {
			t.Fatal(err)
		}
		ys, dxs, dys := toF64(t, y), toF64(t, dx), toF64(t, dy)
		for i := range ys {
			want := 0.0
			if ys[i] != 0 {
				want = dys[i] / 0.7
				if dt == tensor.Float32 {
					want = float64(float32(dys[i]) / float32(0.7))
				}
			}
			if dxs[i] != want {
				t.Fatalf("%v: dx[%d] = %v, want %v (y %v)", dt, i, dxs[i], want, ys[i])
			}
		}
	}
}

// TestDropoutStepPerRun runs one program at two steps: the op reads *Step
// at every run.
func TestDropoutStepPerRun(t *testing.T) {
	step := uint64(0)
	x := randT(1, 10, 10)
	prog, err := compile(t, dropout(DropoutParams{Rate: 0.5, Seed: 3, Step: &step}), tensor.Float64, x)
	if err != nil {
		t.Fatal(err)
	}
	var got G.Value
	G.Read(prog.out, &got) // before the first run, which builds the machine
	for _, s := range []uint64{0, 1, 0, 77} {
		step = s
		prog.run(t)
		assertSame(t, "y", toF64(t, got), naiveDropout(x, 0.5, 3, s))
	}
}

func TestDropoutIdentityAndErrors(t *testing.T) {
	step := uint64(1)
	x := randT(1, 3, 4)
	checkForward(t, dropout(DropoutParams{Rate: 0, Seed: 1, Step: &step}), x, x)
	g := G.NewGraph()
	n := G.NewMatrix(g, tensor.Float64, G.WithShape(2, 2))
	for _, p := range []DropoutParams{{Rate: -0.1, Step: &step}, {Rate: 1, Step: &step}, {Rate: math.NaN(), Step: &step}, {Rate: 0.5}} {
		if _, err := Dropout(n, p); err == nil {
			t.Errorf("%+v: no error", p)
		}
	}
}

func BenchmarkDropout64x120(b *testing.B) {
	step := uint64(0)
	benchForwardBackward(b, dropout(DropoutParams{Rate: 0.5, Seed: 1, Step: &step}), nil, randT(1, 64, 120))
}
