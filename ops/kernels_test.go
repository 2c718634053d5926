package ops

import (
	"github.com/featlearn/featlearn/datasets"
	"math"
	"sync/atomic"
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
		for _, slope := range []float32{0.01, -0.5, 0} {
			leakyScale(got, y, dy, slope)
			for i, v := range y {
				want[i] = dy[i] * slope
				if v > 0 {
					want[i] = dy[i]
				}
			}
			if i := sameBits(got, want); i >= 0 && !(math.IsNaN(float64(got[i])) && math.IsNaN(float64(want[i]))) {
				t.Fatalf("leaky n=%d slope %v: [%d] = %v, want %v (x %v, a %v)", n, slope, i, got[i], want[i], y[i], dy[i])
			}
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
	if raceEnabled {
		t.Skip("the race detector's sync.Pool drops buffers")
	}
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

// TestNewOpsNoAllocs checks that, once warm, LeakyReLU, the average pools,
// Add, Concat, Dropout and BatchNorm (both modes, Stats filled) and their
// gradient ops allocate nothing, on float32 tensors large enough to be
// spread over the cores. gorgonia's TapeMachine itself allocates a few
// small objects per instruction and run (see the benchmarks' allocs/op);
// that is outside the ops.
func TestNewOpsNoAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector's sync.Pool drops buffers")
	}
	f32 := func(d *tensor.Dense) *tensor.Dense { return as(d, tensor.Float32) }
	x, x2 := f32(randT(1, 64, 16, 10, 10)), f32(randT(2, 64, 16, 10, 10))
	gamma, beta := f32(randT(3, 16)), f32(randT(4, 16))
	pp := PoolParams{3, 3, 2, 2, 1, 1}
	pooled := f32(randT(5, 64, 16, 5, 5))
	step := uint64(7)
	drop := DropoutParams{Rate: 0.3, Seed: 1, Step: &step}
	stats := new(BatchStats)
	train := BatchNormParams{Eps: 1e-5, Training: true, Stats: stats}
	eval := BatchNormParams{Eps: 1e-5, RunningMean: gamma, RunningVar: f32(tensor.Ones(tensor.Float64, 16))}
	trainState, evalState := new(bnState), new(bnState)
	dgb := f32(randT(6, 16))
	calls := []struct {
		op   preallocer
		args []G.Value
	}{
		{activationOp{plainOp: fresh(), act: leakyReLUAct, slope: 0.01}, []G.Value{x}},
		{activationGradOp{plainOp: fresh(), act: leakyReLUAct, slope: 0.01}, []G.Value{x, x2}},
		{avgPoolOp{plainOp: fresh(), p: pp, includePad: false}, []G.Value{x}},
		{avgPoolGradOp{plainOp: fresh(), p: pp, includePad: false}, []G.Value{x, pooled}},
		{globalAvgPoolOp{plainOp: fresh()}, []G.Value{x}},
		{globalAvgPoolGradOp{plainOp: fresh()}, []G.Value{x, f32(randT(7, 64, 16))}},
		{addOp{plainOp: fresh()}, []G.Value{x, x2}},
		{concatOp{plainOp: fresh(), axis: 1, n: 2, dims: 4}, []G.Value{x, x2}},
		{concatGradOp{plainOp: fresh(), index: 1, axis: 1, off: 8, size: 8, dims: 4}, []G.Value{x}},
		{dropoutOp{plainOp: fresh(), p: drop}, []G.Value{x}},
		{dropoutOp{plainOp: fresh(), p: drop, grad: true}, []G.Value{x2}},
		{batchNormOp{plainOp: fresh(), p: train, dims: 4, state: trainState}, []G.Value{x, gamma, beta}},
		{bnGradOp{plainOp: fresh(), wrt: bnWRTgamma, p: train, dims: 4, state: trainState}, []G.Value{x, x2}},
		{bnGradOp{plainOp: fresh(), wrt: bnWRTbeta, p: train, dims: 4, state: trainState}, []G.Value{x2}},
		{bnGradOp{plainOp: fresh(), wrt: bnWRTx, p: train, dims: 4, state: trainState}, []G.Value{x, gamma, x2, dgb, dgb}},
		{batchNormOp{plainOp: fresh(), p: eval, dims: 4, state: evalState}, []G.Value{x, gamma, beta}},
		{bnGradOp{plainOp: fresh(), wrt: bnWRTx, p: eval, dims: 4, state: evalState}, []G.Value{gamma, x2}},
	}
	for _, c := range calls {
		var out G.Value
		var err error
		run := func() {
			if out, err = c.op.UsePreallocDo(out, c.args...); err != nil {
				t.Fatalf("%v: %v", c.op, err)
			}
		}
		run()
		if n := testing.AllocsPerRun(10, run); n != 0 {
			t.Errorf("%v allocates %v times per call", c.op, n)
		}
	}
	if stats.Count != 6400 || len(stats.Mean) != 16 {
		t.Errorf("Stats holds %d values per channel and %d means", stats.Count, len(stats.Mean))
	}
}

