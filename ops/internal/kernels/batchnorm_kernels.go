package kernels

import "math"

// BNMode is the pass a bnJob runs over each channel.
type BNMode int

const (
	BNForwardTrain BNMode = iota // measure the batch statistics into the state, then normalise
	BNForwardEval                // normalise by the state
	BNGradGamma                  // out[c] = Σ dy·x̂, and DBeta[c] = Σ dy when DBeta is not nil
	BNGradBeta                   // out[c] = Σ dy
	BNGradXTrain                 // out = dx through the batch statistics
	BNGradXEval                  // out = dy·gamma·invstd
)

// BNArgs are the kernel's tensors; each pass uses some of them.
type BNArgs[T float] struct {
	Out, X, DY, Gamma, Beta, DGamma, DBeta []T
}

// bnSplit is the least number of values worth a thread.
const bnSplit = 8192

// BatchNorm runs one pass over the channels, spread over the cores. Each
// channel is handled by one thread, in the same order whatever the split.
func BatchNorm[T float](mode BNMode, g BNGeom, st *BNState, eps float64, a BNArgs[T]) {
	j := getJob[bnJob[T]]()
	*j = bnJob[T]{mode: mode, g: g, st: st, eps: eps, a: a}
	parallelRun(g.c, max(1, bnSplit/max(1, g.m)), j)
	putJob(j)
}

// bnJob is BatchNorm over channels [lo, hi).
type bnJob[T float] struct {
	mode BNMode
	g    BNGeom
	st   *BNState
	eps  float64
	a    BNArgs[T]
}

// run picks the kernel: rows for inputs without planes, the vector kernels
// for float32 planes where the CPU has AVX-512 or AVX2, else the Go loops.
func (j *bnJob[T]) run(lo, hi int) {
	if j.g.s == 1 {
		j.rows(lo, hi)
		return
	}
	if a32, ok := any(&j.a).(*BNArgs[float32]); ok && avx512() {
		for c := lo; c < hi; c++ {
			bnChannel512(j.mode, j.g, j.st, j.eps, a32, c)
		}
		return
	}
	if a32, ok := any(&j.a).(*BNArgs[float32]); ok && avx2() {
		for c := lo; c < hi; c++ {
			bnChannel32(j.mode, j.g, j.st, j.eps, a32, c)
		}
		return
	}
	for c := lo; c < hi; c++ {
		j.channel(c)
	}
}

// spans describes where channel c's values lie: runs runs of cnt contiguous
// values, one per sample, starting at first, first+step, ...
func (g BNGeom) spans(c int) (runs, first, step, cnt int) {
	return g.n, c * g.s, g.c * g.s, g.s
}

// channel runs the job's pass over channel c in Go.
func (j *bnJob[T]) channel(c int) {
	g, st, a := j.g, j.st, &j.a
	runs, first, step, cnt := g.spans(c)
	span := func(s []T, r int) []T { return s[first+r*step:][:cnt] }
	switch j.mode {
	case BNForwardTrain:
		var sum float64
		for r := range runs {
			sum += sumTo64(span(a.X, r))
		}
		mean := sum / float64(g.m)
		var sq float64
		for r := range runs {
			sq += sqDev64(span(a.X, r), mean)
		}
		st.set(c, mean, sq, g.m, j.eps)
		fallthrough
	case BNForwardEval:
		m, k, b := T(st.mean[c]), T(float64(a.Gamma[c])*st.invstd[c]), a.Beta[c]
		for r := range runs {
			y, x := span(a.Out, r), span(a.X, r)
			for i, v := range x {
				y[i] = T((v-m)*k) + b // rounded as the vector kernel rounds, never fused
			}
		}
	case BNGradGamma:
		var dot, sum float64
		for r := range runs {
			dot += dotDev64(span(a.DY, r), span(a.X, r), st.mean[c])
			if a.DBeta != nil {
				sum += sumTo64(span(a.DY, r))
			}
		}
		a.Out[c] = T(dot * st.invstd[c])
		if a.DBeta != nil {
			a.DBeta[c] = T(sum)
		}
	case BNGradBeta:
		var sum float64
		for r := range runs {
			sum += sumTo64(span(a.DY, r))
		}
		a.Out[c] = T(sum)
	case BNGradXTrain:
		gm, m, k, w := bnGradXConsts(g, st, c, a.Gamma[c], a.DGamma[c], a.DBeta[c])
		for r := range runs {
			dx, dy, x := span(a.Out, r), span(a.DY, r), span(a.X, r)
			for i, v := range x {
				dx[i] = (dy[i] - gm - T((v-m)*k)) * w
			}
		}
	case BNGradXEval:
		w := T(float64(a.Gamma[c]) * st.invstd[c])
		for r := range runs {
			dx, dy := span(a.Out, r), span(a.DY, r)
			for i, v := range dy {
				dx[i] = v * w
			}
		}
	}
}

// set stores channel c's mean, biased variance sq/m and 1/sqrt(var + eps).
func (st *BNState) set(c int, mean, sq float64, m int, eps float64) {
	v := sq / float64(m)
	st.mean[c], st.varB[c], st.invstd[c] = mean, v, 1/math.Sqrt(v+eps)
}

