package onnx

import (
	"encoding/binary"
	"math"

	"github.com/pkg/errors"
	"gorgonia.org/tensor"

	pb "github.com/featlearn/featlearn/graph/onnx/internal/onnxpb"
)

// floatTensor returns a parameter's values as a FLOAT or DOUBLE
// initializer in raw little-endian form.
func floatTensor(name string, shape []int, t *tensor.Dense, dt pb.TensorProto_DataType) (*pb.TensorProto, error) {
	dims := make([]int64, len(shape))
	for i, d := range shape {
		dims[i] = int64(d)
	}
	var raw []byte
	switch t.Dtype() {
	case tensor.Float32:
		vs := t.Float32s()
		raw = make([]byte, 4*len(vs))
		for i, v := range vs {
			binary.LittleEndian.PutUint32(raw[4*i:], math.Float32bits(v))
		}
	case tensor.Float64:
		vs := t.Float64s()
		raw = make([]byte, 8*len(vs))
		for i, v := range vs {
			binary.LittleEndian.PutUint64(raw[8*i:], math.Float64bits(v))
		}
	default:
		return nil, errors.Errorf("parameter %s has dtype %v", name, t.Dtype())
	}
	return &pb.TensorProto{Name: ptr(name), Dims: dims, DataType: ptr(int32(dt)), RawData: raw}, nil
}

// int64Tensor returns a 1-D INT64 initializer, such as a Reshape's shape.
func int64Tensor(name string, vals []int64) *pb.TensorProto {
	return &pb.TensorProto{Name: ptr(name), Dims: []int64{int64(len(vals))}, DataType: ptr(int32(pb.TensorProto_INT64)),
		Int64Data: vals}
}

// tensorDims checks a tensor's dimensions and returns them with the
// number of elements, refusing before any allocation a tensor that holds
// more than MaxTensorElements.
func tensorDims(t *pb.TensorProto) ([]int, int, error) {
	if len(t.GetDims()) > maxRank {
		return nil, 0, errors.Errorf("%d dimensions: at most %d", len(t.GetDims()), maxRank)
	}
	dims := make([]int, len(t.GetDims()))
	n := 1
	for i, d := range t.GetDims() {
		if d < 0 || d > MaxTensorElements {
			return nil, 0, errors.Errorf("dimension %d of %v is out of range", i, t.GetDims())
		}
		dims[i] = int(d)
		if d != 0 && n > MaxTensorElements/int(d) {
			return nil, 0, errors.Errorf("dimensions %v hold more than %d values", t.GetDims(), MaxTensorElements)
		}
		n *= int(d)
	}
	return dims, n, nil
}

// readFloats returns the values of a FLOAT or DOUBLE tensor as float64,
// after checking that the data holds exactly the values the dimensions
// claim.
func readFloats(t *pb.TensorProto) ([]int, []float64, error) {
	if t.GetDataLocation() == pb.TensorProto_EXTERNAL || len(t.GetExternalData()) > 0 {
		return nil, nil, errors.New("data in an external file: keep the weights inside the model (save_as_external_data=False)")
	}
	if t.Segment != nil {
		return nil, nil, errors.New("segmented tensors are not supported")
	}
	dims, n, err := tensorDims(t)
	if err != nil {
		return nil, nil, err
	}
	raw := t.GetRawData()
	var size int
	var fromList int
	switch pb.TensorProto_DataType(t.GetDataType()) {
	case pb.TensorProto_FLOAT:
		size, fromList = 4, len(t.GetFloatData())
	case pb.TensorProto_DOUBLE:
		size, fromList = 8, len(t.GetDoubleData())
	default:
		return nil, nil, errors.Errorf("data type %s: want FLOAT or DOUBLE", dataTypeName(t.GetDataType()))
	}
	switch {
	case len(raw) > 0 && fromList > 0:
		return nil, nil, errors.New("both raw and typed data")
	case len(raw) > 0 && len(raw) != n*size:
		return nil, nil, errors.Errorf("%d bytes of data for dimensions %v (%d values of %d bytes)", len(raw), dims, n, size)
	case len(raw) == 0 && fromList != n:
		return nil, nil, errors.Errorf("%d values for dimensions %v (%d values)", fromList, dims, n)
	}
	out := make([]float64, n)
	switch {
	case len(raw) > 0 && size == 4:
		for i := range out {
			out[i] = float64(math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:])))
		}
	case len(raw) > 0:
		for i := range out {
			out[i] = math.Float64frombits(binary.LittleEndian.Uint64(raw[8*i:]))
		}
	case size == 4:
		for i, v := range t.GetFloatData() {
			out[i] = float64(v)
		}
	default:
		copy(out, t.GetDoubleData())
	}
	return dims, out, nil
}

// readInts returns the values of an INT64 or INT32 tensor, checked as
// readFloats checks floats.
func readInts(t *pb.TensorProto) ([]int, []int64, error) {
	if t.GetDataLocation() == pb.TensorProto_EXTERNAL || len(t.GetExternalData()) > 0 || t.Segment != nil {
		return nil, nil, errors.New("external or segmented data is not supported")
	}
	dims, n, err := tensorDims(t)
	if err != nil {
		return nil, nil, err
	}
	if n > maxIntElements {
		return nil, nil, errors.Errorf("an integer tensor of %d values: at most %d", n, maxIntElements)
	}
	raw := t.GetRawData()
	out := make([]int64, n)
	switch pb.TensorProto_DataType(t.GetDataType()) {
	case pb.TensorProto_INT64:
		switch {
		case len(raw) > 0 && len(raw) == 8*n && len(t.GetInt64Data()) == 0:
			for i := range out {
				out[i] = int64(binary.LittleEndian.Uint64(raw[8*i:]))
			}
		case len(raw) == 0 && len(t.GetInt64Data()) == n:
			copy(out, t.GetInt64Data())
		default:
			return nil, nil, errors.Errorf("data does not hold the %d values of dimensions %v", n, dims)
		}
	case pb.TensorProto_INT32:
		switch {
		case len(raw) > 0 && len(raw) == 4*n && len(t.GetInt32Data()) == 0:
			for i := range out {
				out[i] = int64(int32(binary.LittleEndian.Uint32(raw[4*i:])))
			}
		case len(raw) == 0 && len(t.GetInt32Data()) == n:
			for i, v := range t.GetInt32Data() {
				out[i] = int64(v)
			}
		default:
			return nil, nil, errors.Errorf("data does not hold the %d values of dimensions %v", n, dims)
		}
	default:
		return nil, nil, errors.Errorf("data type %s: want INT64 or INT32", dataTypeName(t.GetDataType()))
	}
	return dims, out, nil
}

// isFloatType says whether an ONNX data type is FLOAT or DOUBLE.
func isFloatType(dt int32) bool {
	return dt == int32(pb.TensorProto_FLOAT) || dt == int32(pb.TensorProto_DOUBLE)
}

// dataTypeName names an ONNX data type.
func dataTypeName(dt int32) string {
	if s, ok := pb.TensorProto_DataType_name[dt]; ok {
		return s
	}
	return "unknown"
}

// sameShape says whether two shapes are equal.
func sameShape(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
