package kernels

import (
	"fmt"
	"math"
	"testing"
)

// convCases are the geometries every convolution path is checked on:
// LeNet's and the residual network's layers (3x3 filters with 16 and 32
// channels, padding 1), odd sizes, rectangular filters and paddings,
// strides, pointwise filters, channel counts around the kernels' tiles (6,
// 8, 16) and batches split into several chunks.
var convCases = []convCase{
	{[4]int{3, 1, 28, 28}, [4]int{6, 1, 5, 5}, 1, 1, 2, 2},    // LeNet conv1
	{[4]int{3, 6, 14, 14}, [4]int{16, 6, 5, 5}, 1, 1, 0, 0},   // LeNet conv2
	{[4]int{2, 1, 28, 28}, [4]int{16, 1, 5, 5}, 1, 1, 2, 2},   // resnet stem
	{[4]int{3, 16, 14, 14}, [4]int{16, 16, 3, 3}, 1, 1, 1, 1}, // resnet block1
	{[4]int{2, 16, 14, 14}, [4]int{32, 16, 3, 3}, 1, 1, 1, 1}, // resnet conv2
	{[4]int{17, 32, 7, 7}, [4]int{32, 32, 3, 3}, 1, 1, 1, 1},  // resnet block2, 16 chunks
	{[4]int{2, 3, 7, 9}, [4]int{12, 3, 3, 2}, 1, 1, 1, 0},     // tall filter gradient
	{[4]int{17, 2, 5, 4}, [4]int{9, 2, 2, 3}, 1, 1, 3, 1},     // padding past the filter
	{[4]int{2, 2, 6, 21}, [4]int{3, 2, 3, 3}, 1, 1, 0, 1},     // an overlapped tail
	{[4]int{2, 3, 5, 6}, [4]int{17, 3, 3, 3}, 1, 1, 1, 1},     // a second, partial tile
	{[4]int{1, 1, 4, 4}, [4]int{33, 1, 2, 2}, 1, 1, 0, 1},     // three tiles, batch 1
	{[4]int{2, 4, 9, 8}, [4]int{5, 4, 3, 3}, 2, 2, 1, 1},      // stride 2
	{[4]int{2, 3, 7, 7}, [4]int{4, 3, 3, 2}, 2, 1, 0, 1},      // mixed strides
	{[4]int{2, 5, 6, 6}, [4]int{7, 5, 1, 1}, 1, 1, 0, 0},      // pointwise
	{[4]int{3, 8, 10, 10}, [4]int{24, 8, 5, 5}, 1, 1, 2, 2},   // sparse-kernel shape, padded
	{[4]int{4, 2, 12, 11}, [4]int{8, 2, 5, 7}, 1, 1, 0, 0},    // five rows, seven wide
	{[4]int{2, 32, 7, 7}, [4]int{16, 32, 3, 3}, 1, 1, 1, 1},   // more input than output channels
	{[4]int{2, 16, 14, 14}, [4]int{16, 16, 3, 3}, 1, 1, 0, 0}, // no padding
	{[4]int{20, 1, 6, 6}, [4]int{2, 1, 3, 3}, 1, 1, 1, 1},     // narrow, many chunks
	{[4]int{1, 3, 3, 3}, [4]int{1, 3, 3, 3}, 1, 1, 0, 0},      // one output
	{[4]int{2, 16, 28, 28}, [4]int{16, 16, 3, 3}, 1, 1, 1, 1}, // wide planes
	{[4]int{2, 40, 5, 5}, [4]int{48, 40, 3, 3}, 1, 1, 1, 1},   // several 16-channel blocks
	{[4]int{3, 7, 9, 13}, [4]int{19, 7, 3, 3}, 1, 1, 1, 1},    // odd everything
	{[4]int{2, 2, 8, 8}, [4]int{6, 2, 3, 3}, 1, 1, 2, 2},      // padding of a full filter less one
}

// convCase is a convolution's shapes, strides and paddings.
type convCase struct {
	x, w           [4]int // (n, c, h, w) and (out, c, kh, kw)
	sh, sw, ph, pw int
}

func (tc *convCase) geom() ConvGeom {
	return NewConvGeom(tc.x[0], tc.x[1], tc.x[2], tc.x[3], tc.w[0], tc.w[2], tc.w[3], tc.sh, tc.sw, tc.ph, tc.pw)
}

