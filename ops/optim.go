package ops

import (
	"math"

	"github.com/pkg/errors"
)

// The optimisers' update runs over every weight at every step; for the
// MLP's 266,610 weights a plain Go loop on one core took a third of a
// training step. These kernels spread it over the cores and, for float32
// SGD with momentum (the benchmark's and LeNet-5's recipe), use AVX2.
//
// Every operation rounds to the element type before the next one (the
// explicit conversions forbid the compiler to fuse a multiply and an add),
// so the vector and scalar loops give the same bits, on any CPU.

// sgdMinChunk is the least number of weights worth handing to another core.
const sgdMinChunk = 16 << 10

// SGDUpdate32 applies one step of SGD to the float32 weights w given their
// gradient g: with weight decay wd, d = g + wd·w; without momentum (v nil)
// w -= lr·d; with it v = momentum·v + d and w -= lr·v, or, for Nesterov,
// w -= lr·(d + momentum·v). It is PyTorch's update, in PyTorch's order of
// operations.
func SGDUpdate32(w, g, v []float32, lr, momentum, wd float32, nesterov bool) error {
	return sgdUpdate(w, g, v, lr, momentum, wd, nesterov)
}

// SGDUpdate64 is SGDUpdate32 for float64 weights.
func SGDUpdate64(w, g, v []float64, lr, momentum, wd float64, nesterov bool) error {
	return sgdUpdate(w, g, v, lr, momentum, wd, nesterov)
}

func sgdUpdate[T float](w, g, v []T, lr, mom, wd T, nesterov bool) error {
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
		if w32, ok := any(w).([]float32); ok && useAVX2 && len(w) >= 8 {
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

// AdamUpdate32 applies one Adam step to the float32 weights w with
// gradient g and the moments m and v, all updated in place: with decoupled
// decay first w = w·(1 - DecoupledDecay) (the factor rounded to float32, as
// PyTorch's AdamW), then d = g + wd·w, m = β₁·m + (1-β₁)·d, v = β₂·v +
// (1-β₂)·d², w -= LR·m / (√(v/c₂) + ε), the last step computed in float64.
// It is PyTorch's Adam, and its AdamW when WeightDecay is 0 and
// DecoupledDecay is not.
func AdamUpdate32(w, g, m, v []float32, h AdamStep) error { return adamUpdate(w, g, m, v, h) }

// AdamUpdate64 is AdamUpdate32 for float64 weights.
func AdamUpdate64(w, g, m, v []float64, h AdamStep) error { return adamUpdate(w, g, m, v, h) }

// adamMinChunk is the least number of weights worth handing to another
// core; an Adam step costs a square root and a division per weight.
const adamMinChunk = 4 << 10

func adamUpdate[T float](w, g, m, v []T, h AdamStep) error {
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

// RMSpropUpdate32 applies one RMSprop step to the float32 weights w with
// gradient g, updating in place the running mean square sq, the running
// mean gradient ga (only when Centered, nil otherwise) and the momentum
// buffer b (only when Momentum is not 0, nil otherwise). With weight decay
// d = g + wd·w (else d = g); sq = α·sq + (1-α)·d·d; when centered ga = α·ga
// + (1-α)·d and a = √(sq - ga·ga) + ε, else a = √sq + ε; with momentum b =
// μ·b + d/a and w -= lr·b, else w -= lr·d/a. It is PyTorch's RMSprop in
// PyTorch's order of operations, every operation rounded to float32.
func RMSpropUpdate32(w, g, sq, ga, b []float32, h RMSpropStep) error {
	return rmspropUpdate(w, g, sq, ga, b, h)
}

// RMSpropUpdate64 is RMSpropUpdate32 for float64 weights.
func RMSpropUpdate64(w, g, sq, ga, b []float64, h RMSpropStep) error {
	return rmspropUpdate(w, g, sq, ga, b, h)
}

// rmspropMinChunk is the least number of weights worth handing to another
// core; like Adam's, an RMSprop step costs a square root and a division
// per weight.
const rmspropMinChunk = 4 << 10

func rmspropUpdate[T float](w, g, sq, ga, b []T, h RMSpropStep) error {
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
