package onnx

import (
	"math/rand/v2"
	"strings"
	"testing"

	pb "github.com/featlearn/featlearn/graph/onnx/internal/onnxpb"
)

// handCase is an ONNX graph written by hand: what other exporters write
// for featlearn's ops, in forms Export itself never writes.
type handCase struct {
	name string
	b    *gb
}

// handCases returns graphs of every form Import reads.
func handCases() []handCase {
	f := func(name string, b *gb) handCase { return handCase{name, b} }
	ai, af, ais := attrInt, attrFloat, attrInts
	return []handCase{
		f("gemm-transB0-alpha-beta", newGraph(13, -1, 5).floats("B", 5, 4).floats("C", 1, 4).
			node("Gemm", []string{"x", "B", "C"}, []string{"y"}, af("alpha", 2), af("beta", 0.5))),
		f("gemm-scalar-C", newGraph(11, -1, 5).floats("B", 3, 5).floats("C", 1).
			node("Gemm", []string{"x", "B", "C"}, []string{"y"}, ai("transB", 1))),
		f("gemm-no-C", newGraph(13, -1, 5).floats("B", 3, 5).node("Gemm", []string{"x", "B"}, []string{"y"}, ai("transB", 1))),
		f("matmul-add-const-first", newGraph(13, -1, 6).floats("W", 6, 4).floats("b", 4).
			node("MatMul", []string{"x", "W"}, []string{"h"}).node("Add", []string{"b", "h"}, []string{"y"})),
		f("matmul", newGraph(17, -1, 6).floats("W", 6, 4).node("MatMul", []string{"x", "W"}, []string{"y"})),
		f("conv-same-upper", newGraph(13, -1, 2, 7, 7).floats("W", 3, 2, 3, 3).floats("B", 3).
			node("Conv", []string{"x", "W", "B"}, []string{"y"}, ais("strides", 2, 2), attrString("auto_pad", "SAME_UPPER"))),
		f("conv-valid-rect", newGraph(11, -1, 2, 7, 6).floats("W", 4, 2, 3, 2).
			node("Conv", []string{"x", "W"}, []string{"y"}, ais("strides", 1, 2), attrString("auto_pad", "VALID"))),
		f("pad-conv", newGraph(13, -1, 2, 5, 5).ints("pads", 0, 0, 1, 2, 0, 0, 1, 2).floats("W", 3, 2, 3, 3).
			node("Pad", []string{"x", "pads"}, []string{"p"}).node("Conv", []string{"p", "W"}, []string{"y"}, ais("kernel_shape", 3, 3))),
		f("conv-add-bias", newGraph(13, -1, 2, 5, 5).floats("W", 3, 2, 3, 3).floats("b", 1, 3, 1, 1).
			node("Conv", []string{"x", "W"}, []string{"c"}).node("Add", []string{"c", "b"}, []string{"y"})),
		f("pad-avgpool-op11", newGraph(11, -1, 2, 6, 6).ints("pads", 0, 0, 1, 1, 0, 0, 1, 1).
			node("Pad", []string{"x", "pads"}, []string{"p"}, attrString("mode", "constant")).
			node("AveragePool", []string{"p"}, []string{"y"}, ais("kernel_shape", 3, 3), ais("strides", 2, 2))),
		f("avgpool-exclude-pad", newGraph(13, -1, 2, 6, 5).
			op("AveragePool", "x", "y", ais("kernel_shape", 3, 2), ais("pads", 1, 1, 1, 1), ais("strides", 1, 2))),
		f("maxpool-ceil-same", newGraph(13, -1, 1, 6, 6).op("MaxPool", "x", "y", ais("kernel_shape", 2, 2), ais("strides", 2, 2), ai("ceil_mode", 1))),
		f("dropout-op11", newGraph(11, -1, 7).node("Dropout", []string{"x"}, []string{"d", "mask"}, af("ratio", 0.2)).op("Relu", "d", "y")),
		f("dropout-op13", newGraph(13, -1, 7).scalar("ratio", 0.3).
			node("Dropout", []string{"x", "ratio"}, []string{"y"})),
		f("gap-squeeze-op11", newGraph(11, -1, 3, 4, 4).op("GlobalAveragePool", "x", "g").op("Squeeze", "g", "y", ais("axes", 2, 3))),
		f("gap-op13", newGraph(13, -1, 3, 4, 5).op("GlobalAveragePool", "x", "y")),
		f("unsqueeze-op13-conv", newGraph(13, -1, 6).ints("axes", 2, 3).floats("W", 2, 6, 1, 1).
			node("Unsqueeze", []string{"x", "axes"}, []string{"u"}).node("Conv", []string{"u", "W"}, []string{"c"}).op("Flatten", "c", "y")),
		f("mul-channels", newGraph(13, -1, 3, 4, 4).floats("s", 1, 3, 1, 1).node("Mul", []string{"x", "s"}, []string{"y"})),
		f("mul-features", newGraph(13, -1, 5).floats("s", 5).node("Mul", []string{"s", "x"}, []string{"y"})),
		f("softmax-op11", newGraph(11, -1, 6).op("Softmax", "x", "y")),
		f("logsoftmax-4d", newGraph(13, -1, 2, 3, 4).op("LogSoftmax", "x", "y")),
		f("reshape-zero-and-minus-one", newGraph(14, -1, 2, 3, 4).ints("s1", 0, 6, -1).ints("s2", 0, -1).
			node("Reshape", []string{"x", "s1"}, []string{"r"}).op("Relu", "r", "r2").node("Reshape", []string{"r2", "s2"}, []string{"y"})),
		f("constant-identity-reshape", newGraph(13, -1, 2, 3, 4).
			node("Constant", nil, []string{"s"}, ais("value_ints", -1, 24)).op("Identity", "s", "s2").
			node("Reshape", []string{"x", "s2"}, []string{"y"})),
		f("shape-slice-concat", newGraph(13, -1, 2, 3, 4).ints("st", 0).ints("en", 1).ints("rest", -1).
			op("Shape", "x", "sh").node("Slice", []string{"sh", "st", "en"}, []string{"n"}).
			node("Concat", []string{"n", "rest"}, []string{"s"}, ai("axis", 0)).node("Reshape", []string{"x", "s"}, []string{"y"})),
		f("shape-gather-unsqueeze-op11", newGraph(11, -1, 2, 3, 4).
			node("Constant", nil, []string{"zero"}, attrTensor("value", &pb.TensorProto{DataType: ptr(int32(pb.TensorProto_INT64)), Int64Data: []int64{0}})).
			op("Shape", "x", "sh").node("Gather", []string{"sh", "zero"}, []string{"n"}).op("Unsqueeze", "n", "n1", ais("axes", 0)).
			ints("rest", -1).node("Concat", []string{"n1", "rest"}, []string{"s"}, ai("axis", 0)).
			op("Cast", "s", "s64", ai("to", 7)).node("Reshape", []string{"x", "s64"}, []string{"y"})),
		f("cast-relu", newGraph(13, -1, 5).op("Cast", "x", "c", ai("to", 1)).op("Relu", "c", "y")),
		f("batchnorm-op15", newGraph(15, -1, 3, 4, 4).floats("g", 3).floats("b", 3).floats("m", 3).positive("v", 3).
			node("BatchNormalization", []string{"x", "g", "b", "m", "v"}, []string{"y"}, af("epsilon", 1e-3), ai("training_mode", 0))),
		f("concat-last-axis", newGraph(13, -1, 3).floats("W", 3, 3).node("MatMul", []string{"x", "W"}, []string{"h"}).
			node("Concat", []string{"x", "h"}, []string{"y"}, ai("axis", -1))),
		f("pad-avgpool-op21", newGraph(21, -1, 2, 6, 6).ints("pads", 0, 0, 2, 1, 0, 0, 2, 1).
			node("Pad", []string{"x", "pads"}, []string{"p"}).
			node("AveragePool", []string{"p"}, []string{"a"}, ais("kernel_shape", 5, 3), ais("strides", 1, 2)).op("Relu", "a", "y")),
		f("gemm-bn-op22", newGraph(22, -1, 6).floats("B", 4, 6).floats("C", 4).floats("g", 4).floats("b", 4).floats("m", 4).positive("v", 4).
			node("Gemm", []string{"x", "B", "C"}, []string{"h"}, ai("transB", 1)).
			node("BatchNormalization", []string{"h", "g", "b", "m", "v"}, []string{"y"})),
		f("leaky-default", newGraph(13, -1, 2, 3, 3).op("LeakyRelu", "x", "y")),
		f("sigmoid-tanh-add", newGraph(13, -1, 4).op("Sigmoid", "x", "s").op("Tanh", "x", "t").node("Add", []string{"s", "t"}, []string{"y"})),
	}
}

