package kernels

import (
	"math"
	"sync"
)

// MaxPoolBackward is maxPoolRoute, with the ReLU's gradient applied first
// when relu is set: a window whose output is not positive passes no
// gradient. Its output is then 0, which no input may equal, but the
// gradient routed to whichever element is taken as the winner is 0.
func MaxPoolBackward[T float](g *poolGeom, dx, x, y, dy []T, relu bool) {
	if _, f32 := any(dx).([]float32); relu && !(f32 && pool2x2ReLUGrad(g)) {
		masked := convScratch[T](len(dy))
		defer convRelease(masked)
		ActivateGrad(ActReLU, *masked, y, dy, 0)
		dy, relu = *masked, false
	}
	maxPoolRoute(g, dx, x, y, dy, relu)
}

// PoolWindow is a 2-D pooling window: its size, the step between windows
// and the implicit padding on each side of the input (ops.PoolParams).
type PoolWindow struct {
	KernelH, KernelW int
	StrideH, StrideW int
	PadH, PadW       int
}

// PoolGeom is the geometry of one pooling call. colLo[kx] and colHi[kx]
// bound the output columns whose kernel column kx falls inside the input
// rather than in the padding.
type PoolGeom struct {
	p            PoolWindow
	h, w         int
	oh, ow       int
	planes       int
	out          [4]int
	colLo, colHi []int
}

// poolGeom is PoolGeom inside the package.
type poolGeom = PoolGeom

// NewPoolGeom returns the geometry of pooling an input of shape in (N, C,
// H, W) into out with window p; the op has checked that they agree. Only
// the general kernels need colLo and colHi; pool2x2 skips allocating them.
func NewPoolGeom(p PoolWindow, in, out [4]int) PoolGeom {
	g := poolGeom{p: p, h: in[2], w: in[3], oh: out[2], ow: out[3], planes: in[0] * in[1], out: out}
	if p == pool2x2 {
		return g
	}
	g.colLo, g.colHi = make([]int, p.KernelW), make([]int, p.KernelW)
	for kx := range g.colLo {
		// Output column ox reads input column ox*StrideW - PadW + kx.
		g.colLo[kx] = min(g.ow, ceilDiv(max(0, p.PadW-kx), p.StrideW))
		if last := g.w - 1 + p.PadW - kx; last >= 0 {
			g.colHi[kx] = min(g.ow, last/p.StrideW+1)
		}
	}
	return g
}

func ceilDiv(a, b int) int { return (a + b - 1) / b }

// rows clips the rows of output row oy's window to the input: the clipped
// part is padding, which never wins.
func (g *poolGeom) rows(oy int) (lo, hi int) {
	lo = oy*g.p.StrideH - g.p.PadH
	return max(lo, 0), min(lo+g.p.KernelH, g.h)
}

// planeChunk is the smallest number of planes worth a goroutine.
func (g *poolGeom) planeChunk() int { return max(1, 4096/max(1, g.h*g.w)) }

// MaxPoolForward writes the window maxima of x into y, plane by plane, and
// with relu replaces the negative ones by 0.
func MaxPoolForward[T float](g *poolGeom, y, x []T, relu bool) {
	j := getJob[poolJob[T]]()
	*j = poolJob[T]{g: *g, y: y, x: x, relu: relu}
	parallelRun(g.planes, g.planeChunk(), j)
	putJob(j)
}

// poolJob is the loop over planes [lo, hi) of the forward pass (dy nil)
// or of the backward pass, which writes dx.
type poolJob[T float] struct {
	g            poolGeom
	y, x, dy, dx []T
	relu         bool // apply ReLU to each plane's maxima, or its gradient
}

