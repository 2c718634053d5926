package onnx

import (
	"runtime"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	pb "github.com/featlearn/featlearn/graph/onnx/internal/onnxpb"
)

// TestImportRefuses feeds Import files that are wrong or hostile and
// checks each error names what is wrong.
func TestImportRefuses(t *testing.T) {
	ai, ais := attrInt, attrInts
	relu := func(opset int64) *gb { return newGraph(opset, -1, 4) }
	cases := []struct {
		name string
		data func(t testing.TB) []byte
		want []string
	}{
		{"unsupported op", newGraph(13, -1, 4).op("Erf", "x", "y").bytes, []string{`node "y" (Erf)`, "op Erf is not supported"}},
		{"dangling name", relu(13).node("Add", []string{"x", "ghost"}, []string{"y"}).bytes, []string{`reads "ghost", which nothing defines`}},
		{"cycle", relu(13).node("Add", []string{"x", "b"}, []string{"a"}).op("Relu", "a", "b").op("Relu", "b", "y").bytes, []string{"cycle"}},
		{"name defined twice", relu(13).op("Relu", "x", "h").op("Sigmoid", "x", "h").op("Relu", "h", "y").bytes, []string{`defines "h", which is already defined`}},
		{"undefined output", relu(13).op("Relu", "x", "z").bytes, []string{`graph output "y" is not defined`}},
		{"a terabyte tensor", relu(13).node("MatMul", []string{"x", "W"}, []string{"y"}).withInit(&pb.TensorProto{Name: ptr("W"),
			Dims: []int64{1 << 20, 1 << 18}, DataType: ptr(int32(pb.TensorProto_FLOAT))}).bytes, []string{`initializer "W"`, "hold more than"}},
		{"data shorter than dims", relu(13).node("MatMul", []string{"x", "W"}, []string{"y"}).withInit(&pb.TensorProto{Name: ptr("W"),
			Dims: []int64{4, 250}, DataType: ptr(int32(pb.TensorProto_FLOAT)), RawData: make([]byte, 8)}).bytes, []string{"8 bytes of data for dimensions [4 250]"}},
		{"negative dimension", relu(13).node("MatMul", []string{"x", "W"}, []string{"y"}).withInit(&pb.TensorProto{Name: ptr("W"),
			Dims: []int64{4, -2}, DataType: ptr(int32(pb.TensorProto_FLOAT))}).bytes, []string{"out of range"}},
		{"external data", relu(13).node("MatMul", []string{"x", "W"}, []string{"y"}).withInit(&pb.TensorProto{Name: ptr("W"),
			Dims: []int64{4, 2}, DataType: ptr(int32(pb.TensorProto_FLOAT)), DataLocation: ptr(pb.TensorProto_EXTERNAL)}).bytes, []string{"external file"}},
		{"old opset", relu(9).op("Relu", "x", "y").bytes, []string{"opset 9: featlearn reads opsets 11 to 22"}},
		{"no default opset", func(t testing.TB) []byte {
			b := relu(13).op("Relu", "x", "y")
			b.opset = 0
			m := b.model()
			m.OpsetImport[0].Domain = ptr("ai.onnx.ml")
			return marshal(t, m)
		}, []string{"imports no default opset"}},
		{"two inputs", func(t testing.TB) []byte {
			b := relu(13).node("Add", []string{"x", "x2"}, []string{"y"})
			in := proto.Clone(b.g.Input[0]).(*pb.ValueInfoProto)
			in.Name = ptr("x2")
			b.g.Input = append(b.g.Input, in)
			return b.bytes(t)
		}, []string{"2 graph inputs"}},
		{"dynamic height", newGraph(13, -1, 1, -1, 4).op("Relu", "x", "y").bytes, []string{"dimension 2 is not a fixed size"}},
		{"huge example", newGraph(13, -1, 1, 30000, 30000).op("Relu", "x", "y").bytes, []string{"more than 67108864 values per example"}},
		{"output is a constant", relu(13).floats("W", 4).op("Identity", "W", "y").bytes, []string{"output y is not computed from the input"}},
		{"integer input", func(t testing.TB) []byte {
			b := relu(13).op("Relu", "x", "y")
			b.g.Input[0].Type.GetTensorType().ElemType = ptr(int32(pb.TensorProto_INT64))
			return b.bytes(t)
		}, []string{"element type INT64"}},
		{"grouped conv", newGraph(13, -1, 2, 5, 5).floats("W", 2, 1, 3, 3).node("Conv", []string{"x", "W"}, []string{"y"}, ai("group", 2)).bytes, []string{"group 2"}},
		{"dilated conv", newGraph(13, -1, 2, 5, 5).floats("W", 2, 2, 3, 3).node("Conv", []string{"x", "W"}, []string{"y"}, ais("dilations", 2, 2)).bytes, []string{"dilations [2 2]"}},
		{"asymmetric pads", newGraph(13, -1, 2, 5, 5).floats("W", 2, 2, 3, 3).node("Conv", []string{"x", "W"}, []string{"y"}, ais("pads", 0, 0, 1, 1)).bytes, []string{"asymmetric padding"}},
		{"conv weight of other channels", newGraph(13, -1, 2, 5, 5).floats("W", 2, 3, 3, 3).node("Conv", []string{"x", "W"}, []string{"y"}).bytes, []string{"for 2 input channels"}},
		{"MatMul of two data", relu(13).node("MatMul", []string{"x", "x"}, []string{"y"}).bytes, []string{"MatMul needs a constant second input"}},
		{"reshape mixing the batch", newGraph(13, -1, 4).ints("s", 2, -1).node("Reshape", []string{"x", "s"}, []string{"y"}).bytes, []string{"does not keep the batch first"}},
		{"flatten of the batch", relu(13).op("Flatten", "x", "y", ai("axis", 0)).bytes, []string{"axis 0: only 1"}},
		{"concat along the batch", relu(13).node("Concat", []string{"x", "x"}, []string{"y"}, ai("axis", 0)).bytes, []string{"only axes after the batch"}},
		{"batchnorm training", newGraph(15, -1, 3).floats("g", 3).floats("b", 3).floats("m", 3).positive("v", 3).
			node("BatchNormalization", []string{"x", "g", "b", "m", "v"}, []string{"y"}, ai("training_mode", 1)).bytes, []string{"training_mode 1"}},
		{"maxpool indices read", newGraph(13, -1, 1, 4, 4).node("MaxPool", []string{"x"}, []string{"p", "idx"}, ais("kernel_shape", 2, 2)).
			node("Add", []string{"p", "idx"}, []string{"y"}).bytes, []string{"output 1 (\"idx\") is read"}},
		{"maxpool ceil mode that matters", newGraph(13, -1, 1, 5, 5).op("MaxPool", "x", "y", ais("kernel_shape", 2, 2), ais("strides", 2, 2), ai("ceil_mode", 1)).bytes, []string{"ceil_mode 1"}},
		{"unknown attribute", relu(13).op("Relu", "x", "y", ai("bogus", 1)).bytes, []string{`attribute "bogus" is not supported`}},
		{"pad before relu", newGraph(13, -1, 1, 4, 4).ints("pads", 0, 0, 1, 1, 0, 0, 1, 1).node("Pad", []string{"x", "pads"}, []string{"p"}).op("Relu", "p", "y").bytes, []string{"supported only before Conv and AveragePool"}},
		{"foreign domain", func(t testing.TB) []byte {
			b := relu(13).op("Relu", "x", "y")
			b.g.Node[0].Domain = ptr("com.microsoft")
			return b.bytes(t)
		}, []string{`op domain "com.microsoft"`}},
		{"garbage", func(testing.TB) []byte { return []byte("\x08\x07\x3a\xff\xff\xff\xff\x0f garbage") }, []string{"not an ONNX model"}},
		{"no graph", func(t testing.TB) []byte { return marshal(t, &pb.ModelProto{IrVersion: ptr(int64(7))}) }, []string{"no graph"}},
		{"too many nodes", func(t testing.TB) []byte { return manyNodes(MaxNodes + 1) }, []string{"65537 nodes, more than 65536"}},
		{"a million nodes", func(t testing.TB) []byte { return manyNodes(1_000_000) }, []string{"more than 524288 protobuf messages"}},
		{"nested subgraphs", func(t testing.TB) []byte { return nested(100) }, []string{"nested deeper than 32"}},
	}
	for _, c := range cases {
		data := c.data(t)
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		start := time.Now()
		m, _, err := Import(data)
		took := time.Since(start)
		runtime.ReadMemStats(&after)
		if err == nil {
			t.Errorf("%s: imported a model of input %v", c.name, m.InputShape())
			continue
		}
		t.Logf("%s: %v", c.name, err)
		for _, w := range c.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error %q does not say %q", c.name, err, w)
			}
		}
		if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 64<<20 || took > 5*time.Second {
			t.Errorf("%s: refusing a file of %d bytes took %v and %d MB", c.name, len(data), took, alloc>>20)
		}
	}
}

