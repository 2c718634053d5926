package onnx

import (
	"fmt"
	"math/rand/v2"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/featlearn/featlearn/graph"
	"github.com/featlearn/featlearn/models/resnet"
	"github.com/featlearn/featlearn/ops"
)

// opCase is a small model built around one op, with random shapes.
type opCase struct {
	name  string
	input []int
	layer graph.Layer
	f64   bool
	// ownInit keeps the layers' initial weights, drawing only the running
	// statistics: a deep network of U(-1, 1) weights gives logits of
	// thousands, where float32 holds only 1e-4.
	ownInit bool
}

// opCases returns models covering every op featlearn exports, several
// times each with shapes, kernels, strides and padding drawn from rng.
func opCases(rng *rand.Rand) []opCase {
	var cs []opCase
	add := func(name string, input []int, layers ...graph.Layer) {
		cs = append(cs, opCase{name: fmt.Sprintf("%s-%d", name, len(cs)), input: input, layer: graph.Sequential("net", layers...)})
	}
	r := func(lo, hi int) int { return lo + rng.IntN(hi-lo+1) }
	for range 3 {
		c, h, w := r(1, 4), r(5, 12), r(5, 12)
		k := r(1, 5)
		s, pad := r(1, 3), r(0, k/2)
		add("dense", []int{r(1, 30)}, graph.Dense("fc", r(1, 12)))
		add("dense-nobias", []int{c, h, w}, graph.Flatten(), graph.Dense("fc", r(1, 12), graph.NoBias()))
		add("conv", []int{c, h, w}, graph.Conv2D("conv", r(1, 6), k, graph.Stride(s), graph.Pad(pad)))
		add("conv-nobias", []int{c, h, w}, graph.Conv2D("conv", r(1, 6), k, graph.Stride(s), graph.Pad(pad), graph.NoBias()))
		kh, kw := r(1, 4), r(1, 4)
		cp := ops.ConvParams{StrideH: r(1, 2), StrideW: r(1, 3), PadH: r(0, kh), PadW: r(0, kw)}
		out := r(1, 5)
		add("conv-rect", []int{c, h, w}, graph.Func("rect", func(b *graph.Block, x *G.Node) (*G.Node, error) {
			wt, err := b.Param("weight", graph.Shape{out, c, kh, kw}, graph.Glorot)
			if err != nil {
				return nil, err
			}
			bias, err := b.Param("bias", graph.Shape{out}, graph.Zeros)
			if err != nil {
				return nil, err
			}
			return ops.Conv2D(x, wt, bias, cp)
		}))
		pk := r(1, 4)
		ps, pp := r(1, 3), r(0, pk/2)
		add("maxpool", []int{c, h, w}, graph.MaxPool2D("pool", pk, graph.Stride(ps), graph.Pad(pp)))
		add("relu-maxpool", []int{c, h, w}, graph.Conv2D("conv", r(1, 4), 3, graph.Pad(1)), graph.ReLU(), graph.MaxPool2D("pool", pk, graph.Stride(ps), graph.Pad(pp)))
		add("avgpool", []int{c, h, w}, graph.AvgPool2D("pool", pk, graph.Stride(ps), graph.Pad(pp)))
		add("avgpool-excl", []int{c, h, w}, graph.AvgPool2D("pool", pk, graph.Stride(ps), graph.Pad(pp)).ExcludePad())
		add("gap", []int{c, h, w}, graph.GlobalAvgPool2D("gap"))
		add("bn", []int{c, h, w}, graph.BatchNorm("bn"))
		add("bn1d", []int{r(1, 20)}, graph.BatchNorm("bn").Eps(1e-3))
		add("dropout", []int{r(1, 20)}, graph.Dense("fc1", 8), graph.Dropout("drop", 0.5), graph.Dense("fc2", 3))
		add("relu", []int{c, h, w}, graph.ReLU())
		add("leaky", []int{r(1, 20)}, graph.LeakyReLU(0.01*float64(r(1, 30))))
		add("sigmoid", []int{c, h, w}, graph.Sigmoid())
		add("tanh", []int{r(1, 20)}, graph.Tanh())
		add("softmax", []int{r(2, 20)}, graph.Softmax())
		add("logsoftmax", []int{r(2, 20)}, graph.Func("logsm", func(_ *graph.Block, x *G.Node) (*G.Node, error) { return ops.LogSoftmax(x) }))
		add("flatten", []int{c, h, w}, graph.Flatten())
		add("add", []int{c, h, w}, graph.Residual("res", graph.Conv2D("conv", c, 3, graph.Pad(1)), graph.ReLU()))
		add("concat", []int{c, h, w}, graph.Concat("cat", graph.Conv2D("a", r(1, 4), 1), graph.Conv2D("b", r(1, 4), 3, graph.Pad(1))))
		add("concat1d", []int{r(1, 10)}, graph.Concat("cat", graph.Dense("a", r(1, 5)), graph.Dense("b", r(1, 5))))
		add("scale", []int{c, h, w}, scaleFunc(c))
		add("scale1d", []int{c}, scaleFunc(c))
		add("reshape", []int{c, h, w}, graph.Func("rs", func(_ *graph.Block, x *G.Node) (*G.Node, error) {
			s := x.Shape()
			return G.Reshape(x, tensor.Shape{s[0], s[1] * s[2], s[3]})
		}))
	}
	// Whole networks: the residual network of models/resnet (BasicBlocks
	// with projections, BatchNorm, global pooling, Dropout) and a Func
	// joining branches with Block.Add and Block.Concat.
	cs = append(cs, opCase{name: "resnet", input: resnet.InputShape, layer: resnet.Net(), ownInit: true})
	cs = append(cs, opCase{name: "func-dag", input: []int{3, 9, 9}, layer: graph.Sequential("net",
		graph.Func("dag", func(b *graph.Block, x *G.Node) (*G.Node, error) {
			a, err := b.Apply(graph.Conv2D("a", 4, 3, graph.Pad(1)), x)
			if err != nil {
				return nil, err
			}
			c, err := b.Apply(graph.Conv2D("c", 4, 1), x)
			if err != nil {
				return nil, err
			}
			sum, err := b.Add(a, c)
			if err != nil {
				return nil, err
			}
			r, err := b.Apply(graph.ReLU(), sum)
			if err != nil {
				return nil, err
			}
			return b.Concat(r, a, x)
		}), graph.GlobalAvgPool2D("gap"), graph.Dense("fc", 5))})
	// ONNX Runtime's CPU kernels of Conv and the pools take float32 only.
	cs = append(cs, opCase{name: "float64", input: []int{2, 3, 3}, f64: true, layer: graph.Sequential("net",
		graph.Flatten(), graph.Dense("fc1", 7), graph.ReLU(), graph.Dense("fc2", 4), graph.Softmax())})
	return cs
}

