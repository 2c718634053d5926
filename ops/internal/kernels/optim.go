package kernels

import (
	"math"

	"github.com/pkg/errors"
)

// sgdMinChunk is the least number of weights worth handing to another core.
const sgdMinChunk = 16 << 10

// SGDUpdate applies one SGD step (ops.SGDUpdate32 documents it).
func SGDUpdate[T float](w, g, v []T, lr, mom, wd T, nesterov bool) error {
	if len(g) != len(w) || (v != nil && len(v) != len(w)) {
		return errors.Errorf("sgd update: %d weights, %d gradients, %d velocities", len(w), len(g), len(v))
	}
	j := getJob[sgdJob[T]]()
	*j = sgdJob[T]{w: w, g: g, v: v, lr: lr, mom: mom, wd: wd, nesterov: nesterov}
	parallelRun(len(w), sgdMinChunk, j)
	putJob(j)
	return nil
}

// sgdJob updates the weights [lo, hi) of one SGDUpdate call.
type sgdJob[T float] struct {
	w, g, v     []T
	lr, mom, wd T
	nesterov    bool
}

func (j *sgdJob[T]) run(lo, hi int) {
	w, g := j.w[lo:hi], j.g[lo:hi]
	lr, mom, wd := j.lr, j.mom, j.wd
	switch {
	case j.v == nil:
		for i, wi := range w {
			w[i] = T(wi - T(lr*T(g[i]+T(wd*wi))))
		}
	case j.nesterov:
		v := j.v[lo:hi]
		for i, wi := range w {
			d := T(g[i] + T(wd*wi))
			vi := T(T(mom*v[i]) + d)
			v[i] = vi
			w[i] = T(wi - T(lr*T(d+T(mom*vi))))
		}
	default:
		v := j.v[lo:hi]
		done := 0
		if w32, ok := any(w).([]float32); ok && avx2() && len(w) >= 8 {
			done = len(w) &^ 7
			sgdMomentum32(&w32[0], &any(g).([]float32)[0], &any(v).([]float32)[0], done,
				float32(lr), float32(mom), float32(wd))
		}
		for i := done; i < len(w); i++ {
			wi := w[i]
			vi := T(T(mom*v[i]) + T(g[i]+T(wd*wi)))
			v[i] = vi
			w[i] = T(wi - T(lr*vi))
		}
	}
}

// AdamStep holds the hyperparameters of one Adam update. LR already
// includes the first moment's bias correction; Correction2 is the second
// moment's, 1 - β₂ᵗ. WeightDecay is Adam's L2 term, added to the gradient;
// DecoupledDecay is AdamW's lr·λ, by which the weights shrink before the
// update (0 for Adam).
type AdamStep struct {
	LR, Beta1, Beta2, Correction2, Eps, WeightDecay float64
	DecoupledDecay                                  float64
}

// adamMinChunk is the least number of weights worth handing to another
// core; an Adam step costs a square root and a division per weight.
const adamMinChunk = 4 << 10

// AdamUpdate applies one Adam step (ops.AdamUpdate32 documents it).
func AdamUpdate[T float](w, g, m, v []T, h AdamStep) error {
	if len(g) != len(w) || len(m) != len(w) || len(v) != len(w) {
		return errors.Errorf("adam update: %d weights, %d gradients, %d and %d moments", len(w), len(g), len(m), len(v))
	}
	j := getJob[adamJob[T]]()
	*j = adamJob[T]{w: w, g: g, m: m, v: v, h: h}
	parallelRun(len(w), adamMinChunk, j)
	putJob(j)
	return nil
}

// adamJob updates the weights [lo, hi) of one AdamUpdate call.
type adamJob[T float] struct {
	w, g, m, v []T
	h          AdamStep
}

