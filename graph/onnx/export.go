package onnx

import (
	"fmt"
	"runtime/debug"
	"strings"

	"github.com/pkg/errors"
	"google.golang.org/protobuf/proto"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/featlearn/featlearn/graph"
	pb "github.com/featlearn/featlearn/graph/onnx/internal/onnxpb"
	"github.com/featlearn/featlearn/internal/atomicfile"
	"github.com/featlearn/featlearn/ops"
)

// What Export writes.
const (
	// Opset is the version of ONNX's default operator set that Export
	// writes.
	Opset = 13
	// IRVersion is the ONNX IR version that Export writes, the one that
	// came with opset 13; ONNX Runtime 1.30 loads it.
	IRVersion = 7
	// InputName names the graph's input, of shape (N, C, H, W) or (N, F)
	// with the batch N dynamic.
	InputName = "input"
	// OutputName names the graph's output, the model's logits, of shape
	// (N, classes).
	OutputName = "logits"
	// BatchDim is the name of the dynamic batch dimension.
	BatchDim = "N"
)

// exportBatch is the batch size of the graph Export walks. Any size works;
// one above 1 tells the batch dimension apart from the others, so a
// reshape that mixes examples is refused rather than written wrong.
const exportBatch = 2

// Export returns model m as an ONNX file: the expression graph of its
// evaluation mode (BatchNorm normalises by its running statistics,
// Dropout is left out) in opset 13, one or two ONNX nodes per featlearn
// op, the parameters and BatchNorm's running statistics as initializers
// named as the model names them (conv1.weight, bn1.running_mean), the
// input named "input" with a dynamic batch dimension "N" and the output
// named "logits". meta goes into the model's metadata_props. Because it
// walks the graph rather than the layers, models built with Func,
// Residual, Concat and layers of one's own export too, as long as every
// op has an ONNX equivalent: a LocallyConnected2D layer, which has none,
// or an op of gorgonia's other than Flatten's reshape, is an error
// naming the layer or the op.
func Export(m *graph.Model, meta Meta) (data []byte, err error) {
	defer recoverTo(&err)
	mp, err := exportModel(m, meta)
	if err != nil {
		return nil, err
	}
	return proto.MarshalOptions{Deterministic: true}.Marshal(mp)
}

// ExportFile writes model m to path as an ONNX file (see Export),
// atomically: a failed write leaves the file at path as it was.
func ExportFile(m *graph.Model, path string, meta Meta) error {
	data, err := Export(m, meta)
	if err != nil {
		return err
	}
	return errors.Wrap(atomicfile.WriteBytes(path, data), "onnx export")
}

// exporter turns an evaluation graph into ONNX nodes.
type exporter struct {
	m      *graph.Model
	prog   *graph.Program
	g      *pb.GraphProto
	dtype  pb.TensorProto_DataType
	names  map[*G.Node]string // the ONNX value of each node's output
	taken  map[string]bool    // value and node names in use
	tensor map[*tensor.Dense]*graph.Param
	inits  map[string]bool // initializers written
}

// exportModel builds the ModelProto of m.
func exportModel(m *graph.Model, meta Meta) (*pb.ModelProto, error) {
	if m == nil {
		return nil, errors.New("onnx export: no model")
	}
	e := &exporter{m: m, g: &pb.GraphProto{Name: ptr(m.Name())}, names: map[*G.Node]string{},
		taken: map[string]bool{InputName: true, OutputName: true}, tensor: map[*tensor.Dense]*graph.Param{}, inits: map[string]bool{}}
	switch m.Dtype() {
	case tensor.Float32:
		e.dtype = pb.TensorProto_FLOAT
	case tensor.Float64:
		e.dtype = pb.TensorProto_DOUBLE
	default:
		return nil, errors.Errorf("onnx export: dtype %v", m.Dtype())
	}
	for _, p := range append(append([]*graph.Param(nil), m.Params()...), m.Buffers()...) {
		e.tensor[p.Tensor()] = p
		e.taken[p.Name] = true
	}
	var err error
	if e.prog, err = m.EvalProgram(exportBatch); err != nil {
		return nil, errors.Wrap(err, "onnx export")
	}
	if err := e.walk(); err != nil {
		return nil, errors.Wrap(err, "onnx export")
	}
	e.g.Input = []*pb.ValueInfoProto{e.valueInfo(InputName, m.InputShape())}
	e.g.Output = []*pb.ValueInfoProto{e.valueInfo(OutputName, m.OutputShape())}
	props, err := meta.props(m)
	if err != nil {
		return nil, errors.Wrap(err, "onnx export")
	}
	return &pb.ModelProto{
		IrVersion:       ptr(int64(IRVersion)),
		OpsetImport:     []*pb.OperatorSetIdProto{{Domain: ptr(""), Version: ptr(int64(Opset))}},
		ProducerName:    ptr("featlearn"),
		ProducerVersion: ptr(version()),
		DocString:       ptr(fmt.Sprintf("featlearn model %s, input %v per example", m.Name(), m.InputShape())),
		Graph:           e.g,
		MetadataProps:   props,
	}, nil
}

