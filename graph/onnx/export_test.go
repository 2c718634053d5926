package onnx

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/featlearn/featlearn/graph"
)

// TestExportOpsMatchORT exports a model around every op featlearn writes,
// with random shapes, kernels, strides and padding, and checks that ONNX
// Runtime computes what featlearn computes, to 1e-5 (float32).
func TestExportOpsMatchORT(t *testing.T) {
	needORT(t)
	rng := rand.New(rand.NewPCG(1, 2))
	cases := opCases(rng)
	const n = 3
	var jobs []ortJob
	var want [][]float64
	for _, c := range cases {
		m := c.build(t, rng)
		data, err := Export(m, Meta{})
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		x, x64 := randomInput(m, n, rng)
		y, err := m.Predict(x, n, n)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		jobs = append(jobs, ortJob{model: data, x: x64, dims: batchDims(n, m.InputShape()), f64: c.f64})
		want = append(want, y)
	}
	res := runORT(t, jobs)
	worst := 0.0
	for i, c := range cases {
		d := maxDiff(res[i].Values, want[i])
		if !(d <= 1e-5) {
			t.Errorf("%s: ONNX Runtime differs from featlearn by %g (output %v, featlearn %v)", c.name, d, res[i].Dims, len(want[i]))
		}
		if wantDims := batchDims(n, graph.Shape(c.layerOutput(t))); !sameShape(res[i].Dims, wantDims) {
			t.Errorf("%s: ONNX Runtime's output has shape %v, featlearn's %v", c.name, res[i].Dims, wantDims)
		}
		if res[i].Name != OutputName || res[i].InputName != InputName {
			t.Errorf("%s: input %q and output %q", c.name, res[i].InputName, res[i].Name)
		}
		worst = max(worst, d)
	}
	t.Logf("%d models, largest difference %.3g", len(cases), worst)
}

// layerOutput returns the case's output shape.
func (c opCase) layerOutput(t *testing.T) []int {
	m := c.build(t, rand.New(rand.NewPCG(0, 0)))
	return m.OutputShape()
}

// TestExportRefusesLocallyConnected checks that a layer without an ONNX
// equivalent is an error naming it.
func TestExportRefusesLocallyConnected(t *testing.T) {
	net := graph.Sequential("net", graph.LocallyConnected2D("local", 2, 3), graph.Flatten(), graph.Dense("fc", 2))
	m, err := graph.NewModel(net, []int{1, 6, 6}, 1)
	if err != nil {
		t.Fatal(err)
	}
	_, err = Export(m, Meta{})
	if err == nil || !strings.Contains(err.Error(), "layer local") || !strings.Contains(err.Error(), "LocallyConnected2D") {
		t.Fatalf("Export = %v, want an error naming layer local", err)
	}
}
