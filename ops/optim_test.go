package ops

import (
	"math"
	"runtime"
	"testing"
)

// sgdReference is the update written out one weight at a time, every
// operation rounded to float32, as the definition in SGDUpdate32's comment.
func sgdReference(w, g, v []float32, lr, mom, wd float32, nesterov bool) {
	for i := range w {
		d := float32(g[i] + float32(wd*w[i]))
		switch {
		case v == nil:
			w[i] = float32(w[i] - float32(lr*d))
		case nesterov:
			v[i] = float32(float32(mom*v[i]) + d)
			w[i] = float32(w[i] - float32(lr*float32(d+float32(mom*v[i]))))
		default:
			v[i] = float32(float32(mom*v[i]) + d)
			w[i] = float32(w[i] - float32(lr*v[i]))
		}
	}
}

func TestSGDUpdateMatchesReference(t *testing.T) { eachLevel(t, checkSGDUpdateMatchesReference) }

func checkSGDUpdateMatchesReference(t *testing.T) {
	// Lengths around the vector width, and past two chunks so that the
	// update is split over the cores.
	for _, n := range []int{1, 7, 8, 9, 31, 100, 2*sgdMinChunk + 13} {
		for _, c := range []struct {
			mom, wd  float32
			nesterov bool
		}{{0, 0, false}, {0, 1e-3, false}, {0.9, 0, false}, {0.9, 5e-4, false}, {0.9, 5e-4, true}} {
			w, g, v := kernelInput(1, n), kernelInput(2, n), kernelInput(3, n)
			if c.mom == 0 {
				v = nil
			}
			rw, rv := append([]float32(nil), w...), append([]float32(nil), v...)
			if v == nil {
				rv = nil
			}
			for step := 0; step < 2; step++ {
				if err := SGDUpdate32(w, g, v, 0.01, c.mom, c.wd, c.nesterov); err != nil {
					t.Fatal(err)
				}
				sgdReference(rw, g, rv, 0.01, c.mom, c.wd, c.nesterov)
			}
			if i := sameBits(w, rw); i >= 0 {
				t.Fatalf("n %d %+v: w[%d] = %v, want %v", n, c, i, w[i], rw[i])
			}
			if i := sameBits(v, rv); v != nil && i >= 0 {
				t.Fatalf("n %d %+v: v[%d] = %v, want %v", n, c, i, v[i], rv[i])
			}
		}
	}
}

func TestSGDUpdateValues(t *testing.T) { eachLevel(t, checkSGDUpdateValues) }

func checkSGDUpdateValues(t *testing.T) {
	// d = 0.5 + 0.01·1 = 0.51; v = 0.9·0.2 + 0.51 = 0.69; w = 1 - 0.1·0.69.
	// Nesterov: w = 1 - 0.1·(0.51 + 0.9·0.69) = 0.8869.
	for _, c := range []struct {
		nesterov bool
		mom      float64
		w, v     float64
	}{{false, 0, 0.949, 0.2}, {false, 0.9, 0.931, 0.69}, {true, 0.9, 0.8869, 0.69}} {
		w, v := []float64{1}, []float64{0.2}
		vs := v
		if c.mom == 0 {
			vs = nil
		}
		if err := SGDUpdate64(w, []float64{0.5}, vs, 0.1, c.mom, 0.01, c.nesterov); err != nil {
			t.Fatal(err)
		}
		if math.Abs(w[0]-c.w) > 1e-12 || math.Abs(v[0]-c.v) > 1e-12 {
			t.Errorf("%+v: w %v v %v", c, w[0], v[0])
		}
	}
}

func TestSGDUpdateLengths(t *testing.T) {
	w := make([]float32, 4)
	if SGDUpdate32(w, make([]float32, 3), nil, 1, 0, 0, false) == nil {
		t.Error("3 gradients for 4 weights accepted")
	}
	if SGDUpdate32(w, make([]float32, 4), make([]float32, 5), 1, 0.9, 0, false) == nil {
		t.Error("5 velocities for 4 weights accepted")
	}
}

func BenchmarkSGDUpdateMLP(b *testing.B) {
	n := 266_610
	w, g, v := kernelInput(1, n), kernelInput(2, n), kernelInput(3, n)
	for i := range w {
		w[i], g[i], v[i] = 0.1, 0.01, 0
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := SGDUpdate32(w, g, v, 0.01, 0.9, 0, false); err != nil {
			b.Fatal(err)
		}
	}
}