// naiveConv returns y = w ⊛ x + b, dx, dw and db from the definition
// (forEachTap), summed in float64.
func naiveConv(g *ConvGeom, x, w, b, dy []float64) (y, dx, dw, db []float64) {
	y, dx = make([]float64, g.n*g.out*g.p()), make([]float64, g.n*g.c*g.h*g.w)
	dw, db = make([]float64, g.out*g.k()), make([]float64, g.out)
	for i := range y {
		y[i] = b[i/g.p()%g.out]
		db[i/g.p()%g.out] += dy[i]
	}
	forEachTap(g, func(xi, wi, yi int) {
		y[yi] += w[wi] * x[xi]
		dx[xi] += w[wi] * dy[yi]
		dw[wi] += x[xi] * dy[yi]
	})
	return y, dx, dw, db
}

// convImpl is one implementation of one pass, with the rule that says
// whether it serves a float32 call.
type convImpl struct {
	path   convPath
	serves func(g *ConvGeom, a, b []float32) bool // a, b: the pass's operands (x or w, and dy)
	run    func(g *ConvGeom, out, a, b, bias []float32)
}

var (
	stride1   = func(g *ConvGeom, _, _ []float32) bool { return flatOK(g) }
	vector1   = func(g *ConvGeom, _, _ []float32) bool { return flatOK(g) && avx2() }
	always    = func(*ConvGeom, []float32, []float32) bool { return true }
	vector512 = func(g *ConvGeom, _, _ []float32) bool { return flatOK(g) && avx512() }

	convForwardImpls = []convImpl{
		{pathIm2col, always, func(g *ConvGeom, y, x, w, b []float32) { im2colForward(g, y, x, w, b) }},
		{pathFlat, stride1, func(g *ConvGeom, y, x, w, b []float32) { flatForward(g, y, x, w, b) }},
		{pathDirect, vector1, func(g *ConvGeom, y, x, w, b []float32) { directForward(g, y, x, w, b) }},
		{pathDirectT, vector1, func(g *ConvGeom, y, x, w, b []float32) { directTForward(g, y, x, w, b, false) }},
		{pathDirectT512, vector512, func(g *ConvGeom, y, x, w, b []float32) { directTForward(g, y, x, w, b, true) }},
	}
	convInputGradImpls = []convImpl{
		{pathIm2col, always, func(g *ConvGeom, dx, w, dy, _ []float32) { im2colInputGrad(g, dx, w, dy) }},
		{pathFlat, stride1, func(g *ConvGeom, dx, w, dy, _ []float32) { flatInputGrad(g, dx, w, dy) }},
		{pathDirect, directDxServes, func(g *ConvGeom, dx, w, dy, _ []float32) { directInputGrad(g, dx, w, dy, false, false) }},
		{pathDirectT, directDxServes, func(g *ConvGeom, dx, w, dy, _ []float32) { directInputGrad(g, dx, w, dy, true, false) }},
		{pathDirectT512, directDx512Serves, func(g *ConvGeom, dx, w, dy, _ []float32) { directInputGrad(g, dx, w, dy, true, true) }},
		{pathSparse, func(g *ConvGeom, w, dy []float32) bool {
			return avx2() && sparseShapeOK(g, false) && g.out <= 64 && allFinite32(w) && allFinite32(dy)
		}, func(g *ConvGeom, dx, w, dy, _ []float32) { sparseInputGrad(g, dx, w, dy) }},
	}
	convFilterGradImpls = []convImpl{
		{pathIm2col, always, func(g *ConvGeom, dw, x, dy, _ []float32) { im2colFilterGrad(g, dw, x, dy) }},
		{pathFlat, stride1, func(g *ConvGeom, dw, x, dy, _ []float32) { flatFilterGrad(g, dw, x, dy) }},
		{pathNarrow, vector1, func(g *ConvGeom, dw, x, dy, _ []float32) { narrowFilterGrad(g, dw, x, dy) }},
		{pathDirectDw, vector1, func(g *ConvGeom, dw, x, dy, _ []float32) { directDwFilterGrad(g, dw, x, dy, false) }},
		{pathDirectDw512, func(g *ConvGeom, _, _ []float32) bool { return flatOK(g) && avx512() && g.kw <= dwMaxKW }, func(g *ConvGeom, dw, x, dy, _ []float32) {
			directDwFilterGrad(g, dw, x, dy, true)
		}},
		{pathSparse, func(g *ConvGeom, x, _ []float32) bool {
			return avx2() && sparseShapeOK(g, true) && allFinite32(x)
		}, func(g *ConvGeom, dw, x, dy, _ []float32) { sparseFilterGrad(g, dw, x, dy) }},
	}
)

