package ops

import (
	"fmt"
	"math"
	"runtime"
	"strings"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// convBuild returns a builder for Conv2D (or LocallyConnected2D with
// local set) over inputs x, w and, when there are three, b.
func convBuild(p ConvParams, local bool) builder {
	f := Conv2D
	if local {
		f = LocallyConnected2D
	}
	return func(xs ...*G.Node) (*G.Node, error) {
		if len(xs) == 3 {
			return f(xs[0], xs[1], xs[2], p)
		}
		return f(xs[0], xs[1], nil, p)
	}
}

// convOutSize is the reference output size of one spatial dimension.
func convOutSize(in, k, stride, pad int) int {
	return (in+2*pad-k)/max(stride, 1) + 1
}

// convNaive is the reference convolution: seven plain loops over a float64
// input, reading padding as zero. local selects unshared filters of shape
// (out, OH, OW, C, kh, kw). b may be nil.
func convNaive(x, w, b *tensor.Dense, p ConvParams, local bool) *tensor.Dense {
	xs, ws := x.Shape(), w.Shape()
	d := len(ws)
	n, c, h, wd, out, kh, kw := xs[0], xs[1], xs[2], xs[3], ws[0], ws[d-2], ws[d-1]
	sh, sw := max(p.StrideH, 1), max(p.StrideW, 1)
	oh, ow := convOutSize(h, kh, sh, p.PadH), convOutSize(wd, kw, sw, p.PadW)
	y := tensor.New(tensor.Of(tensor.Float64), tensor.WithShape(n, out, oh, ow))
	xv, wv, yv := x.Float64s(), w.Float64s(), y.Float64s()
	for in := 0; in < n; in++ {
		for o := 0; o < out; o++ {
			for r := 0; r < oh; r++ {
				for s := 0; s < ow; s++ {
					var sum float64
					if b != nil {
						sum = b.Float64s()[o]
						if local {
							sum = b.Float64s()[(o*oh+r)*ow+s]
						}
					}
					for ci := 0; ci < c; ci++ {
						for i := 0; i < kh; i++ {
							for j := 0; j < kw; j++ {
								ih, iw := r*sh+i-p.PadH, s*sw+j-p.PadW
								if ih < 0 || ih >= h || iw < 0 || iw >= wd {
									continue
								}
								wi := ((o*c+ci)*kh+i)*kw + j
								if local {
									wi = ((((o*oh+r)*ow+s)*c+ci)*kh+i)*kw + j
								}
								sum += wv[wi] * xv[((in*c+ci)*h+ih)*wd+iw]
							}
						}
					}
					yv[((in*out+o)*oh+r)*ow+s] = sum
				}
			}
		}
	}
	return y
}

// convCase is one convolution configuration used by the tests.
type convCase struct {
	name string
	x, w []int // shapes; w is (out, C, kh, kw) for both kinds
	p    ConvParams
	bias bool
}

// tensors returns seeded random x, w and b (nil without bias), with w and
// b in the layout of the layer kind.
func (tc convCase) tensors(seed uint64, local bool) (x, w, b *tensor.Dense) {
	x = randT(seed, tc.x...)
	oh := convOutSize(tc.x[2], tc.w[2], tc.p.StrideH, tc.p.PadH)
	ow := convOutSize(tc.x[3], tc.w[3], tc.p.StrideW, tc.p.PadW)
	if local {
		w = randT(seed+1, tc.w[0], oh, ow, tc.w[1], tc.w[2], tc.w[3])
		if tc.bias {
			b = randT(seed+2, tc.w[0], oh, ow)
		}
		return x, w, b
	}
	w = randT(seed+1, tc.w...)
	if tc.bias {
		b = randT(seed+2, tc.w[0])
	}
	return x, w, b
}

// convInputs returns the non-nil tensors in builder order.
func convInputs(x, w, b *tensor.Dense) []*tensor.Dense {
	if b == nil {
		return []*tensor.Dense{x, w}
	}
	return []*tensor.Dense{x, w, b}
}

var convForwardCases = []convCase{
	{"batch1-1ch", []int{1, 1, 5, 5}, []int{1, 1, 3, 3}, ConvParams{}, true},
	{"multich-pad-stride2-odd", []int{2, 3, 7, 6}, []int{4, 3, 3, 3}, ConvParams{2, 2, 1, 1}, true},
	{"rect-stride2x3-pad0x2", []int{2, 2, 7, 8}, []int{2, 2, 3, 2}, ConvParams{2, 3, 0, 2}, true},
	{"nobias-multich", []int{3, 2, 6, 5}, []int{3, 2, 2, 2}, ConvParams{1, 1, 0, 1}, false},
	{"pointwise", []int{2, 4, 3, 5}, []int{3, 4, 1, 1}, ConvParams{}, true},
	{"pad-beyond-kernel", []int{1, 2, 3, 4}, []int{2, 2, 2, 2}, ConvParams{1, 2, 3, 2}, true},
	{"lenet1-like", []int{2, 1, 8, 8}, []int{6, 1, 5, 5}, ConvParams{PadH: 2, PadW: 2}, true},
	{"filter-equals-input", []int{2, 3, 4, 4}, []int{5, 3, 4, 4}, ConvParams{}, false},
	{"filter-equals-padded-input", []int{1, 2, 1, 2}, []int{2, 2, 5, 4}, ConvParams{PadH: 2, PadW: 1}, true},
	// More than 8 output channels: the transposed direct kernel in float32.
	{"lenet2-like", []int{2, 6, 14, 14}, []int{16, 6, 5, 5}, ConvParams{}, true},
	{"out9-pad", []int{2, 2, 5, 7}, []int{9, 2, 3, 3}, ConvParams{PadH: 1, PadW: 1}, true},
	{"out33-nobias", []int{1, 3, 4, 5}, []int{33, 3, 2, 2}, ConvParams{}, false},
}

func TestConv2DForward(t *testing.T) {
	for i, tc := range convForwardCases {
		t.Run(tc.name, func(t *testing.T) {
			x, w, b := tc.tensors(uint64(10*i), false)
			checkForward(t, convBuild(tc.p, false), convNaive(x, w, b, tc.p, false), convInputs(x, w, b)...)
		})
	}
}

func TestConv2DHandWorked(t *testing.T) {
	x := t64([]float64{1, 2, 3, 4, 5, 6, 7, 8, 9}, 1, 1, 3, 3)
	w := t64([]float64{1, 2, 3, 4}, 1, 1, 2, 2)
	// y[0,0] = 1·1 + 2·2 + 4·3 + 5·4 + 10 = 47, and so on.
	checkForward(t, convBuild(ConvParams{}, false), t64([]float64{47, 57, 77, 87}, 1, 1, 2, 2), x, w, t64([]float64{10}, 1))
	// Stride 2, padding 1: the corner windows see one pixel, e.g. y[0,0] = 1·4.
	checkForward(t, convBuild(ConvParams{2, 2, 1, 1}, false), t64([]float64{4, 18, 36, 77}, 1, 1, 2, 2), x, w)
}

var convGradCases = []convCase{
	{"pad1", []int{2, 2, 5, 4}, []int{3, 2, 3, 3}, ConvParams{PadH: 1, PadW: 1}, true},
	{"stride2-pad0x1", []int{1, 3, 6, 5}, []int{2, 3, 2, 3}, ConvParams{2, 2, 0, 1}, true},
	{"nobias-stride1x2", []int{2, 1, 5, 6}, []int{2, 1, 3, 2}, ConvParams{1, 2, 1, 0}, false},
	{"pointwise", []int{2, 3, 2, 3}, []int{2, 3, 1, 1}, ConvParams{}, true},
	{"pad-beyond-kernel", []int{1, 1, 2, 3}, []int{2, 1, 2, 2}, ConvParams{2, 1, 2, 1}, true},
	{"filter-equals-padded-input", []int{2, 1, 1, 2}, []int{2, 1, 5, 4}, ConvParams{PadH: 2, PadW: 1}, true},
}

func TestConv2DGrad(t *testing.T) {
	for i, tc := range convGradCases {
		t.Run(tc.name, func(t *testing.T) {
			x, w, b := tc.tensors(uint64(100+10*i), false)
			checkGrad(t, convBuild(tc.p, false), convInputs(x, w, b)...)
		})
	}
}

// convBuildErr builds f over nodes of the given shapes and returns the error.
func convBuildErr(f func(x, w, b *G.Node, p ConvParams) (*G.Node, error), p ConvParams, x, w, b []int) error {
	g := G.NewGraph()
	node := func(s []int) *G.Node {
		if s == nil {
			return nil
		}
		return G.NewTensor(g, tensor.Float64, len(s), G.WithShape(s...))
	}
	_, err := f(node(x), node(w), node(b), p)
	return err
}

// convWantErr fails unless err mentions every fragment.
func convWantErr(t *testing.T, err error, fragments ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want one mentioning %q", fragments)
	}
	for _, f := range fragments {
		if !strings.Contains(err.Error(), f) {
			t.Errorf("error %q does not mention %q", err, f)
		}
	}
}

