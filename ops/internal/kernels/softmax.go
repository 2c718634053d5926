package kernels

import "math"

// rowChunk is the smallest number of rows of length n worth a goroutine.
func rowChunk(n int) int { return max(1, 4096/n) }

// expRowChunk is rowChunk for rows that cost an exponential a value (10-15
// ns each): a LeNet-5 batch of 64 rows of 10 logits already pays for a
// second core.
func expRowChunk(n int) int { return max(1, 256/n) }

// SoftmaxForward normalises every row of length n of x into y.
func SoftmaxForward[T float](log bool, y, x []T, n int) {
	parallelFor(len(x)/n, expRowChunk(n), func(lo, hi int) {
		for r := lo; r < hi; r++ {
			softmaxRow(log, y[r*n:(r+1)*n], x[r*n:(r+1)*n])
		}
	})
}

// softmaxRow writes the (log-)softmax of the row x into y.
func softmaxRow[T float](log bool, y, x []T) {
	y = y[:len(x)]
	m := maxOf(x)
	if log {
		shift := m + math.Log(sumExp(x, m))
		for i, v := range x {
			y[i] = T(float64(v) - shift)
		}
		return
	}
	// Storing exp(x - m) and rescaling computes each exp only once.
	var s float64
	for i, v := range x {
		e := math.Exp(float64(v) - m)
		y[i] = T(e)
		s += e
	}
	inv := T(1 / s)
	for i := range y {
		y[i] *= inv
	}
}

// maxOf returns the maximum of a row, NaN if the row holds one.
func maxOf[T float](x []T) float64 {
	m := x[0]
	for _, v := range x[1:] {
		m = max(m, v)
	}
	return float64(m)
}

// sumExp returns Σ exp(x - m), accumulated in float64.
func sumExp[T float](x []T, m float64) float64 {
	var s float64
	for _, v := range x {
		s += math.Exp(float64(v) - m)
	}
	return s
}

// SoftmaxBackward writes dL/dx for every row of length n.
func SoftmaxBackward[T float](log bool, dx, y, dy []T, n int) {
	parallelFor(len(y)/n, rowChunk(n), func(lo, hi int) {
		for r := lo; r < hi; r++ {
			softmaxGradRow(log, dx[r*n:(r+1)*n], y[r*n:(r+1)*n], dy[r*n:(r+1)*n])
		}
	})
}

// softmaxGradRow writes dL/dx of one row given its output y and dL/dy.
func softmaxGradRow[T float](log bool, dx, y, dy []T) {
	dx, dy = dx[:len(y)], dy[:len(y)]
	var s float64
	if log {
		for _, d := range dy {
			s += float64(d)
		}
		for i, v := range y {
			dx[i] = dy[i] - T(math.Exp(float64(v))*s)
		}
		return
	}
	for i, v := range y {
		s += float64(dy[i]) * float64(v)
	}
	for i, v := range y {
		dx[i] = v * (dy[i] - T(s))
	}
}

// XentForward returns the mean cross-entropy of the rows of x (C wide)
// against labels: indices if index is true, targets otherwise.
func XentForward[T float](x, labels []T, c int, index bool) float64 {
	n := len(x) / c
	// Each row's loss on whichever core, then their sum in row order, so
	// the total has the same bits on any number of cores.
	losses := convScratch[float64](n)
	defer convRelease(losses)
	j := getJob[xentRowsJob[T]]()
	*j = xentRowsJob[T]{losses: *losses, x: x, labels: labels, c: c, index: index}
	parallelRun(n, expRowChunk(c), j)
	putJob(j)
	var total float64
	for _, l := range *losses {
		total += l
	}
	return total / float64(n)
}

// xentRowsJob computes the losses of rows [lo, hi); a pooled job rather
// than a closure, which would be allocated at every step.
type xentRowsJob[T float] struct {
	losses    []float64
	x, labels []T
	c         int
	index     bool
}

func (j *xentRowsJob[T]) run(lo, hi int) {
	for r := lo; r < hi; r++ {
		j.losses[r] = xentRow(j.x[r*j.c:(r+1)*j.c], j.labels, r, j.c, j.index)
	}
}

// xentRow is the cross-entropy of row r of the logits, x, against its
// label (index) or its row of target probabilities.
func xentRow[T float](x, labels []T, r, c int, index bool) float64 {
	m := maxOf(x)
	logS := math.Log(sumExp(x, m))
	if index {
		// (m - x) + log s keeps the small difference exact when m and x
		// are both large.
		return (m - float64(x[int(labels[r])])) + logS
	}
	var total float64
	for j, tj := range labels[r*c : (r+1)*c] {
		if tj != 0 { // 0·(+Inf) for a -Inf logit would be NaN
			total += float64(tj) * ((m - float64(x[j])) + logS)
		}
	}
	return total
}

// XentBackward writes (softmax(x)·Σt - t)·scale for every row of x.
func XentBackward[T float](dx, x, labels []T, c int, index bool, scale float64) {
	parallelFor(len(x)/c, expRowChunk(c), func(lo, hi int) {
		for r := lo; r < hi; r++ {
			dr := dx[r*c : (r+1)*c]
			softmaxRow(false, dr, x[r*c:(r+1)*c])
			if index {
				for j := range dr {
					dr[j] *= T(scale)
				}
				dr[int(labels[r])] -= T(scale)
				continue
			}
			var tsum float64
			tr := labels[r*c : (r+1)*c]
			for _, tj := range tr {
				tsum += float64(tj)
			}
			for j, tj := range tr {
				dr[j] = T((float64(dr[j])*tsum - float64(tj)) * scale)
			}
		}
	})
}
