package ops

import (
	"math"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

func poolReLU(p PoolParams) builder {
	return func(xs ...*G.Node) (*G.Node, error) { return MaxPool2DReLU(xs[0], p) }
}

// compareFused checks MaxPool2DReLU in dtype dt against the definition:
// y = max(0, naive pool), and dy reaches the naive winner of each window
// whose output is positive, nothing else.
func compareFused(t *testing.T, p PoolParams, x *tensor.Dense, dt tensor.Dtype) {
	t.Helper()
	xd := as(x, dt)
	y, err := maxPoolOp{p: p, relu: true}.Do(xd)
	if err != nil {
		t.Fatalf("%v on %v: %v", p, x.Shape(), err)
	}
	pooled := naiveMaxPool(x, p).Float64s()
	want := make([]float64, len(pooled))
	for i, v := range pooled {
		want[i] = max(v, 0)
		if dt == tensor.Float32 {
			want[i] = float64(float32(want[i]))
		}
	}
	assertSame(t, p.String()+" y", toF64(t, y), want)
	dy := as(randT(5, y.Shape()...), dt)
	dx, err := maxPoolGradOp{p: p, relu: true}.Do(xd, y, dy)
	if err != nil {
		t.Fatalf("%v on %v: %v", p, x.Shape(), err)
	}
	wantDx := make([]float64, x.Size())
	dys := toF64(t, dy)
	for o, k := range naiveWinners(x, p) {
		if pooled[o] > 0 {
			wantDx[k] += dys[o]
		}
	}
	assertClose(t, p.String()+" dx", toF64(t, dx), wantDx, x.Shape(), dx.Shape(), 1e-6)
}

// TestMaxPoolReLUSweep covers every small geometry, with windows that are
// wholly negative, and LeNet's float32 shapes, which take the AVX2 row and
// gathered kernels.
func TestMaxPoolReLUSweep(t *testing.T) {
	sweepPools(randT, func(p PoolParams, x *tensor.Dense) { compareFused(t, p, x, tensor.Float64) })
	for _, shape := range [][]int{{2, 6, 28, 28}, {3, 16, 10, 10}, {1, 2, 5, 7}} {
		compareFused(t, pool2x2, randT(9, shape...), tensor.Float32)
		compareFused(t, pool2x2, randT(9, shape...), tensor.Float64)
	}
}

func TestMaxPoolReLUGrad(t *testing.T) {
	checkGrad(t, poolReLU(pp(2, 2, 0)), randT(1, 2, 3, 6, 6))
	checkGrad(t, poolReLU(pp(3, 2, 1)), randT(2, 1, 2, 5, 5))
	checkGrad(t, poolReLU(PoolParams{2, 3, 1, 2, 1, 1}), randT(4, 2, 1, 5, 4))
}

// TestMaxPoolReLUIsReLUThenPool checks the identity the fusion rests on,
// through the graph, values and gradients, -Inf and ties included.
func TestMaxPoolReLUIsReLUThenPool(t *testing.T) {
	x := randT(3, 2, 3, 8, 8)
	xs := x.Float64s()
	for i := 0; i < len(xs); i += 7 {
		xs[i] = math.Inf(-1)
	}
	for i := 3; i < len(xs); i += 11 {
		xs[i] = 0
	}
	unfused := func(xs ...*G.Node) (*G.Node, error) {
		r, err := ReLU(xs[0])
		if err != nil {
			return nil, err
		}
		return MaxPool2D(r, pool2x2)
	}
	yf, dxf := valueAndGrad(t, poolReLU(pool2x2), x)
	yu, dxu := valueAndGrad(t, unfused, x)
	assertSame(t, "y", yf, yu)
	assertSame(t, "dx", dxf, dxu)
	// The same input through the float32 vector kernels.
	compareFused(t, pool2x2, x, tensor.Float32)
}

// valueAndGrad returns f(x) and the gradient of sum(3·f(x)) with respect to x.
func valueAndGrad(t *testing.T, f builder, x *tensor.Dense) (y, dx []float64) {
	t.Helper()
	p, err := compile(t, times3(f), tensor.Float64, x)
	if err != nil {
		t.Fatal(err)
	}
	loss, err := G.Sum(p.out)
	if err != nil {
		t.Fatal(err)
	}
	grads, err := G.Grad(loss, p.inputs[0])
	if err != nil {
		t.Fatal(err)
	}
	vals := p.run(t, p.out, grads[0])
	y = toF64(t, vals[0])
	for i := range y {
		y[i] /= 3
	}
	return y, toF64(t, vals[1])
}

// poolReLUBench times MaxPool2DReLU's forward or backward op at a LeNet-5
// shape, batch 64.
func poolReLUBench(b *testing.B, backward bool, shape ...int) {
	x := as(randT(1, shape...), tensor.Float32)
	fwd := maxPoolOp{plainOp: fresh(), p: pool2x2, relu: true}
	y, err := fwd.Do(x)
	if err != nil {
		b.Fatal(err)
	}
	dy := as(randT(2, y.Shape()...), tensor.Float32)
	grad := maxPoolGradOp{plainOp: fresh(), p: pool2x2, relu: true}
	var out G.Value
	b.ReportAllocs()
	for b.Loop() {
		if backward {
			out, err = grad.UsePreallocDo(out, x, y, dy)
		} else {
			out, err = fwd.UsePreallocDo(out, x)
		}
		if err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkMaxPoolReLULeNet1(b *testing.B)     { poolReLUBench(b, false, 64, 6, 28, 28) }
func BenchmarkMaxPoolReLUGradLeNet1(b *testing.B) { poolReLUBench(b, true, 64, 6, 28, 28) }
func BenchmarkMaxPoolReLULeNet2(b *testing.B)     { poolReLUBench(b, false, 64, 16, 10, 10) }
func BenchmarkMaxPoolReLUGradLeNet2(b *testing.B) { poolReLUBench(b, true, 64, 16, 10, 10) }
