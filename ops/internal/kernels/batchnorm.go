package kernels

import "math"

// FoldRunning applies the momentum update from batch to the running values r.
func FoldRunning[T float](r []T, batch []float64, momentum float64) {
	for c, b := range batch {
		r[c] = T((1-momentum)*float64(r[c]) + momentum*b)
	}
}

// BNState is what the forward op passes to its gradient ops: the mean and
// 1/sqrt(var + eps) of every channel, from the batch or from the running
// statistics, refilled at every run. var is the batch's biased variance.
// scratch holds four values per channel for the kernels of inputs without
// planes.
type BNState struct {
	mean, invstd, varB []float64
	scratch            []float64
}

// BNGeom is x seen as (n, c, s): s is the product of the axes after the
// channels, and each channel holds m = n·s values.
type BNGeom struct{ n, c, s, m int }

// resize returns s with length n, reusing its memory when it is large enough.
func resize(s []float64, n int) []float64 {
	if cap(s) >= n {
		return s[:n]
	}
	return make([]float64, n)
}

// NewBNGeom returns the geometry of an input of n samples of c channels of
// s values each.
func NewBNGeom(n, c, s int) BNGeom { return BNGeom{n: n, c: c, s: s, m: n * s} }

// C returns the number of channels.
func (g BNGeom) C() int { return g.c }

// M returns the number of values per channel.
func (g BNGeom) M() int { return g.n * g.s }

// Prepare sizes the state for c channels, reusing its memory.
func (st *BNState) Prepare(c int) {
	st.mean, st.invstd, st.varB = resize(st.mean, c), resize(st.invstd, c), resize(st.varB, c)
	st.scratch = resize(st.scratch, 4*c)
}

// Ready reports whether a forward pass has filled the state for c channels.
func (st *BNState) Ready(c int) bool { return len(st.mean) == c && len(st.scratch) == 4*c }

// SetChannel sets channel c's mean and biased variance, as the running
// statistics give them in evaluation mode.
func (st *BNState) SetChannel(c int, mean, variance, eps float64) {
	st.mean[c], st.varB[c], st.invstd[c] = mean, variance, 1/math.Sqrt(variance+eps)
}

// Mean returns every channel's mean from the last forward pass.
func (st *BNState) Mean() []float64 { return st.mean }

// VarB returns every channel's biased variance from the last forward pass.
func (st *BNState) VarB() []float64 { return st.varB }

// Invstd returns every channel's 1/sqrt(var + eps) from the last forward
// pass.
func (st *BNState) Invstd() []float64 { return st.invstd }
