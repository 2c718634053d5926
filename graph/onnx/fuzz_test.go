package onnx

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/featlearn/featlearn/graph"
)

// FuzzImport feeds the importer mutations of valid models (the corpus in
// testdata/fuzz/FuzzImport and the seeds added here): it must never
// panic, and a model it accepts must run.
func FuzzImport(f *testing.F) {
	for _, c := range handCases()[:4] {
		f.Add(c.b.bytes(f))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		m, _, err := importModel(data)
		if err != nil {
			if strings.Contains(err.Error(), "panicked") || strings.Contains(err.Error(), "internal error") {
				t.Fatalf("import: %v", err)
			}
			return
		}
		if work(m) > 1<<26 {
			return // runs, but too slowly for fuzzing
		}
		x := make([]float32, 2*m.InputShape().Size())
		for i := range x {
			x[i] = float32(i%7) - 3
		}
		if _, err := m.Predict(x, 2, 2); err != nil {
			t.Fatalf("an imported model of input %v fails to run: %v", m.InputShape(), err)
		}
	})
}

// TestWriteFuzzSeeds writes the seed corpus of FuzzImport when
// FEATLEARN_WRITE_FUZZ_SEEDS is set: every hand-written graph, a small
// model around every op featlearn exports, and two PyTorch fixtures.
func TestWriteFuzzSeeds(t *testing.T) {
	if os.Getenv("FEATLEARN_WRITE_FUZZ_SEEDS") == "" {
		t.Skip("set FEATLEARN_WRITE_FUZZ_SEEDS=1 to rewrite testdata/fuzz/FuzzImport")
	}
	dir := filepath.Join("testdata", "fuzz", "FuzzImport")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	write := func(name string, data []byte) {
		body := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", data)
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range handCases() {
		write("hand-"+c.name, c.b.bytes(t))
	}
	rng := rand.New(rand.NewPCG(11, 11))
	seen := map[string]bool{}
	for _, c := range opCases(rng) {
		kind := c.name
		if i := strings.LastIndexByte(kind, '-'); i > 0 {
			kind = kind[:i]
		}
		if seen[kind] || c.ownInit { // whole networks are too big to mutate well
			continue
		}
		seen[kind] = true
		data, err := Export(c.build(t, rng), Meta{Classes: []string{"a"}})
		if err != nil {
			t.Fatal(err)
		}
		write("export-"+kind, data)
	}
	for _, name := range []string{"mix_op11", "mix_static"} {
		data, err := os.ReadFile(filepath.Join("testdata", "pytorch", name+".onnx"))
		if err != nil {
			t.Fatal(err)
		}
		write("pytorch-"+name, data)
	}
}

// work bounds the multiply-adds of one example through an imported
// model: the sum of its layers' output sizes times its parameters.
func work(m *graph.Model) int {
	l := m.Layer().(*Layer)
	out := size(l.input)
	for _, st := range l.steps {
		out += size(st.out.shape)
	}
	return out * max(1, m.NumParams())
}
