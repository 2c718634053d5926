package ops

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/featlearn/featlearn/ops/internal/isa"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// builder builds an op's output from its input nodes.
type builder func(xs ...*G.Node) (*G.Node, error)

// randT returns a float64 tensor of the given shape, uniform in [-1, 1),
// fixed by seed.
func randT(seed uint64, shape ...int) *tensor.Dense {
	r := rand.New(rand.NewPCG(seed, 7))
	d := tensor.New(tensor.Of(tensor.Float64), tensor.WithShape(shape...))
	for i := range d.Float64s() {
		d.Float64s()[i] = 2*r.Float64() - 1
	}
	return d
}

// t64 returns a float64 tensor of the given shape holding vals.
func t64(vals []float64, shape ...int) *tensor.Dense {
	return tensor.New(tensor.WithShape(shape...), tensor.WithBacking(append([]float64(nil), vals...)))
}

// as returns a copy of a float64 tensor converted to dt.
func as(x *tensor.Dense, dt tensor.Dtype) *tensor.Dense {
	if dt == tensor.Float64 {
		return x.Clone().(*tensor.Dense)
	}
	f := make([]float32, x.Size())
	for i, v := range x.Float64s() {
		f[i] = float32(v)
	}
	return tensor.New(tensor.WithShape(x.Shape().Clone()...), tensor.WithBacking(f))
}

// program is a compiled graph whose inputs can be changed between runs.
type program struct {
	g      *G.ExprGraph
	inputs []*G.Node
	out    *G.Node
	vm     G.VM
}

// compile builds f over copies of the inputs converted to dt.
func compile(t *testing.T, f builder, dt tensor.Dtype, inputs ...*tensor.Dense) (*program, error) {
	t.Helper()
	g := G.NewGraph()
	nodes := make([]*G.Node, len(inputs))
	for i, x := range inputs {
		nodes[i] = G.NewTensor(g, dt, x.Dims(), G.WithShape(x.Shape().Clone()...), G.WithValue(as(x, dt)), G.WithName(fmt.Sprintf("x%d", i)))
	}
	out, err := f(nodes...)
	if err != nil {
		return nil, err
	}
	return &program{g: g, inputs: nodes, out: out}, nil
}

// run runs the program once and returns the values of the given nodes.
func (p *program) run(t *testing.T, nodes ...*G.Node) []G.Value {
	t.Helper()
	vals := make([]G.Value, len(nodes))
	if p.vm == nil {
		for i, n := range nodes {
			G.Read(n, &vals[i])
		}
		p.vm = G.NewTapeMachine(p.g)
		t.Cleanup(func() { p.vm.Close() })
	}
	if err := p.vm.RunAll(); err != nil {
		t.Fatalf("run: %v", err)
	}
	p.vm.Reset()
	return vals
}

// checkForward runs f in float32 and float64 and compares the output with want.
func checkForward(t *testing.T, f builder, want *tensor.Dense, inputs ...*tensor.Dense) {
	t.Helper()
	for _, dt := range []tensor.Dtype{tensor.Float64, tensor.Float32} {
		p, err := compile(t, f, dt, inputs...)
		if err != nil {
			t.Fatalf("%v: build: %v", dt, err)
		}
		got := p.run(t, p.out)[0]
		tol := 1e-9
		if dt == tensor.Float32 {
			tol = 1e-4
		}
		assertClose(t, dt.String(), toF64(t, got), want.Float64s(), want.Shape(), got.Shape(), tol)
	}
}

// checkGrad compares G.Grad's gradient of sum(f(x)·r), r fixed and random,
// with central finite differences, for every input (float64).
func checkGrad(t *testing.T, f builder, inputs ...*tensor.Dense) {
	t.Helper()
	all := make([]int, len(inputs))
	for i := range all {
		all[i] = i
	}
	checkGradWRT(t, f, all, inputs...)
}

// checkGradWRT is checkGrad for the inputs whose indices are in wrt only.
func checkGradWRT(t *testing.T, f builder, wrt []int, inputs ...*tensor.Dense) {
	t.Helper()
	var loss *G.Node
	lossOf := func(xs ...*G.Node) (*G.Node, error) {
		y, err := f(xs...)
		if err != nil || y.IsScalar() {
			loss = y
			return y, err
		}
		r := G.NewTensor(y.Graph(), tensor.Float64, y.Dims(), G.WithShape(y.Shape().Clone()...),
			G.WithValue(randT(99, y.Shape()...)))
		prod, err := G.HadamardProd(y, r)
		if err != nil {
			return nil, err
		}
		loss, err = G.Sum(prod)
		return loss, err
	}
	p, err := compile(t, lossOf, tensor.Float64, inputs...)
	if err != nil {
		t.Fatalf("build: %v", err)
	}
	wrtNodes := make(G.Nodes, len(wrt))
	for i, k := range wrt {
		wrtNodes[i] = p.inputs[k]
	}
	grads, err := G.Grad(loss, wrtNodes...)
	if err != nil {
		t.Fatalf("grad: %v", err)
	}
	vals := p.run(t, append(G.Nodes{loss}, grads...)...)
	// The values are the ops' own buffers, which the finite-difference
	// runs overwrite: copy every gradient before the first of them.
	analytic := make([][]float64, len(wrt))
	for i := range wrt {
		analytic[i] = toF64(t, vals[i+1])
	}
	for i, k := range wrt {
		numeric := numericGrad(t, p, loss, vals[0], k)
		assertClose(t, "d/dx"+string(rune('0'+k)), analytic[i], numeric, inputs[k].Shape(), vals[i+1].Shape(), 1e-6)
	}
}

