package ops

import "math"

// bnMode is the pass a bnJob runs over each channel.
type bnMode int

const (
	bnForwardTrain bnMode = iota // measure the batch statistics into the state, then normalise
	bnForwardEval                // normalise by the state
	bnGradGamma                  // out[c] = Σ dy·x̂
	bnGradBeta                   // out[c] = Σ dy
	bnGradXTrain                 // out = dx through the batch statistics
	bnGradXEval                  // out = dy·gamma·invstd
)

// bnArgs are the kernel's tensors; each pass uses some of them.
type bnArgs[T float] struct {
	out, x, dy, gamma, beta, dgamma, dbeta []T
}

// bnSplit is the least number of values worth a thread.
const bnSplit = 8192

// bnRun runs one pass over the channels, spread over the cores. Each
// channel is handled by one thread, in the same order whatever the split.
func bnRun[T float](mode bnMode, g bnGeom, st *bnState, eps float64, a bnArgs[T]) {
	j := getJob[bnJob[T]]()
	*j = bnJob[T]{mode: mode, g: g, st: st, eps: eps, a: a}
	parallelRun(g.c, max(1, bnSplit/max(1, g.m)), j)
	putJob(j)
}

// bnJob is bnRun over channels [lo, hi).
type bnJob[T float] struct {
	mode bnMode
	g    bnGeom
	st   *bnState
	eps  float64
	a    bnArgs[T]
}

func (j *bnJob[T]) run(lo, hi int) {
	for c := lo; c < hi; c++ {
		j.channel(c)
	}
}

// spans describes where channel c's values lie: runs of cnt values, each
// stride apart, starting at first, first+step, ... With planes (s > 1)
// there is one contiguous run per sample; without (s == 1) one run strided
// by the channel count.
func (g bnGeom) spans(c int) (runs, first, step, stride, cnt int) {
	if g.s == 1 {
		return 1, c, 0, g.c, g.n
	}
	return g.n, c * g.s, g.c * g.s, 1, g.s
}

func (j *bnJob[T]) channel(c int) {
	g, st, a := j.g, j.st, &j.a
	runs, first, step, stride, cnt := g.spans(c)
	span := func(s []T, r int) []T { return s[first+r*step:][:(cnt-1)*stride+1] }
	switch j.mode {
	case bnForwardTrain:
		var sum float64
		for r := range runs {
			sum += sum64s(span(a.x, r), stride)
		}
		mean := sum / float64(g.m)
		var sq float64
		for r := range runs {
			sq += sqDev64(span(a.x, r), stride, mean)
		}
		v := sq / float64(g.m)
		st.mean[c], st.varB[c], st.invstd[c] = mean, v, 1/math.Sqrt(v+j.eps)
		fallthrough
	case bnForwardEval:
		m, k, b := T(st.mean[c]), T(float64(a.gamma[c])*st.invstd[c]), a.beta[c]
		for r := range runs {
			y, x := span(a.out, r), span(a.x, r)
			for i := 0; i < len(x); i += stride {
				y[i] = (x[i]-m)*k + b
			}
		}
	case bnGradGamma:
		var dot float64
		for r := range runs {
			dot += dotDev64(span(a.dy, r), span(a.x, r), stride, st.mean[c])
		}
		a.out[c] = T(dot * st.invstd[c])
	case bnGradBeta:
		var sum float64
		for r := range runs {
			sum += sum64s(span(a.dy, r), stride)
		}
		a.out[c] = T(sum)
	case bnGradXTrain:
		// PyTorch's form: dx = (dy - Σdy/M - (x-mean)·k)·gamma·invstd with
		// k = Σ dy·(x-mean)·invstd²/M = dgamma·invstd/M.
		inv, mf := st.invstd[c], float64(g.m)
		gm, k := T(float64(a.dbeta[c])/mf), T(float64(a.dgamma[c])*inv/mf)
		m, w := T(st.mean[c]), T(float64(a.gamma[c])*inv)
		for r := range runs {
			dx, dy, x := span(a.out, r), span(a.dy, r), span(a.x, r)
			for i := 0; i < len(x); i += stride {
				dx[i] = (dy[i] - gm - (x[i]-m)*k) * w
			}
		}
	case bnGradXEval:
		w := T(float64(a.gamma[c]) * st.invstd[c])
		for r := range runs {
			dx, dy := span(a.out, r), span(a.dy, r)
			for i := 0; i < len(dy); i += stride {
				dx[i] = dy[i] * w
			}
		}
	}
}

// sum64s is sum64 over every stride-th element of xs.
func sum64s[T float](xs []T, stride int) float64 {
	if stride == 1 {
		return sum64(xs)
	}
	var s float64
	for i := 0; i < len(xs); i += stride {
		s += float64(xs[i])
	}
	return s
}

// sqDev64 returns Σ (x - mean)² over every stride-th element of xs, in
// float64 over four accumulators in a fixed order.
func sqDev64[T float](xs []T, stride int, mean float64) float64 {
	var s0, s1, s2, s3 float64
	i := 0
	if stride == 1 {
		for ; i+4 <= len(xs); i += 4 {
			d0, d1, d2, d3 := float64(xs[i])-mean, float64(xs[i+1])-mean, float64(xs[i+2])-mean, float64(xs[i+3])-mean
			s0 += d0 * d0
			s1 += d1 * d1
			s2 += d2 * d2
			s3 += d3 * d3
		}
	}
	for ; i < len(xs); i += stride {
		d := float64(xs[i]) - mean
		s0 += d * d
	}
	return (s0 + s1) + (s2 + s3)
}

// dotDev64 returns Σ dy·(x - mean) over every stride-th element, in
// float64 over four accumulators in a fixed order.
func dotDev64[T float](dy, xs []T, stride int, mean float64) float64 {
	dy = dy[:len(xs)]
	var s0, s1, s2, s3 float64
	i := 0
	if stride == 1 {
		for ; i+4 <= len(xs); i += 4 {
			s0 += float64(dy[i]) * (float64(xs[i]) - mean)
			s1 += float64(dy[i+1]) * (float64(xs[i+1]) - mean)
			s2 += float64(dy[i+2]) * (float64(xs[i+2]) - mean)
			s3 += float64(dy[i+3]) * (float64(xs[i+3]) - mean)
		}
	}
	for ; i < len(xs); i += stride {
		s0 += float64(dy[i]) * (float64(xs[i]) - mean)
	}
	return (s0 + s1) + (s2 + s3)
}
