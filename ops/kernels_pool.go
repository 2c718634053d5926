package ops

// The 2x2 pooling kernels run rows of at least 8 windows through the AVX2
// loops directly. Narrower planes, such as LeNet's second pooling (10x10
// to 5x5), are first gathered into two contiguous rows, the top and the
// bottom row of every window, so that the same loops see all the windows
// of a plane at once instead of 5 at a time; without this the scalar
// backward loop costs some 20 cycles a window on mispredicted selects.

// pool2x2Narrow reports whether the planes of g take the gathered path.
func pool2x2Narrow[T float](g *poolGeom) bool {
	var z T
	_, f32 := any(z).(float32)
	return f32 && useAVX2 && g.p == pool2x2 && g.ow < 8 && g.oh*g.ow >= 8
}

// pool2x2NarrowScratch is the buffer size the gathered path needs.
func pool2x2NarrowScratch(g *poolGeom) int { return 8 * g.oh * g.ow }

// pool2x2Gather copies the top and bottom rows of every window of the
// plane xp into top and bot, output row after output row.
func pool2x2Gather(g *poolGeom, top, bot, xp []float32) {
	w2 := 2 * g.ow
	for oy := 0; oy < g.oh; oy++ {
		copy(top[oy*w2:][:w2], xp[2*oy*g.w:])
		copy(bot[oy*w2:][:w2], xp[(2*oy+1)*g.w:])
	}
}

// pool2x2NarrowForward is pool2x2Forward for one narrow float32 plane.
func pool2x2NarrowForward(g *poolGeom, xp, yp, buf []float32) {
	n := g.oh * g.ow
	top, bot := buf[:2*n], buf[2*n:4*n]
	pool2x2Gather(g, top, bot, xp)
	pool2x2MaxVector(yp[:n], top, bot)
}

// pool2x2NarrowBackward is pool2x2Backward for one narrow float32 plane.
// The caller clears dxp when a row or column lies outside every window.
func pool2x2NarrowBackward(g *poolGeom, dxp, xp, yp, dyp, buf []float32) {
	n, w2 := g.oh*g.ow, 2*g.ow
	top, bot, dt, db := buf[:2*n], buf[2*n:4*n], buf[4*n:6*n], buf[6*n:8*n]
	pool2x2Gather(g, top, bot, xp)
	pool2x2RowVector(dt, db, top, bot, yp[:n], dyp[:n])
	for oy := 0; oy < g.oh; oy++ {
		copy(dxp[2*oy*g.w:][:w2], dt[oy*w2:][:w2])
		copy(dxp[(2*oy+1)*g.w:][:w2], db[oy*w2:][:w2])
	}
}