// bnGradXConsts returns the per-channel constants of the training dx in
// PyTorch's form dx = (dy - gm - (x-mean)·k)·w: gm = Σdy/M, k = Σ dy·(x-mean)
// ·invstd²/M = dgamma·invstd/M and w = gamma·invstd.
func bnGradXConsts[T float](g BNGeom, st *BNState, c int, gamma, dgamma, dbeta T) (gm, m, k, w T) {
	inv, mf := st.invstd[c], float64(g.m)
	return T(float64(dbeta) / mf), T(st.mean[c]), T(float64(dgamma) * inv / mf), T(float64(gamma) * inv)
}

// bnChannel32 is channel for float32 with the vector kernels.
func bnChannel32(mode BNMode, g BNGeom, st *BNState, eps float64, a *BNArgs[float32], c int) {
	runs, first, step, cnt := g.spans(c)
	last := first + (runs-1)*step + cnt - 1 // the kernels' last index
	switch mode {
	case BNForwardTrain:
		x := a.X[first : last+1]
		mean := bnSum32(&x[0], runs, cnt, step) / float64(g.m)
		st.set(c, mean, bnSqDev32(&x[0], runs, cnt, step, mean), g.m, eps)
		fallthrough
	case BNForwardEval:
		y, x := a.Out[first:last+1], a.X[first:last+1]
		bnAffine32(&y[0], &x[0], runs, cnt, step, float32(st.mean[c]), float32(float64(a.Gamma[c])*st.invstd[c]), a.Beta[c])
	case BNGradGamma:
		dy, x := a.DY[first:last+1], a.X[first:last+1]
		a.Out[c] = float32(bnDotDev32(&dy[0], &x[0], runs, cnt, step, st.mean[c]) * st.invstd[c])
		if a.DBeta != nil {
			a.DBeta[c] = float32(bnSum32(&dy[0], runs, cnt, step))
		}
	case BNGradBeta:
		dy := a.DY[first : last+1]
		a.Out[c] = float32(bnSum32(&dy[0], runs, cnt, step))
	case BNGradXTrain:
		dx, dy, x := a.Out[first:last+1], a.DY[first:last+1], a.X[first:last+1]
		gm, m, k, w := bnGradXConsts(g, st, c, a.Gamma[c], a.DGamma[c], a.DBeta[c])
		bnGradX32(&dx[0], &dy[0], &x[0], runs, cnt, step, gm, m, k, w)
	case BNGradXEval:
		dx, dy := a.Out[first:last+1], a.DY[first:last+1]
		bnScale32(&dx[0], &dy[0], runs, cnt, step, float32(float64(a.Gamma[c])*st.invstd[c]))
	}
}

// bnChannel512 is channel for float32 with the AVX-512 kernels; the
// gradients of gamma and beta take one pass over dy together.
func bnChannel512(mode BNMode, g BNGeom, st *BNState, eps float64, a *BNArgs[float32], c int) {
	runs, first, step, cnt := g.spans(c)
	last := first + (runs-1)*step + cnt - 1 // the kernels' last index
	switch mode {
	case BNForwardTrain:
		x := a.X[first : last+1]
		mean := bnSum512(&x[0], runs, cnt, step) / float64(g.m)
		st.set(c, mean, bnSqDev512(&x[0], runs, cnt, step, mean), g.m, eps)
		fallthrough
	case BNForwardEval:
		y, x := a.Out[first:last+1], a.X[first:last+1]
		bnAffine512(&y[0], &x[0], runs, cnt, step, float32(st.mean[c]), float32(float64(a.Gamma[c])*st.invstd[c]), a.Beta[c])
	case BNGradGamma:
		dy, x := a.DY[first:last+1], a.X[first:last+1]
		dot, sum := bnDotSum512(&dy[0], &x[0], runs, cnt, step, st.mean[c])
		a.Out[c] = float32(dot * st.invstd[c])
		if a.DBeta != nil {
			a.DBeta[c] = float32(sum)
		}
	case BNGradBeta:
		dy := a.DY[first : last+1]
		a.Out[c] = float32(bnSum512(&dy[0], runs, cnt, step))
	case BNGradXTrain:
		dx, dy, x := a.Out[first:last+1], a.DY[first:last+1], a.X[first:last+1]
		gm, m, k, w := bnGradXConsts(g, st, c, a.Gamma[c], a.DGamma[c], a.DBeta[c])
		bnGradX512(&dx[0], &dy[0], &x[0], runs, cnt, step, gm, m, k, w)
	case BNGradXEval:
		dx, dy := a.Out[first:last+1], a.DY[first:last+1]
		bnScale512(&dx[0], &dy[0], runs, cnt, step, float32(float64(a.Gamma[c])*st.invstd[c]))
	}
}