func (j *adamJob[T]) run(lo, hi int) {
	w, g, m, v := j.w[lo:hi], j.g[lo:hi], j.m[lo:hi], j.v[lo:hi]
	h := j.h
	b1, b2, wd := T(h.Beta1), T(h.Beta2), T(h.WeightDecay)
	shrink, decoupled := T(1-h.DecoupledDecay), h.DecoupledDecay != 0
	if w32 := f32(w); w32 != nil && avx512() && len(w) > 0 {
		// The loop below with AVX-512, the same operations in the same
		// order: square roots and divisions eight at a time instead of
		// one (a step of the MLP's 266,610 weights took 0.77 ms).
		s := float32(shrink)
		if !decoupled {
			s = 1
		}
		adam512(&w32[0], &f32(g)[0], &f32(m)[0], &f32(v)[0], len(w), s, float32(wd), float32(b1), float32(1-b1),
			float32(b2), float32(1-b2), h.LR, h.Correction2, h.Eps)
		return
	}
	for i := range w {
		if decoupled {
			w[i] = T(w[i] * shrink)
		}
		d := T(g[i] + T(wd*w[i]))
		m[i] = T(T(b1*m[i]) + T((1-b1)*d))
		v[i] = T(T(b2*v[i]) + T(T((1-b2)*d)*d))
		w[i] -= T(h.LR * float64(m[i]) / (math.Sqrt(float64(v[i])/h.Correction2) + h.Eps))
	}
}

// RMSpropStep holds the hyperparameters of one RMSprop update: the rate,
// the smoothing constant α, ε, the momentum and the L2 weight decay added
// to the gradient; Centered divides by the estimated standard deviation of
// the gradient rather than its root mean square.
type RMSpropStep struct {
	LR, Alpha, Eps, Momentum, WeightDecay float64
	Centered                              bool
}

// rmspropMinChunk is the least number of weights worth handing to another
// core; like Adam's, an RMSprop step costs a square root and a division
// per weight.
const rmspropMinChunk = 4 << 10

// RMSpropUpdate applies one RMSprop step (ops.RMSpropUpdate32 documents
// it).
func RMSpropUpdate[T float](w, g, sq, ga, b []T, h RMSpropStep) error {
	if len(g) != len(w) || len(sq) != len(w) {
		return errors.Errorf("rmsprop update: %d weights, %d gradients, %d square averages", len(w), len(g), len(sq))
	}
	if h.Centered != (ga != nil) || (h.Centered && len(ga) != len(w)) {
		return errors.Errorf("rmsprop update: centered %v with %d gradient averages for %d weights", h.Centered, len(ga), len(w))
	}
	if (h.Momentum != 0) != (b != nil) || (b != nil && len(b) != len(w)) {
		return errors.Errorf("rmsprop update: momentum %v with %d momentum buffers for %d weights", h.Momentum, len(b), len(w))
	}
	j := getJob[rmspropJob[T]]()
	*j = rmspropJob[T]{w: w, g: g, sq: sq, ga: ga, b: b, h: h}
	parallelRun(len(w), rmspropMinChunk, j)
	putJob(j)
	return nil
}

// rmspropJob updates the weights [lo, hi) of one RMSpropUpdate call.
type rmspropJob[T float] struct {
	w, g, sq, ga, b []T
	h               RMSpropStep
}

func (j *rmspropJob[T]) run(lo, hi int) {
	w, g, sq := j.w[lo:hi], j.g[lo:hi], j.sq[lo:hi]
	var ga, b []T
	if j.ga != nil {
		ga = j.ga[lo:hi]
	}
	if j.b != nil {
		b = j.b[lo:hi]
	}
	h := j.h
	// The constants are rounded from float64, as PyTorch passes Python
	// floats such as 1 - α to its float32 kernels.
	lr, alpha, rest, eps := T(h.LR), T(h.Alpha), T(1-h.Alpha), T(h.Eps)
	mom, wd, decay := T(h.Momentum), T(h.WeightDecay), h.WeightDecay != 0
	for i, wi := range w {
		d := g[i]
		if decay {
			d = T(d + T(wd*wi))
		}
		s := T(T(alpha*sq[i]) + T(T(rest*d)*d))
		sq[i] = s
		var a T
		if ga != nil {
			m := T(T(alpha*ga[i]) + T(rest*d))
			ga[i] = m
			a = T(math.Sqrt(float64(T(s - T(m*m)))))
		} else {
			a = T(math.Sqrt(float64(s)))
		}
		a = T(a + eps)
		if b != nil {
			bi := T(T(mom*b[i]) + T(d/a))
			b[i] = bi
			w[i] = T(wi - T(lr*bi))
		} else {
			w[i] = T(wi - T(T(lr*d)/a))
		}
	}
}
