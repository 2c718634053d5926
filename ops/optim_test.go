package ops

import (
	"math"
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

func TestSGDUpdateMatchesReference(t *testing.T) {
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

func TestSGDUpdateValues(t *testing.T) {
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

func TestAdamUpdateValues(t *testing.T) {
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
	n := 3*adamMinChunk + 5
	w, g, m, v := kernelInput(1, n), kernelInput(2, n), make([]float32, n), make([]float32, n)
	rw, rm, rv := append([]float32(nil), w...), make([]float32, n), make([]float32, n)
	h := AdamStep{LR: 0.01, Beta1: 0.9, Beta2: 0.999, Correction2: 0.001, Eps: 1e-8, WeightDecay: 1e-4}
	for step := 0; step < 3; step++ {
		if err := AdamUpdate32(w, g, m, v, h); err != nil {
			t.Fatal(err)
		}
		(&adamJob[float32]{w: rw, g: g, m: rm, v: rv, h: h}).run(0, n)
	}
	if i := sameBits(w, rw); i >= 0 {
		t.Fatalf("w[%d] = %v, want %v", i, w[i], rw[i])
	}
	if AdamUpdate32(w, g[:3], m, v, h) == nil {
		t.Error("3 gradients accepted")
	}
}