func TestConv2DShapeErrors(t *testing.T) {
	p := ConvParams{}
	convWantErr(t, convBuildErr(Conv2D, p, []int{2, 3, 5, 5}, []int{4, 2, 3, 3}, nil), "(2, 3, 5, 5)", "(4, 2, 3, 3)", "channels")
	convWantErr(t, convBuildErr(Conv2D, p, []int{2, 3, 5, 5}, []int{4, 3, 3, 3}, []int{3}), "(3)", "(4)", "bias")
	convWantErr(t, convBuildErr(Conv2D, ConvParams{PadH: 1}, []int{1, 1, 4, 4}, []int{1, 1, 7, 3}, nil), "(1, 1, 4, 4)", "(1, 1, 7, 3)", "larger")
	convWantErr(t, convBuildErr(Conv2D, p, []int{3, 5, 5}, []int{4, 3, 3, 3}, nil), "(3, 5, 5)", "4-D")
	convWantErr(t, convBuildErr(Conv2D, p, []int{1, 3, 5, 5}, []int{4, 3, 3}, nil), "(4, 3, 3)", "(1, 3, 5, 5)")
	convWantErr(t, convBuildErr(Conv2D, ConvParams{StrideH: -1}, []int{1, 1, 5, 5}, []int{1, 1, 3, 3}, nil), "negative")
	convWantErr(t, convBuildErr(Conv2D, p, nil, []int{1, 1, 3, 3}, nil), "nil")
	_, err := convOp{kind: sharedConv, p: ConvParams{1, 1, 0, 0}}.InferShape(tensor.Shape{0, 1, 3, 3}, tensor.Shape{1, 1, 3, 3})
	convWantErr(t, err, "positive", "(0, 1, 3, 3)")
	// Padding alone may make the input big enough.
	if err := convBuildErr(Conv2D, ConvParams{PadH: 2, PadW: 1}, []int{1, 1, 1, 1}, []int{1, 1, 5, 3}, nil); err != nil {
		t.Errorf("filter 5x3 over 1x1 padded by 2x1: %v", err)
	}
}

