package safetensors

import (
	"bytes"
	"encoding/binary"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// file builds a safetensors file from a header and data section.
func file(header string, data []byte) []byte {
	return append([]byte(le64(len(header))+header), data...)
}

// entry1 is the header of one F32 tensor "w" of shape [2] at [0, 8].
const entry1 = `{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}`

func TestReadRejectsDamagedFiles(t *testing.T) {
	eight := make([]byte, 8)
	cases := []struct {
		name string
		file []byte
		want []string
	}{
		{"short", []byte{1, 0, 0}, []string{"3 bytes", "too short"}},
		{"header length 0", []byte(le64(0)), []string{"header length 0", "too small"}},
		{"header length 1", []byte(le64(1) + "{"), []string{"header length 1"}},
		{"header over 100 MB", []byte(le64(100_000_001) + "{}"), []string{"100000001", "limit"}},
		{"header past the end", []byte(le64(50) + "{}"), []string{"header length 50", "10-byte file"}},
		{"truncated header", file(entry1, eight)[:30], []string{"runs past the end"}},
		{"not UTF-8", file("{\"\xff\":1}", nil), []string{"UTF-8"}},
		{"not an object", file("[1, 2]", nil), []string{"not a JSON object"}},
		{"bad JSON", file(`{"w":{"dtype":"F32",}}`, nil), []string{"tensor \"w\""}},
		{"unterminated", file(`{"w":`, nil), []string{"tensor \"w\""}},
		{"trailing data", file(entry1+"x", eight), []string{"trailing data"}},
		{"two objects", file("{}{}", nil), []string{"trailing data"}},
		{"duplicate tensor", file(`{"w":{"dtype":"U8","shape":[],"data_offsets":[0,1]},"w":{"dtype":"U8","shape":[],"data_offsets":[1,2]}}`, []byte{1, 2}), []string{`"w" twice`}},
		{"empty name", file(`{"":{"dtype":"U8","shape":[],"data_offsets":[0,1]}}`, []byte{1}), []string{"empty name"}},
		{"tensor not an object", file(`{"w":[1]}`, nil), []string{`tensor "w"`}},
		{"unknown dtype", file(`{"w":{"dtype":"F128","shape":[1],"data_offsets":[0,16]}}`, make([]byte, 16)), []string{`"w"`, `unknown dtype "F128"`}},
		{"dtype not a string", file(`{"w":{"dtype":4,"shape":[1],"data_offsets":[0,4]}}`, make([]byte, 4)), []string{`"w"`, "unknown dtype 4"}},
		{"negative dimension", file(`{"w":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}`, make([]byte, 4)), []string{`"w"`, "shape holds -1"}},
		{"fractional dimension", file(`{"w":{"dtype":"F32","shape":[1.5],"data_offsets":[0,4]}}`, make([]byte, 4)), []string{`"w"`, "not a non-negative integer"}},
		{"shape null", file(`{"w":{"dtype":"F32","shape":null,"data_offsets":[0,4]}}`, make([]byte, 4)), []string{`"w" shape`}},
		{"shape overflow", file(`{"w":{"dtype":"F32","shape":[4294967296,4294967296,0],"data_offsets":[0,0]}}`, nil), []string{`"w"`, "overflows"}},
		{"huge dimension", file(`{"w":{"dtype":"F32","shape":[0,18446744073709551615],"data_offsets":[0,0]}}`, nil), []string{`"w"`, "too large"}},
		{"dimension beyond uint64", file(`{"w":{"dtype":"F32","shape":[18446744073709551616],"data_offsets":[0,0]}}`, nil), []string{`"w"`, "not a non-negative integer"}},
		{"size mismatch", file(`{"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}`, eight), []string{`"w"`, "needs 12 bytes", "hold 8"}},
		{"end before begin", file(`{"w":{"dtype":"F32","shape":[0],"data_offsets":[8,0]}}`, eight), []string{`"w"`, "end before they begin"}},
		{"past the data", file(entry1, eight[:4]), []string{`"w"`, "run past the 4-byte data section"}},
		{"three offsets", file(`{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8,8]}}`, eight), []string{`"w"`, "3 numbers"}},
		{"missing offsets", file(`{"w":{"dtype":"F32","shape":[2]}}`, eight), []string{`"w"`, `no "data_offsets"`}},
		{"missing dtype", file(`{"w":{"shape":[2],"data_offsets":[0,8]}}`, eight), []string{`"w"`, `no "dtype"`}},
		{"unknown field", file(`{"w":{"dtype":"F32","shape":[2],"offsets":[0,8]}}`, eight), []string{`"w"`, `unknown field "offsets"`}},
		{"field twice", file(`{"w":{"dtype":"F32","dtype":"F32","shape":[2],"data_offsets":[0,8]}}`, eight), []string{`"w"`, `"dtype" twice`}},
		{"gap", file(`{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"b":{"dtype":"U8","shape":[1],"data_offsets":[2,3]}}`, []byte{1, 2, 3}), []string{`"b"`, "gap of 1 bytes"}},
		{"leading gap", file(`{"a":{"dtype":"U8","shape":[1],"data_offsets":[1,2]}}`, []byte{1, 2}), []string{`"a"`, "gap"}},
		{"overlap", file(`{"a":{"dtype":"U8","shape":[2],"data_offsets":[0,2]},"b":{"dtype":"U8","shape":[2],"data_offsets":[1,3]}}`, []byte{1, 2, 3}), []string{`"b"`, `overlap tensor "a"`}},
		{"same bytes twice", file(`{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"b":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}`, []byte{1}), []string{`"b"`, `overlap tensor "a"`}},
		{"trailing bytes", file(entry1, append(eight, 0)), []string{"cover 8 bytes of the 9-byte data section"}},
		{"data but no tensors", file(`{}`, eight), []string{"cover 0 bytes of the 8-byte"}},
		{"metadata not strings", file(`{"__metadata__":{"epoch":3}}`, nil), []string{`metadata "epoch"`, "not a string"}},
		{"metadata nested", file(`{"__metadata__":{"a":{"b":"c"}}}`, nil), []string{`metadata "a"`, "not a string"}},
		{"metadata array", file(`{"__metadata__":["a"]}`, nil), []string{"metadata", "not an object"}},
		{"metadata twice", file(`{"__metadata__":{},"__metadata__":{}}`, nil), []string{`"__metadata__" twice`}},
		{"metadata key twice", file(`{"__metadata__":{"a":"1","a":"2"}}`, nil), []string{`metadata has "a" twice`}},
	}
	for _, c := range cases {
		_, err := Read(bytes.NewReader(c.file), int64(len(c.file)))
		if err == nil {
			t.Errorf("%s: no error", c.name)
			continue
		}
		for _, w := range append(c.want, "safetensors: ") {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error %q does not mention %q", c.name, err, w)
			}
		}
	}
}

