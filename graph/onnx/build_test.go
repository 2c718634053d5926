package onnx

import (
	"math/rand/v2"
	"testing"

	"google.golang.org/protobuf/proto"

	pb "github.com/featlearn/featlearn/graph/onnx/internal/onnxpb"
)

// gb builds ONNX graphs by hand for the import tests.
type gb struct {
	g     *pb.GraphProto
	opset int64
	rng   *rand.Rand
}

// newGraph starts a graph of one float input "x" of the given dimensions,
// -1 for a dynamic one, whose output will be "y".
func newGraph(opset int64, dims ...int64) *gb {
	b := &gb{g: &pb.GraphProto{Name: ptr("hand")}, opset: opset, rng: rand.New(rand.NewPCG(uint64(opset), 9))}
	var ds []*pb.TensorShapeProto_Dimension
	for _, d := range dims {
		if d < 0 {
			ds = append(ds, &pb.TensorShapeProto_Dimension{Value: &pb.TensorShapeProto_Dimension_DimParam{DimParam: "N"}})
		} else {
			ds = append(ds, &pb.TensorShapeProto_Dimension{Value: &pb.TensorShapeProto_Dimension_DimValue{DimValue: d}})
		}
	}
	b.g.Input = []*pb.ValueInfoProto{{Name: ptr("x"), Type: &pb.TypeProto{Value: &pb.TypeProto_TensorType{
		TensorType: &pb.TypeProto_Tensor{ElemType: ptr(int32(pb.TensorProto_FLOAT)), Shape: &pb.TensorShapeProto{Dim: ds}}}}}}
	b.g.Output = []*pb.ValueInfoProto{{Name: ptr("y"), Type: &pb.TypeProto{Value: &pb.TypeProto_TensorType{
		TensorType: &pb.TypeProto_Tensor{ElemType: ptr(int32(pb.TensorProto_FLOAT))}}}}}
	return b
}

// floats adds a float initializer of random values from U(-1, 1).
func (b *gb) floats(name string, dims ...int64) *gb {
	n := int64(1)
	for _, d := range dims {
		n *= d
	}
	vals := make([]float32, n)
	for i := range vals {
		vals[i] = float32(2*b.rng.Float64() - 1)
	}
	b.g.Initializer = append(b.g.Initializer, &pb.TensorProto{Name: ptr(name), Dims: dims,
		DataType: ptr(int32(pb.TensorProto_FLOAT)), FloatData: vals})
	return b
}

// positive adds a float initializer of values from U(0.5, 2).
func (b *gb) positive(name string, n int64) *gb {
	vals := make([]float32, n)
	for i := range vals {
		vals[i] = float32(0.5 + 1.5*b.rng.Float64())
	}
	b.g.Initializer = append(b.g.Initializer, &pb.TensorProto{Name: ptr(name), Dims: []int64{n},
		DataType: ptr(int32(pb.TensorProto_FLOAT)), FloatData: vals})
	return b
}

// scalar adds a float scalar initializer.
func (b *gb) scalar(name string, v float32) *gb {
	b.g.Initializer = append(b.g.Initializer, &pb.TensorProto{Name: ptr(name), DataType: ptr(int32(pb.TensorProto_FLOAT)), FloatData: []float32{v}})
	return b
}

// ints adds an INT64 vector initializer.
func (b *gb) ints(name string, vals ...int64) *gb {
	b.g.Initializer = append(b.g.Initializer, int64Tensor(name, vals))
	return b
}

// node adds a node named after its first output.
func (b *gb) node(op string, in, out []string, attrs ...*pb.AttributeProto) *gb {
	b.g.Node = append(b.g.Node, &pb.NodeProto{OpType: ptr(op), Name: ptr(out[0]), Input: in, Output: out, Attribute: attrs})
	return b
}

// op adds a node of one input and one output.
func (b *gb) op(op, in, out string, attrs ...*pb.AttributeProto) *gb {
	return b.node(op, []string{in}, []string{out}, attrs...)
}

// model returns the ModelProto.
func (b *gb) model() *pb.ModelProto {
	ir := int64(7) // the IR version of each opset's ONNX release
	switch {
	case b.opset >= 21:
		ir = 10
	case b.opset >= 19:
		ir = 9
	case b.opset >= 15:
		ir = 8
	}
	return &pb.ModelProto{IrVersion: ptr(ir), OpsetImport: []*pb.OperatorSetIdProto{{Domain: ptr(""), Version: ptr(b.opset)}},
		Graph: b.g}
}

// bytes returns the encoded model.
func (b *gb) bytes(t testing.TB) []byte {
	t.Helper()
	data, err := proto.Marshal(b.model())
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// attrString is a STRING attribute.
func attrString(name, v string) *pb.AttributeProto {
	return &pb.AttributeProto{Name: ptr(name), Type: ptr(pb.AttributeProto_STRING), S: []byte(v)}
}

// attrTensor is a TENSOR attribute.
func attrTensor(name string, t *pb.TensorProto) *pb.AttributeProto {
	return &pb.AttributeProto{Name: ptr(name), Type: ptr(pb.AttributeProto_TENSOR), T: t}
}
