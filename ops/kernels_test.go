package ops

import (
	"math"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// kernelSpecials are the values the elementwise kernels must treat as the
// Go loops do.
var kernelSpecials = []float64{math.NaN(), math.Inf(1), math.Inf(-1), 0, math.Copysign(0, -1), 1e-40, -1e-40, 3, -3}

// kernelInput returns n values mixing specials and seeded random numbers.
func kernelInput(seed uint64, n int) []float32 {
	r := randT(seed, max(n, 1)).Float64s()
	s := make([]float32, n)
	for i := range s {
		s[i] = float32(r[i])
		if i%5 == 0 {
			s[i] = float32(kernelSpecials[(i/5)%len(kernelSpecials)])
		}
	}
	return s
}

// sameBits reports the first index where a and b differ in bits, or -1.
func sameBits(a, b []float32) int {
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			return i
		}
	}
	return -1
}

// TestElementwiseKernels checks the vector loops bit for bit against the
// scalar definitions, at every length around the vector and unroll widths.
func TestElementwiseKernels(t *testing.T) {
	for n := 0; n <= 75; n++ {
		x, y, dy := kernelInput(1, n), kernelInput(2, n), kernelInput(3, n)
		got, want := make([]float32, n), make([]float32, n)
		reluForward(got, x)
		for i, v := range x {
			if v > 0 {
				want[i] = v
			}
		}
		if i := sameBits(got, want); i >= 0 {
			t.Fatalf("relu n=%d: [%d] = %v, want %v (x %v)", n, i, got[i], want[i], x[i])
		}
		reluBackward(got, y, dy)
		for i, v := range y {
			want[i] = 0
			if v > 0 {
				want[i] = dy[i]
			}
		}
		if i := sameBits(got, want); i >= 0 {
			t.Fatalf("relu grad n=%d: [%d] = %v, want %v", n, i, got[i], want[i])
		}
		copy(got, x)
		addTo(got, dy)
		for i := range want {
			want[i] = x[i] + dy[i]
		}
		if i := sameBits(got, want); i >= 0 && !(math.IsNaN(float64(got[i])) && math.IsNaN(float64(want[i]))) {
			t.Fatalf("addTo n=%d: [%d] = %v, want %v", n, i, got[i], want[i])
		}
	}
}

// TestOpsNoAllocs checks that, once warm, the LeNet kernels allocate
// nothing: the TapeMachine calls them every training step.
func TestOpsNoAllocs(t *testing.T) {
	f32 := func(d *tensor.Dense) *tensor.Dense { return as(d, tensor.Float32) }
	for layer := 1; layer <= 2; layer++ {
		x, w, b, p := convBenchInputs(layer)
		p, _ = p.normalized()
		fwd := convOp{plainOp: fresh(), kind: sharedConv, p: p, bias: true}
		y, err := fwd.Do(x, w, b)
		if err != nil {
			t.Fatal(err)
		}
		relu := activationOp{plainOp: fresh(), act: reluAct}
		r, _ := relu.Do(y)
		pool := maxPoolOp{plainOp: fresh(), p: pool2x2}
		pooled, _ := pool.Do(r)
		dpool := f32(randT(5, pooled.Shape()...))
		calls := []struct {
			op   preallocer
			args []G.Value
		}{
			{fwd, []G.Value{x, w, b}},
			{relu, []G.Value{y}},
			{pool, []G.Value{r}},
			{maxPoolGradOp{plainOp: fresh(), p: pool2x2}, []G.Value{r, pooled, dpool}},
			{activationGradOp{plainOp: fresh(), act: reluAct}, []G.Value{r, y}},
		}
		for _, wrt := range []convWRT{convWrtX, convWrtW, convWrtB} {
			calls = append(calls, struct {
				op   preallocer
				args []G.Value
			}{convGradOp{plainOp: fresh(), kind: sharedConv, p: p, wrt: wrt}, []G.Value{x, w, y}})
		}
		for _, c := range calls {
			var out G.Value
			run := func() {
				if out, err = c.op.UsePreallocDo(out, c.args...); err != nil {
					t.Fatal(err)
				}
			}
			run()
			if n := testing.AllocsPerRun(10, run); n != 0 {
				t.Errorf("layer %d: %v allocates %v times per call", layer, c.op, n)
			}
		}
	}
}

// TestMaxPool2x2Wide runs the 2x2 kernels on rows wide enough for the
// vector path (8 windows, 16 with an overlapping tail, 20 and 21 with an
// odd input width) on inputs full of NaN, ±Inf and ties, against the
// naive definitions.
func TestMaxPool2x2Wide(t *testing.T) {
	for i, shape := range [][]int{{1, 2, 4, 16}, {2, 3, 8, 40}, {1, 1, 5, 43}, {2, 2, 6, 32}} {
		for _, dt := range []tensor.Dtype{tensor.Float32, tensor.Float64} {
			xd := as(specialT(uint64(50+i), shape...), dt)
			x := t64(toF64(t, xd), xd.Shape()...)
			y, err := maxPoolOp{p: pool2x2}.Do(xd)
			if err != nil {
				t.Fatal(err)
			}
			assertSame(t, "y", toF64(t, y), naiveMaxPool(x, pool2x2).Float64s())
			dy := as(randT(5, y.Shape()...), dt)
			// Start from garbage: the kernel must write every element.
			dirty := as(randT(6, shape...), dt)
			dx, err := maxPoolGradOp{p: pool2x2}.UsePreallocDo(dirty, xd, y, dy)
			if err != nil {
				t.Fatal(err)
			}
			want := make([]float64, x.Size())
			for o, k := range naiveWinners(x, pool2x2) {
				want[k] += toF64(t, dy)[o]
			}
			assertSame(t, "dx", toF64(t, dx), want)
		}
	}
}