func TestReadAcceptsEdgeCases(t *testing.T) {
	cases := []struct {
		name string
		file []byte
	}{
		{"metadata null", file(`{"__metadata__":null}`, nil)},
		{"empty tensor", file(`{"e":{"dtype":"F64","shape":[0,3],"data_offsets":[0,0]}}`, nil)},
		{"empty tensors sharing an offset", file(`{"e":{"dtype":"F64","shape":[0],"data_offsets":[1,1]},"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"f":{"dtype":"I32","shape":[0],"data_offsets":[1,1]}}`, []byte{9})},
		{"sub-byte dtype", file(`{"q":{"dtype":"F4","shape":[2,3],"data_offsets":[0,3]}}`, []byte{1, 2, 3})},
		{"escaped name", file(`{"a\"b\u00e9\n":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}`, []byte{1})},
		{"tab and newline padding", file("{}\t\n\r ", nil)},
	}
	for _, c := range cases {
		if _, err := Read(bytes.NewReader(c.file), int64(len(c.file))); err != nil {
			t.Errorf("%s: %v", c.name, err)
		}
	}
}

func TestSubByteDtypeMustFillBytes(t *testing.T) {
	f := file(`{"q":{"dtype":"F6_E2M3","shape":[3],"data_offsets":[0,2]}}`, []byte{1, 2})
	_, err := Read(bytes.NewReader(f), int64(len(f)))
	if err == nil || !strings.Contains(err.Error(), "whole bytes") {
		t.Errorf("3 six-bit values: error %v", err)
	}
}

// claimedReader serves a small file but claims a huge size, as a hostile
// or damaged source could.
type claimedReader struct{ b []byte }

func (r claimedReader) ReadAt(p []byte, off int64) (int, error) {
	if off >= int64(len(r.b)) {
		return 0, io.EOF
	}
	n := copy(p, r.b[off:])
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

// TestReadChecksBeforeAllocating gives Read a header that promises a
// terabyte of data: it must refuse from the header alone, not try to
// allocate the data section first.
func TestReadChecksBeforeAllocating(t *testing.T) {
	r := claimedReader{file(entry1, make([]byte, 8))}
	_, err := Read(r, 1<<40)
	if err == nil || !strings.Contains(err.Error(), "cover 8 bytes") {
		t.Fatalf("error %v", err)
	}
	// A header that does tile the claimed size, but a source that ends
	// early: an error, not a short tensor.
	big := `{"w":{"dtype":"U8","shape":[1000],"data_offsets":[0,1000]}}`
	r = claimedReader{file(big, make([]byte, 10))}
	_, err = Read(r, int64(8+len(big)+1000))
	if err == nil || !strings.Contains(err.Error(), "unexpected EOF") {
		t.Fatalf("short source: error %v", err)
	}
}

func TestReadFileNamesThePath(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "bad.safetensors")
	if err := os.WriteFile(path, file(entry1, make([]byte, 4)), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := ReadFile(path)
	if err == nil || !strings.HasPrefix(err.Error(), path+": ") || !strings.Contains(err.Error(), `tensor "w"`) {
		t.Errorf("error %v does not name the file and the tensor", err)
	}
	if _, err := ReadFile(filepath.Join(dir, "missing")); err == nil || !strings.Contains(err.Error(), "missing") {
		t.Errorf("missing file: %v", err)
	}
	if _, err := ReadFile(dir); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("directory: %v", err)
	}
}

func TestReadDataDoesNotAlias(t *testing.T) {
	var buf bytes.Buffer
	ts := []Tensor{F32("a", []int{1}, []float32{1}), F32("b", []int{1}, []float32{2})}
	if err := Write(&buf, ts, nil); err != nil {
		t.Fatal(err)
	}
	f, err := Read(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	// Appending to one tensor's data must not overwrite its neighbour.
	_ = append(f.Tensors[0].Data, 0xff, 0xff, 0xff, 0xff)
	if v, _ := f.Tensors[1].Float32s(); v[0] != 2 {
		t.Errorf("b = %v after appending to a", v)
	}
	if binary.LittleEndian.Uint32(f.Tensors[0].Data) != 0x3f800000 {
		t.Errorf("a changed")
	}
}
