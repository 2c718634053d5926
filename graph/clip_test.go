package graph

import (
	"math"
	"math/rand/v2"
	"testing"

	"gorgonia.org/tensor"
)

// dense returns a float64 or float32 tensor holding vals.
func dense(dt tensor.Dtype, vals ...float64) *tensor.Dense {
	d := newLike(dt, len(vals))
	setFromFloat64s(d, vals)
	return d
}

func snapshotGrads(grads []*tensor.Dense) [][]float64 {
	out := make([][]float64, len(grads))
	for i, g := range grads {
		out[i] = appendFloats(nil, g)
	}
	return out
}

func TestClipGradNorm(t *testing.T) {
	// ‖(3, 4, 12)‖ = 13; clipped to 6.5 every value is multiplied by
	// 6.5/(13 + 1e-6), in its gradient's dtype.
	for _, dt := range []tensor.Dtype{tensor.Float64, tensor.Float32} {
		grads := []*tensor.Dense{dense(dt, 3, 4), dense(dt, 12)}
		limit := 6.5
		norm, err := ClipGradNorm(grads, limit)
		if err != nil || norm != 13 {
			t.Fatalf("%v: norm %v, %v; want 13", dt, norm, err)
		}
		coef := limit / (norm + 1e-6)
		for i, want := range [][]float64{{3, 4}, {12}} {
			for j, x := range want {
				w := x * coef
				if dt == tensor.Float32 {
					w = float64(float32(x) * float32(coef))
				}
				if got := appendFloats(nil, grads[i])[j]; math.Float64bits(got) != math.Float64bits(w) {
					t.Errorf("%v: gradient %d[%d] = %v, want %v", dt, i, j, got, w)
				}
			}
		}
		if after, _ := ClipGradNorm(grads, math.Inf(1)); math.Abs(after-6.5) > 1e-5 || after >= 6.5 {
			t.Errorf("%v: norm after clipping %v, want just under 6.5", dt, after)
		}
	}
}

func TestClipGradNormUnderTheLimit(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	var grads []*tensor.Dense
	want := 0.0
	for _, n := range []int{1, 7, 300, 1000} {
		for _, dt := range []tensor.Dtype{tensor.Float32, tensor.Float64} {
			vals := make([]float64, n)
			for i := range vals {
				vals[i] = rng.NormFloat64()
				if dt == tensor.Float32 {
					vals[i] = float64(float32(vals[i]))
				}
				want += vals[i] * vals[i]
			}
			grads = append(grads, dense(dt, vals...))
		}
	}
	want = math.Sqrt(want)
	before := snapshotGrads(grads)
	for _, limit := range []float64{2 * want, want + 1e-5, math.Inf(1)} {
		norm, err := ClipGradNorm(grads, limit)
		if err != nil || math.Abs(norm-want) > 1e-12*want {
			t.Fatalf("limit %v: norm %v, %v; want %v", limit, norm, err, want)
		}
		for i, g := range grads {
			if !bitsEqual(appendFloats(nil, g), before[i]) {
				t.Fatalf("limit %v: gradient %d changed", limit, i)
			}
		}
	}
	// As in PyTorch, a norm within 1e-6 of the limit is scaled a little.
	grads = []*tensor.Dense{dense(tensor.Float64, 3, 4)}
	if _, err := ClipGradNorm(grads, 5); err != nil {
		t.Fatal(err)
	}
	near(t, "norm at the limit", grads[0].Float64s(), []float64{3 * 5 / (5 + 1e-6), 4 * 5 / (5 + 1e-6)})
}

func TestClipGradNormErrors(t *testing.T) {
	for _, c := range []struct {
		bad  float64
		want string
	}{{math.NaN(), "norm is NaN: gradient 1 holds NaN"}, {math.Inf(-1), "norm is +Inf: gradient 1 holds -Inf"}} {
		for _, dt := range []tensor.Dtype{tensor.Float32, tensor.Float64} {
			grads := []*tensor.Dense{dense(dt, 1, 2), dense(dt, 3, c.bad, 5), dense(dt, 100)}
			before := snapshotGrads(grads)
			norm, err := ClipGradNorm(grads, 1)
			wantError(t, c.want, err, c.want, "left as they were")
			if !math.IsNaN(norm) && !math.IsInf(norm, 1) {
				t.Errorf("%s: norm %v", c.want, norm)
			}
			for i, g := range grads {
				if !bitsEqual(appendFloats(nil, g), before[i]) {
					t.Errorf("%s %v: gradient %d changed", c.want, dt, i)
				}
			}
		}
	}
	g := []*tensor.Dense{dense(tensor.Float64, 1)}
	for _, m := range []float64{0, -1, math.NaN()} {
		_, err := ClipGradNorm(g, m)
		wantError(t, "maxNorm", err, "maxNorm is", "want > 0")
	}
	_, err := ClipGradNorm([]*tensor.Dense{g[0], nil}, 1)
	wantError(t, "nil gradient", err, "gradient 1 is nil")
	_, err = ClipGradNorm([]*tensor.Dense{tensor.New(tensor.WithBacking([]int{1}))}, 1)
	wantError(t, "int gradient", err, "gradient 0 is int")
	if norm, err := ClipGradNorm(nil, 1); norm != 0 || err != nil {
		t.Errorf("no gradients: %v, %v", norm, err)
	}
}

// TestClipGradNormHugeValues checks float64 gradients whose squares
// overflow: the norm is still found, and clipping works.
func TestClipGradNormHugeValues(t *testing.T) {
	grads := []*tensor.Dense{dense(tensor.Float64, 3e200), dense(tensor.Float64, -4e200, 0)}
	norm, err := ClipGradNorm(grads, 1)
	if err != nil || math.Abs(norm-5e200) > 1e-15*5e200 {
		t.Fatalf("norm %v, %v; want 5e200", norm, err)
	}
	near(t, "clipped", append(grads[0].Float64s(), grads[1].Float64s()...), []float64{0.6, -0.8, 0})
}

func TestClipGradNormDoesNotAllocate(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts mean nothing under the race detector")
	}
	grads := []*tensor.Dense{newLike(tensor.Float32, 1000), newLike(tensor.Float64, 10)}
	setFromFloat64s(grads[0], make([]float64, 1000))
	if a := testing.AllocsPerRun(10, func() { _, _ = ClipGradNorm(grads, 1) }); a != 0 {
		t.Errorf("%v allocations per call", a)
	}
}

func BenchmarkClipGradNormMLP(b *testing.B) {
	m, err := NewModel(Sequential("mlp", Dense("fc1", 300), ReLU(), Dense("fc2", 100), ReLU(), Dense("fc3", 10)), []int{784}, 1)
	if err != nil {
		b.Fatal(err)
	}
	grads := make([]*tensor.Dense, len(m.Params()))
	for i, p := range m.Params() {
		grads[i] = newLike(tensor.Float32, p.Shape()...)
		setFromFloat64s(grads[i], p.Float64s())
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ClipGradNorm(grads, 1e9); err != nil {
			b.Fatal(err)
		}
	}
}