func (j *poolJob[T]) run(lo, hi int) {
	if j.dy != nil {
		j.backward(lo, hi)
		return
	}
	g, x, y := &j.g, j.x, j.y
	if x32, ok := any(x).([]float32); ok && pool2x2Vector(g) {
		pool2x2Forward32(g, any(y).([]float32), x32, lo, hi, j.relu)
		return
	}
	hw, ohw := g.h*g.w, g.oh*g.ow
	for pl := lo; pl < hi; pl++ {
		xp, yp := x[pl*hw:(pl+1)*hw], y[pl*ohw:(pl+1)*ohw]
		if g.p == pool2x2 {
			pool2x2Forward(g, xp, yp)
		} else {
			poolPlaneForward(g, xp, yp)
		}
		if j.relu {
			reluForward(yp, yp)
		}
	}
}

// poolPlaneForward computes one plane. It loops over kernel offsets
// outside and output columns inside, so the inner loop is long and the
// builtin max, which is branch-free and propagates NaN, replaces the
// data-dependent branches that random inputs mispredict. Starting from
// -Inf is safe because every window holds at least one input element.
func poolPlaneForward[T float](g *poolGeom, xp, yp []T) {
	inf := T(math.Inf(-1))
	sw, pw := g.p.StrideW, g.p.PadW
	for oy := 0; oy < g.oh; oy++ {
		yr := yp[oy*g.ow : (oy+1)*g.ow]
		for i := range yr {
			yr[i] = inf
		}
		r0, r1 := g.rows(oy)
		for r := r0; r < r1; r++ {
			xr := xp[r*g.w : (r+1)*g.w]
			for kx, lo := range g.colLo {
				if lo >= g.colHi[kx] {
					continue // lo*sw-pw+kx may lie past the row
				}
				xs, ys := xr[lo*sw-pw+kx:], yr[lo:g.colHi[kx]]
				for i, m := range ys {
					ys[i] = max(m, xs[i*sw])
				}
			}
		}
	}
}

// maxPoolRoute writes into dx the gradient dy of every window, added at
// the window's winner; all other positions get zero. relu (float32 2x2
// vector planes only, see pool2x2ReLUGrad) passes only the gradients of
// windows whose y is positive.
func maxPoolRoute[T float](g *poolGeom, dx, x, y, dy []T, relu bool) {
	j := getJob[poolJob[T]]()
	*j = poolJob[T]{g: *g, y: y, x: x, dy: dy, dx: dx, relu: relu}
	parallelRun(g.planes, g.planeChunk(), j)
	putJob(j)
}

func (j *poolJob[T]) backward(lo, hi int) {
	g := &j.g
	if dx32, ok := any(j.dx).([]float32); ok && pool2x2Vector(g) {
		pool2x2Backward32(g, dx32, any(j.x).([]float32), any(j.y).([]float32), any(j.dy).([]float32), lo, hi, j.relu)
		return
	}
	hw, ohw := g.h*g.w, g.oh*g.ow
	var win *[]int32
	if g.p != pool2x2 {
		win = poolWinners(g.ow)
		defer poolWinnerPool.Put(win)
	}
	for pl := lo; pl < hi; pl++ {
		dxp, xp := j.dx[pl*hw:(pl+1)*hw], j.x[pl*hw:(pl+1)*hw]
		yp, dyp := j.y[pl*ohw:(pl+1)*ohw], j.dy[pl*ohw:(pl+1)*ohw]
		if g.p == pool2x2 {
			if g.h%2 != 0 || g.w%2 != 0 {
				clear(dxp) // the last row or column is in no window
			}
			pool2x2Backward(g, dxp, xp, yp, dyp)
			continue
		}
		clear(dxp)
		poolPlaneBackward(g, dxp, xp, yp, dyp, *win)
	}
}

// poolWinnerPool keeps the winner rows of the general backward kernel.
var poolWinnerPool sync.Pool

// poolWinners returns a pooled row of n winner indices.
func poolWinners(n int) *[]int32 {
	if b, ok := poolWinnerPool.Get().(*[]int32); ok && cap(*b) >= n {
		*b = (*b)[:n]
		return b
	}
	b := make([]int32, n)
	return &b
}

