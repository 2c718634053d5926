package onnx

import (
	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"

	"github.com/featlearn/featlearn/graph"
	pb "github.com/featlearn/featlearn/graph/onnx/internal/onnxpb"
	"github.com/featlearn/featlearn/ops"
)

// op writes the ONNX nodes of one featlearn op.
func (e *exporter) op(n *G.Node, s ops.Spec, in []*G.Node, names []string) error {
	base := e.layerOf(in)
	if base == "" {
		base = baseNames[s.Kind]
	}
	one := func(opType string, attrs ...*pb.AttributeProto) error {
		e.node(opType, names, []string{e.outName(n, base)}, attrs...)
		return nil
	}
	switch s.Kind {
	case ops.KindDense:
		return one("Gemm", attrInt("transB", 1))
	case ops.KindConv2D:
		w := in[1].Shape()
		c := s.Conv
		return one("Conv", attrInts("kernel_shape", w[2], w[3]), attrInts("strides", c.StrideH, c.StrideW),
			attrInts("pads", c.PadH, c.PadW, c.PadH, c.PadW), attrInts("dilations", 1, 1), attrInt("group", 1))
	case ops.KindLocallyConnected2D:
		return errors.Errorf("layer %s: LocallyConnected2D (a filter of its own at every position) has no ONNX equivalent", e.layerOf(in))
	case ops.KindMaxPool2D:
		return one("MaxPool", poolAttrs(s.Pool)...)
	case ops.KindMaxPool2DReLU:
		// max(0, maxpool(x)) = maxpool(relu(x)): the ReLU the pooling runs
		// inside is written after it, where it costs less.
		pooled := e.fresh(base)
		e.node("MaxPool", names, []string{pooled}, poolAttrs(s.Pool)...)
		e.node("Relu", []string{pooled}, []string{e.outName(n, "relu")})
		return nil
	case ops.KindAvgPool2D:
		include := 0
		if s.CountIncludePad {
			include = 1
		}
		return one("AveragePool", append(poolAttrs(s.Pool), attrInt("count_include_pad", include))...)
	case ops.KindGlobalAvgPool2D:
		// ONNX keeps the (1, 1) plane; featlearn's op gives (N, C).
		pooled := e.fresh(base)
		e.node("GlobalAveragePool", names, []string{pooled})
		e.node("Flatten", []string{pooled}, []string{e.outName(n, "flatten")}, attrInt("axis", 1))
		return nil
	case ops.KindBatchNorm:
		return e.batchNorm(n, s, base, names)
	case ops.KindDropout:
		return one("Identity")
	case ops.KindReLU:
		return one("Relu")
	case ops.KindLeakyReLU:
		return one("LeakyRelu", attrFloat("alpha", s.Slope))
	case ops.KindSigmoid:
		return one("Sigmoid")
	case ops.KindTanh:
		return one("Tanh")
	case ops.KindSoftmax:
		return one("Softmax", attrInt("axis", -1))
	case ops.KindLogSoftmax:
		return one("LogSoftmax", attrInt("axis", -1))
	case ops.KindAdd:
		return one("Add")
	case ops.KindConcat:
		if s.Axis == 0 {
			return errors.New("concat along the batch has no per-example ONNX equivalent")
		}
		return one("Concat", attrInt("axis", s.Axis))
	case ops.KindScaleChannels:
		return e.scaleChannels(n, in, base, names)
	}
	return errors.Errorf("op %v%s has no ONNX equivalent", n.Op(), e.where(in))
}

// baseNames name the values of parameter-free ops.
var baseNames = map[ops.Kind]string{
	ops.KindMaxPool2D: "maxpool", ops.KindMaxPool2DReLU: "maxpool", ops.KindAvgPool2D: "avgpool",
	ops.KindGlobalAvgPool2D: "gap", ops.KindDropout: "dropout", ops.KindReLU: "relu", ops.KindLeakyReLU: "leaky_relu",
	ops.KindSigmoid: "sigmoid", ops.KindTanh: "tanh", ops.KindSoftmax: "softmax", ops.KindLogSoftmax: "log_softmax",
	ops.KindAdd: "add", ops.KindConcat: "concat", ops.KindScaleChannels: "scale",
	ops.KindDense: "dense", ops.KindConv2D: "conv", ops.KindBatchNorm: "batchnorm", ops.KindLocallyConnected2D: "local",
}

// poolAttrs are the attributes of MaxPool and AveragePool.
func poolAttrs(p ops.PoolParams) []*pb.AttributeProto {
	return []*pb.AttributeProto{attrInts("kernel_shape", p.KernelH, p.KernelW), attrInts("strides", p.StrideH, p.StrideW),
		attrInts("pads", p.PadH, p.PadW, p.PadH, p.PadW)}
}

// batchNorm writes BatchNormalization in evaluation mode, its running
// statistics as initializers named as the model's buffers.
func (e *exporter) batchNorm(n *G.Node, s ops.Spec, base string, names []string) error {
	bn := s.BatchNorm
	if bn.Training {
		return errors.Errorf("layer %s: BatchNorm in training mode", base)
	}
	in := names
	for _, t := range []struct {
		what string
		p    *graph.Param
	}{{"running mean", e.tensor[bn.RunningMean]}, {"running variance", e.tensor[bn.RunningVar]}} {
		if t.p == nil {
			return errors.Errorf("layer %s: the BatchNorm's %s is not a buffer of the model", base, t.what)
		}
		if err := e.initializer(t.p); err != nil {
			return err
		}
		in = append(in, t.p.Name)
	}
	e.node("BatchNormalization", in, []string{e.outName(n, base)}, attrFloat("epsilon", bn.Eps))
	return nil
}

// scaleChannels writes ScaleChannels as Mul by the scale shaped (C, 1, 1)
// to broadcast over a map's plane, or by the scale itself for (N, C).
func (e *exporter) scaleChannels(n *G.Node, in []*G.Node, base string, names []string) error {
	scale := names[1]
	if x := in[0].Shape(); len(x) == 4 {
		shape := e.fresh(base + "_scale_shape")
		e.g.Initializer = append(e.g.Initializer, int64Tensor(shape, []int64{int64(x[1]), 1, 1}))
		scale = e.fresh(base + "_scale")
		e.node("Reshape", []string{names[1], shape}, []string{scale})
	}
	e.node("Mul", []string{names[0], scale}, []string{e.outName(n, base)})
	return nil
}

// attrInt is an INT attribute.
func attrInt(name string, v int) *pb.AttributeProto {
	return &pb.AttributeProto{Name: ptr(name), Type: ptr(pb.AttributeProto_INT), I: ptr(int64(v))}
}

// attrInts is an INTS attribute.
func attrInts(name string, vs ...int) *pb.AttributeProto {
	is := make([]int64, len(vs))
	for i, v := range vs {
		is[i] = int64(v)
	}
	return &pb.AttributeProto{Name: ptr(name), Type: ptr(pb.AttributeProto_INTS), Ints: is}
}

// attrFloat is a FLOAT attribute.
func attrFloat(name string, v float64) *pb.AttributeProto {
	return &pb.AttributeProto{Name: ptr(name), Type: ptr(pb.AttributeProto_FLOAT), F: ptr(float32(v))}
}
