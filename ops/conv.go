package ops

import (
	"fmt"
	"hash"

	"github.com/chewxy/hm"
	"github.com/featlearn/featlearn/ops/internal/kernels"
	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// ConvParams holds the stride and zero padding of a 2-D convolution.
//
// A zero stride means 1, so ConvParams{} is a stride-1 convolution without
// padding; negative values are rejected. The padding is added on both sides
// of the input: PadH rows above and below, PadW columns left and right.
type ConvParams struct {
	StrideH, StrideW int
	PadH, PadW       int
}

// normalized returns p with zero strides replaced by 1, so that equal
// convolutions hash equally, or an error for negative values.
func (p ConvParams) normalized() (ConvParams, error) {
	if p.StrideH < 0 || p.StrideW < 0 || p.PadH < 0 || p.PadW < 0 {
		return p, errors.Errorf("negative stride or padding in %+v", p)
	}
	p.StrideH, p.StrideW = max(p.StrideH, 1), max(p.StrideW, 1)
	return p, nil
}

// String formats p as stride and padding, e.g. "s=2x2 p=1x1".
func (p ConvParams) String() string {
	return fmt.Sprintf("s=%dx%d p=%dx%d", p.StrideH, p.StrideW, p.PadH, p.PadW)
}

// Conv2D convolves x of shape (N, C, H, W) with filters w of shape
// (out, C, kh, kw) and adds the bias b of shape (out), or nothing when b is
// nil. The result has shape (N, out, OH, OW) with
// OH = (H + 2·PadH - kh)/StrideH + 1 and OW likewise.
//
// Gradients flow to x, w and b. The batch size is read from the values at
// run time, so one op serves every batch size.
func Conv2D(x, w, b *G.Node, p ConvParams) (*G.Node, error) {
	return newConv(sharedConv, x, w, b, p)
}

// convKind says whether the filters are shared by all output positions
// (Conv2D) or each position has its own (LocallyConnected2D).
type convKind int

const (
	sharedConv convKind = iota
	localConv
)

func (k convKind) String() string { return [...]string{"Conv2D", "LocallyConnected2D"}[k] }

// filterDims is the number of dimensions of the filter tensor.
func (k convKind) filterDims() int { return [...]int{4, 6}[k] }

// biasDims is the number of dimensions of the bias tensor.
func (k convKind) biasDims() int { return [...]int{1, 3}[k] }

// newConv validates the shapes, so that mistakes come back as errors naming
// the shapes rather than as gorgonia type errors, and applies the op.
func newConv(kind convKind, x, w, b *G.Node, p ConvParams) (*G.Node, error) {
	if x == nil || w == nil {
		return nil, errors.Errorf("%v: nil input or filter node", kind)
	}
	p, err := p.normalized()
	if err != nil {
		return nil, errors.Wrap(err, kind.String())
	}
	op := convOp{plainOp: fresh(), kind: kind, p: p, bias: b != nil}
	nodes := []*G.Node{x, w}
	if b != nil {
		nodes = append(nodes, b)
	}
	shapes := make([]G.DimSizer, len(nodes))
	for i, n := range nodes {
		shapes[i] = n.Shape()
	}
	if _, err := op.InferShape(shapes...); err != nil {
		return nil, err
	}
	return apply(op, nodes...)
}

// convGeom is the geometry of one convolution call, taken from the shapes
// of its values so that nothing but stride and padding lives in the op.
type convGeom struct {
	n, c, h, w  int // input batch, channels, height, width
	out, kh, kw int // output channels, filter height and width
	oh, ow      int // output height and width
	sh, sw      int // strides
	ph, pw      int // paddings
}

// newConvGeom checks the input and filter shapes against each other and
// against p, and returns the geometry they describe.
func newConvGeom(kind convKind, p ConvParams, x, w tensor.Shape) (convGeom, error) {
	if len(x) != 4 {
		return convGeom{}, errors.Errorf("%v: input must be 4-D (N, C, H, W), got shape %v", kind, x)
	}
	if len(w) != kind.filterDims() {
		return convGeom{}, errors.Errorf("%v: filters must be %d-D, got shape %v (input %v)", kind, kind.filterDims(), w, x)
	}
	if !convPositive(x) || !convPositive(w) {
		return convGeom{}, errors.Errorf("%v: input %v and filters %v must have positive sizes", kind, x, w)
	}
	d := len(w)
	g := convGeom{n: x[0], c: x[1], h: x[2], w: x[3], out: w[0], kh: w[d-2], kw: w[d-1],
		sh: p.StrideH, sw: p.StrideW, ph: p.PadH, pw: p.PadW}
	if w[d-3] != g.c {
		return g, errors.Errorf("%v: input %v has %d channels but filters %v expect %d", kind, x, g.c, w, w[d-3])
	}
	if g.h+2*g.ph < g.kh || g.w+2*g.pw < g.kw {
		return g, errors.Errorf("%v: filters %v are larger than the input %v padded by %dx%d", kind, w, x, g.ph, g.pw)
	}
	g.oh, g.ow = (g.h+2*g.ph-g.kh)/g.sh+1, (g.w+2*g.pw-g.kw)/g.sw+1
	if kind == localConv && (w[1] != g.oh || w[2] != g.ow) {
		return g, errors.Errorf("%v: filters %v are for %dx%d outputs but input %v gives %dx%d", kind, w, w[1], w[2], x, g.oh, g.ow)
	}
	return g, nil
}

// convPositive reports whether every dimension of s is positive.
func convPositive(s tensor.Shape) bool {
	for _, v := range s {
		if v <= 0 {
			return false
		}
	}
	return true
}

// outShape is the shape of the convolution's output.
func (g *convGeom) outShape() tensor.Shape { return tensor.Shape{g.n, g.out, g.oh, g.ow} }

// biasShape is the shape of the bias (and of its gradient).
func (g *convGeom) biasShape(kind convKind) tensor.Shape {
	if kind == localConv {
		return tensor.Shape{g.out, g.oh, g.ow}
	}
	return tensor.Shape{g.out}
}

// convGeomOf checks that there are arity shapes, returns the geometry of the
// first two (input, filters) and checks the third, if any: the bias of a
// forward op, or dL/dy of a gradient op when grad is set.
func convGeomOf(kind convKind, p ConvParams, shapes []tensor.Shape, arity int, grad bool) (convGeom, error) {
	if len(shapes) != arity {
		return convGeom{}, errors.Errorf("%v: expected %d inputs, got %d", kind, arity, len(shapes))
	}
	g, err := newConvGeom(kind, p, shapes[0], shapes[1])
	if err != nil || arity < 3 {
		return g, err
	}
	if grad && convShapeIs(shapes[2], g.n, g.out, g.oh, g.ow) ||
		!grad && kind == sharedConv && convShapeIs(shapes[2], g.out) ||
		!grad && kind == localConv && convShapeIs(shapes[2], g.out, g.oh, g.ow) {
		return g, nil
	}
	// Only the error path builds shapes: they escape into the message.
	what, want := "bias", g.biasShape(kind)
	if grad {
		what, want = "output gradient", g.outShape()
	}
	if !shapes[2].Eq(want) {
		return g, errors.Errorf("%v: %s has shape %v, want %v for input %v and filters %v", kind, what, shapes[2], want, shapes[0], shapes[1])
	}
	return g, nil
}

// convShapeIs reports whether s is exactly dims, without building a
// tensor.Shape that would escape.
func convShapeIs(s tensor.Shape, dims ...int) bool {
	if len(s) != len(dims) {
		return false
	}
	for i, d := range dims {
		if s[i] != d {
			return false
		}
	}
	return true
}

// convValueShapes writes the shapes of dense values into dst, which has
// room for all of them, and returns that part of it.
func convValueShapes(dst []tensor.Shape, ds []*tensor.Dense) []tensor.Shape {
	shapes := dst[:len(ds)]
	for i, d := range ds {
		shapes[i] = d.Shape()
	}
	return shapes
}

// convOp is the forward op of Conv2D and LocallyConnected2D: inputs x, w
// and, when bias is set, b.
type convOp struct {
	plainOp
	kind convKind
	p    ConvParams
	bias bool
}

func (op convOp) Arity() int {
	if op.bias {
		return 3
	}
	return 2
}

func (op convOp) Type() hm.Type {
	if op.bias {
		return fnType(4, op.kind.filterDims(), op.kind.biasDims(), 4)
	}
	return fnType(4, op.kind.filterDims(), 4)
}

func (op convOp) geom(shapes []tensor.Shape) (convGeom, error) {
	return convGeomOf(op.kind, op.p, shapes, op.Arity(), false)
}

func (op convOp) InferShape(ds ...G.DimSizer) (tensor.Shape, error) {
	shapes, err := inferShapes(ds)
	if err != nil {
		return nil, err
	}
	g, err := op.geom(shapes)
	if err != nil {
		return nil, err
	}
	return g.outShape(), nil
}

func (op convOp) Do(inputs ...G.Value) (G.Value, error) { return doAlloc(op, inputs) }

func (op convOp) UsePreallocDo(prealloc G.Value, inputs ...G.Value) (G.Value, error) {
	var args [3]*tensor.Dense
	var shapes [3]tensor.Shape
	ds, err := denseArgs(args[:], inputs)
	if err != nil {
		return nil, errors.Wrap(err, op.String())
	}
	g, err := op.geom(convValueShapes(shapes[:], ds))
	if err != nil {
		return nil, err
	}
	y := op.output(prealloc, ds[0].Dtype(), g.outShape())
	if y.Dtype() == tensor.Float32 {
		convForward(op.kind, &g, data[float32](y), ds[0], ds[1], convBiasData[float32](ds))
	} else {
		convForward(op.kind, &g, data[float64](y), ds[0], ds[1], convBiasData[float64](ds))
	}
	return y, nil
}

// convBiasData returns the bias values among the inputs, or nil without bias.
func convBiasData[T float](ds []*tensor.Dense) []T {
	if len(ds) < 3 {
		return nil
	}
	return data[T](ds[2])
}

func (op convOp) WriteHash(h hash.Hash) { writeHash(h, op.kind.String(), op.p, op.bias) }
func (op convOp) Hashcode() uint32      { return hashOf(op) }

func (op convOp) String() string {
	if op.bias {
		return fmt.Sprintf("%v{%v bias}", op.kind, op.p)
	}
	return fmt.Sprintf("%v{%v}", op.kind, op.p)
}

func (op convOp) DiffWRT(n int) []bool { return []bool{true, true, true}[:min(n, 3)] }

// SymDiff returns one gradient node per input; each gradient op reads x and
// w for the geometry (the batch size included) and dL/dy for the values.
func (op convOp) SymDiff(inputs G.Nodes, output, grad *G.Node) (G.Nodes, error) {
	if len(inputs) != op.Arity() {
		return nil, errors.Errorf("%v: expected %d inputs, got %d", op, op.Arity(), len(inputs))
	}
	grads := make(G.Nodes, len(inputs))
	for i := range inputs {
		d, err := apply(convGradOp{plainOp: fresh(), kind: op.kind, p: op.p, wrt: convWRT(i)}, inputs[0], inputs[1], grad)
		if err != nil {
			return nil, err
		}
		grads[i] = d
	}
	return grads, nil
}

// convWRT names the input a convGradOp differentiates with respect to.
type convWRT int

const (
	convWrtX convWRT = iota
	convWrtW
	convWrtB
)

func (w convWRT) String() string { return [...]string{"Input", "Filter", "Bias"}[w] }

// convGradOp computes dL/dx, dL/dw or dL/db of a convOp from x, w and dL/dy.
type convGradOp struct {
	plainOp
	kind convKind
	p    ConvParams
	wrt  convWRT
}

func (op convGradOp) Arity() int { return 3 }

func (op convGradOp) Type() hm.Type {
	out := [...]int{4, op.kind.filterDims(), op.kind.biasDims()}[op.wrt]
	return fnType(4, op.kind.filterDims(), 4, out)
}

// geom checks that dL/dy has the shape of the forward output.
func (op convGradOp) geom(shapes []tensor.Shape) (convGeom, error) {
	return convGeomOf(op.kind, op.p, shapes, 3, true)
}

// outShape is the shape of the gradient op's result. It may be x or w
// itself, which callers that keep it must clone.
func (op convGradOp) outShape(g *convGeom, x, w tensor.Shape) tensor.Shape {
	switch op.wrt {
	case convWrtX:
		return x
	case convWrtW:
		return w
	}
	return g.biasShape(op.kind)
}

func (op convGradOp) InferShape(ds ...G.DimSizer) (tensor.Shape, error) {
	shapes, err := inferShapes(ds)
	if err != nil {
		return nil, err
	}
	g, err := op.geom(shapes)
	if err != nil {
		return nil, err
	}
	return op.outShape(&g, shapes[0], shapes[1]).Clone(), nil
}

func (op convGradOp) Do(inputs ...G.Value) (G.Value, error) { return doAlloc(op, inputs) }

func (op convGradOp) UsePreallocDo(prealloc G.Value, inputs ...G.Value) (G.Value, error) {
	var args [3]*tensor.Dense
	var shapes [3]tensor.Shape
	ds, err := denseArgs(args[:], inputs)
	if err != nil {
		return nil, errors.Wrap(err, op.String())
	}
	g, err := op.geom(convValueShapes(shapes[:], ds))
	if err != nil {
		return nil, err
	}
	d := op.output(prealloc, ds[0].Dtype(), op.outShape(&g, ds[0].Shape(), ds[1].Shape()))
	if d.Dtype() == tensor.Float32 {
		convBackward(op, &g, data[float32](d), ds)
	} else {
		convBackward(op, &g, data[float64](d), ds)
	}
	return d, nil
}

func (op convGradOp) WriteHash(h hash.Hash) { writeHash(h, op.String(), op.p) }
func (op convGradOp) Hashcode() uint32      { return hashOf(op) }
func (op convGradOp) String() string        { return fmt.Sprintf("%v%vGrad{%v}", op.kind, op.wrt, op.p) }

// kern is g as the kernels take it.
func (g *convGeom) kern() kernels.ConvGeom {
	return kernels.NewConvGeom(g.n, g.c, g.h, g.w, g.out, g.kh, g.kw, g.sh, g.sw, g.ph, g.pw)
}

// convForward runs the forward kernel of kind; b is nil without bias.
func convForward[T float](kind convKind, g *convGeom, y []T, x, w *tensor.Dense, b []T) {
	kg := g.kern()
	if kind == localConv {
		kernels.LocalForward(&kg, y, data[T](x), data[T](w), b)
		return
	}
	kernels.ConvForward(&kg, y, data[T](x), data[T](w), b)
}

// convBackward writes the gradient op's result into d; ds holds x, w, dy.
func convBackward[T float](op convGradOp, g *convGeom, d []T, ds []*tensor.Dense) {
	x, w, dy := data[T](ds[0]), data[T](ds[1]), data[T](ds[2])
	kg := g.kern()
	switch {
	case op.kind == localConv && op.wrt == convWrtB:
		kernels.LocalBiasGrad(&kg, d, dy)
	case op.wrt == convWrtB:
		kernels.ConvBiasGrad(&kg, d, dy)
	case op.kind == localConv && op.wrt == convWrtX:
		kernels.LocalInputGrad(&kg, d, w, dy)
	case op.kind == localConv:
		kernels.LocalFilterGrad(&kg, d, x, dy)
	case op.wrt == convWrtX:
		kernels.ConvInputGrad(&kg, d, w, dy)
	default:
		kernels.ConvFilterGrad(&kg, d, x, dy)
	}
}
