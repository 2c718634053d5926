package ops

import (
	"math"
	"testing"

	"github.com/featlearn/featlearn/internal/tape"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

func pool(p PoolParams) builder {
	return func(xs ...*G.Node) (*G.Node, error) { return MaxPool2D(xs[0], p) }
}

func pp(k, s, pad int) PoolParams { return PoolParams{k, k, s, s, pad, pad} }

// naiveMaxPool is the definition: padding is -Inf, a NaN wins its window.
func naiveMaxPool(x *tensor.Dense, p PoolParams) *tensor.Dense {
	s, xs := x.Shape(), x.Float64s()
	h, w := s[2], s[3]
	oh, ow := (h+2*p.PadH-p.KernelH)/p.StrideH+1, (w+2*p.PadW-p.KernelW)/p.StrideW+1
	var out []float64
	for plane := 0; plane < s[0]*s[1]; plane++ {
		for oy := 0; oy < oh; oy++ {
			for ox := 0; ox < ow; ox++ {
				best := math.Inf(-1)
				for ky := 0; ky < p.KernelH; ky++ {
					for kx := 0; kx < p.KernelW; kx++ {
						iy, ix := oy*p.StrideH-p.PadH+ky, ox*p.StrideW-p.PadW+kx
						if iy < 0 || iy >= h || ix < 0 || ix >= w {
							continue
						}
						if v := xs[plane*h*w+iy*w+ix]; v > best || math.IsNaN(v) {
							best = v
						}
					}
				}
				out = append(out, best)
			}
		}
	}
	return t64(out, s[0], s[1], oh, ow)
}

// naiveWinners returns, for every output of naiveMaxPool, the flat input
// index of its window's winner: the first NaN, else the first maximum.
func naiveWinners(x *tensor.Dense, p PoolParams) []int {
	s, xs := x.Shape(), x.Float64s()
	h, w := s[2], s[3]
	oh, ow := (h+2*p.PadH-p.KernelH)/p.StrideH+1, (w+2*p.PadW-p.KernelW)/p.StrideW+1
	var win []int
	for plane := 0; plane < s[0]*s[1]; plane++ {
		for o := 0; o < oh*ow; o++ {
			best := -1
			for k := 0; k < p.KernelH*p.KernelW; k++ {
				iy, ix := o/ow*p.StrideH-p.PadH+k/p.KernelW, o%ow*p.StrideW-p.PadW+k%p.KernelW
				if iy < 0 || iy >= h || ix < 0 || ix >= w {
					continue
				}
				i := plane*h*w + iy*w + ix
				if best < 0 || xs[i] > xs[best] && !math.IsNaN(xs[best]) || math.IsNaN(xs[i]) && !math.IsNaN(xs[best]) {
					best = i
				}
			}
			win = append(win, best)
		}
	}
	return win
}

// specialT is randT with NaN, ±Inf, repeated values and runs of -Inf.
func specialT(seed uint64, shape ...int) *tensor.Dense {
	x := randT(seed, shape...)
	xs := x.Float64s()
	for i := range xs {
		switch int(math.Abs(xs[i])*1000) % 10 {
		case 0:
			xs[i] = math.NaN()
		case 1, 2, 3:
			xs[i] = math.Inf(-1)
		case 4:
			xs[i] = math.Inf(1)
		case 5:
			xs[i] = 0.5
		}
	}
	return x
}

// TestMaxPoolSpecialValues checks outputs and gradient routing against the
// naive definitions on inputs full of NaN, ±Inf and ties, for both the
// general and the 2x2 kernels.
func TestMaxPoolSpecialValues(t *testing.T) {
	for i, p := range []PoolParams{pool2x2, pp(2, 1, 0), pp(3, 2, 1), {3, 2, 1, 2, 1, 1}} {
		for _, dt := range []tensor.Dtype{tensor.Float64, tensor.Float32} {
			xd := as(specialT(uint64(i), 2, 3, 7, 6), dt)
			x := t64(toF64(t, xd), xd.Shape()...) // rounded like xd
			y, err := maxPoolOp{p: p}.Do(xd)
			if err != nil {
				t.Fatal(err)
			}
			assertSame(t, p.String()+" y", toF64(t, y), naiveMaxPool(x, p).Float64s())
			dy := as(randT(5, y.Shape()...), dt)
			dx, err := maxPoolGradOp{p: p}.Do(xd, y, dy)
			if err != nil {
				t.Fatal(err)
			}
			want := make([]float64, x.Size())
			for o, k := range naiveWinners(x, p) {
				want[k] += toF64(t, dy)[o]
			}
			assertClose(t, p.String()+" dx", toF64(t, dx), want, x.Shape(), dx.Shape(), 1e-6)
		}
	}
}

// TestMaxPoolSweep compares both passes with the definitions for every
// small geometry, on inputs with special values.
func TestMaxPoolSweep(t *testing.T) {
	n := sweepPools(specialT, func(p PoolParams, x *tensor.Dense) { comparePool(t, p, x) })
	t.Logf("%d geometries", n)
}

// sweepPools calls check for every valid pooling of kernels, strides and
// paddings up to 3x3, 3x3 and 1x1 over inputs up to 5x5, made by input,
// and returns how many it checked.
func sweepPools(input func(seed uint64, shape ...int) *tensor.Dense, check func(PoolParams, *tensor.Dense)) int {
	n := 0
	for k := range 9 {
		for s := range 9 {
			for pad := range 4 {
				p := PoolParams{k/3 + 1, k%3 + 1, s/3 + 1, s%3 + 1, pad / 2, pad % 2}
				if p.validate("maxpool") != nil {
					continue
				}
				for hw := range 25 {
					x := input(uint64(hw), 1, 2, hw/5+1, hw%5+1)
					if _, err := p.outShape("maxpool", x.Shape()); err == nil {
						check(p, x)
						n++
					}
				}
			}
		}
	}
	return n
}

// comparePool checks y and the routing of dy against naiveMaxPool and
// naiveWinners.
func comparePool(t *testing.T, p PoolParams, x *tensor.Dense) {
	t.Helper()
	y, err := maxPoolOp{p: p}.Do(x)
	if err != nil {
		t.Fatalf("%v on %v: %v", p, x.Shape(), err)
	}
	assertSame(t, p.String()+" y", toF64(t, y), naiveMaxPool(x, p).Float64s())
	dy := randT(5, y.Shape()...)
	dx, err := maxPoolGradOp{p: p}.Do(x, y, dy)
	if err != nil {
		t.Fatalf("%v on %v: %v", p, x.Shape(), err)
	}
	want := make([]float64, x.Size())
	for o, k := range naiveWinners(x, p) {
		want[k] += dy.Float64s()[o]
	}
	assertClose(t, p.String()+" dx", toF64(t, dx), want, x.Shape(), dx.Shape(), 1e-12)
}

func TestMaxPoolForward(t *testing.T) {
	cases := []struct {
		shape []int
		p     PoolParams
	}{
		{[]int{1, 1, 4, 4}, pp(2, 2, 0)},
		{[]int{2, 3, 5, 7}, pp(3, 2, 1)},
		{[]int{1, 2, 5, 5}, pp(2, 1, 0)},
		{[]int{3, 1, 6, 5}, PoolParams{3, 2, 1, 2, 1, 1}},
		{[]int{2, 2, 7, 7}, pp(3, 3, 0)},
		{[]int{1, 1, 1, 1}, pp(1, 1, 0)},
		{[]int{1, 4, 3, 3}, pp(3, 1, 1)},
	}
	for i, c := range cases {
		x := randT(uint64(i), c.shape...)
		checkForward(t, pool(c.p), naiveMaxPool(x, c.p), x)
	}
}

func TestMaxPoolGrad(t *testing.T) {
	checkGrad(t, pool(pp(2, 2, 0)), randT(1, 1, 1, 4, 4))
	checkGrad(t, pool(pp(3, 2, 1)), randT(2, 2, 2, 5, 5))
	checkGrad(t, pool(pp(2, 1, 1)), randT(3, 1, 3, 4, 3))
	checkGrad(t, pool(PoolParams{2, 3, 1, 2, 1, 1}), randT(4, 2, 1, 5, 4))
}

// poolGrad runs the backward op directly with dy = 1 everywhere.
func poolGrad(t *testing.T, p PoolParams, x *tensor.Dense) []float64 {
	t.Helper()
	y, err := maxPoolOp{p: p}.Do(x)
	if err != nil {
		t.Fatal(err)
	}
	dy := tensor.Ones(tensor.Float64, y.Shape()...)
	dx, err := maxPoolGradOp{p: p}.Do(x, y, dy)
	if err != nil {
		t.Fatal(err)
	}
	return dx.Data().([]float64)
}

func TestMaxPoolNaN(t *testing.T) {
	nan := math.NaN()
	x := t64([]float64{1, nan, 5, 2, 3, 4, nan, nan, 0}, 1, 1, 3, 3)
	p := pp(2, 1, 0)
	checkForward(t, pool(p), t64([]float64{nan, nan, nan, nan}, 1, 1, 2, 2), x)
	// The first NaN of each window wins: windows 0 and 1 pick index 1,
	// windows 2 and 3 pick 6 and 7.
	assertSame(t, "dx", poolGrad(t, p, x), []float64{0, 2, 0, 0, 0, 0, 1, 1, 0})
}

func TestMaxPoolNegInf(t *testing.T) {
	inf := math.Inf(-1)
	x := t64([]float64{inf, inf, inf, inf, inf, 2, inf, inf, inf}, 1, 1, 3, 3)
	p := pp(2, 2, 1)
	// assertClose cannot compare infinities, so run the op directly.
	for _, dt := range []tensor.Dtype{tensor.Float64, tensor.Float32} {
		y, err := maxPoolOp{p: p}.Do(as(x, dt))
		if err != nil {
			t.Fatal(err)
		}
		assertSame(t, dt.String(), toF64(t, y), []float64{inf, inf, inf, 2})
	}
	// All--Inf windows give their gradient to their first real element.
	assertSame(t, "dx", poolGrad(t, p, x), []float64{1, 1, 0, 1, 0, 1, 0, 0, 0})
}

// assertSame fails unless got and want are equal element by element, NaN
// matching NaN and infinities matching themselves.
func assertSame(t *testing.T, what string, got, want []float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	for i := range got {
		if got[i] != want[i] && !(math.IsNaN(got[i]) && math.IsNaN(want[i])) {
			t.Errorf("%s[%d] = %g, want %g", what, i, got[i], want[i])
		}
	}
}

func TestMaxPoolTies(t *testing.T) {
	x := t64([]float64{1, 1, 1, 1, 1, 1}, 1, 1, 2, 3)
	assertSame(t, "dx", poolGrad(t, pp(2, 1, 0), x), []float64{1, 1, 0, 0, 0, 0})
}

// TestMaxPoolBatchFromValue runs one op on inputs of several batch sizes.
func TestMaxPoolBatchFromValue(t *testing.T) {
	op := maxPoolOp{p: pp(2, 2, 0)}
	for _, n := range []int{1, 3, 5} {
		x := randT(uint64(n), n, 2, 4, 4)
		y, err := op.Do(x)
		if err != nil {
			t.Fatal(err)
		}
		assertClose(t, "y", toF64(t, y), naiveMaxPool(x, op.p).Float64s(), tensor.Shape{n, 2, 2, 2}, y.Shape(), 0)
	}
}

func TestMaxPoolErrors(t *testing.T) {
	bad := []PoolParams{
		{0, 2, 1, 1, 0, 0}, {2, 2, 0, 1, 0, 0}, {2, 2, 1, 1, -1, 0},
		{2, 2, 1, 1, 2, 0}, {3, 3, 1, 1, 1, 2},
	}
	for _, p := range bad {
		if _, err := compile(t, pool(p), tensor.Float64, randT(1, 1, 1, 5, 5)); err == nil {
			t.Errorf("%v: no error", p)
		}
	}
	if _, err := compile(t, pool(pp(2, 2, 0)), tensor.Float64, randT(1, 1, 5, 5)); err == nil {
		t.Error("3-D input: no error")
	}
	if _, err := compile(t, pool(pp(4, 1, 1)), tensor.Float64, randT(1, 1, 1, 1, 5)); err == nil {
		t.Error("input smaller than kernel: no error")
	}
	op := maxPoolGradOp{p: pp(2, 2, 0)}
	if _, err := op.Do(randT(1, 1, 1, 4, 4), randT(1, 1, 1, 2, 2), randT(1, 1, 1, 3, 2)); err == nil {
		t.Error("gradient of the wrong shape: no error")
	}
}

func benchPool(b *testing.B, shape ...int) {
	benchForwardBackward(b, pool(pp(2, 2, 0)), nil, randT(1, shape...))
}

func BenchmarkMaxPool64x6x28x28(b *testing.B)  { benchPool(b, 64, 6, 28, 28) }
func BenchmarkMaxPool64x16x10x10(b *testing.B) { benchPool(b, 64, 16, 10, 10) }

// benchForwardBackward times one float32 forward and backward pass of f on
// a TapeMachine, feeding a fixed random upstream gradient straight to the
// op so that nothing else is measured. wrt lists the inputs to
// differentiate, nil meaning all of them.
func benchForwardBackward(b *testing.B, f builder, wrt []int, inputs ...*tensor.Dense) {
	g := G.NewGraph()
	nodes := make(G.Nodes, len(inputs))
	for i, x := range inputs {
		nodes[i] = G.NewTensor(g, tensor.Float32, x.Dims(), G.WithShape(x.Shape().Clone()...), G.WithValue(as(x, tensor.Float32)))
	}
	y, err := f(nodes...)
	if err != nil {
		b.Fatal(err)
	}
	var dy *G.Node
	if y.IsScalar() {
		dy = G.NewScalar(g, tensor.Float32, G.WithValue(float32(1)))
	} else {
		dy = G.NewTensor(g, tensor.Float32, y.Dims(), G.WithShape(y.Shape().Clone()...),
			G.WithValue(as(randT(9, y.Shape()...), tensor.Float32)))
	}
	wrtNodes := nodes
	if wrt != nil {
		wrtNodes = make(G.Nodes, len(wrt))
		for i, k := range wrt {
			wrtNodes[i] = nodes[k]
		}
	}
	if _, err := G.Backpropagate(G.Nodes{y}, G.Nodes{dy}, wrtNodes); err != nil {
		b.Fatal(err)
	}
	vm := G.NewTapeMachine(g)
	defer vm.Close()
	// Run in place as graph does: RunAll's thread hand-offs would
	// dominate the small ops.
	r, err := tape.New(vm)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if err := r.Run(); err != nil {
			b.Fatal(err)
		}
		vm.Reset()
	}
}