// numericGrad differentiates the program's scalar loss with respect to input
// k by central differences, changing the bound input in place.
func numericGrad(t *testing.T, p *program, loss *G.Node, lossVal G.Value, k int) []float64 {
	t.Helper()
	x := p.inputs[k].Value().(*tensor.Dense).Float64s()
	grad := make([]float64, len(x))
	const eps = 1e-6
	at := func(i int, v float64) float64 {
		x[i] = v
		p.run(t)
		return scalarOf(t, lossVal)
	}
	for i, x0 := range x {
		grad[i] = (at(i, x0+eps) - at(i, x0-eps)) / (2 * eps)
		x[i] = x0
	}
	return grad
}

func scalarOf(t *testing.T, v G.Value) float64 {
	t.Helper()
	f := toF64(t, v)
	if len(f) != 1 {
		t.Fatalf("loss has %d elements", len(f))
	}
	return f[0]
}

// toF64 converts a float32 or float64 value to []float64.
func toF64(t *testing.T, v G.Value) []float64 {
	t.Helper()
	switch d := v.Data().(type) {
	case []float64:
		return append([]float64(nil), d...)
	case []float32:
		out := make([]float64, len(d))
		for i, x := range d {
			out[i] = float64(x)
		}
		return out
	case float64:
		return []float64{d}
	case float32:
		return []float64{float64(d)}
	}
	t.Fatalf("unexpected value data %T", v.Data())
	return nil
}

// assertClose fails unless the shapes agree and every |got-want| is within
// tol relative to max(1, |want|).
func assertClose(t *testing.T, what string, got, want []float64, wantShape, gotShape tensor.Shape, tol float64) {
	t.Helper()
	if !wantShape.Eq(gotShape) && !(wantShape.IsScalar() && gotShape.IsScalar()) {
		t.Fatalf("%s: shape %v, want %v", what, gotShape, wantShape)
	}
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	bad := 0
	for i := range got {
		diff := math.Abs(got[i] - want[i])
		if !(diff <= tol*math.Max(1, math.Abs(want[i]))) && !(math.IsNaN(got[i]) && math.IsNaN(want[i])) {
			if bad < 5 {
				t.Errorf("%s[%d] = %.10g, want %.10g", what, i, got[i], want[i])
			}
			bad++
		}
	}
	if bad > 0 {
		t.Fatalf("%s: %d of %d values differ", what, bad, len(got))
	}
}

// times3 is f's scalar output times 3, so a gradient check also covers an
// upstream gradient other than 1.
func times3(f builder) builder {
	return func(xs ...*G.Node) (*G.Node, error) {
		l, err := f(xs...)
		if err != nil {
			return nil, err
		}
		return G.Mul(l, G.NewConstant(3.0))
	}
}

// checkBadLabels runs f on x (2 rows of 3 classes) with a second label that
// is not a class index, and wants an error naming it from the forward run
// and from grad, the op's gradient op.
func checkBadLabels(t *testing.T, f builder, grad G.Op, x *tensor.Dense) {
	t.Helper()
	for _, bad := range []float64{1.5, 3.5, -1, 3, math.NaN(), math.Inf(1)} {
		labels := t64([]float64{0, bad}, 2)
		p, err := compile(t, f, tensor.Float32, x, labels)
		if err != nil {
			t.Fatal(err)
		}
		vm := G.NewTapeMachine(p.g)
		err = vm.RunAll()
		vm.Close()
		if want := "label " + fmt.Sprint(bad) + " of row 1"; err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("label %v: error %v, want one naming %q", bad, err, want)
		}
		if _, err := grad.Do(x, labels, G.NewF64(1)); err == nil {
			t.Errorf("label %v: gradient op gave no error", bad)
		}
	}
}

// eachLevel runs f once at every instruction-set level the machine has,
// the pure-Go paths included, as a subtest named after the level: the ops
// call the kernels' dispatch, which follows the level.
func eachLevel(t *testing.T, f func(t *testing.T)) {
	t.Helper()
	for _, l := range isa.Available() {
		t.Run(l.String(), func(t *testing.T) {
			defer isa.Set(isa.Set(l))
			f(t)
		})
	}
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

// pool2x2 is the usual pooling of CNNs.
var pool2x2 = PoolParams{2, 2, 2, 2, 0, 0}

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