func TestAdamUpdateValues(t *testing.T) { eachLevel(t, checkAdamUpdateValues) }

func checkAdamUpdateValues(t *testing.T) {
	// One step from m = v = 0 with β₁ 0.9, β₂ 0.999, t = 1: d = 0.5 + 0.01·1
	// = 0.51, m = 0.051, v = 0.001·0.2601, and with both bias corrections
	// the step is lr·sign(d) up to ε: w = 1 - 0.1·0.051/0.1 / (√(0.0002601
	// /0.001) + 1e-8) = 1 - 0.1·0.51/(0.51 + 1e-8).
	w, m, v := []float64{1}, []float64{0}, []float64{0}
	// LR is lr 0.1 over the first moment's bias correction 1 - 0.9.
	h := AdamStep{LR: 1, Beta1: 0.9, Beta2: 0.999, Correction2: 0.001, Eps: 1e-8, WeightDecay: 0.01}
	if err := AdamUpdate64(w, []float64{0.5}, m, v, h); err != nil {
		t.Fatal(err)
	}
	want := 1 - 0.1*0.51/(0.51+1e-8)
	if math.Abs(w[0]-want) > 1e-12 || math.Abs(m[0]-0.051) > 1e-15 || math.Abs(v[0]-0.0002601) > 1e-15 {
		t.Fatalf("w %v m %v v %v, want w %v", w[0], m[0], v[0], want)
	}
}

// TestAdamUpdateSplitMatchesOneCore checks that the update spread over the
// cores gives the bits of one loop over all weights.
func TestAdamUpdateSplitMatchesOneCore(t *testing.T) {
	eachLevel(t, checkAdamUpdateSplitMatchesOneCore)
}

func checkAdamUpdateSplitMatchesOneCore(t *testing.T) {
	n := 3*adamMinChunk + 5
	w, g, m, v := kernelInput(1, n), kernelInput(2, n), make([]float32, n), make([]float32, n)
	rw, rm, rv := append([]float32(nil), w...), make([]float32, n), make([]float32, n)
	h := AdamStep{LR: 0.01, Beta1: 0.9, Beta2: 0.999, Correction2: 0.001, Eps: 1e-8, WeightDecay: 1e-4}
	for step := 0; step < 3; step++ {
		if err := AdamUpdate32(w, g, m, v, h); err != nil {
			t.Fatal(err)
		}
		prev := runtime.GOMAXPROCS(1)
		err := AdamUpdate32(rw, g, rm, rv, h)
		runtime.GOMAXPROCS(prev)
		if err != nil {
			t.Fatal(err)
		}
	}
	if i := sameBits(w, rw); i >= 0 {
		t.Fatalf("w[%d] = %v, want %v", i, w[i], rw[i])
	}
	if AdamUpdate32(w, g[:3], m, v, h) == nil {
		t.Error("3 gradients accepted")
	}
}

// adamReference is AdamUpdate32 written out one weight at a time, every
// operation rounded as its comment says.
func adamReference(w, g, m, v []float32, h AdamStep) {
	for i := range w {
		if h.DecoupledDecay != 0 {
			w[i] = float32(w[i] * float32(1-h.DecoupledDecay))
		}
		d := float32(g[i] + float32(float32(h.WeightDecay)*w[i]))
		m[i] = float32(float32(float32(h.Beta1)*m[i]) + float32((1-float32(h.Beta1))*d))
		v[i] = float32(float32(float32(h.Beta2)*v[i]) + float32(float32((1-float32(h.Beta2))*d)*d))
		w[i] -= float32(h.LR * float64(m[i]) / (math.Sqrt(float64(v[i])/h.Correction2) + h.Eps))
	}
}

// TestAdamWUpdateMatchesReference checks the decoupled decay, alone and
// with L2 decay, against the scalar definition on any number of cores.
func TestAdamWUpdateMatchesReference(t *testing.T) { eachLevel(t, checkAdamWUpdateMatchesReference) }

