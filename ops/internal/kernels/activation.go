package kernels

import "math"

// Activation names an elementwise nonlinearity.
type Activation int

const (
	ActReLU Activation = iota
	ActSigmoid
	ActTanh
	ActLeakyReLU
)

func (a Activation) String() string {
	return [...]string{"ReLU", "Sigmoid", "Tanh", "LeakyReLU"}[a]
}

// Activate writes act(x) into y; slope is LeakyReLU's.
func Activate[T float](act Activation, y, x []T, slope T) {
	y = y[:len(x)]
	switch act {
	case ActLeakyReLU:
		if len(x) < reluSplit {
			leakyForward(y, x, slope)
			return
		}
		j := getJob[reluJob[T]]()
		*j = reluJob[T]{y: y, x: x, leaky: true, slope: slope}
		parallelRun(len(x), reluSplit/2, j)
		putJob(j)
	case ActReLU:
		if len(x) < reluSplit {
			reluForward(y, x)
			return
		}
		j := getJob[reluJob[T]]()
		*j = reluJob[T]{y: y, x: x}
		parallelRun(len(x), reluSplit/2, j)
		putJob(j)
	case ActSigmoid:
		for i, v := range x {
			y[i] = sigmoid(v)
		}
	case ActTanh:
		for i, v := range x {
			y[i] = T(math.Tanh(float64(v)))
		}
	}
}

// sigmoid is 1/(1+exp(-x)), written so that exp never overflows.
func sigmoid[T float](x T) T {
	if x >= 0 {
		return T(1 / (1 + math.Exp(-float64(x))))
	}
	e := math.Exp(float64(x))
	return T(e / (1 + e))
}

// ActivateGrad writes dL/dx into dx given the output y and dL/dy, or for
// LeakyReLU given its input, passed as y, and its slope.
func ActivateGrad[T float](act Activation, dx, y, dy []T, slope T) {
	dx, dy = dx[:len(y)], dy[:len(y)]
	switch act {
	case ActLeakyReLU:
		if len(y) < reluSplit {
			leakyBackward(dx, y, dy, slope)
			return
		}
		j := getJob[reluJob[T]]()
		*j = reluJob[T]{y: y, x: dy, dx: dx, leaky: true, slope: slope}
		parallelRun(len(y), reluSplit/2, j)
		putJob(j)
	case ActReLU:
		if len(y) < reluSplit {
			reluBackward(dx, y, dy)
			return
		}
		j := getJob[reluJob[T]]()
		*j = reluJob[T]{y: y, x: dy, dx: dx}
		parallelRun(len(y), reluSplit/2, j)
		putJob(j)
	case ActSigmoid:
		for i, v := range y {
			dx[i] = dy[i] * v * (1 - v)
		}
	case ActTanh:
		for i, v := range y {
			dx[i] = dy[i] * (1 - v*v)
		}
	}
}

// reluSplit is the least number of elements that ReLU spreads over the
// cores. A pass over a large tensor (LeNet's first feature maps at batch
// 1000 are 19 MB) is bound by one core's memory bandwidth, which a second
// core nearly doubles; below 64 KB of float32 the wake-up would cost more
// than the pass.
const reluSplit = 16 << 10

// reluJob runs ReLU, or LeakyReLU when leaky is set, or with dx set their
// gradient, over elements [lo, hi). The gradient takes y (LeakyReLU: the
// input) from y and dy from x. Each element is computed alone, so the split
// does not change the bits.
type reluJob[T float] struct {
	y, x, dx []T
	leaky    bool
	slope    T
}

func (j *reluJob[T]) run(lo, hi int) {
	switch {
	case j.leaky && j.dx == nil:
		leakyForward(j.y[lo:hi], j.x[lo:hi], j.slope)
	case j.leaky:
		leakyBackward(j.dx[lo:hi], j.y[lo:hi], j.x[lo:hi], j.slope)
	case j.dx == nil:
		reluForward(j.y[lo:hi], j.x[lo:hi])
	default:
		reluBackward(j.dx[lo:hi], j.y[lo:hi], j.x[lo:hi])
	}
}

// leakyForward writes x where x > 0, else slope·x, into y; a NaN stays NaN.
func leakyForward[T float](y, x []T, slope T) { leakyScale(y, x, x, slope) }

// leakyBackward writes dy where x > 0, else slope·dy, into dx.
func leakyBackward[T float](dx, x, dy []T, slope T) { leakyScale(dx, x, dy, slope) }
