package safetensors

import (
	"bytes"
	"encoding/binary"
	"testing"
)

// le64 is the 8-byte little-endian header length.
func le64(n int) string {
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], uint64(n))
	return string(b[:])
}

// pythonFiles are files written out by hand from the format specification,
// as Python's safetensors.numpy.save_file writes them: compact JSON, the
// metadata first, tensors in data order (descending dtype alignment, then
// name), the header padded with spaces to a multiple of 8.
var pythonFiles = []struct {
	name     string
	file     string
	tensors  []Tensor
	metadata map[string]string
}{
	{
		// save_file({"attn.0": np.arange(6, dtype=np.float32).reshape(1, 2, 3)})
		name: "one f32, header already a multiple of 8",
		file: le64(64) + `{"attn.0":{"dtype":"F32","shape":[1,2,3],"data_offsets":[0,24]}}` +
			"\x00\x00\x00\x00\x00\x00\x80\x3f\x00\x00\x00\x40\x00\x00\x40\x40\x00\x00\x80\x40\x00\x00\xa0\x40",
		tensors: []Tensor{F32("attn.0", []int{1, 2, 3}, []float32{0, 1, 2, 3, 4, 5})},
	},
	{
		// save_file({"attn0": np.arange(6, dtype=np.float32).reshape(1, 1, 2, 3)})
		name: "one f32, header padded",
		file: le64(72) + `{"attn0":{"dtype":"F32","shape":[1,1,2,3],"data_offsets":[0,24]}}` + "       " +
			"\x00\x00\x00\x00\x00\x00\x80\x3f\x00\x00\x00\x40\x00\x00\x40\x40\x00\x00\x80\x40\x00\x00\xa0\x40",
		tensors: []Tensor{F32("attn0", []int{1, 1, 2, 3}, []float32{0, 1, 2, 3, 4, 5})},
	},
	{
		name:     "no tensors, metadata",
		file:     le64(40) + `{"__metadata__":{"framework":"pt"}}` + "     ",
		metadata: map[string]string{"framework": "pt"},
	},
	{
		name: "no tensors, no metadata",
		file: le64(8) + "{}      ",
	},
	{
		// save_file({"w": np.float64 [[1.5]], "b": np.float32 [-2], "step": np.int64 [7]},
		// metadata={"format": "pt"}): I64 before F64 before F32.
		name: "mixed dtypes sorted by alignment then name",
		file: le64(200) + `{"__metadata__":{"format":"pt"},"step":{"dtype":"I64","shape":[1],"data_offsets":[0,8]},` +
			`"w":{"dtype":"F64","shape":[1,1],"data_offsets":[8,16]},"b":{"dtype":"F32","shape":[1],"data_offsets":[16,20]}}` + " " + // 199 bytes of JSON, one space
			"\x07\x00\x00\x00\x00\x00\x00\x00" + "\x00\x00\x00\x00\x00\x00\xf8\x3f" + "\x00\x00\x00\xc0",
		tensors: []Tensor{
			F64("w", []int{1, 1}, []float64{1.5}),
			F32("b", []int{1}, []float32{-2}),
			{Name: "step", DType: "I64", Shape: []int{1}, Data: []byte{7, 0, 0, 0, 0, 0, 0, 0}},
		},
		metadata: map[string]string{"format": "pt"},
	},
}

func TestWriteMatchesPython(t *testing.T) {
	for _, c := range pythonFiles {
		var buf bytes.Buffer
		if err := Write(&buf, c.tensors, c.metadata); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if got := buf.String(); got != c.file {
			t.Errorf("%s:\n got %q\nwant %q", c.name, got, c.file)
		}
	}
}

func TestReadPythonFiles(t *testing.T) {
	for _, c := range pythonFiles {
		f, err := Read(bytes.NewReader([]byte(c.file)), int64(len(c.file)))
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if len(f.Tensors) != len(c.tensors) {
			t.Fatalf("%s: %d tensors, want %d", c.name, len(f.Tensors), len(c.tensors))
		}
		for _, want := range c.tensors {
			got, ok := f.Tensor(want.Name)
			if !ok || !sameTensor(got, want) {
				t.Errorf("%s: tensor %q = %+v, want %+v", c.name, want.Name, got, want)
			}
		}
		if !sameMetadata(f.Metadata, c.metadata) {
			t.Errorf("%s: metadata %v, want %v", c.name, f.Metadata, c.metadata)
		}
		var again bytes.Buffer
		if err := Write(&again, f.Tensors, f.Metadata); err != nil || again.String() != c.file {
			t.Errorf("%s: rewriting what was read changed the bytes (err %v)", c.name, err)
		}
	}
}

// TestReadAnyOrder reads a valid file that no Python version writes: header
// keys out of data order, tensors laid out by name rather than alignment,
// whitespace in the JSON and no padding.
func TestReadAnyOrder(t *testing.T) {
	header := `{ "b" : {"shape":[2],"data_offsets":[1,9],"dtype":"F32"},` +
		` "a": {"data_offsets":[0,1],"dtype":"U8","shape":[]}, "__metadata__": {"k":"v"} }`
	data := append([]byte{42}, F32("b", []int{2}, []float32{1, -1}).Data...)
	file := append([]byte(le64(len(header))+header), data...)
	f, err := Read(bytes.NewReader(file), int64(len(file)))
	if err != nil {
		t.Fatal(err)
	}
	if f.Tensors[0].Name != "a" || f.Tensors[1].Name != "b" {
		t.Errorf("tensors not in data order: %q, %q", f.Tensors[0].Name, f.Tensors[1].Name)
	}
	if v, _ := f.Tensors[1].Float32s(); len(v) != 2 || v[0] != 1 || v[1] != -1 {
		t.Errorf("b = %v", v)
	}
	if a := f.Tensors[0]; len(a.Shape) != 0 || len(a.Data) != 1 || a.Data[0] != 42 {
		t.Errorf("scalar a = %+v", a)
	}
	if f.Metadata["k"] != "v" {
		t.Errorf("metadata %v", f.Metadata)
	}
}

func sameTensor(a, b Tensor) bool {
	if a.Name != b.Name || a.DType != b.DType || len(a.Shape) != len(b.Shape) || !bytes.Equal(a.Data, b.Data) {
		return false
	}
	for i := range a.Shape {
		if a.Shape[i] != b.Shape[i] {
			return false
		}
	}
	return true
}

func sameMetadata(a, b map[string]string) bool {
	if (a == nil) != (b == nil) || len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}
