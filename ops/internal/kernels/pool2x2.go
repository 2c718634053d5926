package kernels

// The 2x2 pooling kernels for float32 on AVX2 CPUs. Rows of at least 4
// windows, LeNet's 14 and 5 among them, run through 4-window loops that
// walk every row pair of a batch of planes in one call, the last block of
// a row overlapping the one before: per-row calls from Go cost as much as
// the rows, and wider 8-window blocks would overlap more. Narrower planes
// are first gathered into two contiguous rows, the top and the bottom row
// of every window, so that the 8-window loops see all the windows of a
// plane at once; without this the scalar backward loop costs some 20
// cycles a window on mispredicted selects. The loops here are not generic,
// for the same reason as the batched calls. At the AVX-512 level every
// plane takes the row loops, as pool2x2Max8 and pool2x2Grad8 (generated,
// asm/pool.go): eight windows a step, the last step of a row under masks,
// the winners chosen with opmask logic.

// pool2x2Vector reports whether float32 planes of g take these kernels.
func pool2x2Vector(g *poolGeom) bool {
	return g.p == pool2x2 && (avx512() || avx2() && (g.ow >= 4 || g.oh*g.ow >= 8))
}

// pool2x2Quad reports whether the planes of g take the row loops (4-window,
// or 8-window at the AVX-512 level); the others are gathered.
func pool2x2Quad(g *poolGeom) bool { return g.ow >= 4 || avx512() }

// quadRuns calls fn for runs of planes [lo, hi) that the 4-window loops
// can walk as one sequence of row pairs: all of them when every input row
// is in a window, else one plane at a time (the odd last row of each
// plane breaks the sequence).
func quadRuns(g *poolGeom, lo, hi int, fn func(pl, planes int)) {
	if g.h == 2*g.oh {
		fn(lo, hi-lo)
		return
	}
	for pl := lo; pl < hi; pl++ {
		fn(pl, 1)
	}
}

// pool2x2NarrowScratch is the buffer size the gathered path needs.
func pool2x2NarrowScratch(g *poolGeom) int { return 8 * g.oh * g.ow }

// pool2x2Forward32 pools planes [lo, hi), with a ReLU after if relu is set.
func pool2x2Forward32(g *poolGeom, y, x []float32, lo, hi int, relu bool) {
	hw, ohw := g.h*g.w, g.oh*g.ow
	if pool2x2Quad(g) {
		quadRuns(g, lo, hi, func(pl, planes int) {
			xs, ys := x[pl*hw:(pl+planes)*hw], y[pl*ohw:(pl+planes)*ohw]
			if avx512() {
				pool2x2Max8(&ys[0], &xs[0], planes*g.oh, g.w, g.ow)
			} else {
				pool2x2Max4(&ys[0], &xs[0], planes*g.oh, g.w, g.ow)
			}
			if relu {
				reluForward(ys, ys)
			}
		})
		return
	}
	buf := convScratch[float32](pool2x2NarrowScratch(g))
	defer convRelease(buf)
	for pl := lo; pl < hi; pl++ {
		yp := y[pl*ohw : (pl+1)*ohw]
		pool2x2NarrowForward(g, x[pl*hw:(pl+1)*hw], yp, *buf)
		if relu {
			reluForward(yp, yp)
		}
	}
}

// pool2x2Backward32 routes the gradients of planes [lo, hi). relu, which
// only the 4-window loops take (see pool2x2ReLUGrad), applies the ReLU's
// gradient on the way.
func pool2x2Backward32(g *poolGeom, dx, x, y, dy []float32, lo, hi int, relu bool) {
	hw, ohw := g.h*g.w, g.oh*g.ow
	if pool2x2Quad(g) {
		quadRuns(g, lo, hi, func(pl, planes int) {
			dxs, xs := dx[pl*hw:(pl+planes)*hw], x[pl*hw:(pl+planes)*hw]
			ys, dys := y[pl*ohw:(pl+planes)*ohw], dy[pl*ohw:(pl+planes)*ohw]
			if g.h%2 != 0 || g.w%2 != 0 {
				clear(dxs) // the last row or column is in no window
			}
			if avx512() {
				pool2x2Grad8(&dxs[0], &xs[0], &ys[0], &dys[0], planes*g.oh, g.w, g.ow, relu)
			} else {
				pool2x2Grad4(&dxs[0], &xs[0], &ys[0], &dys[0], planes*g.oh, g.w, g.ow, relu)
			}
		})
		return
	}
	buf := convScratch[float32](pool2x2NarrowScratch(g))
	defer convRelease(buf)
	for pl := lo; pl < hi; pl++ {
		dxp := dx[pl*hw : (pl+1)*hw]
		if g.h%2 != 0 || g.w%2 != 0 {
			clear(dxp) // the last row or column is in no window
		}
		pool2x2NarrowBackward(g, dxp, x[pl*hw:(pl+1)*hw], y[pl*ohw:(pl+1)*ohw], dy[pl*ohw:(pl+1)*ohw], *buf)
	}
}

