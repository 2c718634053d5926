package datasets

import (
	"slices"
	"testing"
)

// epochIndices runs one epoch and returns the batches' indices.
func epochIndices(t *testing.T, b *Batcher) [][]int {
	t.Helper()
	var out [][]int
	for b.Next() {
		out = append(out, slices.Clone(b.Batch().Index))
	}
	return out
}

func TestBatcherSizes(t *testing.T) {
	s := tinySet(t, 10)
	for _, c := range []struct {
		dropLast bool
		sizes    []int
	}{{false, []int{4, 4, 2}}, {true, []int{4, 4}}} {
		b, err := NewBatcher(s, 4, 1, c.dropLast)
		if err != nil {
			t.Fatal(err)
		}
		var sizes []int
		for _, idx := range epochIndices(t, b) {
			sizes = append(sizes, len(idx))
		}
		if !slices.Equal(sizes, c.sizes) || b.BatchesPerEpoch() != len(c.sizes) || b.Epoch() != 1 {
			t.Errorf("dropLast %v: sizes %v, %d per epoch, epoch %d; want %v", c.dropLast, sizes,
				b.BatchesPerEpoch(), b.Epoch(), c.sizes)
		}
	}
}

func TestBatcherContents(t *testing.T) {
	s := tinySet(t, 10)
	b, _ := NewBatcher(s, 3, 7, false)
	seen := make([]int, s.N)
	for b.Next() {
		batch := b.Batch()
		if len(batch.X) != batch.N*s.Size() || len(batch.OneHot) != batch.N*Classes {
			t.Fatalf("batch of %d has %d pixels and %d one-hot values", batch.N, len(batch.X), len(batch.OneHot))
		}
		for j, i := range batch.Index {
			seen[i]++
			if !slices.Equal(batch.X[j*6:(j+1)*6], s.Float32s(i, nil)) {
				t.Errorf("pixels of example %d differ", i)
			}
			l := s.Label(i)
			if batch.Labels[j] != l || batch.Y[j] != float32(l) || batch.OneHot[j*Classes+l] != 1 {
				t.Errorf("labels of example %d: %d %v", i, batch.Labels[j], batch.Y[j])
			}
			var sum float32
			for _, v := range batch.OneHot[j*Classes : (j+1)*Classes] {
				sum += v
			}
			if sum != 1 {
				t.Errorf("one-hot row %d sums to %v", j, sum)
			}
		}
	}
	for i, n := range seen {
		if n != 1 {
			t.Errorf("example %d seen %d times in an epoch", i, n)
		}
	}
}

func TestBatcherDeterminism(t *testing.T) {
	s := tinySet(t, 50)
	run := func(seed uint64) [][][]int {
		b, _ := NewBatcher(s, 8, seed, true)
		return [][][]int{epochIndices(t, b), epochIndices(t, b), epochIndices(t, b)}
	}
	a, again, other := run(3), run(3), run(4)
	if !slices.EqualFunc(a, again, equalBatches) {
		t.Error("same seed, different batches")
	}
	if equalBatches(a[0], a[1]) {
		t.Error("two epochs in the same order")
	}
	if equalBatches(a[0], other[0]) {
		t.Error("different seeds, same order")
	}
	b, _ := NewBatcher(s, 8, 3, true)
	epochIndices(t, b)
	b.Reset()
	if got := epochIndices(t, b); !equalBatches(got, a[0]) || b.Epoch() != 1 {
		t.Error("Reset does not repeat the first epoch")
	}
}

func equalBatches(a, b [][]int) bool { return slices.EqualFunc(a, b, slices.Equal) }

func TestSequentialBatcher(t *testing.T) {
	s := tinySet(t, 7)
	b, err := NewSequentialBatcher(s, 3)
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		got := epochIndices(t, b)
		if !equalBatches(got, [][]int{{0, 1, 2}, {3, 4, 5}, {6}}) {
			t.Errorf("sequential batches %v", got)
		}
	}
}

func TestBatcherNextInto(t *testing.T) {
	s := tinySet(t, 10)
	b, _ := NewSequentialBatcher(s, 4)
	small := NewBatch(1, 1, 1)
	if !b.NextInto(small) || small.N != 4 || len(small.X) != 24 || small.Labels[3] != 3 {
		t.Errorf("NextInto a too small batch: %+v", small)
	}
	own := NewBatch(4, 3, 2)
	x := &own.X[0]
	for b.NextInto(own) {
		if &own.X[0] != x {
			t.Error("NextInto reallocated a large enough batch")
		}
	}
}

func TestBatcherErrors(t *testing.T) {
	s := tinySet(t, 5)
	for name, f := range map[string]func() (*Batcher, error){
		"nil set":       func() (*Batcher, error) { return NewBatcher(nil, 2, 1, false) },
		"empty set":     func() (*Batcher, error) { return NewBatcher(&Set{Rows: 1, Cols: 1}, 2, 1, false) },
		"zero size":     func() (*Batcher, error) { return NewSequentialBatcher(s, 0) },
		"dropLast size": func() (*Batcher, error) { return NewBatcher(s, 6, 1, true) },
	} {
		if _, err := f(); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func TestBatcherZeroAllocs(t *testing.T) {
	s := tinySet(t, 100)
	b, _ := NewBatcher(s, 16, 1, false)
	if allocs := testing.AllocsPerRun(500, func() { b.Next() }); allocs != 0 {
		t.Errorf("Next allocates %v times per call, across epochs", allocs)
	}
}

func BenchmarkBatcherNext(b *testing.B) {
	m := realMNIST(b)
	bt, err := NewBatcher(m.Train, 64, 1, true)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.SetBytes(64 * 784)
	for b.Loop() {
		bt.Next()
	}
}
