package ops

import (
	"math"
	"runtime"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

func TestLocallyConnected2DForward(t *testing.T) {
	for i, tc := range convForwardCases {
		t.Run(tc.name, func(t *testing.T) {
			x, w, b := tc.tensors(uint64(20*i), true)
			checkForward(t, convBuild(tc.p, true), convNaive(x, w, b, tc.p, true), convInputs(x, w, b)...)
		})
	}
}

func TestLocallyConnected2DHandWorked(t *testing.T) {
	// A 2x2 input, 1x1 filters: every pixel gets its own weight and bias.
	x := t64([]float64{1, 2, 3, 4}, 1, 1, 2, 2)
	w := t64([]float64{10, 20, 30, 40}, 1, 2, 2, 1, 1, 1)
	b := t64([]float64{1, 2, 3, 4}, 1, 2, 2)
	checkForward(t, convBuild(ConvParams{}, true), t64([]float64{11, 42, 93, 164}, 1, 1, 2, 2), x, w, b)
	// 2x2 filters with padding 1 on a 1x1 input of 5 give 2x2 outputs; the
	// windows put that pixel under filter element (1,1), (1,0), (0,1), (0,0).
	w = t64([]float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}, 1, 2, 2, 1, 2, 2)
	x = t64([]float64{5}, 1, 1, 1, 1)
	checkForward(t, convBuild(ConvParams{1, 1, 1, 1}, true), t64([]float64{20, 35, 50, 65}, 1, 1, 2, 2), x, w)
}

// localGradCases are convGradCases with a smaller first case: unshared
// filters have OH·OW times more weights to difference numerically.
var localGradCases = append([]convCase{
	{"pad1", []int{2, 2, 3, 3}, []int{2, 2, 2, 2}, ConvParams{PadH: 1, PadW: 1}, true},
}, convGradCases[1:]...)

func TestLocallyConnected2DGrad(t *testing.T) {
	for i, tc := range localGradCases {
		t.Run(tc.name, func(t *testing.T) {
			x, w, b := tc.tensors(uint64(200+10*i), true)
			checkGrad(t, convBuild(tc.p, true), convInputs(x, w, b)...)
		})
	}
}

func TestLocallyConnected2DShapeErrors(t *testing.T) {
	p := ConvParams{}
	lc := LocallyConnected2D
	// (1,3,5,5) with 3x3 filters gives 3x3 outputs.
	convWantErr(t, convBuildErr(lc, p, []int{1, 3, 5, 5}, []int{2, 3, 3, 2, 3, 3}, nil), "(1, 3, 5, 5)", "(2, 3, 3, 2, 3, 3)", "channels")
	convWantErr(t, convBuildErr(lc, p, []int{1, 3, 5, 5}, []int{2, 4, 3, 3, 3, 3}, nil), "(1, 3, 5, 5)", "(2, 4, 3, 3, 3, 3)", "3x3")
	convWantErr(t, convBuildErr(lc, p, []int{1, 3, 5, 5}, []int{2, 3, 3, 3, 3, 3}, []int{2}), "(2)", "(2, 3, 3)", "bias")
	convWantErr(t, convBuildErr(lc, p, []int{1, 3, 5, 5}, []int{2, 3, 3, 3}, nil), "6-D", "(2, 3, 3, 3)")
	convWantErr(t, convBuildErr(lc, p, []int{1, 1, 2, 2}, []int{1, 1, 1, 1, 3, 3}, nil), "larger", "(1, 1, 2, 2)")
}

func TestLocallyConnected2DReusesOutput(t *testing.T) {
	convCheckReuse(t, localConv, convGradCases[0])
}

// TestLocallyConnected2DBatchFromValue runs the op and its input gradient
// built for batch 1 on batch 4, spreading the samples over the cores.
func TestLocallyConnected2DBatchFromValue(t *testing.T) {
	p := ConvParams{2, 1, 1, 0}
	g := G.NewGraph()
	xn := G.NewTensor(g, tensor.Float64, 4, G.WithShape(1, 2, 5, 4))
	wn := G.NewTensor(g, tensor.Float64, 6, G.WithShape(3, 3, 2, 2, 3, 3))
	y, err := LocallyConnected2D(xn, wn, nil, p)
	if err != nil {
		t.Fatal(err)
	}
	x, w := randT(1, 4, 2, 5, 4), randT(2, 3, 3, 2, 2, 3, 3)
	got, err := y.Op().Do(x, w)
	if err != nil {
		t.Fatal(err)
	}
	want := convNaive(x, w, nil, p, true)
	assertClose(t, "y", got.Data().([]float64), want.Float64s(), want.Shape(), got.Shape(), 1e-12)
	dx, err := convGradOp{kind: localConv, p: p, wrt: convWrtX}.Do(x, w, randT(3, 4, 3, 3, 2))
	if err != nil || !dx.Shape().Eq(x.Shape()) {
		t.Fatalf("input gradient at batch 4: %v, %v", dx, err)
	}
}

// TestLocallyConnected2DGradDeterministic checks that dx and dw have the
// same bits on one core as on several.
func TestLocallyConnected2DGradDeterministic(t *testing.T) {
	x, w := as(randT(1, 9, 2, 6, 6), tensor.Float32), as(randT(2, 3, 4, 4, 2, 3, 3), tensor.Float32)
	dy := as(randT(3, 9, 3, 4, 4), tensor.Float32)
	run := func(procs int, wrt convWRT) []float32 {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
		out, err := convGradOp{kind: localConv, p: ConvParams{1, 1, 0, 0}, wrt: wrt}.Do(x, w, dy)
		if err != nil {
			t.Fatal(err)
		}
		return out.Data().([]float32)
	}
	for _, wrt := range []convWRT{convWrtX, convWrtW} {
		one, many := run(1, wrt), run(3, wrt)
		for i := range one {
			if math.Float32bits(one[i]) != math.Float32bits(many[i]) {
				t.Fatalf("d%v[%d] = %v on 1 core, %v on 3", wrt, i, one[i], many[i])
			}
		}
	}
}
