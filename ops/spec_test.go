package ops

import (
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// TestDescribe checks that Describe reads back the kind and parameters of
// every forward op, and refuses gradient ops and gorgonia's own.
func TestDescribe(t *testing.T) {
	g := G.NewGraph()
	node := func(name string, shape ...int) *G.Node {
		return G.NewTensor(g, tensor.Float32, len(shape), G.WithShape(shape...), G.WithName(name))
	}
	x4, x2 := node("x4", 2, 3, 8, 8), node("x2", 2, 5)
	w, b := node("w", 4, 3, 3, 3), node("b", 4)
	lw, lb := node("lw", 4, 6, 6, 3, 3, 3), node("lb", 4, 6, 6)
	dw := node("dw", 7, 5)
	gamma, beta := node("gamma", 3), node("beta", 3)
	mean := tensor.New(tensor.WithShape(3), tensor.Of(tensor.Float32))
	pool := PoolParams{KernelH: 3, KernelW: 2, StrideH: 2, StrideW: 1, PadH: 1, PadW: 1}
	conv := ConvParams{StrideH: 2, StrideW: 1, PadH: 1, PadW: 0}
	var step uint64
	must := func(n *G.Node, err error) *G.Node {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	cases := []struct {
		n    *G.Node
		want Spec
	}{
		{must(Dense(x2, dw, nil)), Spec{Kind: KindDense}},
		{must(Dense(x2, dw, node("db", 7))), Spec{Kind: KindDense, Bias: true}},
		{must(Conv2D(x4, w, b, conv)), Spec{Kind: KindConv2D, Bias: true, Conv: conv}},
		{must(Conv2D(x4, w, nil, ConvParams{})), Spec{Kind: KindConv2D, Conv: ConvParams{StrideH: 1, StrideW: 1}}},
		{must(LocallyConnected2D(x4, lw, lb, ConvParams{})), Spec{Kind: KindLocallyConnected2D, Bias: true, Conv: ConvParams{StrideH: 1, StrideW: 1}}},
		{must(MaxPool2D(x4, pool)), Spec{Kind: KindMaxPool2D, Pool: pool}},
		{must(MaxPool2DReLU(x4, pool)), Spec{Kind: KindMaxPool2DReLU, Pool: pool}},
		{must(AvgPool2D(x4, pool, true)), Spec{Kind: KindAvgPool2D, Pool: pool, CountIncludePad: true}},
		{must(AvgPool2D(x4, pool, false)), Spec{Kind: KindAvgPool2D, Pool: pool}},
		{must(GlobalAvgPool2D(x4)), Spec{Kind: KindGlobalAvgPool2D}},
		{must(ReLU(x2)), Spec{Kind: KindReLU}},
		{must(LeakyReLU(x2, 0.2)), Spec{Kind: KindLeakyReLU, Slope: 0.2}},
		{must(Sigmoid(x2)), Spec{Kind: KindSigmoid}},
		{must(Tanh(x2)), Spec{Kind: KindTanh}},
		{must(Softmax(x2)), Spec{Kind: KindSoftmax}},
		{must(LogSoftmax(x2)), Spec{Kind: KindLogSoftmax}},
		{must(Add(x2, node("y2", 2, 5))), Spec{Kind: KindAdd}},
		{must(Concat(1, x2, node("z2", 2, 1))), Spec{Kind: KindConcat, Axis: 1}},
		{must(ScaleChannels(x4, gamma)), Spec{Kind: KindScaleChannels}},
	}
	for _, c := range cases {
		got, ok := Describe(c.n.Op())
		if !ok || got != c.want {
			t.Errorf("Describe(%v) = %+v, %v; want %+v", c.n.Op(), got, ok, c.want)
		}
	}
	bn := must(BatchNorm(x4, gamma, beta, BatchNormParams{Eps: 1e-3, RunningMean: mean, RunningVar: mean}))
	if s, ok := Describe(bn.Op()); !ok || s.Kind != KindBatchNorm || s.BatchNorm.Eps != 1e-3 || s.BatchNorm.RunningMean != mean || s.BatchNorm.Training {
		t.Errorf("Describe(BatchNorm) = %+v, %v", s, ok)
	}
	drop := must(Dropout(x2, DropoutParams{Rate: 0.3, Seed: 9, Step: &step}))
	if s, ok := Describe(drop.Op()); !ok || s.Kind != KindDropout || s.Dropout.Rate != 0.3 || s.Dropout.Seed != 9 {
		t.Errorf("Describe(Dropout) = %+v, %v", s, ok)
	}
	sum := must(G.Sum(must(Dense(x2, dw, nil))))
	grads, err := G.Grad(sum, dw)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []*G.Node{sum, grads[0], must(G.Reshape(x4, tensor.Shape{2, 192}))} {
		if s, ok := Describe(n.Op()); ok {
			t.Errorf("Describe(%v) = %+v, want false", n.Op(), s)
		}
	}
}
