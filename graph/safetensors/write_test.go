package safetensors

import (
	"bytes"
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRoundTrip(t *testing.T) {
	nan := math.Float32frombits(0x7fc00123) // a NaN with a payload, kept bit for bit
	in := []Tensor{
		F32("conv1.weight", []int{2, 1, 2, 2}, []float32{1, -2, 3.5, 0, float32(math.Inf(-1)), nan, float32(math.Copysign(0, -1)), 1e-30}),
		F64("fc.bias", []int{3}, []float64{math.Pi, -1, math.SmallestNonzeroFloat64}),
		F64("scalar", nil, []float64{7}),
		F32("empty", []int{0, 4}, nil),
		{Name: "labels", DType: "U8", Shape: []int{3}, Data: []byte{0, 9, 4}},
		{Name: "half", DType: "BF16", Shape: []int{2}, Data: []byte{0x80, 0x3f, 0x00, 0xc0}},
	}
	meta := map[string]string{"model": "lenet", "config": `{"a":1}`, "note": "<&> é \x01"}
	var buf bytes.Buffer
	if err := Write(&buf, in, meta); err != nil {
		t.Fatal(err)
	}
	if (buf.Len()-8-len(allData(in)))%8 != 0 {
		t.Errorf("header not padded to a multiple of 8")
	}
	f, err := Read(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range in {
		got, ok := f.Tensor(want.Name)
		if !ok || !sameTensor(got, want) || got.Shape == nil {
			t.Errorf("%s: got %+v, want %+v", want.Name, got, want)
		}
	}
	if !sameMetadata(f.Metadata, meta) {
		t.Errorf("metadata %q, want %q", f.Metadata, meta)
	}
	w, _ := f.Tensor("conv1.weight")
	v, err := w.Float32s()
	if err != nil || math.Float32bits(v[5]) != 0x7fc00123 || math.Float32bits(v[6]) != 0x80000000 {
		t.Errorf("float32 bits not kept: %v %v", v, err)
	}
}

func allData(ts []Tensor) []byte {
	var b []byte
	for _, t := range ts {
		b = append(b, t.Data...)
	}
	return b
}

// TestTensorsAligned checks the point of Python's ordering: after the
// padded header every tensor starts at a multiple of its element size.
func TestTensorsAligned(t *testing.T) {
	in := []Tensor{
		{Name: "a", DType: "U8", Shape: []int{3}, Data: []byte{1, 2, 3}},
		F32("b", []int{1}, []float32{1}),
		F64("c", []int{1}, []float64{1}),
		{Name: "d", DType: "I16", Shape: []int{1}, Data: []byte{1, 0}},
	}
	var buf bytes.Buffer
	if err := Write(&buf, in, nil); err != nil {
		t.Fatal(err)
	}
	f, err := Read(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	off := 0
	for _, tn := range f.Tensors {
		if size := int(dtypes[tn.DType].bits / 8); off%size != 0 {
			t.Errorf("%s (%s) starts at data byte %d", tn.Name, tn.DType, off)
		}
		off += len(tn.Data)
	}
	if order := []string{f.Tensors[0].Name, f.Tensors[1].Name, f.Tensors[2].Name, f.Tensors[3].Name}; strings.Join(order, "") != "cbda" {
		t.Errorf("data order %v, want c b d a", order)
	}
}

func TestHeaderEscapesLikeSerde(t *testing.T) {
	var buf bytes.Buffer
	err := Write(&buf, []Tensor{{Name: "q\"\\<é>\n\x1f", DType: "U8", Shape: []int{}, Data: []byte{1}}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"q\"\\<é>\n\u001f":{"dtype":"U8","shape":[],"data_offsets":[0,1]}}`
	if got := strings.TrimRight(buf.String()[8:buf.Len()-1], " "); got != want {
		t.Errorf("header %s, want %s", got, want)
	}
}

func TestWriteRejectsBadTensors(t *testing.T) {
	ok := F32("ok", []int{1}, []float32{1})
	cases := []struct {
		name    string
		tensors []Tensor
		want    string
	}{
		{"duplicate", []Tensor{ok, ok}, `two tensors are named "ok"`},
		{"empty name", []Tensor{F32("", []int{1}, []float32{1})}, "empty name"},
		{"reserved name", []Tensor{F32("__metadata__", []int{1}, []float32{1})}, "reserved"},
		{"bad UTF-8 name", []Tensor{F32("\xff", []int{1}, []float32{1})}, "UTF-8"},
		{"unknown dtype", []Tensor{{Name: "x", DType: "F128", Shape: []int{1}, Data: make([]byte, 16)}}, `unknown dtype "F128"`},
		{"too few values", []Tensor{F32("x", []int{2, 2}, []float32{1, 2, 3})}, `tensor "x": F32 shape [2 2] needs 16 bytes, data has 12`},
		{"negative dimension", []Tensor{{Name: "x", DType: "U8", Shape: []int{-1}}}, "negative"},
	}
	for _, c := range cases {
		err := Write(io.Discard, c.tensors, nil)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want %q", c.name, err, c.want)
		}
	}
	if err := Write(io.Discard, nil, map[string]string{"k": "\xff"}); err == nil {
		t.Error("metadata that is not UTF-8 was written")
	}
}

func TestFloatConversions(t *testing.T) {
	f32 := F32("a", []int{2}, []float32{1.5, -3})
	if v, err := f32.Float64s(); err != nil || v[0] != 1.5 || v[1] != -3 {
		t.Errorf("F32 widened: %v %v", v, err)
	}
	f64 := F64("b", []int{1}, []float64{0.1})
	if _, err := f64.Float32s(); err == nil || !strings.Contains(err.Error(), `"b" is F64, not F32`) {
		t.Errorf("F64 as float32: %v", err)
	}
	i64 := Tensor{Name: "c", DType: "I64", Shape: []int{1}, Data: make([]byte, 8)}
	if _, err := i64.Float64s(); err == nil {
		t.Error("I64 converted to float64")
	}
	short := Tensor{Name: "d", DType: "F32", Shape: []int{2}, Data: make([]byte, 6)}
	if _, err := short.Float32s(); err == nil {
		t.Error("6 bytes decoded as two float32s")
	}
}

// failAfter is a writer that accepts n bytes and then fails, as a full
// disk would.
type failAfter struct {
	w io.Writer
	n int
}

var errDiskFull = errors.New("disk full")

func (f *failAfter) Write(p []byte) (int, error) {
	if len(p) > f.n {
		k, _ := f.w.Write(p[:f.n])
		f.n = 0
		return k, errDiskFull
	}
	f.n -= len(p)
	return f.w.Write(p)
}

func TestWriteFileFailureKeepsOldFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "model.safetensors")
	old := []Tensor{F32("w", []int{2}, []float32{1, 2})}
	if err := WriteFile(path, old, map[string]string{"epoch": "1"}); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(path)
	big := []Tensor{F32("w", []int{1 << 18}, make([]float32, 1<<18))}
	for _, n := range []int{0, 5, 100, 1 << 19} {
		testHookWriter = func(w io.Writer) io.Writer { return &failAfter{w: w, n: n} }
		err := WriteFile(path, big, map[string]string{"epoch": "2"})
		testHookWriter = nil
		if !errors.Is(err, errDiskFull) || !strings.Contains(err.Error(), path) {
			t.Fatalf("failing after %d bytes: error %v", n, err)
		}
		after, _ := os.ReadFile(path)
		if !bytes.Equal(before, after) {
			t.Fatalf("failing after %d bytes changed the old file", n)
		}
		onlyFile(t, dir, "model.safetensors")
	}
	if f, err := ReadFile(path); err != nil || f.Metadata["epoch"] != "1" {
		t.Errorf("old checkpoint unreadable: %v", err)
	}
}

func TestWriteFileInvalidTensorsTouchNothing(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "m.safetensors")
	err := WriteFile(path, []Tensor{F32("x", []int{3}, []float32{1})}, nil)
	if err == nil || !strings.HasPrefix(err.Error(), path+": ") {
		t.Errorf("error %v does not name the file", err)
	}
	onlyFile(t, dir)
	if err := WriteFile(filepath.Join(dir, "no", "such", "dir.safetensors"), nil, nil); err == nil {
		t.Error("wrote into a missing directory")
	}
}

func TestWriteFileReplacesAndKeepsMode(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "m.safetensors")
	if err := WriteFile(path, []Tensor{F32("a", []int{1}, []float32{1})}, nil); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o644 {
		t.Errorf("new file mode %v, want 0644", fi.Mode().Perm())
	}
	if err := os.Chmod(path, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(path, []Tensor{F32("b", []int{1}, []float32{2})}, nil); err != nil {
		t.Fatal(err)
	}
	f, err := ReadFile(path)
	if err != nil || len(f.Tensors) != 1 || f.Tensors[0].Name != "b" {
		t.Fatalf("replaced file: %+v %v", f, err)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Errorf("replaced file mode %v, want the old 0600", fi.Mode().Perm())
	}
	onlyFile(t, dir, "m.safetensors")
}

// onlyFile fails unless dir holds exactly the named files: no temporary
// file is left behind.
func onlyFile(t *testing.T, dir string, names ...string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range entries {
		got = append(got, e.Name())
	}
	if strings.Join(got, ",") != strings.Join(names, ",") {
		t.Errorf("directory holds %v, want %v", got, names)
	}
}
