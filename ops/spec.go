package ops

import G "gorgonia.org/gorgonia"

// Kind names a forward op of this package.
type Kind string

// The kinds of forward ops Describe knows.
const (
	KindDense              Kind = "Dense"
	KindConv2D             Kind = "Conv2D"
	KindLocallyConnected2D Kind = "LocallyConnected2D"
	KindMaxPool2D          Kind = "MaxPool2D"
	KindMaxPool2DReLU      Kind = "MaxPool2DReLU"
	KindAvgPool2D          Kind = "AvgPool2D"
	KindGlobalAvgPool2D    Kind = "GlobalAvgPool2D"
	KindBatchNorm          Kind = "BatchNorm"
	KindDropout            Kind = "Dropout"
	KindReLU               Kind = "ReLU"
	KindLeakyReLU          Kind = "LeakyReLU"
	KindSigmoid            Kind = "Sigmoid"
	KindTanh               Kind = "Tanh"
	KindSoftmax            Kind = "Softmax"
	KindLogSoftmax         Kind = "LogSoftmax"
	KindAdd                Kind = "Add"
	KindConcat             Kind = "Concat"
	KindScaleChannels      Kind = "ScaleChannels"
)

// Spec says what a forward op of this package computes: its kind and the
// parameters its constructor was given. Tools that translate expression
// graphs into other formats, such as the ONNX exporter, read it; only the
// fields of the op's kind are set.
type Spec struct {
	Kind Kind
	// Bias says whether a Dense, Conv2D or LocallyConnected2D op takes a
	// bias as its last input.
	Bias bool
	// Conv is the stride and padding of Conv2D and LocallyConnected2D,
	// strides normalised to at least 1.
	Conv ConvParams
	// Pool is the window of MaxPool2D, MaxPool2DReLU and AvgPool2D.
	Pool PoolParams
	// CountIncludePad says whether AvgPool2D counts padding in its averages.
	CountIncludePad bool
	// Slope is LeakyReLU's negative slope.
	Slope float64
	// Axis is the axis Concat joins along.
	Axis int
	// BatchNorm holds BatchNorm's eps, mode and running statistics.
	BatchNorm BatchNormParams
	// Dropout holds Dropout's rate, seed and step.
	Dropout DropoutParams
}

// Describe returns the Spec of a forward op made by this package's
// constructors, and false for any other op: gorgonia's own, a gradient
// op, a loss.
func Describe(op G.Op) (Spec, bool) {
	switch o := op.(type) {
	case denseOp:
		return Spec{Kind: KindDense, Bias: o.bias}, true
	case convOp:
		k := KindConv2D
		if o.kind == localConv {
			k = KindLocallyConnected2D
		}
		return Spec{Kind: k, Bias: o.bias, Conv: o.p}, true
	case maxPoolOp:
		if o.relu {
			return Spec{Kind: KindMaxPool2DReLU, Pool: o.p}, true
		}
		return Spec{Kind: KindMaxPool2D, Pool: o.p}, true
	case avgPoolOp:
		return Spec{Kind: KindAvgPool2D, Pool: o.p, CountIncludePad: o.includePad}, true
	case globalAvgPoolOp:
		return Spec{Kind: KindGlobalAvgPool2D}, true
	case batchNormOp:
		return Spec{Kind: KindBatchNorm, BatchNorm: o.p}, true
	case dropoutOp:
		if o.grad {
			return Spec{}, false
		}
		return Spec{Kind: KindDropout, Dropout: o.p}, true
	case activationOp:
		return Spec{Kind: [...]Kind{KindReLU, KindSigmoid, KindTanh, KindLeakyReLU}[o.act], Slope: o.slope}, true
	case softmaxOp:
		if o.log {
			return Spec{Kind: KindLogSoftmax}, true
		}
		return Spec{Kind: KindSoftmax}, true
	case addOp:
		return Spec{Kind: KindAdd}, true
	case concatOp:
		return Spec{Kind: KindConcat, Axis: o.axis}, true
	case scaleChannelsOp:
		return Spec{Kind: KindScaleChannels}, true
	}
	return Spec{}, false
}