// withInit adds an initializer as it is.
func (b *gb) withInit(t *pb.TensorProto) *gb {
	b.g.Initializer = append(b.g.Initializer, t)
	return b
}

// marshal encodes any model.
func marshal(t testing.TB, m *pb.ModelProto) []byte {
	t.Helper()
	data, err := proto.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// manyNodes writes, without building them, a model of n Relu nodes: two
// or three bytes of file per node.
func manyNodes(n int) []byte {
	node := protowire.AppendTag(nil, 4, protowire.BytesType)
	node = protowire.AppendString(node, "Relu")
	var g []byte
	for range n {
		g = protowire.AppendTag(g, 1, protowire.BytesType)
		g = protowire.AppendBytes(g, node)
	}
	m := protowire.AppendTag(nil, 8, protowire.BytesType)
	m = protowire.AppendBytes(m, opsetBytes(13))
	m = protowire.AppendTag(m, 7, protowire.BytesType)
	return protowire.AppendBytes(m, g)
}

// opsetBytes encodes an OperatorSetIdProto of the default domain.
func opsetBytes(v int64) []byte {
	b := protowire.AppendTag(nil, 2, protowire.VarintType)
	return protowire.AppendVarint(b, uint64(v))
}

// nested writes a model whose graph holds a node whose attribute holds a
// graph, and so on, depth times.
func nested(depth int) []byte {
	var g []byte
	for range depth {
		attr := protowire.AppendTag(nil, 6, protowire.BytesType) // AttributeProto.g
		attr = protowire.AppendBytes(attr, g)
		node := protowire.AppendTag(nil, 5, protowire.BytesType) // NodeProto.attribute
		node = protowire.AppendBytes(node, attr)
		g = protowire.AppendTag(nil, 1, protowire.BytesType) // GraphProto.node
		g = protowire.AppendBytes(g, node)
	}
	m := protowire.AppendTag(nil, 7, protowire.BytesType)
	return protowire.AppendBytes(m, g)
}
