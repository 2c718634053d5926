package graph

import (
	"math"
	"strings"
	"testing"
)

// smallConvNet is a tiny LeNet-like net on 1x8x8 inputs.
func smallConvNet(t *testing.T) *Model {
	t.Helper()
	net := Sequential("small",
		Conv2D("conv1", 2, 3, Pad(1)), ReLU(), MaxPool2D("pool1", 2),
		Flatten(), Dense("fc1", 3))
	m, err := NewModel(net, []int{1, 8, 8}, 3)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestSummaryShapesAndCounts(t *testing.T) {
	m := smallConvNet(t)
	infos, err := m.Summary()
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		name, kind, out string
		params          int
	}{
		{"conv1", "Conv2D 2@3x3 pad 1", "[2 8 8]", 2*9 + 2},
		{"relu", "ReLU", "[2 8 8]", 0},
		{"pool1", "MaxPool2D 2x2", "[2 4 4]", 0},
		{"flatten", "Flatten", "[32]", 0},
		{"fc1", "Dense 3", "[3]", 32*3 + 3},
	}
	if len(infos) != len(want) {
		t.Fatalf("%d layers, want %d", len(infos), len(want))
	}
	total := 0
	for i, w := range want {
		in := infos[i]
		if in.Name != w.name || in.Kind != w.kind || in.Output.String() != w.out || in.Params != w.params {
			t.Errorf("layer %d: %+v, want %+v", i, in, w)
		}
		total += in.Params
	}
	if total != m.NumParams() {
		t.Errorf("layer params sum to %d, model has %d", total, m.NumParams())
	}
	s, err := FormatSummary(m)
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"conv1", "2x8x8", "1x8x8", "total parameters: 119"} {
		if !strings.Contains(s, w) {
			t.Errorf("summary lacks %q:\n%s", w, s)
		}
	}
}

func TestActivationsMatchPredict(t *testing.T) {
	m := smallConvNet(t)
	x := make([]float32, 2*64)
	for i := range x {
		x[i] = float32(math.Sin(float64(i)))
	}
	acts, err := m.Activations(x, 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(acts) != 5 || len(acts[0].Values) != 2*2*8*8 || len(acts[2].Values) != 2*2*4*4 {
		t.Fatalf("got %d layers, conv %d values, pool %d values", len(acts), len(acts[0].Values), len(acts[2].Values))
	}
	for i, v := range acts[1].Values {
		if want := math.Max(acts[0].Values[i], 0); v != want {
			t.Fatalf("relu value %d is %v, want %v", i, v, want)
		}
	}
	out, err := m.Predict(x, 2, 2)
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range out {
		if acts[4].Values[i] != v {
			t.Fatalf("last activation %d is %v, Predict says %v", i, acts[4].Values[i], v)
		}
	}
	if _, err := m.Activations(x[:5], 2); err == nil {
		t.Error("short input accepted")
	}
}