func directDxServes(g *ConvGeom, w, _ []float32) bool {
	_, ok := directDxGeom(g)
	return ok && avx2() && allFinite32(w)
}

func directDx512Serves(g *ConvGeom, w, dy []float32) bool {
	return directDxServes(g, w, dy) && avx512()
}

// TestConvPaths checks every implementation of every pass that serves
// each of convCases, at every instruction-set level, against the
// definition, on dense random operands and on an output gradient with 80 %
// zeros (as max pooling leaves it); then the dispatch functions, in
// float32 and float64. Every output element starts as NaN, so each must be
// written.
func TestConvPaths(t *testing.T) { eachLevel(t, checkConvPaths) }

func checkConvPaths(t *testing.T) {
	for ci := range convCases {
		tc := &convCases[ci]
		g := tc.geom()
		for _, zeros := range []float64{0, 0.8} {
			name := fmt.Sprintf("case %d %v zeros %v", ci, tc.x, zeros)
			x, w, b := randFloats(uint64(3*ci), g.n*g.c*g.h*g.w), randFloats(uint64(3*ci+1), g.out*g.k()), randFloats(uint64(3*ci+2), g.out)
			dy := randFloats(uint64(3*ci+100), g.n*g.out*g.p())
			for i := range dy {
				if float64(i%10) < 10*zeros {
					dy[i] = 0
				}
			}
			x32, w32, b32, dy32 := to32(x), to32(w), to32(b), to32(dy)
			// The references use the values float32 holds.
			y, dx, dw, db := naiveConv(&g, to64(x32), to64(w32), to64(b32), to64(dy32))
			k := g.k()
			for _, im := range convForwardImpls {
				if im.serves(&g, x32, w32) {
					out := nans(len(y))
					im.run(&g, out, x32, w32, b32)
					checkConv(t, name+" forward "+im.path.String(), out, y, k)
				}
			}
			for _, im := range convInputGradImpls {
				if im.serves(&g, w32, dy32) {
					out := nans(len(dx))
					im.run(&g, out, w32, dy32, nil)
					checkConv(t, name+" input gradient "+im.path.String(), out, dx, g.out*g.kh*g.kw)
				}
			}
			for _, im := range convFilterGradImpls {
				if im.serves(&g, x32, dy32) {
					out := nans(len(dw))
					im.run(&g, out, x32, dy32, nil)
					checkConv(t, name+" filter gradient "+im.path.String(), out, dw, g.n*g.p())
				}
			}
			// The dispatch, float32 and float64.
			out := nans(len(y))
			ConvForward(&g, out, x32, w32, b32)
			checkConv(t, name+" ConvForward", out, y, k)
			out = nans(len(dx))
			ConvInputGrad(&g, out, w32, dy32)
			checkConv(t, name+" ConvInputGrad", out, dx, g.out*g.kh*g.kw)
			out = nans(len(dw))
			ConvFilterGrad(&g, out, x32, dy32)
			checkConv(t, name+" ConvFilterGrad", out, dw, g.n*g.p())
			out = nans(len(db))
			ConvBiasGrad(&g, out, dy32)
			checkConv(t, name+" ConvBiasGrad", out, db, g.n*g.p())
			y64 := make([]float64, len(y))
			ConvForward(&g, y64, to64(x32), to64(w32), to64(b32))
			checkConv64(t, name+" ConvForward float64", y64, y)
			dx64 := make([]float64, len(dx))
			ConvInputGrad(&g, dx64, to64(w32), to64(dy32))
			checkConv64(t, name+" ConvInputGrad float64", dx64, dx)
			dw64 := make([]float64, len(dw))
			ConvFilterGrad(&g, dw64, to64(x32), to64(dy32))
			checkConv64(t, name+" ConvFilterGrad float64", dw64, dw)
		}
	}
}

// TestConvNonFinite checks that every path keeps Inf and NaN where the
// definition puts them, and only there: garbage columns, padding and
// skipped zeros must not turn 0·Inf into NaN. x and w each hold one Inf
// and one NaN, dy one NaN; the paths whose rules refuse non-finite
// operands are not offered them.
func TestConvNonFinite(t *testing.T) { eachLevel(t, checkConvNonFinite) }

