package safetensors

import (
	"bytes"
	"strings"
	"testing"
)

// fuzzSeeds returns valid files, each truncated and with one header byte
// and one length byte damaged, plus the hand-written Python files.
func fuzzSeeds(t testing.TB) [][]byte {
	var seeds [][]byte
	for _, c := range pythonFiles {
		seeds = append(seeds, []byte(c.file))
	}
	sets := [][]Tensor{
		{F32("conv1.weight", []int{2, 1, 2, 2}, make([]float32, 8)), F32("conv1.bias", []int{2}, []float32{1, 2})},
		{F64("a", []int{0}, nil), {Name: "b", DType: "F4", Shape: []int{2}, Data: []byte{0x21}}, F64("c", nil, []float64{1})},
	}
	for _, ts := range sets {
		var buf bytes.Buffer
		if err := Write(&buf, ts, map[string]string{"format": "featlearn-checkpoint-v1", "epoch": "1"}); err != nil {
			t.Fatal(err)
		}
		good := buf.Bytes()
		seeds = append(seeds, good, good[:len(good)-3], good[:20], good[:8])
		for _, at := range []int{0, 12, 30, 60} {
			bad := bytes.Clone(good)
			bad[at] ^= 0x5a
			seeds = append(seeds, bad)
		}
	}
	return append(seeds, []byte{}, []byte(le64(2)+"{}"), []byte(le64(3)+"{} "), file(`{"__metadata__":null}`, nil))
}

// FuzzRead feeds arbitrary bytes to Read. It must never panic; every error
// must say it comes from this package; and whatever it accepts must be
// self-consistent and survive a Write and Read unchanged, with a second
// Write giving the same bytes as the first.
func FuzzRead(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := Read(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			if !strings.HasPrefix(err.Error(), "safetensors: ") {
				t.Fatalf("error %q does not say where it comes from", err)
			}
			return
		}
		for _, tn := range got.Tensors {
			if err := tn.check(); err != nil {
				t.Fatalf("accepted an inconsistent tensor: %v", err)
			}
		}
		first := rewrite(t, got)
		again, err := Read(bytes.NewReader(first), int64(len(first)))
		if err != nil {
			t.Fatalf("cannot read back what Write wrote: %v", err)
		}
		if len(again.Tensors) != len(got.Tensors) || !sameMetadata(again.Metadata, got.Metadata) {
			t.Fatalf("round trip changed the file: %d tensors, metadata %q", len(again.Tensors), again.Metadata)
		}
		for _, tn := range got.Tensors {
			if back, ok := again.Tensor(tn.Name); !ok || !sameTensor(back, tn) {
				t.Fatalf("round trip changed tensor %q", tn.Name)
			}
		}
		if second := rewrite(t, again); !bytes.Equal(first, second) {
			t.Fatal("writing the same tensors twice gave different bytes")
		}
	})
}

func rewrite(t *testing.T, f *File) []byte {
	var buf bytes.Buffer
	if err := Write(&buf, f.Tensors, f.Metadata); err != nil {
		t.Fatalf("cannot write what Read accepted: %v", err)
	}
	return buf.Bytes()
}