// TestMaxPool2x2Wide runs the 2x2 kernels on rows wide enough for the
// 8-window path (8 windows, 16 with an overlapping tail, 20 and 21 with an
// odd input width), on rows for the 4-window path (LeNet's 10x10, an odd
// 7x9, 6 and 7 windows with odd and even heights), on narrow planes
// gathered for it (3 windows) and on one too small for it, on inputs full
// of NaN, ±Inf and ties, against the naive definitions.
func TestMaxPool2x2Wide(t *testing.T) {
	shapes := [][]int{{1, 2, 4, 16}, {2, 3, 8, 40}, {1, 1, 5, 43}, {2, 2, 6, 32}, {2, 3, 10, 10}, {1, 2, 7, 9},
		{2, 2, 9, 14}, {1, 3, 8, 12}, {2, 2, 6, 7}, {3, 2, 2, 11}, {1, 1, 4, 6}}
	for i, shape := range shapes {
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

// TestPool2x2MaxBits checks the vector 2x2 maxima bit for bit against Go's
// max, ±0 included (NaN payloads aside), at every width from 8 windows up.
func TestPool2x2MaxBits(t *testing.T) {
	for n := 8; n <= 40; n++ {
		r0, r1 := kernelInput(uint64(n), 2*n), kernelInput(uint64(n+100), 2*n)
		got, want := make([]float32, n), make([]float32, n)
		if !useAVX2 {
			t.Skip("no vector kernel on this CPU")
		}
		pool2x2MaxRow32(got, r0, r1)
		for i := range want {
			want[i] = max(r0[2*i], r0[2*i+1], r1[2*i], r1[2*i+1])
		}
		for i := range got {
			g, w := got[i], want[i]
			if math.Float32bits(g) != math.Float32bits(w) && !(g != g && w != w) {
				t.Fatalf("n=%d: window %d max = %v (%#x), want %v (%#x)", n, i, g, math.Float32bits(g), w, math.Float32bits(w))
			}
		}
	}
}

// TestConvFlatNonFinite checks that the flat kernels keep Inf and NaN where
// im2col would put them: their garbage columns must not leak 0·Inf = NaN
// into the filter or input gradients.
func TestConvFlatNonFinite(t *testing.T) {
	for _, bad := range []float64{math.Inf(1), math.NaN()} {
		x, w := randT(1, 2, 2, 6, 7), randT(2, 3, 2, 3, 3)
		x.Float64s()[2*42+6] = bad // last column of sample 0, channel 1
		w.Float64s()[5] = bad
		p := ConvParams{1, 1, 1, 1}
		g, err := newConvGeom(sharedConv, p, x.Shape(), w.Shape())
		if err != nil {
			t.Fatal(err)
		}
		dy := randT(3, g.outShape()...).Float64s()
		xs, ws := x.Float64s(), w.Float64s()
		for _, wrt := range []convWRT{convWrtW, convWrtX} {
			n := len(ws)
			if wrt == convWrtX {
				n = len(xs)
			}
			flat, ref := make([]float64, n), make([]float64, n)
			if wrt == convWrtW {
				flatFilterGrad(&g, flat, xs, dy)
				j := &convDwJob[float64]{g: g, parts: make([]float64, min(g.n, convGradChunks)*n), x: xs, dy: dy, chunks: min(g.n, convGradChunks)}
				j.run(0, j.chunks)
				convSumParts(ref, j.parts, j.chunks)
			} else {
				flatInputGrad(&g, flat, ws, dy)
				(&convDxJob[float64]{g: g, dx: ref, w: ws, dy: dy}).run(0, g.n)
			}
			for i := range ref {
				r, f := ref[i], flat[i]
				if math.IsNaN(r) != math.IsNaN(f) || !math.IsNaN(r) && math.Abs(r-f) > 1e-9*max(1, math.Abs(r)) {
					t.Fatalf("%v %v: [%d] = %v, im2col gives %v", bad, wrt, i, f, r)
				}
			}
		}
	}
}

// TestConvFlatMatchesIm2col compares the flat stride-1 kernels with the
// im2col ones on LeNet's shapes and on one with more than 8 output
// channels and rectangular filters and padding, which takes the tall
// filter-gradient product.
func TestConvFlatMatchesIm2col(t *testing.T) {
	cases := []struct {
		x, w []int
		p    ConvParams
	}{
		{[]int{3, 1, 28, 28}, []int{6, 1, 5, 5}, ConvParams{PadH: 2, PadW: 2}},
		{[]int{3, 6, 14, 14}, []int{16, 6, 5, 5}, ConvParams{}},
		{[]int{2, 3, 7, 9}, []int{12, 3, 3, 2}, ConvParams{PadH: 1}},
		{[]int{17, 2, 5, 4}, []int{9, 2, 2, 3}, ConvParams{PadH: 3, PadW: 1}},
		{[]int{2, 2, 6, 21}, []int{3, 2, 3, 3}, ConvParams{PadW: 1}}, // ow 21: an overlapped tail
	}
	for i, tc := range cases {
		p, _ := tc.p.normalized()
		x, w, b := randT(uint64(i), tc.x...), randT(uint64(i+10), tc.w...), randT(uint64(i+20), tc.w[0])
		g, err := newConvGeom(sharedConv, p, x.Shape(), w.Shape())
		if err != nil {
			t.Fatal(err)
		}
		xs, ws, bs := x.Float64s(), w.Float64s(), b.Float64s()
		dy := randT(uint64(i+30), g.outShape()...).Float64s()
		compare := func(what string, flat, ref []float64) {
			t.Helper()
			for j := range ref {
				if math.Abs(flat[j]-ref[j]) > 1e-12*max(1, math.Abs(ref[j])) {
					t.Fatalf("case %d %s: [%d] = %v, im2col gives %v", i, what, j, flat[j], ref[j])
				}
			}
		}
		ys := g.n * g.out * g.p()
		flat, ref := make([]float64, ys), make([]float64, ys)
		flatForward(&g, flat, xs, ws, bs)
		(&convFwdJob[float64]{g: g, y: ref, x: xs, w: ws, b: bs}).run(0, g.n)
		compare("y", flat, ref)
		// The float32 forward takes the vector bias-and-compact kernel.
		x32, w32, b32 := as(x, tensor.Float32).Float32s(), as(w, tensor.Float32).Float32s(), as(b, tensor.Float32).Float32s()
		f32, r32 := make([]float32, ys), make([]float32, ys)
		flatForward(&g, f32, x32, w32, b32)
		(&convFwdJob[float32]{g: g, y: r32, x: x32, w: w32, b: b32}).run(0, g.n)
		for j := range r32 {
			if d := math.Abs(float64(f32[j] - r32[j])); d > 1e-5*max(1, math.Abs(float64(r32[j]))) {
				t.Fatalf("case %d float32 y: [%d] = %v, im2col gives %v", i, j, f32[j], r32[j])
			}
		}

		flat, ref = make([]float64, len(xs)), make([]float64, len(xs))
		flatInputGrad(&g, flat, ws, dy)
		(&convDxJob[float64]{g: g, dx: ref, w: ws, dy: dy}).run(0, g.n)
		compare("dx", flat, ref)

		chunks := min(g.n, convGradChunks)
		flat, ref = make([]float64, len(ws)), make([]float64, len(ws))
		flatFilterGrad(&g, flat, xs, dy)
		j := &convDwJob[float64]{g: g, parts: make([]float64, chunks*len(ws)), x: xs, dy: dy, chunks: chunks}
		j.run(0, chunks)
		convSumParts(ref, j.parts, chunks)
		compare("dw", flat, ref)
	}
}

// TestSumTo64 checks the float64 sum of float32 rows, vector and scalar
// parts, against a plain float64 loop, and that Inf and NaN propagate.
func TestSumTo64(t *testing.T) {
	for n := 0; n <= 70; n++ {
		x := make([]float32, n)
		for i := range x {
			x[i] = float32(math.Sin(float64(i)*1.7)) * float32(1+i%5)
		}
		var want float64
		for _, v := range x {
			want += float64(v)
		}
		if got := sumTo64(x); math.Abs(got-want) > 1e-12*max(1, math.Abs(want)) {
			t.Fatalf("n %d: sum %v, want %v", n, got, want)
		}
		if n > 0 {
			x[n-1] = float32(math.Inf(1))
			if got := sumTo64(x); !math.IsInf(got, 1) {
				t.Fatalf("n %d with +Inf: sum %v", n, got)
			}
			x[0] = float32(math.NaN())
			if got := sumTo64(x); !math.IsNaN(got) {
				t.Fatalf("n %d with NaN: sum %v", n, got)
			}
		}
	}
}

// coverTask records which items its Run calls cover.
type coverTask struct{ hits []int32 }

func (c *coverTask) Run(lo, hi int) {
	for i := lo; i < hi; i++ {
		atomic.AddInt32(&c.hits[i], 1)
	}
}

func TestParallelCoversEveryItemOnce(t *testing.T) {
	for _, n := range []int{0, 1, 7, 16, 100, 1001} {
		c := &coverTask{hits: make([]int32, n)}
		Parallel(n, 8, c)
		for i, h := range c.hits {
			if h != 1 {
				t.Fatalf("n %d: item %d run %d times", n, i, h)
			}
		}
	}
}

// TestScalePixels checks every byte value, at every offset of a vector and
// in a tail, against Go's float32 division.
func TestScalePixels(t *testing.T) {
	pixels := make([]uint8, 256*3+5)
	for i := range pixels {
		pixels[i] = uint8(i * 7)
	}
	dst := make([]float32, len(pixels))
	if n := ScalePixels(dst, pixels); n != len(pixels) {
		t.Fatalf("converted %d of %d pixels", n, len(pixels))
	}
	if n := ScalePixels(dst[:5], pixels); n != 5 {
		t.Fatalf("converted %d pixels into 5 places", n)
	}
	for i, p := range pixels {
		if want := float32(p) / 255; math.Float32bits(dst[i]) != math.Float32bits(want) {
			t.Fatalf("pixel %d (%d): %v, want %v", i, p, dst[i], want)
		}
	}
}

// BenchmarkScalePixels converts a batch of 64 MNIST-sized images, against
// the scalar table lookup of datasets.PixelsToFloat32.
func BenchmarkScalePixels(b *testing.B) {
	pixels := make([]uint8, 64*784)
	for i := range pixels {
		pixels[i] = uint8(i * 13)
	}
	dst := make([]float32, len(pixels))
	b.Run("vector", func(b *testing.B) {
		for b.Loop() {
			ScalePixels(dst, pixels)
		}
	})
	b.Run("table", func(b *testing.B) {
		for b.Loop() {
			datasets.PixelsToFloat32(pixels, dst)
		}
	})
}

// TestCopyRows checks the strided row copy with and without a bias on rows
// whose width is not a multiple of 8, and that without a bias -0 stays -0.
func TestCopyRows(t *testing.T) {
	if !useAVX2 {
		t.Skip("no AVX2")
	}
	const rows, n, lds, ldd = 3, 13, 17, 15
	src := make([]float32, rows*lds)
	for i := range src {
		src[i] = float32(i) - 20
	}
	src[lds+4] = float32(math.Copysign(0, -1))
	for _, bias := range []bool{false, true} {
		dst := make([]float32, rows*ldd)
		for i := range dst {
			dst[i] = 99
		}
		copyRows32(&dst[0], &src[0], rows, n, ldd, lds, 0.5, bias)
		for r := range rows {
			for i := range ldd {
				want := float32(99)
				if i < n {
					want = src[r*lds+i]
					if bias {
						want += 0.5
					}
				}
				if got := dst[r*ldd+i]; math.Float32bits(got) != math.Float32bits(want) {
					t.Fatalf("bias %v: row %d [%d] = %v, want %v", bias, r, i, got, want)
				}
			}
		}
	}
}
