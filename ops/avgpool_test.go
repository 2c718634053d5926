package ops

import (
	"strings"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

func avgPool(p PoolParams, includePad bool) builder {
	return func(xs ...*G.Node) (*G.Node, error) { return AvgPool2D(xs[0], p, includePad) }
}

// naiveAvgPool is the definition: the sum of the window's input elements
// divided by the kernel's area (includePad) or by their number.
func naiveAvgPool(x *tensor.Dense, p PoolParams, includePad bool) *tensor.Dense {
	s, xs := x.Shape(), x.Float64s()
	h, w := s[2], s[3]
	oh, ow := (h+2*p.PadH-p.KernelH)/p.StrideH+1, (w+2*p.PadW-p.KernelW)/p.StrideW+1
	var out []float64
	for plane := 0; plane < s[0]*s[1]; plane++ {
		for oy := 0; oy < oh; oy++ {
			for ox := 0; ox < ow; ox++ {
				sum, n := 0.0, 0
				for ky := 0; ky < p.KernelH; ky++ {
					for kx := 0; kx < p.KernelW; kx++ {
						iy, ix := oy*p.StrideH-p.PadH+ky, ox*p.StrideW-p.PadW+kx
						if iy >= 0 && iy < h && ix >= 0 && ix < w {
							sum += xs[plane*h*w+iy*w+ix]
							n++
						}
					}
				}
				if includePad {
					n = p.KernelH * p.KernelW
				}
				out = append(out, sum/float64(n))
			}
		}
	}
	return t64(out, s[0], s[1], oh, ow)
}

// naiveAvgPoolGrad spreads dy over each window the way naiveAvgPool reads it.
func naiveAvgPoolGrad(x, dy *tensor.Dense, p PoolParams, includePad bool) []float64 {
	s := x.Shape()
	h, w := s[2], s[3]
	oh, ow := dy.Shape()[2], dy.Shape()[3]
	dx := make([]float64, x.Size())
	for plane := 0; plane < s[0]*s[1]; plane++ {
		for o := 0; o < oh*ow; o++ {
			var in []int
			for k := 0; k < p.KernelH*p.KernelW; k++ {
				iy, ix := o/ow*p.StrideH-p.PadH+k/p.KernelW, o%ow*p.StrideW-p.PadW+k%p.KernelW
				if iy >= 0 && iy < h && ix >= 0 && ix < w {
					in = append(in, plane*h*w+iy*w+ix)
				}
			}
			n := len(in)
			if includePad {
				n = p.KernelH * p.KernelW
			}
			for _, i := range in {
				dx[i] += dy.Float64s()[plane*oh*ow+o] / float64(n)
			}
		}
	}
	return dx
}

// TestAvgPoolByHand pools 1..16 in a 4x4 plane with a 3x3 kernel, stride
// 2 and padding 1. With count_include_pad the three border windows divide
// by 9 although they cover 4 or 6 inputs; the interior window agrees.
func TestAvgPoolByHand(t *testing.T) {
	x := t64([]float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}, 1, 1, 4, 4)
	p := pp(3, 2, 1)
	// Windows: rows 0-1 x cols 0-1 sum 14, rows 0-1 x cols 1-3 sum 30,
	// rows 1-3 x cols 0-1 sum 57, rows 1-3 x cols 1-3 sum 99.
	checkForward(t, avgPool(p, true), t64([]float64{14.0 / 9, 30.0 / 9, 57.0 / 9, 11}, 1, 1, 2, 2), x)
	checkForward(t, avgPool(p, false), t64([]float64{3.5, 5, 9.5, 11}, 1, 1, 2, 2), x)
	// 2x2, stride 2: the plain means of the four quadrants.
	checkForward(t, avgPool(pp(2, 2, 0), true), t64([]float64{3.5, 5.5, 11.5, 13.5}, 1, 1, 2, 2), x)
}

func TestAvgPoolForward(t *testing.T) {
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
		{[]int{4, 8, 30, 30}, pp(3, 2, 1)}, // several planes per core
	}
	for i, c := range cases {
		x := randT(uint64(i), c.shape...)
		for _, inc := range []bool{true, false} {
			checkForward(t, avgPool(c.p, inc), naiveAvgPool(x, c.p, inc), x)
		}
	}
}

