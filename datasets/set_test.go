package datasets

import (
	"math"
	"slices"
	"strings"
	"testing"
)

func TestNewSetErrors(t *testing.T) {
	cases := []struct {
		name       string
		images     []uint8
		labels     []uint8
		rows, cols int
		want       string
	}{
		{"zero rows", nil, nil, 0, 2, "image size 0x2"},
		{"pixels mismatch", make([]uint8, 5), []uint8{1}, 2, 2, "5 pixels for 1 labels"},
		{"bad label", make([]uint8, 8), []uint8{1, 11}, 2, 2, "label 1 is 11"},
	}
	for _, c := range cases {
		if _, err := NewSet(c.images, c.labels, c.rows, c.cols); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want %q", c.name, err, c.want)
		}
	}
}

func TestSetAccessors(t *testing.T) {
	s := tinySet(t, 4)
	if s.Len() != 4 || s.Size() != 6 || s.Label(3) != 3 {
		t.Errorf("Len %d Size %d Label(3) %d", s.Len(), s.Size(), s.Label(3))
	}
	if got := s.Pixels(1); !slices.Equal(got, s.Images[6:12]) || cap(got) != 6 {
		t.Errorf("Pixels(1) = %v cap %d", got, cap(got))
	}
	f32 := s.Float32s(1, nil)
	f64 := s.Float64s(1, make([]float64, 100))
	for j, p := range s.Pixels(1) {
		if f32[j] != float32(p)/255 || f64[j] != float64(p)/255 {
			t.Fatalf("pixel %d: %v %v, want %v/255", j, f32[j], f64[j], p)
		}
	}
	if len(f64) != 6 {
		t.Errorf("Float64s length %d, want 6", len(f64))
	}
	b32 := s.Float32Batch([]int{2, 0}, nil)
	b64 := s.Float64Batch([]int{2, 0}, nil)
	if len(b32) != 12 || b32[6] != s.Float32s(0, nil)[0] || b64[5] != s.Float64s(2, nil)[5] {
		t.Errorf("Float32Batch %v Float64Batch %v", b32, b64)
	}
	buf := make([]float32, 6)
	if allocs := testing.AllocsPerRun(10, func() { s.Float32s(2, buf) }); allocs != 0 {
		t.Errorf("Float32s into a large enough buffer allocates %v times", allocs)
	}
}

func TestSubsetAndSlice(t *testing.T) {
	s := tinySet(t, 10)
	sub, err := s.Subset([]int{7, 2, 7})
	if err != nil || sub.N != 3 || !slices.Equal(sub.Labels, []uint8{7, 2, 7}) || !slices.Equal(sub.Pixels(1), s.Pixels(2)) {
		t.Fatalf("Subset: %+v %v", sub, err)
	}
	sub.Images[0]++
	if sub.Images[0] == s.Images[42] {
		t.Error("Subset shares memory with its source")
	}
	if _, err := s.Subset([]int{0, 10}); err == nil || !strings.Contains(err.Error(), "index 10 (position 1)") {
		t.Errorf("out of range Subset: %v", err)
	}
	sl, err := s.Slice(2, 5)
	if err != nil || sl.N != 3 || sl.Label(0) != 2 || &sl.Images[0] != &s.Images[12] {
		t.Errorf("Slice: %+v %v", sl, err)
	}
	for _, r := range [][2]int{{-1, 2}, {3, 2}, {0, 11}} {
		if _, err := s.Slice(r[0], r[1]); err == nil {
			t.Errorf("Slice(%d, %d) gave no error", r[0], r[1])
		}
	}
}

func TestSplits(t *testing.T) {
	s := tinySet(t, 20)
	train, val, err := s.SplitLast(5)
	if err != nil || train.N != 15 || val.N != 5 || val.Label(0) != s.Label(15) {
		t.Fatalf("SplitLast: %d %d %v", train.N, val.N, err)
	}
	if _, _, err := s.SplitLast(21); err == nil {
		t.Error("SplitLast(21) of 20 gave no error")
	}
	a1, b1, err := s.SplitRandom(6, 42)
	if err != nil || a1.N != 14 || b1.N != 6 {
		t.Fatalf("SplitRandom: %v", err)
	}
	a2, b2, _ := s.SplitRandom(6, 42)
	_, b3, _ := s.SplitRandom(6, 43)
	if !slices.Equal(b1.Images, b2.Images) || !slices.Equal(a1.Images, a2.Images) {
		t.Error("same seed, different split")
	}
	if slices.Equal(b1.Images, b3.Images) {
		t.Error("different seeds, same split")
	}
	// Every image is distinct here, so the halves must partition the set.
	seen := map[string]int{}
	for _, part := range []*Set{a1, b1} {
		for i := range part.N {
			seen[string(part.Pixels(i))]++
		}
	}
	if len(seen) != 20 {
		t.Errorf("halves cover %d distinct images, want 20", len(seen))
	}
	if _, _, err := s.SplitRandom(-1, 1); err == nil {
		t.Error("SplitRandom(-1) gave no error")
	}
}

func TestStats(t *testing.T) {
	s, _ := NewSet([]uint8{0, 255, 0, 255}, []uint8{3, 3}, 1, 2)
	st := s.Stats()
	if st.Mean != 0.5 || math.Abs(st.Std-0.5) > 1e-12 || st.LabelCounts[3] != 2 || st.N != 2 {
		t.Errorf("Stats %+v", st)
	}
	if out := st.String(); !strings.Contains(out, "2 of 1x2") || !strings.Contains(out, "3:2") {
		t.Errorf("String:\n%s", out)
	}
	if m, sd := (&Set{}).PixelStats(); m != 0 || sd != 0 {
		t.Errorf("empty set stats %v %v", m, sd)
	}
}
