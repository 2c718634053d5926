package ops

import (
	"fmt"
	"hash"
	"math"
	"sync"

	"github.com/chewxy/hm"
	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// PoolParams describes a 2-D pooling window: its size, the step between
// windows and the implicit padding added on each side of the input.
type PoolParams struct {
	KernelH, KernelW int
	StrideH, StrideW int
	PadH, PadW       int
}

// String prints the parameters compactly; the pool ops hash it, so it
// must name every field.
func (p PoolParams) String() string {
	return fmt.Sprintf("k=%dx%d,s=%dx%d,p=%dx%d", p.KernelH, p.KernelW, p.StrideH, p.StrideW, p.PadH, p.PadW)
}

// validate rejects windows that are empty, do not advance or are padded by
// more than half their size. The last rule is PyTorch's: it guarantees that
// every window overlaps the input, so no output is taken from padding alone.
// name, such as "maxpool", starts the error messages.
func (p PoolParams) validate(name string) error {
	switch {
	case p.KernelH < 1 || p.KernelW < 1:
		return errors.Errorf("%s: kernel %dx%d must be at least 1x1", name, p.KernelH, p.KernelW)
	case p.StrideH < 1 || p.StrideW < 1:
		return errors.Errorf("%s: stride %dx%d must be at least 1x1", name, p.StrideH, p.StrideW)
	case p.PadH < 0 || p.PadW < 0:
		return errors.Errorf("%s: padding %dx%d must not be negative", name, p.PadH, p.PadW)
	case 2*p.PadH > p.KernelH || 2*p.PadW > p.KernelW:
		return errors.Errorf("%s: padding %dx%d exceeds half the kernel %dx%d", name, p.PadH, p.PadW, p.KernelH, p.KernelW)
	}
	return nil
}

// outShape returns the NCHW output shape for an NCHW input shape; name
// starts the error messages.
func (p PoolParams) outShape(name string, s tensor.Shape) (tensor.Shape, error) {
	d, err := p.outDims(name, s)
	if err != nil {
		return nil, err
	}
	return tensor.Shape{d[0], d[1], d[2], d[3]}, nil
}

// outDims is outShape as an array, which the kernels' geometry keeps
// without allocating a slice on every call.
func (p PoolParams) outDims(name string, s tensor.Shape) ([4]int, error) {
	if len(s) != 4 {
		return [4]int{}, errors.Errorf("%s: input shape %v is not NCHW", name, s.Clone())
	}
	h, w := s[2]+2*p.PadH, s[3]+2*p.PadW
	if h < p.KernelH || w < p.KernelW {
		return [4]int{}, errors.Errorf("%s: padded input %dx%d is smaller than the kernel %dx%d", name, h, w, p.KernelH, p.KernelW)
	}
	return [4]int{s[0], s[1], (h-p.KernelH)/p.StrideH + 1, (w-p.KernelW)/p.StrideW + 1}, nil
}

// MaxPool2D returns the maximum of every pooling window of an NCHW input.
//
// Padding never wins: it acts as -Inf, and p must keep it within half the
// kernel so that every window holds at least one input element. A NaN in a
// window makes that output NaN, as in PyTorch. Among equal maxima the first
// in row-major window order wins, and it alone receives the gradient.
// The gradient op finds the winners again from x and the output rather
// than storing them, so the op holds nothing but p. The batch size is read
// from the input value at run time.
func MaxPool2D(x *G.Node, p PoolParams) (*G.Node, error) {
	if err := p.validate("maxpool"); err != nil {
		return nil, err
	}
	if x.Dims() != 4 {
		return nil, errors.Errorf("maxpool: input shape %v is not NCHW", x.Shape())
	}
	return apply(maxPoolOp{plainOp: fresh(), p: p}, x)
}

// MaxPool2DReLU returns max(0, MaxPool2D(x)), which equals
// MaxPool2D(ReLU(x)): both functions are non-decreasing, so they commute.
// Fused, the pair never writes or reads ReLU's full-size output, in either
// pass; graph's MaxPool2D layer uses it when its input is a ReLU. A window
// holding a NaN gives 0 here, where ReLU first would give the window's
// largest other element or 0: either way the NaN does not propagate.
func MaxPool2DReLU(x *G.Node, p PoolParams) (*G.Node, error) {
	if err := p.validate("maxpool"); err != nil {
		return nil, err
	}
	if x.Dims() != 4 {
		return nil, errors.Errorf("maxpool: input shape %v is not NCHW", x.Shape())
	}
	return apply(maxPoolOp{plainOp: fresh(), p: p, relu: true}, x)
}

// maxPoolOp is the forward max pooling over NCHW tensors, followed by a
// ReLU when relu is set.
type maxPoolOp struct {
	plainOp
	p    PoolParams
	relu bool
}

// poolName names the op for String and WriteHash.
func poolName(relu bool, suffix string) string {
	if relu {
		return "MaxPool2DReLU" + suffix
	}
	return "MaxPool2D" + suffix
}

func (op maxPoolOp) Arity() int    { return 1 }
func (op maxPoolOp) Type() hm.Type { return fnType(4, 4) }

func (op maxPoolOp) InferShape(ds ...G.DimSizer) (tensor.Shape, error) {
	shapes, err := inferShapes(ds)
	if err != nil {
		return nil, err
	}
	if err := checkArity(op.String(), len(shapes), 1); err != nil {
		return nil, err
	}
	return op.p.outShape("maxpool", shapes[0])
}

func (op maxPoolOp) Do(inputs ...G.Value) (G.Value, error) { return doAlloc(op, inputs) }

func (op maxPoolOp) UsePreallocDo(prealloc G.Value, inputs ...G.Value) (G.Value, error) {
	if len(inputs) != 1 {
		return nil, checkArity(op.String(), len(inputs), 1)
	}
	x, err := denseOf(inputs[0])
	if err != nil {
		return nil, errors.Wrap(err, op.String())
	}
	g, err := newPoolGeom(op.p, x.Shape())
	if err != nil {
		return nil, err
	}
	y := op.output(prealloc, x.Dtype(), g.out[:])
	if x.Dtype() == tensor.Float32 {
		maxPoolForward(&g, data[float32](y), data[float32](x), op.relu)
	} else {
		maxPoolForward(&g, data[float64](y), data[float64](x), op.relu)
	}
	return y, nil
}

func (op maxPoolOp) WriteHash(h hash.Hash) { writeHash(h, poolName(op.relu, ""), op.p) }
func (op maxPoolOp) Hashcode() uint32      { return hashOf(op) }
func (op maxPoolOp) String() string        { return poolName(op.relu, "") + "(" + op.p.String() + ")" }

func (op maxPoolOp) DiffWRT(int) []bool { return []bool{true} }

// SymDiff routes each output gradient to the input that won its window.
// The winners are found again in the backward op from x and the output y
// rather than stored, because an op is a hashed value shared by graphs and
// must stay stateless; y turns the search into an equality test.
func (op maxPoolOp) SymDiff(inputs G.Nodes, output, grad *G.Node) (G.Nodes, error) {
	gradOp := maxPoolGradOp(op)
	gradOp.plainOp = fresh() // its own output buffer, not the forward op's
	dx, err := apply(gradOp, inputs[0], output, grad)
	if err != nil {
		return nil, err
	}
	return G.Nodes{dx}, nil
}

// maxPoolGradOp computes dL/dx of max pooling (and the ReLU after it,
// when relu is set) from x, y and dL/dy.
type maxPoolGradOp struct {
	plainOp
	p    PoolParams
	relu bool
}

func (op maxPoolGradOp) Arity() int    { return 3 }
func (op maxPoolGradOp) Type() hm.Type { return fnType(4, 4, 4, 4) }

func (op maxPoolGradOp) InferShape(ds ...G.DimSizer) (tensor.Shape, error) {
	shapes, err := inferShapes(ds)
	if err != nil {
		return nil, err
	}
	if err := checkArity(op.String(), len(shapes), 3); err != nil {
		return nil, err
	}
	return shapes[0].Clone(), nil
}

func (op maxPoolGradOp) Do(inputs ...G.Value) (G.Value, error) { return doAlloc(op, inputs) }

func (op maxPoolGradOp) UsePreallocDo(prealloc G.Value, inputs ...G.Value) (G.Value, error) {
	if len(inputs) != 3 {
		return nil, checkArity(op.String(), len(inputs), 3)
	}
	var args [3]*tensor.Dense
	ds, err := denseArgs(args[:], inputs)
	if err != nil {
		return nil, errors.Wrap(err, op.String())
	}
	x, y, dy := ds[0], ds[1], ds[2]
	g, err := newPoolGeom(op.p, x.Shape())
	if err != nil {
		return nil, err
	}
	if !convShapeIs(y.Shape(), g.out[:]...) || !convShapeIs(dy.Shape(), g.out[:]...) {
		return nil, errors.Errorf("%v: output shape %v and gradient shape %v, want %v for input %v",
			op, y.Shape(), dy.Shape(), tensor.Shape{g.out[0], g.out[1], g.out[2], g.out[3]}, x.Shape())
	}
	dx := op.output(prealloc, x.Dtype(), x.Shape())
	if x.Dtype() == tensor.Float32 {
		maxPoolGrad(&g, data[float32](dx), data[float32](x), data[float32](y), data[float32](dy), op.relu)
	} else {
		maxPoolGrad(&g, data[float64](dx), data[float64](x), data[float64](y), data[float64](dy), op.relu)
	}
	return dx, nil
}

// maxPoolGrad is maxPoolBackward, with the ReLU's gradient applied first
// when relu is set: a window whose output is not positive passes no
// gradient. Its output is then 0, which no input may equal, but the
// gradient routed to whichever element is taken as the winner is 0.
func maxPoolGrad[T float](g *poolGeom, dx, x, y, dy []T, relu bool) {
	if _, f32 := any(dx).([]float32); relu && !(f32 && pool2x2ReLUGrad(g)) {
		masked := convScratch[T](len(dy))
		defer convRelease(masked)
		activateGrad(reluAct, *masked, y, dy, 0)
		dy, relu = *masked, false
	}
	maxPoolBackward(g, dx, x, y, dy, relu)
}

func (op maxPoolGradOp) WriteHash(h hash.Hash) { writeHash(h, poolName(op.relu, "Grad"), op.p) }
func (op maxPoolGradOp) Hashcode() uint32      { return hashOf(op) }
func (op maxPoolGradOp) String() string        { return poolName(op.relu, "Grad") + "(" + op.p.String() + ")" }

// poolGeom is the geometry of one pooling call. colLo[kx] and colHi[kx]
// bound the output columns whose kernel column kx falls inside the input
// rather than in the padding.
type poolGeom struct {
	p            PoolParams
	h, w         int
	oh, ow       int
	planes       int
	out          [4]int
	colLo, colHi []int
}

// newPoolGeom returns the geometry of pooling an input of shape in. Only
// the general kernels need colLo and colHi; pool2x2 skips allocating them.
func newPoolGeom(p PoolParams, in tensor.Shape) (poolGeom, error) {
	out, err := p.outDims("maxpool", in)
	if err != nil {
		return poolGeom{}, err
	}
	g := poolGeom{p: p, h: in[2], w: in[3], oh: out[2], ow: out[3], planes: in[0] * in[1], out: out}
	if p == pool2x2 {
		return g, nil
	}
	g.colLo, g.colHi = make([]int, p.KernelW), make([]int, p.KernelW)
	for kx := range g.colLo {
		// Output column ox reads input column ox*StrideW - PadW + kx.
		g.colLo[kx] = min(g.ow, ceilDiv(max(0, p.PadW-kx), p.StrideW))
		if last := g.w - 1 + p.PadW - kx; last >= 0 {
			g.colHi[kx] = min(g.ow, last/p.StrideW+1)
		}
	}
	return g, nil
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

// maxPoolForward writes the window maxima of x into y, plane by plane, and
// with relu replaces the negative ones by 0.
func maxPoolForward[T float](g *poolGeom, y, x []T, relu bool) {
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

// maxPoolBackward writes into dx the gradient dy of every window, added at
// the window's winner; all other positions get zero. relu (float32 2x2
// vector planes only, see pool2x2ReLUGrad) passes only the gradients of
// windows whose y is positive.
func maxPoolBackward[T float](g *poolGeom, dx, x, y, dy []T, relu bool) {
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
var pool2x2 = PoolParams{2, 2, 2, 2, 0, 0}

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