func TestAvgPoolGrad(t *testing.T) {
	for _, inc := range []bool{true, false} {
		checkGrad(t, avgPool(pp(2, 2, 0), inc), randT(1, 1, 1, 4, 4))
		checkGrad(t, avgPool(pp(3, 2, 1), inc), randT(2, 2, 2, 5, 5))                  // overlapping, padded
		checkGrad(t, avgPool(pp(2, 1, 1), inc), randT(3, 1, 3, 4, 3))                  // stride 1
		checkGrad(t, avgPool(PoolParams{2, 3, 1, 2, 1, 1}, inc), randT(4, 2, 1, 5, 4)) // asymmetric
	}
}

// TestAvgPoolSweep compares both passes with the definitions for every
// small geometry, in both padding modes.
func TestAvgPoolSweep(t *testing.T) {
	n := sweepPools(randT, func(p PoolParams, x *tensor.Dense) {
		for _, inc := range []bool{true, false} {
			y, err := avgPoolOp{p: p, includePad: inc}.Do(x)
			if err != nil {
				t.Fatalf("%v on %v: %v", p, x.Shape(), err)
			}
			want := naiveAvgPool(x, p, inc)
			assertClose(t, p.String()+" y", toF64(t, y), want.Float64s(), want.Shape(), y.Shape(), 1e-12)
			dy := randT(5, y.Shape()...)
			// Start from garbage: the kernel must write every element.
			dx, err := avgPoolGradOp{p: p, includePad: inc}.UsePreallocDo(randT(6, x.Shape()...), x, dy)
			if err != nil {
				t.Fatal(err)
			}
			assertClose(t, p.String()+" dx", toF64(t, dx), naiveAvgPoolGrad(x, dy, p, inc), x.Shape(), dx.Shape(), 1e-12)
		}
	})
	t.Logf("%d geometries", n)
}

func TestAvgPoolErrors(t *testing.T) {
	for _, p := range []PoolParams{{0, 2, 1, 1, 0, 0}, {2, 2, 0, 1, 0, 0}, {2, 2, 1, 1, 2, 0}} {
		_, err := compile(t, avgPool(p, true), tensor.Float64, randT(1, 1, 1, 5, 5))
		if err == nil || !strings.HasPrefix(err.Error(), "avgpool:") {
			t.Errorf("%v: error %v, want one starting avgpool:", p, err)
		}
	}
	if _, err := compile(t, avgPool(pp(2, 2, 0), true), tensor.Float64, randT(1, 1, 5, 5)); err == nil {
		t.Error("3-D input: no error")
	}
	if _, err := compile(t, avgPool(pp(4, 1, 1), true), tensor.Float64, randT(1, 1, 1, 1, 5)); err == nil {
		t.Error("input smaller than kernel: no error")
	}
	op := avgPoolGradOp{p: pp(2, 2, 0)}
	if _, err := op.Do(randT(1, 1, 1, 4, 4), randT(1, 1, 1, 3, 2)); err == nil {
		t.Error("gradient of the wrong shape: no error")
	}
}

func globalAvg(xs ...*G.Node) (*G.Node, error) { return GlobalAvgPool2D(xs[0]) }

func TestGlobalAvgPool(t *testing.T) {
	x := t64([]float64{1, 2, 3, 4, -1, -2, -3, 10, 0, 0, 0, 0.5}, 1, 3, 2, 2)
	checkForward(t, globalAvg, t64([]float64{2.5, 1, 0.125}, 1, 3), x)
	big := randT(2, 3, 5, 9, 11)
	means := make([]float64, 15)
	for i, v := range big.Float64s() {
		means[i/99] += v / 99
	}
	checkForward(t, globalAvg, t64(means, 3, 5), big)
	checkGrad(t, globalAvg, randT(3, 2, 3, 4, 5))
	checkGrad(t, globalAvg, randT(4, 3, 2, 1, 1))
	if _, err := compile(t, globalAvg, tensor.Float64, randT(1, 2, 3, 4)); err == nil {
		t.Error("3-D input: no error")
	}
	if _, err := (globalAvgPoolGradOp{}).Do(randT(1, 2, 3, 4, 4), randT(1, 3, 2)); err == nil {
		t.Error("gradient of the wrong shape: no error")
	}
}