// walk emits the nodes the output depends on, inputs before the nodes
// that read them.
func (e *exporter) walk() error {
	order, err := e.order()
	if err != nil {
		return err
	}
	for _, n := range order {
		if err := e.emit(n); err != nil {
			return err
		}
	}
	out := e.prog.Output
	if e.names[out] != OutputName { // the output is the input or a parameter
		e.node("Identity", []string{e.names[out]}, []string{OutputName})
	}
	return nil
}

// order returns the nodes the output depends on in an order where every
// node follows its inputs.
func (e *exporter) order() ([]*G.Node, error) {
	var order []*G.Node
	state := map[*G.Node]int{} // 1: being visited, 2: done
	type frame struct {
		n    *G.Node
		kids []*G.Node
		next int
	}
	stack := []frame{{n: e.prog.Output, kids: e.inputs(e.prog.Output)}}
	state[e.prog.Output] = 1
	for len(stack) > 0 {
		f := &stack[len(stack)-1]
		if f.next == len(f.kids) {
			state[f.n] = 2
			order = append(order, f.n)
			stack = stack[:len(stack)-1]
			continue
		}
		k := f.kids[f.next]
		f.next++
		switch state[k] {
		case 1:
			return nil, errors.Errorf("the graph has a cycle through %v", k)
		case 0:
			state[k] = 1
			stack = append(stack, frame{n: k, kids: e.inputs(k)})
		}
	}
	return order, nil
}

// inputs returns a node's inputs in order.
func (e *exporter) inputs(n *G.Node) []*G.Node {
	var in []*G.Node
	it := e.prog.Graph.From(n.ID())
	for it.Next() {
		if k, ok := it.Node().(*G.Node); ok {
			in = append(in, k)
		}
	}
	return in
}

// emit writes the ONNX nodes or initializer of one graph node.
func (e *exporter) emit(n *G.Node) error {
	if n.Op() == nil {
		return e.leaf(n)
	}
	in := e.inputs(n)
	names := make([]string, len(in))
	for i, k := range in {
		names[i] = e.names[k]
	}
	if isReshape(n.Op()) {
		return e.reshape(n, in[0], names[0])
	}
	spec, ok := ops.Describe(n.Op())
	if !ok {
		return errors.Errorf("op %v%s has no ONNX equivalent", n.Op(), e.where(in))
	}
	return e.op(n, spec, in, names)
}

// leaf names the input node or writes a parameter as an initializer.
func (e *exporter) leaf(n *G.Node) error {
	if n == e.prog.Input {
		e.names[n] = InputName
		return nil
	}
	t, _ := n.Value().(*tensor.Dense)
	p, ok := e.tensor[t]
	if !ok || t == nil {
		return errors.Errorf("node %s is neither the input nor a parameter of the model", n.Name())
	}
	e.names[n] = p.Name
	return e.initializer(p)
}

// initializer writes a parameter or buffer once.
func (e *exporter) initializer(p *graph.Param) error {
	if e.inits[p.Name] {
		return nil
	}
	t, err := floatTensor(p.Name, p.Shape(), p.Tensor(), e.dtype)
	if err != nil {
		return err
	}
	e.inits[p.Name] = true
	e.g.Initializer = append(e.g.Initializer, t)
	return nil
}