// TestImportHandWrittenMatchesORT imports graphs written by hand in every
// form Import reads, and checks that featlearn computes what ONNX Runtime
// computes from the same files, to 1e-5.
func TestImportHandWrittenMatchesORT(t *testing.T) {
	needORT(t)
	rng := rand.New(rand.NewPCG(7, 7))
	cases := handCases()
	var jobs []ortJob
	var want [][]float64
	for _, c := range cases {
		data := c.b.bytes(t)
		m, _, err := Import(data)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		const n = 3
		x, x64 := randomInput(m, n, rng)
		y, err := m.Predict(x, n, n)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		jobs = append(jobs, ortJob{model: data, x: x64, dims: batchDims(n, m.InputShape())})
		want = append(want, y)
	}
	worst := 0.0
	for i, r := range runORT(t, jobs) {
		d := maxDiff(r.Values, want[i])
		if !(d <= 1e-5) {
			t.Errorf("%s: featlearn differs from ONNX Runtime by %g (ONNX Runtime's output %v, featlearn's %d values)", cases[i].name, d, r.Dims, len(want[i]))
		}
		worst = max(worst, d)
	}
	t.Logf("%d graphs, largest difference %.3g", len(cases), worst)
}

// TestImportedDropoutIsALayer checks that an imported Dropout becomes
// featlearn's Dropout layer, which drops while fine-tuning (the ONNX
// Runtime test checks that it is the identity when evaluating).
func TestImportedDropoutIsALayer(t *testing.T) {
	for _, c := range handCases() {
		if !strings.HasPrefix(c.name, "dropout") {
			continue
		}
		m, _, err := Import(c.b.bytes(t))
		if err != nil {
			t.Fatal(err)
		}
		layers, err := m.Summary()
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, l := range layers {
			found = found || strings.HasPrefix(l.Kind, "Dropout 0.")
		}
		if !found {
			t.Errorf("%s: no Dropout layer in %+v", c.name, layers)
		}
	}
}
