package onnx

import (
	"encoding/binary"
	"encoding/json"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
)

// ortVersion is the ONNX Runtime the tests run exported models in.
const ortVersion = "1.30.0"

// ortDir returns the folder holding node_modules/onnxruntime-node:
// $FEATLEARN_ONNXRUNTIME, else featlearn/onnxruntime in the user's cache
// folder, where .ci/run installs it.
func ortDir() string {
	if d := os.Getenv("FEATLEARN_ONNXRUNTIME"); d != "" {
		return d
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		return ""
	}
	return filepath.Join(cache, "featlearn", "onnxruntime")
}

// needORT skips the test, or fails it under CI, when node or
// onnxruntime-node is missing, and returns node's path.
func needORT(t *testing.T) string {
	t.Helper()
	node, err := exec.LookPath("node")
	pkg := filepath.Join(ortDir(), "node_modules", "onnxruntime-node", "package.json")
	if _, serr := os.Stat(pkg); err != nil || serr != nil {
		msg := "ONNX Runtime missing: apt-get install -y nodejs && npm install --ignore-scripts --prefix " + ortDir() + " onnxruntime-node@" + ortVersion
		if os.Getenv("CI") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return node
}

// ortJob is one model to run on one batch.
type ortJob struct {
	model []byte
	x     []float64 // the input, N examples one after another
	dims  []int     // (N, C, H, W) or (N, F)
	f64   bool      // the model takes and gives float64
}

// ortResult is what ONNX Runtime gave for a job.
type ortResult struct {
	Name      string `json:"name"`
	InputName string `json:"inputName"`
	Dims      []int  `json:"dims"`
	Values    []float64
}

// runORT runs every job in one ONNX Runtime process and returns their
// first outputs.
func runORT(t *testing.T, jobs []ortJob) []ortResult {
	t.Helper()
	node := needORT(t)
	dir := t.TempDir()
	type spec struct {
		Model  string `json:"model"`
		Input  string `json:"input"`
		Dims   []int  `json:"dims"`
		Type   string `json:"type"`
		Output string `json:"output"`
	}
	var specs []spec
	for i, j := range jobs {
		s := spec{Model: filepath.Join(dir, strconv.Itoa(i)+".onnx"), Input: filepath.Join(dir, strconv.Itoa(i)+".in"),
			Dims: j.dims, Type: "float32", Output: filepath.Join(dir, strconv.Itoa(i)+".out")}
		if j.f64 {
			s.Type = "float64"
		}
		if err := os.WriteFile(s.Model, j.model, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(s.Input, rawBytes(j.x, j.f64), 0o644); err != nil {
			t.Fatal(err)
		}
		specs = append(specs, s)
	}
	jobFile := filepath.Join(dir, "jobs.json")
	b, err := json.Marshal(map[string]any{"ort": ortDir(), "jobs": specs})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(jobFile, b, 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(node, filepath.Join("testdata", "ort_run.js"), jobFile)
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("ONNX Runtime: %v", err)
	}
	var res struct {
		Outputs []ortResult `json:"outputs"`
	}
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("ONNX Runtime printed %q: %v", out, err)
	}
	for i := range res.Outputs {
		raw, err := os.ReadFile(specs[i].Output)
		if err != nil {
			t.Fatal(err)
		}
		res.Outputs[i].Values = fromRaw(raw, jobs[i].f64)
	}
	return res.Outputs
}

// rawBytes encodes values as little-endian float32 or float64.
func rawBytes(x []float64, f64 bool) []byte {
	if f64 {
		b := make([]byte, 8*len(x))
		for i, v := range x {
			binary.LittleEndian.PutUint64(b[8*i:], math.Float64bits(v))
		}
		return b
	}
	b := make([]byte, 4*len(x))
	for i, v := range x {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(float32(v)))
	}
	return b
}

// fromRaw decodes little-endian float32 or float64 values.
func fromRaw(b []byte, f64 bool) []float64 {
	if f64 {
		out := make([]float64, len(b)/8)
		for i := range out {
			out[i] = math.Float64frombits(binary.LittleEndian.Uint64(b[8*i:]))
		}
		return out
	}
	out := make([]float64, len(b)/4)
	for i := range out {
		out[i] = float64(math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:])))
	}
	return out
}

// maxDiff returns the largest absolute difference of two equally long
// slices, +Inf when their lengths differ.
func maxDiff(a, b []float64) float64 {
	if len(a) != len(b) {
		return math.Inf(1)
	}
	d := 0.0
	for i := range a {
		if math.IsNaN(a[i]) || math.IsNaN(b[i]) {
			return math.NaN()
		}
		d = math.Max(d, math.Abs(a[i]-b[i]))
	}
	return d
}
