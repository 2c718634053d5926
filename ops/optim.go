package ops

import "github.com/featlearn/featlearn/ops/internal/kernels"

// The optimisers' update runs over every weight at every step; for the
// MLP's 266,610 weights a plain Go loop on one core took a third of a
// training step. These kernels spread it over the cores and, for float32
// SGD with momentum (the benchmark's and LeNet-5's recipe), use AVX2.
//
// Every operation rounds to the element type before the next one (the
// explicit conversions forbid the compiler to fuse a multiply and an add),
// so the vector and scalar loops give the same bits, on any CPU.

// SGDUpdate32 applies one step of SGD to the float32 weights w given their
// gradient g: with weight decay wd, d = g + wd·w; without momentum (v nil)
// w -= lr·d; with it v = momentum·v + d and w -= lr·v, or, for Nesterov,
// w -= lr·(d + momentum·v). It is PyTorch's update, in PyTorch's order of
// operations.
func SGDUpdate32(w, g, v []float32, lr, momentum, wd float32, nesterov bool) error {
	return kernels.SGDUpdate(w, g, v, lr, momentum, wd, nesterov)
}

// SGDUpdate64 is SGDUpdate32 for float64 weights.
func SGDUpdate64(w, g, v []float64, lr, momentum, wd float64, nesterov bool) error {
	return kernels.SGDUpdate(w, g, v, lr, momentum, wd, nesterov)
}

// AdamStep holds the hyperparameters of one Adam update. LR already
// includes the first moment's bias correction; Correction2 is the second
// moment's, 1 - β₂ᵗ. WeightDecay is Adam's L2 term, added to the gradient;
// DecoupledDecay is AdamW's lr·λ, by which the weights shrink before the
// update (0 for Adam).
type AdamStep = kernels.AdamStep

// RMSpropStep holds the hyperparameters of one RMSprop update: the rate,
// the smoothing constant α, ε, the momentum and the L2 weight decay added
// to the gradient; Centered divides by the estimated standard deviation of
// the gradient rather than its root mean square.
type RMSpropStep = kernels.RMSpropStep

// AdamUpdate32 applies one Adam step to the float32 weights w with
// gradient g and the moments m and v, all updated in place: with decoupled
// decay first w = w·(1 - DecoupledDecay) (the factor rounded to float32, as
// PyTorch's AdamW), then d = g + wd·w, m = β₁·m + (1-β₁)·d, v = β₂·v +
// (1-β₂)·d², w -= LR·m / (√(v/c₂) + ε), the last step computed in float64.
// It is PyTorch's Adam, and its AdamW when WeightDecay is 0 and
// DecoupledDecay is not.
func AdamUpdate32(w, g, m, v []float32, h AdamStep) error { return kernels.AdamUpdate(w, g, m, v, h) }

// AdamUpdate64 is AdamUpdate32 for float64 weights.
func AdamUpdate64(w, g, m, v []float64, h AdamStep) error { return kernels.AdamUpdate(w, g, m, v, h) }

// RMSpropUpdate32 applies one RMSprop step to the float32 weights w with
// gradient g, updating in place the running mean square sq, the running
// mean gradient ga (only when Centered, nil otherwise) and the momentum
// buffer b (only when Momentum is not 0, nil otherwise). With weight decay
// d = g + wd·w (else d = g); sq = α·sq + (1-α)·d·d; when centered ga = α·ga
// + (1-α)·d and a = √(sq - ga·ga) + ε, else a = √sq + ε; with momentum b =
// μ·b + d/a and w -= lr·b, else w -= lr·d/a. It is PyTorch's RMSprop in
// PyTorch's order of operations, every operation rounded to float32.
func RMSpropUpdate32(w, g, sq, ga, b []float32, h RMSpropStep) error {
	return kernels.RMSpropUpdate(w, g, sq, ga, b, h)
}

// RMSpropUpdate64 is RMSpropUpdate32 for float64 weights.
func RMSpropUpdate64(w, g, sq, ga, b []float64, h RMSpropStep) error {
	return kernels.RMSpropUpdate(w, g, sq, ga, b, h)
}