// TestConv2DRunErrors feeds the op values that disagree with each other.
func TestConv2DRunErrors(t *testing.T) {
	op := convOp{kind: sharedConv, p: ConvParams{1, 1, 0, 0}, bias: true}
	_, err := op.Do(randT(1, 1, 2, 4, 4), randT(2, 3, 2, 3, 3), randT(3, 2))
	convWantErr(t, err, "(2)", "(3)")
	grad := convGradOp{kind: sharedConv, p: op.p, wrt: convWrtW}
	_, err = grad.Do(randT(1, 1, 2, 4, 4), randT(2, 3, 2, 3, 3), randT(3, 1, 3, 3, 3))
	convWantErr(t, err, "(1, 3, 3, 3)", "(1, 3, 2, 2)")
}

// TestConv2DHash checks that every parameter reaches the hash, so gorgonia
// never merges two different convolutions of the same nodes.
func TestConv2DHash(t *testing.T) {
	base := convOp{kind: sharedConv, p: ConvParams{1, 1, 0, 0}, bias: true}
	variants := []convOp{base}
	for _, p := range []ConvParams{{2, 1, 0, 0}, {1, 2, 0, 0}, {1, 1, 1, 0}, {1, 1, 0, 1}} {
		variants = append(variants, convOp{kind: sharedConv, p: p, bias: true})
	}
	variants = append(variants, convOp{kind: sharedConv, p: base.p}, convOp{kind: localConv, p: base.p, bias: true})
	seen := map[uint32]convOp{}
	for _, v := range variants {
		if prev, ok := seen[v.Hashcode()]; ok {
			t.Errorf("%v and %v hash alike", prev, v)
		}
		seen[v.Hashcode()] = v
	}
	g := G.NewGraph()
	x := G.NewTensor(g, tensor.Float64, 4, G.WithShape(1, 1, 6, 6), G.WithName("x"))
	w := G.NewTensor(g, tensor.Float64, 4, G.WithShape(1, 1, 3, 3), G.WithName("w"))
	a, _ := Conv2D(x, w, nil, ConvParams{})
	b, _ := Conv2D(x, w, nil, ConvParams{StrideH: 1, StrideW: 1})
	c, _ := Conv2D(x, w, nil, ConvParams{PadH: 1, PadW: 1})
	if a != b || a == c {
		t.Errorf("stride 0 and 1 should merge, padding 0 and 1 should not: %p %p %p", a, b, c)
	}
}

