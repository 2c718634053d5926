package onnx

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/featlearn/featlearn/graph"
)

// fixture is a model PyTorch exported, with its input and PyTorch's output
// (testdata/pytorch/make_fixtures.py).
type fixture struct {
	Name    string `json:"name"`
	Dims    []int  `json:"dims"`
	Out     []int  `json:"out"`
	Opset   int    `json:"opset"`
	Dynamic bool   `json:"dynamic"`
}

func fixtures(t *testing.T) []fixture {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "pytorch", "fixtures.json"))
	if err != nil {
		t.Fatal(err)
	}
	var f struct{ Fixtures []fixture }
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	return f.Fixtures
}

// readRaw reads raw little-endian float32 values.
func readRaw(t *testing.T, path string) []float64 {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return fromRaw(b, false)
}

// TestImportPyTorch imports the models PyTorch 1.13's torch.onnx.export
// wrote, LeNet-5 and a network of every supported op in opsets 11 to 17,
// and checks that featlearn computes PyTorch's outputs to 1e-5, then
// exports each again and checks ONNX Runtime's outputs the same way.
func TestImportPyTorch(t *testing.T) {
	var jobs []ortJob
	var wants [][]float64
	for _, f := range fixtures(t) {
		base := filepath.Join("testdata", "pytorch", f.Name)
		m, _, err := ImportFile(base + ".onnx")
		if err != nil {
			t.Fatalf("%s: %v", f.Name, err)
		}
		x64, want := readRaw(t, base+".in.bin"), readRaw(t, base+".out.bin")
		x := make([]float32, len(x64))
		for i, v := range x64 {
			x[i] = float32(v)
		}
		if got := graph.Shape(m.InputShape()).String(); got != graph.Shape(f.Dims[1:]).String() {
			t.Fatalf("%s: input shape %v, PyTorch's %v", f.Name, got, f.Dims[1:])
		}
		got, err := m.Predict(x, f.Dims[0], f.Dims[0])
		if err != nil {
			t.Fatalf("%s: %v", f.Name, err)
		}
		d := maxDiff(got, want)
		t.Logf("%s (opset %d): %d examples, largest difference from PyTorch %.3g, %d params", f.Name, f.Opset, f.Dims[0], d, m.NumParams())
		if !(d <= 1e-5) {
			t.Errorf("%s: featlearn differs from PyTorch by %g", f.Name, d)
		}
		if agree := argmaxAgree(got, want, f.Out[1]); agree != f.Dims[0] {
			t.Errorf("%s: %d of %d argmaxes agree", f.Name, agree, f.Dims[0])
		}
		data, err := Export(m, Meta{})
		if err != nil {
			t.Fatalf("%s: export: %v", f.Name, err)
		}
		jobs = append(jobs, ortJob{model: data, x: x64, dims: f.Dims})
		wants = append(wants, want)
	}
	// Exported again, each runs in ONNX Runtime as it did in PyTorch.
	for i, r := range runORT(t, jobs) {
		d := maxDiff(r.Values, wants[i])
		t.Logf("%s exported by featlearn: ONNX Runtime differs from PyTorch by %.3g", fixtures(t)[i].Name, d)
		if !(d <= 1e-5) {
			t.Errorf("%s exported by featlearn: ONNX Runtime differs from PyTorch by %g", fixtures(t)[i].Name, d)
		}
	}
}
