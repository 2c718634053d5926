// Package safetensors reads and writes the safetensors format of Hugging
// Face (https://github.com/huggingface/safetensors), the checkpoint format
// PyTorch, JAX and most model hubs exchange weights in.
//
// A file is an 8-byte little-endian header length N, N bytes of JSON
// header, then the raw tensor bytes. The header maps each tensor name to
// {"dtype", "shape", "data_offsets": [begin, end]}, offsets counted from
// the first byte after the header, and may hold "__metadata__", a map of
// string to string. Tensor data is little-endian and row-major (C order).
//
// Write lays tensors out the way the Python library does, so a file it
// writes is byte for byte what safetensors.numpy.save_file writes for the
// same tensors and at most one metadata entry (Python's metadata order is
// a hash order): data sorted by descending dtype alignment, then by name;
// header entries in data order after "__metadata__"; header padded with
// spaces to a multiple of 8 bytes so every tensor starts aligned. Read
// accepts any valid file, whatever its order, and checks every header
// field before it allocates room for the data.
//
// The package is standalone: it knows bytes, dtypes and shapes, not
// gorgonia or featlearn models.
package safetensors

import (
	"encoding/binary"
	"math"
	"math/bits"
	"unicode/utf8"

	"github.com/pkg/errors"
)

// Tensor is one named tensor of a file: its dtype as safetensors spells it
// ("F32", "F64", "I64", ...), its shape and its raw little-endian bytes.
type Tensor struct {
	Name  string
	DType string
	Shape []int
	Data  []byte
}

// F32 returns a float32 tensor holding v, which should have as many values
// as shape describes (Write checks that it does).
func F32(name string, shape []int, v []float32) Tensor {
	data := make([]byte, 0, 4*len(v))
	for _, x := range v {
		data = binary.LittleEndian.AppendUint32(data, math.Float32bits(x))
	}
	return Tensor{Name: name, DType: "F32", Shape: append([]int{}, shape...), Data: data}
}

// F64 returns a float64 tensor holding v, which should have as many values
// as shape describes (Write checks that it does).
func F64(name string, shape []int, v []float64) Tensor {
	data := make([]byte, 0, 8*len(v))
	for _, x := range v {
		data = binary.LittleEndian.AppendUint64(data, math.Float64bits(x))
	}
	return Tensor{Name: name, DType: "F64", Shape: append([]int{}, shape...), Data: data}
}

// Float32s decodes an F32 tensor. Other dtypes are an error rather than a
// silent rounding.
func (t Tensor) Float32s() ([]float32, error) {
	if t.DType != "F32" {
		return nil, errors.Errorf("tensor %q is %s, not F32", t.Name, t.DType)
	}
	if err := t.checkData(); err != nil {
		return nil, err
	}
	out := make([]float32, len(t.Data)/4)
	for i := range out {
		out[i] = math.Float32frombits(binary.LittleEndian.Uint32(t.Data[4*i:]))
	}
	return out, nil
}

// Float64s decodes an F64 tensor, or an F32 one widened exactly.
func (t Tensor) Float64s() ([]float64, error) {
	if t.DType == "F32" {
		v, err := t.Float32s()
		if err != nil {
			return nil, err
		}
		out := make([]float64, len(v))
		for i, x := range v {
			out[i] = float64(x)
		}
		return out, nil
	}
	if t.DType != "F64" {
		return nil, errors.Errorf("tensor %q is %s, not F64 or F32", t.Name, t.DType)
	}
	if err := t.checkData(); err != nil {
		return nil, err
	}
	out := make([]float64, len(t.Data)/8)
	for i := range out {
		out[i] = math.Float64frombits(binary.LittleEndian.Uint64(t.Data[8*i:]))
	}
	return out, nil
}

// check validates everything Write relies on: a usable name and data that
// matches the dtype and shape.
func (t Tensor) check() error {
	if err := checkName(t.Name); err != nil {
		return err
	}
	return t.checkData()
}

// checkName rejects names a file cannot hold unambiguously.
func checkName(name string) error {
	switch {
	case name == "":
		return errors.New("a tensor has an empty name")
	case name == metadataKey:
		return errors.Errorf("tensor name %q is reserved for the metadata", name)
	case !utf8.ValidString(name):
		return errors.Errorf("tensor name %q is not valid UTF-8", name)
	}
	return nil
}

// checkData checks the dtype is known and Data has exactly the bytes the
// shape needs.
func (t Tensor) checkData() error {
	d, ok := dtypes[t.DType]
	if !ok {
		return errors.Errorf("tensor %q: unknown dtype %q", t.Name, t.DType)
	}
	dims := make([]uint64, len(t.Shape))
	for i, n := range t.Shape {
		if n < 0 {
			return errors.Errorf("tensor %q: shape %v has a negative dimension", t.Name, t.Shape)
		}
		dims[i] = uint64(n)
	}
	size, err := byteSize(d, dims)
	if err != nil {
		return errors.Wrapf(err, "tensor %q: shape %v", t.Name, t.Shape)
	}
	if uint64(len(t.Data)) != size {
		return errors.Errorf("tensor %q: %s shape %v needs %d bytes, data has %d", t.Name, t.DType, t.Shape, size, len(t.Data))
	}
	return nil
}

// byteSize returns the number of bytes of a tensor of dtype d and shape
// dims. It multiplies left to right and fails on the first overflow, as
// the Rust reference does, so a zero later in the shape does not excuse
// an overflow earlier.
func byteSize(d dtype, dims []uint64) (uint64, error) {
	n := uint64(1)
	for _, k := range dims {
		if k > math.MaxInt {
			return 0, errors.Errorf("dimension %d is too large", k)
		}
		hi, lo := bits.Mul64(n, k)
		if hi != 0 || lo > math.MaxInt {
			return 0, errors.New("element count overflows")
		}
		n = lo
	}
	hi, nbits := bits.Mul64(n, d.bits)
	if hi != 0 {
		return 0, errors.New("bit count overflows")
	}
	if nbits%8 != 0 {
		return 0, errors.Errorf("%d elements of %d bits do not fill whole bytes", n, d.bits)
	}
	return nbits / 8, nil
}
