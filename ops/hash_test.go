package ops

import (
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// ExprGraph.AddNode merges nodes whose hashes agree, and an op node's hash
// covers its op's WriteHash, its type, shape and children. These tests
// apply ops that differ in a single parameter to the same input nodes, with
// equal output shapes where the op allows it, so that only the op's hash
// can keep the nodes apart.

// variant builds one op application from the shared input nodes.
type variant func(in G.Nodes) (*G.Node, error)

// family is a set of variants of one op over the same inputs. gradWRT lists
// the inputs whose gradient ops must stay apart too.
type family struct {
	inputs   G.Nodes
	variants []variant
	gradWRT  []int
}

// named returns a float64 input node with a unique name: unnamed inputs of
// equal shape would themselves be merged.
func named(g *G.ExprGraph, name string, shape ...int) *G.Node {
	return G.NewTensor(g, tensor.Float64, len(shape), G.WithShape(shape...), G.WithName(name))
}

// assertDistinct applies every variant of f and fails unless they give
// distinct nodes with distinct op hashes, all held by the graph, while
// applying the first variant again still returns its node.
func assertDistinct(t *testing.T, g *G.ExprGraph, f family) {
	t.Helper()
	nodes := make(G.Nodes, len(f.variants))
	for i, v := range f.variants {
		n, err := v(f.inputs)
		if err != nil {
			t.Fatalf("variant %d: %v", i, err)
		}
		nodes[i] = n
	}
	all := g.AllNodes()
	for i, n := range nodes {
		if !all.Contains(n) {
			t.Errorf("%v is not in the graph", n.Op())
		}
		for _, m := range nodes[:i] {
			if n == m || n.Op().Hashcode() == m.Op().Hashcode() {
				t.Errorf("%v and %v were merged", n.Op(), m.Op())
			}
		}
	}
	if again, err := f.variants[0](f.inputs); err != nil || again != nodes[0] {
		t.Errorf("%v applied twice gave two nodes (%v): the test cannot tell merging apart", nodes[0].Op(), err)
	}
	assertGradsDistinct(t, g, f, nodes)
}

// assertGradsDistinct differentiates every variant against one shared
// output and upstream gradient, so the gradient ops' children agree and
// only their hashes can keep them apart.
func assertGradsDistinct(t *testing.T, g *G.ExprGraph, f family, nodes G.Nodes) {
	t.Helper()
	if len(f.gradWRT) == 0 {
		return
	}
	out := nodes[0]
	dy := named(g, "dy", out.Shape()...)
	grads := make([]G.Nodes, len(nodes))
	for i, n := range nodes {
		if !n.Shape().Eq(out.Shape()) {
			t.Fatalf("%v: output shape %v differs from %v", n.Op(), n.Shape(), out.Shape())
		}
		var err error
		if grads[i], err = n.Op().(G.SDOp).SymDiff(f.inputs, out, dy); err != nil {
			t.Fatalf("%v: %v", n.Op(), err)
		}
	}
	for _, k := range f.gradWRT {
		for i := range grads {
			for j := range i {
				if grads[i][k] == grads[j][k] {
					t.Errorf("gradients of input %d of %v and %v were merged", k, nodes[i].Op(), nodes[j].Op())
				}
			}
		}
	}
}

func pool3(d func(*PoolParams)) variant {
	p := PoolParams{3, 3, 3, 3, 0, 0}
	if d != nil {
		d(&p)
	}
	return func(in G.Nodes) (*G.Node, error) { return MaxPool2D(in[0], p) }
}

// TestOpsStayDistinct covers the activations, pooling, softmax, dense and
// cross-entropy ops; TestConvOpsStayDistinct covers the convolutions.
func TestOpsStayDistinct(t *testing.T) {
	g := G.NewGraph()
	x := named(g, "x", 2, 3)
	assertDistinct(t, g, family{G.Nodes{x}, []variant{
		func(in G.Nodes) (*G.Node, error) { return ReLU(in[0]) },
		func(in G.Nodes) (*G.Node, error) { return Sigmoid(in[0]) },
		func(in G.Nodes) (*G.Node, error) { return Tanh(in[0]) },
		func(in G.Nodes) (*G.Node, error) { return Softmax(in[0]) },
		func(in G.Nodes) (*G.Node, error) { return LogSoftmax(in[0]) },
	}, []int{0}})

	// Every variant changes one field of the base and keeps the 1x1 output.
	img := named(g, "img", 1, 2, 3, 3)
	assertDistinct(t, g, family{G.Nodes{img}, []variant{
		pool3(nil),
		pool3(func(p *PoolParams) { p.KernelH = 2 }),
		pool3(func(p *PoolParams) { p.KernelW = 2 }),
		pool3(func(p *PoolParams) { p.StrideH = 1 }),
		pool3(func(p *PoolParams) { p.StrideW = 1 }),
		pool3(func(p *PoolParams) { p.PadH = 1 }),
		pool3(func(p *PoolParams) { p.PadW = 1 }),
	}, []int{0}})

	w, b := named(g, "w", 4, 3), named(g, "b", 4)
	assertDistinct(t, g, family{G.Nodes{x, w, b}, []variant{
		func(in G.Nodes) (*G.Node, error) { return Dense(in[0], in[1], in[2]) },
		func(in G.Nodes) (*G.Node, error) { return Dense(in[0], in[1], nil) },
	}, nil})

	idx, onehot := named(g, "idx", 2), named(g, "onehot", 2, 3)
	assertDistinct(t, g, family{G.Nodes{x, idx, onehot}, []variant{
		func(in G.Nodes) (*G.Node, error) { return SoftmaxCrossEntropy(in[0], in[1]) },
		func(in G.Nodes) (*G.Node, error) { return SoftmaxCrossEntropy(in[0], in[2]) },
	}, nil})
}

// TestGradOpsStayDistinct covers gradient ops whose parameter does not
// show in their children when reached through SymDiff.
func TestGradOpsStayDistinct(t *testing.T) {
	g := G.NewGraph()
	a, dy := named(g, "a", 3, 4), named(g, "dy", 3, 3)
	assertDistinct(t, g, family{G.Nodes{a, dy}, []variant{
		func(in G.Nodes) (*G.Node, error) { return apply(denseGradOp{wrt: denseWRTx}, in...) },
		func(in G.Nodes) (*G.Node, error) { return apply(denseGradOp{wrt: denseWRTw}, in...) },
	}, nil})
	x, l1, l2, s := named(g, "x", 2, 3), named(g, "l1", 2), named(g, "l2", 2, 3), G.NewScalar(g, tensor.Float64, G.WithName("s"))
	assertDistinct(t, g, family{G.Nodes{x, l1, l2, s}, []variant{
		func(in G.Nodes) (*G.Node, error) { return apply(xentGradOp{labelDims: 1}, in[0], in[1], in[3]) },
		func(in G.Nodes) (*G.Node, error) { return apply(xentGradOp{labelDims: 2}, in[0], in[2], in[3]) },
	}, nil})
}

func TestLogSoftmaxNotMergedWithSoftmax(t *testing.T) {
	g := G.NewGraph()
	x := named(g, "x", 2, 3)
	s, err := Softmax(x)
	if err != nil {
		t.Fatal(err)
	}
	l, err := LogSoftmax(x)
	if err != nil {
		t.Fatal(err)
	}
	if s == l {
		t.Fatal("LogSoftmax(x) returned the Softmax(x) node")
	}
}

// convVariants are ConvParams differing from the base in one field each;
// with a 3x3 input and 3x3 filters all of them give a 1x1 output.
var convVariants = []ConvParams{{3, 3, 0, 0}, {1, 3, 0, 0}, {3, 1, 0, 0}, {3, 3, 1, 0}, {3, 3, 0, 1}}

func TestConvOpsStayDistinct(t *testing.T) {
	type convFn func(x, w, b *G.Node, p ConvParams) (*G.Node, error)
	for name, c := range map[string]struct {
		f            convFn
		wShape, bDim []int
	}{
		"Conv2D":             {Conv2D, []int{4, 2, 3, 3}, []int{4}},
		"LocallyConnected2D": {LocallyConnected2D, []int{4, 1, 1, 2, 3, 3}, []int{4, 1, 1}},
	} {
		t.Run(name, func(t *testing.T) {
			g := G.NewGraph()
			in := G.Nodes{named(g, "x", 1, 2, 3, 3), named(g, "w", c.wShape...), named(g, "b", c.bDim...)}
			var vs []variant
			for _, p := range convVariants {
				vs = append(vs, func(in G.Nodes) (*G.Node, error) { return c.f(in[0], in[1], in[2], p) })
			}
			vs = append(vs, func(in G.Nodes) (*G.Node, error) { return c.f(in[0], in[1], nil, convVariants[0]) })
			// The bias-free variant has other children, so only x and w
			// are compared through SymDiff, and only among the biased.
			assertDistinct(t, g, family{in, vs[:len(vs)-1], []int{0, 1}})
			assertDistinct(t, g, family{in, []variant{vs[0], vs[len(vs)-1]}, nil})
		})
	}
}

func avgPool3(d func(*PoolParams), includePad bool) variant {
	p := PoolParams{3, 3, 3, 3, 0, 0}
	if d != nil {
		d(&p)
	}
	return func(in G.Nodes) (*G.Node, error) { return AvgPool2D(in[0], p, includePad) }
}

// TestNewOpsStayDistinct covers LeakyReLU, the average pools, Dropout,
// BatchNorm and Concat, and their gradient ops.
func TestNewOpsStayDistinct(t *testing.T) {
	g := G.NewGraph()
	x := named(g, "x", 4, 3)
	leaky := func(s float64) variant {
		return func(in G.Nodes) (*G.Node, error) { return LeakyReLU(in[0], s) }
	}
	assertDistinct(t, g, family{G.Nodes{x}, []variant{
		leaky(0.01), leaky(0.2), leaky(-0.01), leaky(0),
		func(in G.Nodes) (*G.Node, error) { return ReLU(in[0]) },
	}, []int{0}})

	// Each variant changes one field of the base, or the padding mode, or
	// pools by the maximum, and keeps the 1x1 output.
	img := named(g, "img", 1, 2, 3, 3)
	assertDistinct(t, g, family{G.Nodes{img}, []variant{
		avgPool3(nil, true),
		avgPool3(nil, false),
		avgPool3(func(p *PoolParams) { p.KernelH = 2 }, true),
		avgPool3(func(p *PoolParams) { p.KernelW = 2 }, true),
		avgPool3(func(p *PoolParams) { p.StrideH = 1 }, true),
		avgPool3(func(p *PoolParams) { p.StrideW = 1 }, true),
		avgPool3(func(p *PoolParams) { p.PadH = 1 }, true),
		avgPool3(func(p *PoolParams) { p.PadW = 1 }, true),
		avgPool3(func(p *PoolParams) { p.PadW = 1 }, false),
		pool3(nil),
	}, []int{0}})
	assertDistinct(t, g, family{G.Nodes{img}, []variant{
		avgPool3(nil, true),
		func(in G.Nodes) (*G.Node, error) { return GlobalAvgPool2D(in[0]) },
	}, nil})

	stepA, stepB := uint64(0), uint64(0)
	drop := func(p DropoutParams) variant {
		return func(in G.Nodes) (*G.Node, error) { return Dropout(in[0], p) }
	}
	assertDistinct(t, g, family{G.Nodes{x}, []variant{
		drop(DropoutParams{Rate: 0.3, Seed: 1, Step: &stepA}),
		drop(DropoutParams{Rate: 0.5, Seed: 1, Step: &stepA}),
		drop(DropoutParams{Rate: 0.3, Seed: 2, Step: &stepA}),
		drop(DropoutParams{Rate: 0.3, Seed: 1, Step: &stepB}),
	}, []int{0}})

	gamma, beta := named(g, "gamma", 3), named(g, "beta", 3)
	rm, rv := tensor.New(tensor.Of(tensor.Float64), tensor.WithShape(3)), tensor.Ones(tensor.Float64, 3)
	rm2, rv2 := tensor.New(tensor.Of(tensor.Float64), tensor.WithShape(3)), tensor.Ones(tensor.Float64, 3)
	stats, stats2 := new(BatchStats), new(BatchStats)
	bn := func(d func(*BatchNormParams)) variant {
		p := BatchNormParams{Eps: 1e-5, Training: true, RunningMean: rm, RunningVar: rv, Stats: stats}
		if d != nil {
			d(&p)
		}
		return func(in G.Nodes) (*G.Node, error) { return BatchNorm(in[0], in[1], in[2], p) }
	}
	assertDistinct(t, g, family{G.Nodes{x, gamma, beta}, []variant{
		bn(nil),
		bn(func(p *BatchNormParams) { p.Eps = 1e-3 }),
		bn(func(p *BatchNormParams) { p.Training = false }),
		bn(func(p *BatchNormParams) { p.RunningMean = rm2 }),
		bn(func(p *BatchNormParams) { p.RunningVar = rv2 }),
		bn(func(p *BatchNormParams) { p.Stats = stats2 }),
		bn(func(p *BatchNormParams) { p.Stats = nil }),
	}, []int{0, 1, 2}})

	a, b := named(g, "a", 2, 2), named(g, "b", 2, 2)
	assertDistinct(t, g, family{G.Nodes{a, b}, []variant{
		func(in G.Nodes) (*G.Node, error) { return Concat(0, in[0], in[1]) },
		func(in G.Nodes) (*G.Node, error) { return Concat(1, in[0], in[1]) },
		func(in G.Nodes) (*G.Node, error) { return Concat(1, in[0]) },
		func(in G.Nodes) (*G.Node, error) { return Add(in[0], in[1]) },
	}, nil})
	// Concat's slicing gradient ops, all giving a (2, 2) slice of dy.
	dy := named(g, "dyc", 2, 6)
	cut := func(index, axis, off, size int) variant {
		return func(in G.Nodes) (*G.Node, error) {
			return apply(concatGradOp{plainOp: fresh(), index: index, axis: axis, off: off, size: size, dims: 2}, in[0])
		}
	}
	assertDistinct(t, g, family{G.Nodes{dy}, []variant{
		cut(0, 1, 0, 2), cut(1, 1, 2, 2), cut(2, 1, 4, 2), cut(1, 1, 0, 2),
	}, nil})
}