// poolPlaneBackward computes one plane. The winner of a window is its
// first element equal to the output (or its first NaN when the output is
// NaN), which is the forward's first maximum. Offsets are visited last to
// first, so the final assignment is the first match; the select compiles to
// a conditional move instead of a mispredicted branch. win holds the
// winners of one output row.
func poolPlaneBackward[T float](g *poolGeom, dxp, xp, yp, dyp []T, win []int32) {
	sw, pw := g.p.StrideW, g.p.PadW
	for oy := 0; oy < g.oh; oy++ {
		yr, dyr := yp[oy*g.ow:(oy+1)*g.ow], dyp[oy*g.ow:(oy+1)*g.ow]
		r0, r1 := g.rows(oy)
		for ox := range win {
			// A window of MaxPool2DReLU whose maximum is negative has no
			// element equal to its output 0; its gradient, 0, goes to
			// the window's first element rather than to a stale index.
			win[ox] = int32(r0*g.w + max(ox*sw-pw, 0))
		}
		for r := r1 - 1; r >= r0; r-- {
			xr := xp[r*g.w : (r+1)*g.w]
			for kx := len(g.colLo) - 1; kx >= 0; kx-- {
				lo, hi := g.colLo[kx], g.colHi[kx]
				if lo >= hi {
					continue // first may lie past the row
				}
				first := lo*sw - pw + kx // input column of output column lo
				xs, ws, base := xr[first:], win[lo:hi], int32(r*g.w+first)
				for i, m := range yr[lo:hi] {
					v, best := xs[i*sw], ws[i]
					// eq and nan exclude each other; != keeps both
					// comparisons unconditional, unlike ||.
					if eq, nan := v == m, v != v; eq != nan {
						best = base + int32(i*sw)
					}
					ws[i] = best
				}
			}
		}
		for ox, d := range dyr {
			dxp[win[ox]] += d
		}
	}
}

// pool2x2 is the usual pooling of CNNs; it gets its own kernels, unrolled
// over the window, which run 2-3 times faster than the general ones.
var pool2x2 = PoolWindow{2, 2, 2, 2, 0, 0}

// pool2x2Forward is poolPlaneForward for pool2x2.
func pool2x2Forward[T float](g *poolGeom, xp, yp []T) {
	w := g.w
	for oy := 0; oy < g.oh; oy++ {
		r0, r1 := xp[2*oy*w:(2*oy+1)*w], xp[(2*oy+1)*w:(2*oy+2)*w]
		yr := yp[oy*g.ow : (oy+1)*g.ow]
		for i := range yr {
			yr[i] = max(r0[2*i], r0[2*i+1], r1[2*i], r1[2*i+1])
		}
	}
}

// pool2x2Backward is poolPlaneBackward for pool2x2. Each window's four
// gradients are written, not added, so dxp needs no clearing beyond the
// row and column no window covers. The winner index is chosen with
// integer selects, which compile to conditional moves, and the gradient is
// stored through a small array so that no branch depends on the data.
func pool2x2Backward[T float](g *poolGeom, dxp, xp, yp, dyp []T) {
	w := g.w
	for oy := 0; oy < g.oh; oy++ {
		top := 2 * oy * w
		r0, r1 := xp[top:top+w], xp[top+w:top+2*w]
		d0, d1 := dxp[top:top+w], dxp[top+w:top+2*w]
		yr, dyr := yp[oy*g.ow:(oy+1)*g.ow], dyp[oy*g.ow:(oy+1)*g.ow]
		for i, m := range yr {
			c := 2 * i
			a, b, e := r0[c], r0[c+1], r1[c]
			k := 3
			if eq, nan := e == m, e != e; eq != nan {
				k = 2
			}
			if eq, nan := b == m, b != b; eq != nan {
				k = 1
			}
			if eq, nan := a == m, a != a; eq != nan {
				k = 0
			}
			var v [4]T
			v[k&3] = dyr[i]
			d0[c], d0[c+1], d1[c], d1[c+1] = v[0], v[1], v[2], v[3]
		}
	}
}