func checkAdamWUpdateMatchesReference(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	for _, procs := range []int{1, 2, 3} {
		runtime.GOMAXPROCS(procs)
		for _, n := range []int{1, 9, 3*adamMinChunk + 5} {
			for _, h := range []AdamStep{
				{LR: 0.01, Beta1: 0.9, Beta2: 0.999, Correction2: 0.001, Eps: 1e-8, DecoupledDecay: 1e-3},
				{LR: 0.02, Beta1: 0.8, Beta2: 0.99, Correction2: 0.01, Eps: 1e-6, WeightDecay: 1e-2, DecoupledDecay: 0.3},
			} {
				w, g, m, v := kernelInput(1, n), kernelInput(2, n), make([]float32, n), make([]float32, n)
				rw, rm, rv := append([]float32(nil), w...), make([]float32, n), make([]float32, n)
				for step := 0; step < 3; step++ {
					if err := AdamUpdate32(w, g, m, v, h); err != nil {
						t.Fatal(err)
					}
					adamReference(rw, g, rm, rv, h)
				}
				for name, got := range map[string][2][]float32{"w": {w, rw}, "m": {m, rm}, "v": {v, rv}} {
					if i := sameBits(got[0], got[1]); i >= 0 {
						t.Fatalf("%d procs, n %d, %+v: %s[%d] = %v, want %v", procs, n, h, name, i, got[0][i], got[1][i])
					}
				}
			}
		}
	}
}

func TestAdamWUpdateValues(t *testing.T) { eachLevel(t, checkAdamWUpdateValues) }

func checkAdamWUpdateValues(t *testing.T) {
	// AdamW shrinks first, w = 1·(1 - 0.1·0.5) = 0.95, and leaves the
	// gradient alone: d = 0.5, m = 0.05, v = 0.00025, and the bias-corrected
	// step is lr·0.5/(0.5 + 1e-8).
	w, m, v := []float64{1}, []float64{0}, []float64{0}
	h := AdamStep{LR: 1, Beta1: 0.9, Beta2: 0.999, Correction2: 0.001, Eps: 1e-8, DecoupledDecay: 0.05}
	if err := AdamUpdate64(w, []float64{0.5}, m, v, h); err != nil {
		t.Fatal(err)
	}
	want := 0.95 - 0.1*0.5/(0.5+1e-8)
	if math.Abs(w[0]-want) > 1e-12 || math.Abs(m[0]-0.05) > 1e-15 || math.Abs(v[0]-0.00025) > 1e-15 {
		t.Fatalf("w %v m %v v %v, want w %v", w[0], m[0], v[0], want)
	}
}

// rmspropReference is RMSpropUpdate32 written out one weight at a time,
// every operation rounded to float32, as the definition in its comment.
func rmspropReference(w, g, sq, ga, b []float32, h RMSpropStep) {
	lr, alpha, rest := float32(h.LR), float32(h.Alpha), float32(1-h.Alpha)
	for i := range w {
		d := g[i]
		if h.WeightDecay != 0 {
			d = float32(d + float32(float32(h.WeightDecay)*w[i]))
		}
		sq[i] = float32(float32(alpha*sq[i]) + float32(float32(rest*d)*d))
		var a float32
		if h.Centered {
			ga[i] = float32(float32(alpha*ga[i]) + float32(rest*d))
			a = float32(math.Sqrt(float64(float32(sq[i] - float32(ga[i]*ga[i])))))
		} else {
			a = float32(math.Sqrt(float64(sq[i])))
		}
		a = float32(a + float32(h.Eps))
		if h.Momentum != 0 {
			b[i] = float32(float32(float32(h.Momentum)*b[i]) + float32(d/a))
			w[i] = float32(w[i] - float32(lr*b[i]))
		} else {
			w[i] = float32(w[i] - float32(float32(lr*d)/a))
		}
	}
}

// TestRMSpropUpdateMatchesReference checks every variant against the
// scalar definition, on lengths that split over the cores and on 1 to 3
// cores: each weight is computed alone, so the bits cannot depend on the
// split.
func TestRMSpropUpdateMatchesReference(t *testing.T) {
	eachLevel(t, checkRMSpropUpdateMatchesReference)
}

