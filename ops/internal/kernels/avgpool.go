package kernels

// AvgGeom is the geometry of one average pooling call. Unlike PoolGeom it
// holds no slices, so building it allocates nothing.
type AvgGeom struct {
	p          PoolWindow
	includePad bool
	h, w       int
	oh, ow     int
	planes     int
	out        [4]int
}

// avgGeom is AvgGeom inside the package.
type avgGeom = AvgGeom

// NewAvgGeom returns the geometry of average pooling an input of shape in
// (N, C, H, W) into out with window p, dividing by the whole window when
// includePad is set and by its part inside the input otherwise.
func NewAvgGeom(p PoolWindow, includePad bool, in, out [4]int) AvgGeom {
	return avgGeom{p: p, includePad: includePad, h: in[2], w: in[3], oh: out[2], ow: out[3],
		planes: in[0] * in[1], out: out}
}

// window returns the input rows [r0, r1) and columns [c0, c1) that output
// (oy, ox) covers, and its divisor.
func (g *avgGeom) window(oy, ox int) (r0, r1, c0, c1, div int) {
	r0, c0 = oy*g.p.StrideH-g.p.PadH, ox*g.p.StrideW-g.p.PadW
	r1, c1 = min(r0+g.p.KernelH, g.h), min(c0+g.p.KernelW, g.w)
	r0, c0 = max(r0, 0), max(c0, 0)
	div = g.p.KernelH * g.p.KernelW
	if !g.includePad {
		div = (r1 - r0) * (c1 - c0)
	}
	return r0, r1, c0, c1, div
}

// AvgPoolForward writes the window means of x into y.
func AvgPoolForward[T float](g *AvgGeom, y, x []T) { avgPoolRun(g, y, x, nil) }

// AvgPoolBackward writes into dx the gradient dy of every window spread
// evenly over it.
func AvgPoolBackward[T float](g *AvgGeom, dx, dy []T) { avgPoolRun(g, nil, dx, dy) }

// avgPoolRun runs the forward pass (dy nil), writing y from x, or the
// backward pass, writing dx (passed as x) from dy, plane by plane over the
// cores. Each plane is computed by one chunk, so the bits do not depend on
// the number of cores.
func avgPoolRun[T float](g *avgGeom, y, x, dy []T) {
	j := getJob[avgPoolJob[T]]()
	*j = avgPoolJob[T]{g: *g, y: y, x: x, dy: dy}
	parallelRun(g.planes, max(1, 4096/max(1, g.h*g.w)), j)
	putJob(j)
}

// avgPoolJob is the loop over planes [lo, hi) of the forward pass (dy nil)
// or of the backward pass, which writes its dx into x.
type avgPoolJob[T float] struct {
	g        avgGeom
	y, x, dy []T
}

func (j *avgPoolJob[T]) run(lo, hi int) {
	g := &j.g
	hw, ohw := g.h*g.w, g.oh*g.ow
	for pl := lo; pl < hi; pl++ {
		xp := j.x[pl*hw : (pl+1)*hw]
		if j.dy != nil {
			avgPlaneBackward(g, xp, j.dy[pl*ohw:(pl+1)*ohw])
		} else {
			avgPlaneForward(g, j.y[pl*ohw:(pl+1)*ohw], xp)
		}
	}
}

// avgPlaneForward sums each window row by row, as PyTorch does, and
// divides the sum by the window's divisor.
func avgPlaneForward[T float](g *avgGeom, yp, xp []T) {
	for oy := 0; oy < g.oh; oy++ {
		for ox := 0; ox < g.ow; ox++ {
			r0, r1, c0, c1, div := g.window(oy, ox)
			var s T
			for r := r0; r < r1; r++ {
				for _, v := range xp[r*g.w+c0 : r*g.w+c1] {
					s += v
				}
			}
			yp[oy*g.ow+ox] = s / T(div)
		}
	}
}

// avgPlaneBackward adds dy/divisor of every window to the input elements
// the window covers, in output order; overlapping windows add up.
func avgPlaneBackward[T float](g *avgGeom, dxp, dyp []T) {
	clear(dxp)
	for oy := 0; oy < g.oh; oy++ {
		for ox := 0; ox < g.ow; ox++ {
			r0, r1, c0, c1, div := g.window(oy, ox)
			d := dyp[oy*g.ow+ox] / T(div)
			for r := r0; r < r1; r++ {
				row := dxp[r*g.w+c0 : r*g.w+c1]
				for i := range row {
					row[i] += d
				}
			}
		}
	}
}

// GlobalAvgPoolForward writes the means of the planes of x, hw values
// each, into y, one value per plane.
func GlobalAvgPoolForward[T float](y, x []T, hw int) { globalAvgRun(y, x, nil, hw) }

// GlobalAvgPoolBackward spreads each plane's gradient dy/hw over its plane
// of dx.
func GlobalAvgPoolBackward[T float](dx, dy []T, hw int) { globalAvgRun(dx, nil, dy, hw) }

// globalAvgRun writes the plane means of x into out (dy nil), or broadcasts
// dy/hw over the planes of out, over the cores, a plane per item.
func globalAvgRun[T float](out, x, dy []T, hw int) {
	j := getJob[globalAvgJob[T]]()
	*j = globalAvgJob[T]{out: out, x: x, dy: dy, hw: hw}
	planes := len(out)
	if dy != nil {
		planes = len(dy)
	}
	parallelRun(planes, max(1, 8192/hw), j)
	putJob(j)
}

// globalAvgJob handles planes [lo, hi) of globalAvgRun.
type globalAvgJob[T float] struct {
	out, x, dy []T
	hw         int
}

func (j *globalAvgJob[T]) run(lo, hi int) {
	hw := j.hw
	for pl := lo; pl < hi; pl++ {
		if j.dy != nil {
			d, row := j.dy[pl]/T(hw), j.out[pl*hw:(pl+1)*hw]
			for i := range row {
				row[i] = d
			}
			continue
		}
		j.out[pl] = T(sumTo64(j.x[pl*hw:(pl+1)*hw]) / float64(hw))
	}
}
