package ops

import "github.com/pkg/errors"

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