// where names the layer an op belongs to, from the parameters it reads,
// for messages: " in layer conv1", or "" when it reads none.
func (e *exporter) where(in []*G.Node) string {
	if l := e.layerOf(in); l != "" {
		return " in layer " + l
	}
	return ""
}

// layerOf returns the path of the layer whose parameters an op reads.
func (e *exporter) layerOf(in []*G.Node) string {
	for _, k := range in {
		if t, ok := k.Value().(*tensor.Dense); ok && k.Op() == nil {
			if p, ok := e.tensor[t]; ok {
				return p.Layer()
			}
		}
	}
	return ""
}

// fresh returns an unused name made from base.
func (e *exporter) fresh(base string) string {
	base = strings.NewReplacer("/", "_", " ", "_").Replace(base)
	name := base
	for i := 2; e.taken[name]; i++ {
		name = fmt.Sprintf("%s_%d", base, i)
	}
	e.taken[name] = true
	return name
}

// outName returns the name of the value node n computes: OutputName for
// the graph's output, else a fresh name made from base.
func (e *exporter) outName(n *G.Node, base string) string {
	name := OutputName
	if n != e.prog.Output {
		name = e.fresh(base)
	}
	e.names[n] = name
	return name
}

// node appends an ONNX node named as its output.
func (e *exporter) node(opType string, in, out []string, attrs ...*pb.AttributeProto) {
	e.g.Node = append(e.g.Node, &pb.NodeProto{OpType: ptr(opType), Name: ptr(out[0]), Input: in, Output: out, Attribute: attrs})
}

// valueInfo describes a float tensor of shape (N, shape...).
func (e *exporter) valueInfo(name string, shape graph.Shape) *pb.ValueInfoProto {
	dims := []*pb.TensorShapeProto_Dimension{{Value: &pb.TensorShapeProto_Dimension_DimParam{DimParam: BatchDim}}}
	for _, d := range shape {
		dims = append(dims, &pb.TensorShapeProto_Dimension{Value: &pb.TensorShapeProto_Dimension_DimValue{DimValue: int64(d)}})
	}
	return &pb.ValueInfoProto{Name: ptr(name), Type: &pb.TypeProto{Value: &pb.TypeProto_TensorType{
		TensorType: &pb.TypeProto_Tensor{ElemType: ptr(int32(e.dtype)), Shape: &pb.TensorShapeProto{Dim: dims}}}}}
}

// isReshape says whether op is gorgonia's Reshape, which Flatten builds.
func isReshape(op G.Op) bool { return fmt.Sprintf("%T", op) == "gorgonia.reshapeOp" }

// reshape writes a reshape that keeps the batch: Flatten when it makes
// vectors, Reshape with the batch left to -1 otherwise.
func (e *exporter) reshape(n, x *G.Node, in string) error {
	from, to := x.Shape(), n.Shape()
	if len(from) == 0 || len(to) == 0 || from[0] != exportBatch || to[0] != exportBatch {
		return errors.Errorf("reshape %v to %v mixes examples of the batch: ONNX export needs every example reshaped alone", from, to)
	}
	if len(to) == 2 {
		e.node("Flatten", []string{in}, []string{e.outName(n, "flatten")}, attrInt("axis", 1))
		return nil
	}
	shape := e.fresh("reshape_shape")
	dims := []int64{-1}
	for _, d := range to[1:] {
		dims = append(dims, int64(d))
	}
	e.g.Initializer = append(e.g.Initializer, int64Tensor(shape, dims))
	e.node("Reshape", []string{in, shape}, []string{e.outName(n, "reshape")})
	return nil
}

// version returns featlearn's module version, "(devel)" in a work tree.
func version() string {
	const module = "github.com/featlearn/featlearn"
	if info, ok := debug.ReadBuildInfo(); ok {
		if info.Main.Path == module && info.Main.Version != "" {
			return info.Main.Version
		}
		for _, d := range info.Deps {
			if d.Path == module {
				return d.Version
			}
		}
	}
	return "(devel)"
}

// recoverTo turns a panic into an error, so none escapes a public function.
func recoverTo(err *error) {
	if r := recover(); r != nil {
		*err = errors.Errorf("onnx: internal error: %v", r)
	}
}
