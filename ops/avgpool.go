package ops

import (
	"hash"

	"github.com/chewxy/hm"
	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// AvgPool2D returns the mean of every pooling window of an NCHW input, as
// PyTorch's AvgPool2d with ceil_mode false. With countIncludePad, PyTorch's
// default, every window is divided by KernelH·KernelW, so the padded zeros
// count; without it, by the number of input elements the window covers.
// p must keep the padding within half the kernel, as PyTorch requires, so
// every window covers at least one input element. Each window is summed in
// the input's dtype, row by row, as PyTorch sums it. The batch size is read
// from the input value at run time.
func AvgPool2D(x *G.Node, p PoolParams, countIncludePad bool) (*G.Node, error) {
	if err := p.validate("avgpool"); err != nil {
		return nil, err
	}
	if _, err := p.outShape("avgpool", x.Shape()); err != nil {
		return nil, err
	}
	return apply(avgPoolOp{plainOp: fresh(), p: p, includePad: countIncludePad}, x)
}

// avgPoolOp is the forward average pooling over NCHW tensors.
type avgPoolOp struct {
	plainOp
	p          PoolParams
	includePad bool
}

// avgPoolName names an average pooling op for String and WriteHash.
func avgPoolName(p PoolParams, includePad bool, suffix string) string {
	mode := "exclude"
	if includePad {
		mode = "include"
	}
	return "AvgPool2D" + suffix + "(" + p.String() + ",pad=" + mode + ")"
}

func (op avgPoolOp) Arity() int    { return 1 }
func (op avgPoolOp) Type() hm.Type { return fnType(4, 4) }

func (op avgPoolOp) InferShape(ds ...G.DimSizer) (tensor.Shape, error) {
	shapes, err := inferShapes(ds)
	if err != nil {
		return nil, err
	}
	if err := checkArity(op.String(), len(shapes), 1); err != nil {
		return nil, err
	}
	return op.p.outShape("avgpool", shapes[0])
}

func (op avgPoolOp) Do(inputs ...G.Value) (G.Value, error) { return doAlloc(op, inputs) }

func (op avgPoolOp) UsePreallocDo(prealloc G.Value, inputs ...G.Value) (G.Value, error) {
	if len(inputs) != 1 {
		return nil, checkArity(op.String(), len(inputs), 1)
	}
	x, err := denseOf(inputs[0])
	if err != nil {
		return nil, errors.Wrap(err, op.String())
	}
	g, err := newAvgGeom(op.p, op.includePad, x.Shape())
	if err != nil {
		return nil, err
	}
	y := op.output(prealloc, x.Dtype(), g.out[:])
	if x.Dtype() == tensor.Float32 {
		avgPoolRun(&g, data[float32](y), data[float32](x), nil)
	} else {
		avgPoolRun(&g, data[float64](y), data[float64](x), nil)
	}
	return y, nil
}

func (op avgPoolOp) WriteHash(h hash.Hash) { writeHash(h, op.String(), op.p, op.includePad) }
func (op avgPoolOp) Hashcode() uint32      { return hashOf(op) }
func (op avgPoolOp) String() string        { return avgPoolName(op.p, op.includePad, "") }

func (op avgPoolOp) DiffWRT(int) []bool { return []bool{true} }

// SymDiff spreads each output's gradient evenly over its window. The
// gradient op reads only x's shape, not its values.
func (op avgPoolOp) SymDiff(inputs G.Nodes, output, grad *G.Node) (G.Nodes, error) {
	dx, err := apply(avgPoolGradOp{plainOp: fresh(), p: op.p, includePad: op.includePad}, inputs[0], grad)
	if err != nil {
		return nil, err
	}
	return G.Nodes{dx}, nil
}

// avgPoolGradOp computes dL/dx of AvgPool2D from x (for its shape) and dL/dy.
type avgPoolGradOp struct {
	plainOp
	p          PoolParams
	includePad bool
}

func (op avgPoolGradOp) Arity() int    { return 2 }
func (op avgPoolGradOp) Type() hm.Type { return fnType(4, 4, 4) }

func (op avgPoolGradOp) InferShape(ds ...G.DimSizer) (tensor.Shape, error) {
	shapes, err := inferShapes(ds)
	if err != nil {
		return nil, err
	}
	if err := checkArity(op.String(), len(shapes), 2); err != nil {
		return nil, err
	}
	return shapes[0].Clone(), nil
}

func (op avgPoolGradOp) Do(inputs ...G.Value) (G.Value, error) { return doAlloc(op, inputs) }

func (op avgPoolGradOp) UsePreallocDo(prealloc G.Value, inputs ...G.Value) (G.Value, error) {
	if len(inputs) != 2 {
		return nil, checkArity(op.String(), len(inputs), 2)
	}
	var args [2]*tensor.Dense
	ds, err := denseArgs(args[:], inputs)
	if err != nil {
		return nil, errors.Wrap(err, op.String())
	}
	x, dy := ds[0], ds[1]
	g, err := newAvgGeom(op.p, op.includePad, x.Shape())
	if err != nil {
		return nil, err
	}
	if !convShapeIs(dy.Shape(), g.out[:]...) {
		return nil, errors.Errorf("%v: gradient shape %v, want %v for input %v",
			op, dy.Shape(), tensor.Shape{g.out[0], g.out[1], g.out[2], g.out[3]}, x.Shape())
	}
	dx := op.output(prealloc, x.Dtype(), x.Shape())
	if x.Dtype() == tensor.Float32 {
		avgPoolRun(&g, nil, data[float32](dx), data[float32](dy))
	} else {
		avgPoolRun(&g, nil, data[float64](dx), data[float64](dy))
	}
	return dx, nil
}

func (op avgPoolGradOp) WriteHash(h hash.Hash) { writeHash(h, op.String(), op.p, op.includePad) }
func (op avgPoolGradOp) Hashcode() uint32      { return hashOf(op) }
func (op avgPoolGradOp) String() string        { return avgPoolName(op.p, op.includePad, "Grad") }

// avgGeom is the geometry of one average pooling call. Unlike poolGeom it
// holds no slices, so building it allocates nothing.
type avgGeom struct {
	p          PoolParams
	includePad bool
	h, w       int
	oh, ow     int
	planes     int
	out        [4]int
}

func newAvgGeom(p PoolParams, includePad bool, in tensor.Shape) (avgGeom, error) {
	out, err := p.outDims("avgpool", in)
	if err != nil {
		return avgGeom{}, err
	}
	return avgGeom{p: p, includePad: includePad, h: in[2], w: in[3], oh: out[2], ow: out[3],
		planes: in[0] * in[1], out: out}, nil
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

// GlobalAvgPool2D returns the mean of every (H, W) plane of an NCHW input:
// (N, C, H, W) gives (N, C). Each plane is summed in float64, whatever the
// input's dtype, and the mean rounded once.
func GlobalAvgPool2D(x *G.Node) (*G.Node, error) {
	if s := x.Shape(); len(s) != 4 || s[2]*s[3] < 1 {
		return nil, errors.Errorf("globalavgpool: input shape %v is not NCHW with a non-empty plane", s)
	}
	return apply(globalAvgPoolOp{plainOp: fresh()}, x)
}

// globalAvgPoolOp is GlobalAvgPool2D's forward op.
type globalAvgPoolOp struct{ plainOp }

// globalAvgDims checks an NCHW input shape and returns N, C and H·W.
func globalAvgDims(op G.Op, s tensor.Shape) (n, c, hw int, err error) {
	if len(s) != 4 || s[2]*s[3] < 1 {
		return 0, 0, 0, errors.Errorf("%v: input shape %v is not NCHW with a non-empty plane", op, s.Clone())
	}
	return s[0], s[1], s[2] * s[3], nil
}

func (op globalAvgPoolOp) Arity() int    { return 1 }
func (op globalAvgPoolOp) Type() hm.Type { return fnType(4, 2) }

func (op globalAvgPoolOp) InferShape(ds ...G.DimSizer) (tensor.Shape, error) {
	shapes, err := inferShapes(ds)
	if err != nil {
		return nil, err
	}
	if err := checkArity(op.String(), len(shapes), 1); err != nil {
		return nil, err
	}
	n, c, _, err := globalAvgDims(op, shapes[0])
	return tensor.Shape{n, c}, err
}

func (op globalAvgPoolOp) Do(inputs ...G.Value) (G.Value, error) { return doAlloc(op, inputs) }

func (op globalAvgPoolOp) UsePreallocDo(prealloc G.Value, inputs ...G.Value) (G.Value, error) {
	if len(inputs) != 1 {
		return nil, checkArity(op.String(), len(inputs), 1)
	}
	x, err := denseOf(inputs[0])
	if err != nil {
		return nil, errors.Wrap(err, op.String())
	}
	n, c, hw, err := globalAvgDims(op, x.Shape())
	if err != nil {
		return nil, err
	}
	out := [2]int{n, c}
	y := op.output(prealloc, x.Dtype(), out[:])
	if x.Dtype() == tensor.Float32 {
		globalAvgRun(data[float32](y), data[float32](x), nil, hw)
	} else {
		globalAvgRun(data[float64](y), data[float64](x), nil, hw)
	}
	return y, nil
}

func (op globalAvgPoolOp) WriteHash(h hash.Hash) { writeHash(h, op.String()) }
func (op globalAvgPoolOp) Hashcode() uint32      { return hashOf(op) }
func (op globalAvgPoolOp) String() string        { return "GlobalAvgPool2D" }

func (op globalAvgPoolOp) DiffWRT(int) []bool { return []bool{true} }

// SymDiff broadcasts dy/(H·W) over each plane; the gradient op reads only
// x's shape.
func (op globalAvgPoolOp) SymDiff(inputs G.Nodes, output, grad *G.Node) (G.Nodes, error) {
	dx, err := apply(globalAvgPoolGradOp{plainOp: fresh()}, inputs[0], grad)
	if err != nil {
		return nil, err
	}
	return G.Nodes{dx}, nil
}

// globalAvgPoolGradOp computes dL/dx of GlobalAvgPool2D from x and dL/dy.
type globalAvgPoolGradOp struct{ plainOp }

func (op globalAvgPoolGradOp) Arity() int    { return 2 }
func (op globalAvgPoolGradOp) Type() hm.Type { return fnType(4, 2, 4) }

func (op globalAvgPoolGradOp) InferShape(ds ...G.DimSizer) (tensor.Shape, error) {
	shapes, err := inferShapes(ds)
	if err != nil {
		return nil, err
	}
	if err := checkArity(op.String(), len(shapes), 2); err != nil {
		return nil, err
	}
	return shapes[0].Clone(), nil
}

func (op globalAvgPoolGradOp) Do(inputs ...G.Value) (G.Value, error) { return doAlloc(op, inputs) }

func (op globalAvgPoolGradOp) UsePreallocDo(prealloc G.Value, inputs ...G.Value) (G.Value, error) {
	if len(inputs) != 2 {
		return nil, checkArity(op.String(), len(inputs), 2)
	}
	var args [2]*tensor.Dense
	ds, err := denseArgs(args[:], inputs)
	if err != nil {
		return nil, errors.Wrap(err, op.String())
	}
	x, dy := ds[0], ds[1]
	n, c, hw, err := globalAvgDims(op, x.Shape())
	if err != nil {
		return nil, err
	}
	if !convShapeIs(dy.Shape(), n, c) {
		return nil, errors.Errorf("%v: gradient shape %v, want (%d, %d) for input %v", op, dy.Shape(), n, c, x.Shape())
	}
	dx := op.output(prealloc, x.Dtype(), x.Shape())
	if x.Dtype() == tensor.Float32 {
		globalAvgRun(data[float32](dx), nil, data[float32](dy), hw)
	} else {
		globalAvgRun(data[float64](dx), nil, data[float64](dy), hw)
	}
	return dx, nil
}

func (op globalAvgPoolGradOp) WriteHash(h hash.Hash) { writeHash(h, op.String()) }
func (op globalAvgPoolGradOp) Hashcode() uint32      { return hashOf(op) }
func (op globalAvgPoolGradOp) String() string        { return "GlobalAvgPool2DGrad" }

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