// scaleFunc multiplies every channel by a learned gain.
func scaleFunc(c int) graph.Layer {
	return graph.Func("gain", func(b *graph.Block, x *G.Node) (*G.Node, error) {
		w, err := b.Param("weight", graph.Shape{c}, graph.Ones, graph.NoDecay())
		if err != nil {
			return nil, err
		}
		return b.ScaleChannels(x, w)
	})
}

// build makes the case's model with random parameters and running
// statistics, so that nothing is zero or one by chance.
func (c opCase) build(t testing.TB, rng *rand.Rand) *graph.Model {
	t.Helper()
	var opts []graph.ModelOption
	if c.f64 {
		opts = append(opts, graph.Float64())
	}
	m, err := graph.NewModel(c.layer, c.input, rng.Uint64(), opts...)
	if err != nil {
		t.Fatalf("%s: %v", c.name, err)
	}
	randomize(t, m, rng, c.ownInit)
	return m
}

// randomize draws every parameter (unless buffersOnly) and buffer from
// U(-1, 1), variances from U(0.5, 2).
func randomize(t testing.TB, m *graph.Model, rng *rand.Rand, buffersOnly bool) {
	t.Helper()
	all := append(append([]*graph.Param(nil), m.Params()...), m.Buffers()...)
	if buffersOnly {
		all = m.Buffers()
	}
	for _, p := range all {
		v := make([]float64, p.Size())
		for i := range v {
			v[i] = 2*rng.Float64() - 1
			if len(p.Name) > 11 && p.Name[len(p.Name)-11:] == "running_var" {
				v[i] = 0.5 + 1.5*rng.Float64()
			}
		}
		if err := p.Set(v); err != nil {
			t.Fatal(err)
		}
	}
}

// randomInput returns n examples of the model's input shape from U(-1, 1).
func randomInput(m *graph.Model, n int, rng *rand.Rand) ([]float32, []float64) {
	x := make([]float32, n*m.InputShape().Size())
	x64 := make([]float64, len(x))
	for i := range x {
		x[i] = float32(2*rng.Float64() - 1)
		x64[i] = float64(x[i])
	}
	return x, x64
}

// batchDims returns (n, shape...).
func batchDims(n int, shape []int) []int { return append([]int{n}, shape...) }