// TestConv2DBatchFromValue runs the op built for batch 2 on batch 3.
func TestConv2DBatchFromValue(t *testing.T) {
	tc := convCase{"", []int{2, 2, 5, 5}, []int{3, 2, 3, 3}, ConvParams{2, 2, 1, 1}, true}
	x, w, b := tc.tensors(7, false)
	g := G.NewGraph()
	xn := G.NewTensor(g, tensor.Float64, 4, G.WithShape(2, 2, 5, 5))
	wn := G.NewTensor(g, tensor.Float64, 4, G.WithShape(3, 2, 3, 3))
	bn := G.NewTensor(g, tensor.Float64, 1, G.WithShape(3))
	y, err := Conv2D(xn, wn, bn, tc.p)
	if err != nil {
		t.Fatal(err)
	}
	x3 := randT(8, 3, 2, 5, 5)
	got, err := y.Op().Do(x3, w, b)
	if err != nil {
		t.Fatal(err)
	}
	want := convNaive(x3, w, b, tc.p, false)
	assertClose(t, "y", got.Data().([]float64), want.Float64s(), want.Shape(), got.Shape(), 1e-12)
	dw, err := convGradOp{kind: sharedConv, p: tc.p, wrt: convWrtW}.Do(x, w, randT(9, 2, 3, 3, 3))
	if err != nil || !dw.Shape().Eq(w.Shape()) {
		t.Fatalf("filter gradient at batch 2: %v, %v", dw, err)
	}
}

// convCheckReuse runs the forward op of tc and its three gradient ops into
// outputs full of NaN and checks that they are reused and fully
// overwritten, giving the same result as fresh outputs.
func convCheckReuse(t *testing.T, kind convKind, tc convCase) {
	t.Helper()
	x, w, b := tc.tensors(5, kind == localConv)
	p, _ := tc.p.normalized()
	fwd := convOp{kind: kind, p: p, bias: true}
	y, err := fwd.Do(x, w, b)
	if err != nil {
		t.Fatal(err)
	}
	ops := []preallocer{fwd}
	for _, wrt := range []convWRT{convWrtX, convWrtW, convWrtB} {
		ops = append(ops, convGradOp{kind: kind, p: p, wrt: wrt})
	}
	for i, op := range ops {
		args := []G.Value{x, w, b}
		if i > 0 {
			args = []G.Value{x, w, y}
		}
		fresh, err := op.UsePreallocDo(nil, args...)
		if err != nil {
			t.Fatal(err)
		}
		dirty := fresh.(*tensor.Dense).Clone().(*tensor.Dense)
		for j := range dirty.Float64s() {
			dirty.Float64s()[j] = math.NaN()
		}
		got, err := op.UsePreallocDo(dirty, args...)
		if err != nil || got != G.Value(dirty) {
			t.Fatalf("%v did not reuse its output (err %v)", op, err)
		}
		assertClose(t, fmt.Sprint(op), dirty.Float64s(), fresh.Data().([]float64), fresh.Shape(), got.Shape(), 0)
	}
}

func TestConv2DReusesOutput(t *testing.T) {
	convCheckReuse(t, sharedConv, convGradCases[0])
	convCheckReuse(t, sharedConv, convGradCases[3]) // pointwise
}