func checkConvNonFinite(t *testing.T) {
	for ci := range convCases {
		tc := &convCases[ci]
		g := tc.geom()
		x, w := randFloats(uint64(ci), g.n*g.c*g.h*g.w), randFloats(uint64(ci+50), g.out*g.k())
		dy := randFloats(uint64(ci+100), g.n*g.out*g.p())
		x[len(x)/2], x[len(x)-1] = math.Inf(1), math.NaN()
		w[len(w)/3], w[1] = math.Inf(-1), math.NaN()
		if q, ok := innerPosition(&g); ok {
			// A NaN in dy at a position whose window reads no padding:
			// at others the definition leaves the padding's 0·NaN out,
			// while the kernels that read the padding as zeros would not.
			dy[((g.n-1)*g.out+g.out/2)*g.p()+q] = math.NaN()
		}
		x32, w32, dy32 := to32(x), to32(w), to32(dy)
		// The forward with finite weights: where the filters are not
		// finite, the paths differ in whether padding's 0·Inf counts (the
		// direct ones make it NaN on purpose, every output alike).
		wf := randFloats(uint64(ci+50), g.out*g.k())
		y, _, _, _ := naiveConv(&g, x, wf, make([]float64, g.out), dy)
		_, dx, dw, _ := naiveConv(&g, x, w, make([]float64, g.out), dy)
		name := fmt.Sprintf("case %d %v", ci, tc.x)
		for _, im := range convForwardImpls {
			if im.serves(&g, x32, to32(wf)) {
				out := nans(len(y))
				im.run(&g, out, x32, to32(wf), nil)
				checkSpecials(t, name+" forward "+im.path.String(), out, y)
			}
		}
		for _, im := range convInputGradImpls {
			if im.serves(&g, w32, dy32) {
				out := nans(len(dx))
				im.run(&g, out, w32, dy32, nil)
				checkSpecials(t, name+" input gradient "+im.path.String(), out, dx)
			}
		}
		for _, im := range convFilterGradImpls {
			if im.serves(&g, x32, dy32) {
				out := nans(len(dw))
				im.run(&g, out, x32, dy32, nil)
				checkSpecials(t, name+" filter gradient "+im.path.String(), out, dw)
			}
		}
		out := nans(len(dx))
		ConvInputGrad(&g, out, w32, dy32)
		checkSpecials(t, name+" ConvInputGrad", out, dx)
		out = nans(len(dw))
		ConvFilterGrad(&g, out, x32, dy32)
		checkSpecials(t, name+" ConvFilterGrad", out, dw)
	}
}

// innerPosition returns an output position whose window lies inside the
// input, if there is one.
func innerPosition(g *ConvGeom) (int, bool) {
	for r := 0; r < g.oh; r++ {
		for s := 0; s < g.ow; s++ {
			h, w := r*g.sh-g.ph, s*g.sw-g.pw
			if h >= 0 && w >= 0 && h+g.kh <= g.h && w+g.kw <= g.w {
				return r*g.ow + s, true
			}
		}
	}
	return 0, false
}

func to32(v []float64) []float32 {
	s := make([]float32, len(v))
	for i, f := range v {
		s[i] = float32(f)
	}
	return s
}

func to64(v []float32) []float64 {
	s := make([]float64, len(v))
	for i, f := range v {
		s[i] = float64(f)
	}
	return s
}

func nans(n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = float32(math.NaN())
	}
	return s
}

// checkConv compares float32 results with float64 references of sums of
// k terms of magnitude about 1.
func checkConv(t *testing.T, what string, got []float32, want []float64, k int) {
	t.Helper()
	tol := 4e-7 * math.Sqrt(float64(k)) * 4
	for i, v := range want {
		if d := math.Abs(float64(got[i]) - v); !(d <= tol*max(1, math.Abs(v))) {
			t.Fatalf("%s: [%d] = %v, want %v", what, i, got[i], v)
		}
	}
}

func checkConv64(t *testing.T, what string, got, want []float64) {
	t.Helper()
	for i, v := range want {
		if d := math.Abs(got[i] - v); !(d <= 1e-12*max(1, math.Abs(v))) {
			t.Fatalf("%s: [%d] = %v, want %v", what, i, got[i], v)
		}
	}
}

// checkSpecials checks that got is NaN, ±Inf or finite exactly where want
// is.
func checkSpecials(t *testing.T, what string, got []float32, want []float64) {
	t.Helper()
	for i, v := range want {
		g := float64(got[i])
		if math.IsNaN(v) != math.IsNaN(g) || math.IsInf(v, 1) != math.IsInf(g, 1) || math.IsInf(v, -1) != math.IsInf(g, -1) {
			t.Fatalf("%s: [%d] = %v, want %v", what, i, got[i], v)
		}
	}
}