func checkRMSpropUpdateMatchesReference(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	for _, procs := range []int{1, 2, 3} {
		runtime.GOMAXPROCS(procs)
		for _, n := range []int{1, 7, 100, 3*rmspropMinChunk + 5} {
			for _, h := range []RMSpropStep{
				{LR: 0.01, Alpha: 0.99, Eps: 1e-8},
				{LR: 0.01, Alpha: 0.9, Eps: 1e-6, WeightDecay: 1e-3},
				{LR: 0.01, Alpha: 0.99, Eps: 1e-8, Momentum: 0.9},
				{LR: 0.01, Alpha: 0.99, Eps: 1e-8, Centered: true},
				{LR: 0.03, Alpha: 0.95, Eps: 1e-8, Momentum: 0.5, WeightDecay: 1e-2, Centered: true},
			} {
				w, g := kernelInput(1, n), kernelInput(2, n)
				rw := append([]float32(nil), w...)
				sq, rsq := make([]float32, n), make([]float32, n)
				var ga, rga, b, rb []float32
				if h.Centered {
					ga, rga = make([]float32, n), make([]float32, n)
				}
				if h.Momentum != 0 {
					b, rb = make([]float32, n), make([]float32, n)
				}
				for step := 0; step < 3; step++ {
					if err := RMSpropUpdate32(w, g, sq, ga, b, h); err != nil {
						t.Fatal(err)
					}
					rmspropReference(rw, g, rsq, rga, rb, h)
				}
				for name, got := range map[string][2][]float32{"w": {w, rw}, "sq": {sq, rsq}, "ga": {ga, rga}, "b": {b, rb}} {
					if i := sameBits(got[0], got[1]); i >= 0 {
						t.Fatalf("%d procs, n %d, %+v: %s[%d] = %v, want %v", procs, n, h, name, i, got[0][i], got[1][i])
					}
				}
			}
		}
	}
}

func TestRMSpropUpdateValues(t *testing.T) { eachLevel(t, checkRMSpropUpdateValues) }

func checkRMSpropUpdateValues(t *testing.T) {
	// One step from zero state, α 0.9, lr 0.1, ε 0.01, wd 0.1, w 1, g 0.5:
	// d = 0.6, sq = 0.1·0.36 = 0.036; centered ga = 0.06, a = √(0.036 -
	// 0.0036) + 0.01 = 0.18 + 0.01 = 0.19, else a = √0.036 + 0.01; with
	// momentum 0.5 and b = 0.2, b = 0.1 + 0.6/a.
	a := math.Sqrt(0.036) + 0.01
	for _, c := range []struct {
		mom      float64
		centered bool
		w, b     float64
	}{
		{0, false, 1 - 0.1*0.6/a, 0.2},
		{0, true, 1 - 0.1*0.6/0.19, 0.2},
		{0.5, false, 1 - 0.1*(0.1+0.6/a), 0.1 + 0.6/a},
		{0.5, true, 1 - 0.1*(0.1+0.6/0.19), 0.1 + 0.6/0.19},
	} {
		w, sq, ga, b := []float64{1}, []float64{0}, []float64{0}, []float64{0.2}
		gas, bs := ga, b
		if !c.centered {
			gas = nil
		}
		if c.mom == 0 {
			bs = nil
		}
		h := RMSpropStep{LR: 0.1, Alpha: 0.9, Eps: 0.01, Momentum: c.mom, WeightDecay: 0.1, Centered: c.centered}
		if err := RMSpropUpdate64(w, []float64{0.5}, sq, gas, bs, h); err != nil {
			t.Fatal(err)
		}
		if math.Abs(w[0]-c.w) > 1e-12 || math.Abs(b[0]-c.b) > 1e-12 || math.Abs(sq[0]-0.036) > 1e-15 {
			t.Errorf("%+v: w %v b %v sq %v, want w %v b %v", c, w[0], b[0], sq[0], c.w, c.b)
		}
		if c.centered && math.Abs(ga[0]-0.06) > 1e-15 {
			t.Errorf("%+v: ga %v, want 0.06", c, ga[0])
		}
	}
}

func TestRMSpropUpdateArguments(t *testing.T) {
	w, four, five := make([]float32, 4), make([]float32, 4), make([]float32, 5)
	for _, c := range []struct {
		name         string
		g, sq, ga, b []float32
		h            RMSpropStep
	}{
		{"3 gradients", four[:3], four, nil, nil, RMSpropStep{}},
		{"5 square averages", four, five, nil, nil, RMSpropStep{}},
		{"centered without gradient averages", four, four, nil, nil, RMSpropStep{Centered: true}},
		{"gradient averages without centered", four, four, four, nil, RMSpropStep{}},
		{"5 gradient averages", four, four, five, nil, RMSpropStep{Centered: true}},
		{"momentum without buffer", four, four, nil, nil, RMSpropStep{Momentum: 0.9}},
		{"buffer without momentum", four, four, nil, four, RMSpropStep{}},
		{"5 buffers", four, four, nil, five, RMSpropStep{Momentum: 0.9}},
	} {
		if RMSpropUpdate32(w, c.g, c.sq, c.ga, c.b, c.h) == nil {
			t.Errorf("%s accepted", c.name)
		}
	}
}