// TestConv2DFilterGradDeterministic checks that dw has the same bits on one
// core as on several: the chunking depends on the batch size only.
func TestConv2DFilterGradDeterministic(t *testing.T) {
	x, w := as(randT(1, 37, 3, 9, 9), tensor.Float32), as(randT(2, 4, 3, 3, 3), tensor.Float32)
	dy := as(randT(3, 37, 4, 7, 7), tensor.Float32)
	run := func(procs int) []float32 {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
		out, err := convGradOp{kind: sharedConv, p: ConvParams{1, 1, 0, 0}, wrt: convWrtW}.Do(x, w, dy)
		if err != nil {
			t.Fatal(err)
		}
		return out.Data().([]float32)
	}
	one, many := run(1), run(5)
	for i := range one {
		if math.Float32bits(one[i]) != math.Float32bits(many[i]) {
			t.Fatalf("dw[%d] = %v on 1 core, %v on 5", i, one[i], many[i])
		}
	}
}

// convBenchInputs returns float32 LeNet-5 inputs for batch 64.
func convBenchInputs(layer int) (x, w, b *tensor.Dense, p ConvParams) {
	if layer == 1 {
		return as(randT(1, 64, 1, 28, 28), tensor.Float32), as(randT(2, 6, 1, 5, 5), tensor.Float32),
			as(randT(3, 6), tensor.Float32), ConvParams{PadH: 2, PadW: 2}
	}
	return as(randT(1, 64, 6, 14, 14), tensor.Float32), as(randT(2, 16, 6, 5, 5), tensor.Float32),
		as(randT(3, 16), tensor.Float32), ConvParams{}
}

// convBench times the forward op, or the three gradient ops, reusing the
// outputs as a TapeMachine does.
func convBench(b *testing.B, layer int, backward bool) {
	x, w, bias, p := convBenchInputs(layer)
	p, _ = p.normalized()
	fwd := convOp{kind: sharedConv, p: p, bias: true}
	y, err := fwd.Do(x, w, bias)
	if err != nil {
		b.Fatal(err)
	}
	ops := []preallocer{fwd}
	args := []G.Value{x, w, bias}
	if backward {
		ops = nil
		for _, wrt := range []convWRT{convWrtX, convWrtW, convWrtB} {
			ops = append(ops, convGradOp{kind: sharedConv, p: p, wrt: wrt})
		}
		args = []G.Value{x, w, y}
	}
	outs := make([]G.Value, len(ops))
	b.ReportAllocs()
	for b.Loop() {
		for i, op := range ops {
			if outs[i], err = op.UsePreallocDo(outs[i], args...); err != nil {
				b.Fatal(err)
			}
		}
	}
}

func BenchmarkConv2DForwardLeNet1(b *testing.B)  { convBench(b, 1, false) }
func BenchmarkConv2DForwardLeNet2(b *testing.B)  { convBench(b, 2, false) }
func BenchmarkConv2DBackwardLeNet1(b *testing.B) { convBench(b, 1, true) }
func BenchmarkConv2DBackwardLeNet2(b *testing.B) { convBench(b, 2, true) }

// convGradBench times one gradient op of a LeNet-5 layer at batch 64.
func convGradBench(b *testing.B, layer int, wrt convWRT) {
	x, w, bias, p := convBenchInputs(layer)
	p, _ = p.normalized()
	y, err := convOp{kind: sharedConv, p: p, bias: true}.Do(x, w, bias)
	if err != nil {
		b.Fatal(err)
	}
	op := convGradOp{plainOp: fresh(), kind: sharedConv, p: p, wrt: wrt}
	var out G.Value
	b.ReportAllocs()
	for b.Loop() {
		if out, err = op.UsePreallocDo(out, x, w, y); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkConv2DGradWLeNet1(b *testing.B) { convGradBench(b, 1, convWrtW) }
func BenchmarkConv2DGradBLeNet1(b *testing.B) { convGradBench(b, 1, convWrtB) }
func BenchmarkConv2DGradXLeNet2(b *testing.B) { convGradBench(b, 2, convWrtX) }
func BenchmarkConv2DGradWLeNet2(b *testing.B) { convGradBench(b, 2, convWrtW) }
func BenchmarkConv2DGradBLeNet2(b *testing.B) { convGradBench(b, 2, convWrtB) }
