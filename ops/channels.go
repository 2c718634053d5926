package ops

import (
	"hash"

	"github.com/chewxy/hm"
	"github.com/featlearn/featlearn/ops/internal/kernels"
	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// ScaleChannels returns x with every channel c multiplied by w[c]: x is
// (N, C) or (N, C, H, W) and w is (C), as a learned per-channel gain is
// applied. Its gradient is ScaleChannels(dy, w) for x and the per-channel
// sum of dy·x for w.
func ScaleChannels(x, w *G.Node) (*G.Node, error) {
	if err := channelShapes(x.Shape(), w.Shape()); err != nil {
		return nil, err
	}
	return apply(scaleChannelsOp{plainOp: fresh(), dims: x.Dims()}, x, w)
}

// channelShapes checks that w holds one value per channel of x.
func channelShapes(x, w tensor.Shape) error {
	if (len(x) != 2 && len(x) != 4) || len(w) != 1 || w[0] != x[1] {
		return errors.Errorf("scale channels: input %v and scale %v: want (N, C) or (N, C, H, W) and (C)", x, w)
	}
	return nil
}

// scaleChannelsOp is ScaleChannels' op over inputs of dims dimensions.
type scaleChannelsOp struct {
	plainOp
	dims int
}

func (op scaleChannelsOp) Arity() int { return 2 }

func (op scaleChannelsOp) Type() hm.Type { return fnType(op.dims, 1, op.dims) }

func (op scaleChannelsOp) InferShape(ds ...G.DimSizer) (tensor.Shape, error) {
	shapes, err := inferShapes(ds)
	if err != nil {
		return nil, err
	}
	if len(shapes) != 2 {
		return nil, checkArity(op.String(), len(shapes), 2)
	}
	return shapes[0].Clone(), channelShapes(shapes[0], shapes[1])
}

func (op scaleChannelsOp) Do(inputs ...G.Value) (G.Value, error) { return doAlloc(op, inputs) }

func (op scaleChannelsOp) UsePreallocDo(prealloc G.Value, inputs ...G.Value) (G.Value, error) {
	if len(inputs) != 2 {
		return nil, checkArity(op.String(), len(inputs), 2)
	}
	var args [2]*tensor.Dense
	ds, err := denseArgs(args[:], inputs)
	if err != nil {
		return nil, errors.Wrap(err, op.String())
	}
	x, w := ds[0], ds[1]
	if err := channelShapes(x.Shape(), w.Shape()); err != nil {
		return nil, err
	}
	y := op.output(prealloc, x.Dtype(), x.Shape())
	if x.Dtype() == tensor.Float32 {
		kernels.ScaleChannels(data[float32](y), data[float32](x), data[float32](w), x.Shape())
	} else {
		kernels.ScaleChannels(data[float64](y), data[float64](x), data[float64](w), x.Shape())
	}
	return y, nil
}

func (op scaleChannelsOp) WriteHash(h hash.Hash) { writeHash(h, op.String(), op.dims) }
func (op scaleChannelsOp) Hashcode() uint32      { return hashOf(op) }
func (op scaleChannelsOp) String() string        { return "ScaleChannels" }

func (op scaleChannelsOp) DiffWRT(int) []bool { return []bool{true, true} }

func (op scaleChannelsOp) SymDiff(inputs G.Nodes, output, grad *G.Node) (G.Nodes, error) {
	dx, err := ScaleChannels(grad, inputs[1])
	if err != nil {
		return nil, err
	}
	dw, err := apply(channelDotOp{plainOp: fresh(), dims: op.dims}, inputs[0], grad)
	if err != nil {
		return nil, err
	}
	return G.Nodes{dx, dw}, nil
}

// channelDotOp is the gradient of ScaleChannels for the scale: the sum
// over every position of a channel of x·dy.
type channelDotOp struct {
	plainOp
	dims int
}

func (op channelDotOp) Arity() int { return 2 }

func (op channelDotOp) Type() hm.Type { return fnType(op.dims, op.dims, 1) }

func (op channelDotOp) InferShape(ds ...G.DimSizer) (tensor.Shape, error) {
	shapes, err := inferShapes(ds)
	if err != nil {
		return nil, err
	}
	if len(shapes) != 2 || !shapes[0].Eq(shapes[1]) || len(shapes[0]) < 2 {
		return nil, errors.Errorf("%v: input and gradient shapes %v", op, shapes)
	}
	return tensor.Shape{shapes[0][1]}, nil
}

func (op channelDotOp) Do(inputs ...G.Value) (G.Value, error) { return doAlloc(op, inputs) }

func (op channelDotOp) UsePreallocDo(prealloc G.Value, inputs ...G.Value) (G.Value, error) {
	if len(inputs) != 2 {
		return nil, checkArity(op.String(), len(inputs), 2)
	}
	var args [2]*tensor.Dense
	ds, err := denseArgs(args[:], inputs)
	if err != nil {
		return nil, errors.Wrap(err, op.String())
	}
	x, dy := ds[0], ds[1]
	s := x.Shape()
	if !s.Eq(dy.Shape()) || (len(s) != 2 && len(s) != 4) {
		return nil, errors.Errorf("%v: input %v and gradient %v", op, s, dy.Shape())
	}
	dw := op.output(prealloc, x.Dtype(), tensor.Shape{s[1]})
	if x.Dtype() == tensor.Float32 {
		kernels.ChannelDot(data[float32](dw), data[float32](x), data[float32](dy), s)
	} else {
		kernels.ChannelDot(data[float64](dw), data[float64](x), data[float64](dy), s)
	}
	return dw, nil
}

func (op channelDotOp) WriteHash(h hash.Hash) { writeHash(h, op.String(), op.dims) }
func (op channelDotOp) Hashcode() uint32      { return hashOf(op) }
func (op channelDotOp) String() string        { return "ScaleChannelsGrad" }