// TestOptimUpdatesDoNotAllocate checks the kernels, split over the cores,
// allocate nothing once their pooled jobs exist.
func TestOptimUpdatesDoNotAllocate(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts mean nothing under the race detector")
	}
	n := 3*rmspropMinChunk + 5
	w, g, s1, s2, s3 := make([]float32, n), make([]float32, n), make([]float32, n), make([]float32, n), make([]float32, n)
	for name, f := range map[string]func() error{
		"rmsprop": func() error {
			return RMSpropUpdate32(w, g, s1, s2, s3, RMSpropStep{LR: 0.01, Alpha: 0.99, Eps: 1e-8, Momentum: 0.9, Centered: true})
		},
		"adamw": func() error {
			return AdamUpdate32(w, g, s1, s2, AdamStep{LR: 0.01, Beta1: 0.9, Beta2: 0.999, Correction2: 0.001, Eps: 1e-8, DecoupledDecay: 1e-4})
		},
		"sgd": func() error { return SGDUpdate32(w, g, s1, 0.01, 0.9, 1e-4, false) },
	} {
		if err := f(); err != nil {
			t.Fatal(err)
		}
		if a := testing.AllocsPerRun(10, func() { _ = f() }); a != 0 {
			t.Errorf("%s allocates %v times per update", name, a)
		}
	}
}

func BenchmarkRMSpropUpdateMLP(b *testing.B) {
	n := 266_610
	w, g, sq, buf := kernelInput(1, n), kernelInput(2, n), make([]float32, n), make([]float32, n)
	for i := range w {
		w[i], g[i] = 0.1, 0.01
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := RMSpropUpdate32(w, g, sq, nil, buf, RMSpropStep{LR: 0.01, Alpha: 0.99, Eps: 1e-8, Momentum: 0.9}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAdamWUpdateMLP(b *testing.B) {
	n := 266_610
	w, g, m, v := kernelInput(1, n), kernelInput(2, n), make([]float32, n), make([]float32, n)
	for i := range w {
		w[i], g[i] = 0.1, 0.01
	}
	h := AdamStep{LR: 0.01, Beta1: 0.9, Beta2: 0.999, Correction2: 0.001, Eps: 1e-8, DecoupledDecay: 1e-4}
	b.ReportAllocs()
	for b.Loop() {
		if err := AdamUpdate32(w, g, m, v, h); err != nil {
			b.Fatal(err)
		}
	}
}

// The kernels' least chunks per core (ops/internal/kernels/optim.go): the
// lengths below cross them so that the updates are split.
const (
	sgdMinChunk     = 16 << 10
	adamMinChunk    = 4 << 10
	rmspropMinChunk = 4 << 10
)

// TestAdamUpdateTinyV checks the step where √(v/c₂) is of the order of ε
// (v starting at 0, m not), where ε decides the step, against the scalar
// definition bit for bit, at every level and for lengths around the
// vector widths.
func TestAdamUpdateTinyV(t *testing.T) {
	eachLevel(t, func(t *testing.T) {
		for _, n := range []int{1, 15, 16, 17, 37} {
			h := AdamStep{LR: 1e-3, Beta1: 0.9, Beta2: 0.999, Correction2: 0.001, Eps: 1e-6}
			w, g, m, v := kernelInput(1, n), make([]float32, n), make([]float32, n), make([]float32, n)
			for i := range m {
				m[i], g[i] = float32(i%3)*1e-3, float32(i%2)*1e-6
			}
			rw, rm, rv := append([]float32(nil), w...), append([]float32(nil), m...), append([]float32(nil), v...)
			if err := AdamUpdate32(w, g, m, v, h); err != nil {
				t.Fatal(err)
			}
			adamReference(rw, g, rm, rv, h)
			for name, got := range map[string][2][]float32{"w": {w, rw}, "m": {m, rm}, "v": {v, rv}} {
				if i := sameBits(got[0], got[1]); i >= 0 {
					t.Fatalf("n %d: %s[%d] = %v, want %v", n, name, i, got[0][i], got[1][i])
				}
			}
		}
	})
}