// rows runs the job's pass over channels [lo, hi) of an input without
// planes, (N, C) or with 1x1 planes, row by row: a row's channels are
// contiguous, so the loops run along them, and each channel still takes
// its rows in order, whatever the split. The per-channel constants of the
// elementwise passes, rounded to T, go to the state's scratch first.
func (j *bnJob[T]) rows(lo, hi int) {
	g, st, a := j.g, j.st, &j.a
	row := func(s []T, n int) []T { return s[n*g.c+lo : n*g.c+hi] }
	s0, s1, s2, s3 := st.scratch[lo:hi], st.scratch[g.c+lo:g.c+hi], st.scratch[2*g.c+lo:2*g.c+hi], st.scratch[3*g.c+lo:3*g.c+hi]
	mean, invstd := st.mean[lo:hi], st.invstd[lo:hi]
	switch j.mode {
	case BNForwardTrain:
		clear(s0)
		for n := range g.n {
			for i, v := range row(a.X, n) {
				s0[i] += float64(v)
			}
		}
		for i := range s0 {
			mean[i] = s0[i] / float64(g.m)
		}
		clear(s1)
		for n := range g.n {
			for i, v := range row(a.X, n) {
				d := float64(v) - mean[i]
				s1[i] += d * d
			}
		}
		for i, sq := range s1 {
			st.set(lo+i, mean[i], sq, g.m, j.eps)
		}
		fallthrough
	case BNForwardEval:
		gamma, beta := a.Gamma[lo:hi], a.Beta[lo:hi]
		for i := range s0 {
			s0[i], s1[i] = float64(T(mean[i])), float64(T(float64(gamma[i])*invstd[i]))
		}
		for n := range g.n {
			y, x := row(a.Out, n), row(a.X, n)
			for i, v := range x {
				y[i] = T((v-T(s0[i]))*T(s1[i])) + beta[i]
			}
		}
	case BNGradGamma:
		clear(s0)
		clear(s1)
		for n := range g.n {
			dy, x := row(a.DY, n), row(a.X, n)
			for i, v := range x {
				s0[i] += float64(dy[i]) * (float64(v) - mean[i])
				s1[i] += float64(dy[i])
			}
		}
		for i, dot := range s0 {
			a.Out[lo+i] = T(dot * invstd[i])
		}
		if a.DBeta != nil {
			for i, sum := range s1 {
				a.DBeta[lo+i] = T(sum)
			}
		}
	case BNGradBeta:
		clear(s0)
		for n := range g.n {
			for i, v := range row(a.DY, n) {
				s0[i] += float64(v)
			}
		}
		for i, sum := range s0 {
			a.Out[lo+i] = T(sum)
		}
	case BNGradXTrain:
		for i := range s0 {
			c := lo + i
			gm, m, k, w := bnGradXConsts(g, st, c, a.Gamma[c], a.DGamma[c], a.DBeta[c])
			s0[i], s1[i], s2[i], s3[i] = float64(gm), float64(m), float64(k), float64(w)
		}
		for n := range g.n {
			dx, dy, x := row(a.Out, n), row(a.DY, n), row(a.X, n)
			for i, v := range x {
				dx[i] = (dy[i] - T(s0[i]) - T((v-T(s1[i]))*T(s2[i]))) * T(s3[i])
			}
		}
	case BNGradXEval:
		for i := range s0 {
			s0[i] = float64(T(float64(a.Gamma[lo+i]) * invstd[i]))
		}
		for n := range g.n {
			dx, dy := row(a.Out, n), row(a.DY, n)
			for i, v := range dy {
				dx[i] = v * T(s0[i])
			}
		}
	}
}

// sqDev64 returns Σ (x - mean)² over xs in float64, over four accumulators
// in an order that depends on the length only.
func sqDev64[T float](xs []T, mean float64) float64 {
	var s0, s1, s2, s3 float64
	i := 0
	for ; i+4 <= len(xs); i += 4 {
		d0, d1, d2, d3 := float64(xs[i])-mean, float64(xs[i+1])-mean, float64(xs[i+2])-mean, float64(xs[i+3])-mean
		s0 += d0 * d0
		s1 += d1 * d1
		s2 += d2 * d2
		s3 += d3 * d3
	}
	for ; i < len(xs); i++ {
		d := float64(xs[i]) - mean
		s0 += d * d
	}
	return (s0 + s1) + (s2 + s3)
}

// dotDev64 returns Σ dy·(x - mean) in float64, over four accumulators in an
// order that depends on the length only.
func dotDev64[T float](dy, xs []T, mean float64) float64 {
	dy = dy[:len(xs)]
	var s0, s1, s2, s3 float64
	i := 0
	for ; i+4 <= len(xs); i += 4 {
		s0 += float64(dy[i]) * (float64(xs[i]) - mean)
		s1 += float64(dy[i+1]) * (float64(xs[i+1]) - mean)
		s2 += float64(dy[i+2]) * (float64(xs[i+2]) - mean)
		s3 += float64(dy[i+3]) * (float64(xs[i+3]) - mean)
	}
	for ; i < len(xs); i++ {
		s0 += float64(dy[i]) * (float64(xs[i]) - mean)
	}
	return (s0 + s1) + (s2 + s3)
}