// pool2x2ReLUGrad says whether the 2x2 backward of g applies the ReLU's
// gradient itself, saving the masked copy of dy.
func pool2x2ReLUGrad(g *poolGeom) bool { return pool2x2Vector(g) && pool2x2Quad(g) }

// pool2x2Gather copies the top and bottom rows of every window of the
// plane xp into top and bot, output row after output row.
func pool2x2Gather(g *poolGeom, top, bot, xp []float32) {
	w2 := 2 * g.ow
	for oy := 0; oy < g.oh; oy++ {
		copy(top[oy*w2:][:w2], xp[2*oy*g.w:])
		copy(bot[oy*w2:][:w2], xp[(2*oy+1)*g.w:])
	}
}

// pool2x2NarrowForward pools one narrow plane.
func pool2x2NarrowForward(g *poolGeom, xp, yp, buf []float32) {
	n := g.oh * g.ow
	top, bot := buf[:2*n], buf[2*n:4*n]
	pool2x2Gather(g, top, bot, xp)
	pool2x2MaxRow32(yp[:n], top, bot)
}

// pool2x2NarrowBackward routes the gradients of one narrow plane. The
// caller clears dxp when a row or column lies outside every window.
func pool2x2NarrowBackward(g *poolGeom, dxp, xp, yp, dyp, buf []float32) {
	n, w2 := g.oh*g.ow, 2*g.ow
	top, bot, dt, db := buf[:2*n], buf[2*n:4*n], buf[4*n:6*n], buf[6*n:8*n]
	pool2x2Gather(g, top, bot, xp)
	pool2x2GradRow32(dt, db, top, bot, yp[:n], dyp[:n])
	for oy := 0; oy < g.oh; oy++ {
		copy(dxp[2*oy*g.w:][:w2], dt[oy*w2:][:w2])
		copy(dxp[(2*oy+1)*g.w:][:w2], db[oy*w2:][:w2])
	}
}

// pool2x2MaxRow32 writes the maxima of the len(y) ≥ 8 windows over the
// rows r0 and r1 into y. A row whose width is not a multiple of 8 ends
// with a block that overlaps the one before, which writes the same values
// again.
func pool2x2MaxRow32(y, r0, r1 []float32) {
	n := len(y)
	_, _ = r0[2*n-1], r1[2*n-1] // the kernel reads 2n columns
	body := n &^ 7
	pool2x2Max32(&y[0], &r0[0], &r1[0], body)
	if t := n - 8; body < n {
		pool2x2Max32(&y[t], &r0[2*t], &r1[2*t], 8)
	}
}

// pool2x2GradRow32 routes the gradients dy of the len(y) ≥ 8 windows over
// the rows r0 and r1, with maxima y, into the gradient rows d0 and d1; like
// pool2x2MaxRow32 it overlaps the last block, which is safe because the
// kernel writes, never adds.
func pool2x2GradRow32(d0, d1, r0, r1, y, dy []float32) {
	n := len(y)
	_, _, _, _ = d0[2*n-1], d1[2*n-1], r0[2*n-1], r1[2*n-1] // the kernel reads 2n columns
	_ = dy[n-1]
	body := n &^ 7
	pool2x2Grad32(&d0[0], &d1[0], &r0[0], &r1[0], &y[0], &dy[0], body)
	if t := n - 8; body < n {
		pool2x2Grad32(&d0[2*t], &d1[2*t], &r0[2*t], &r1[2*t], &y[t], &dy[t], 8)
	}
}
