package onnx

import (
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"

	"github.com/pkg/errors"
	"google.golang.org/protobuf/proto"

	"github.com/featlearn/featlearn/graph"
	pb "github.com/featlearn/featlearn/graph/onnx/internal/onnxpb"
)

// The default opsets Import reads.
const (
	MinImportOpset = 11
	MaxImportOpset = 22
)

// Import reads an ONNX model and returns it as a featlearn model whose
// top layer is a *Layer, with the initializers' values as its parameters
// and the file's metadata_props as a Meta. The model is a graph.Model
// like any other: Predict, Evaluate, Fit (fine-tuning) and
// SaveCheckpoint work on it, and Export writes it again.
//
// It reads what featlearn's Export writes and what PyTorch's
// torch.onnx.export writes for models of featlearn's ops, opsets 11 to
// 22: Conv, Gemm (transB either way), MatMul followed by Add, MaxPool,
// AveragePool, GlobalAveragePool, BatchNormalization, Dropout, Relu,
// LeakyRelu, Sigmoid, Tanh, Softmax, LogSoftmax, Add, Mul by per-channel
// constants, Concat, Flatten, Reshape, Squeeze and Unsqueeze that keep the
// batch, Identity, Constant and the Shape, Gather, Unsqueeze, Concat,
// Slice and Cast chains that compute shapes for x.view(n, -1). The graph
// takes one float input of shape (N, C, H, W) or (N, F) whose batch N may
// be dynamic, and gives one output. Any other op, attribute value or shape
// is an error naming the op and the node.
//
// A file is untrusted: its size, the number of its messages and nodes,
// every tensor's size and every intermediate's are bounded (MaxFileSize,
// MaxMessages, MaxNodes, MaxTensorElements, MaxActivation) before memory
// is allocated for them, and a graph that reads names nothing defines or
// runs in a cycle is refused.
func Import(data []byte) (m *graph.Model, meta Meta, err error) {
	defer recoverTo(&err)
	return importModel(data)
}

// ImportFile reads the ONNX model at path (see Import).
func ImportFile(path string) (*graph.Model, Meta, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, Meta{}, errors.Wrap(err, "onnx import")
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, Meta{}, errors.Wrap(err, "onnx import")
	}
	if st.Size() > MaxFileSize {
		return nil, Meta{}, errors.Errorf("onnx import %s: %d bytes, more than %d", path, st.Size(), MaxFileSize)
	}
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, Meta{}, errors.Wrap(err, "onnx import")
	}
	m, meta, err := Import(data)
	if err != nil {
		return nil, Meta{}, errors.Wrap(err, path)
	}
	return m, meta, nil
}

// importModel is Import without the recovery, so the fuzz test sees any
// panic.
func importModel(data []byte) (*graph.Model, Meta, error) {
	mp, err := decode(data)
	if err != nil {
		return nil, Meta{}, errors.Wrap(err, "onnx import")
	}
	l, inits, float64s, err := newLayer(mp)
	if err != nil {
		return nil, Meta{}, errors.Wrap(err, "onnx import")
	}
	var opts []graph.ModelOption
	if float64s {
		opts = append(opts, graph.Float64())
	}
	m, err := graph.NewModel(l, l.input, 0, opts...)
	if err != nil {
		return nil, Meta{}, errors.Wrap(err, "onnx import")
	}
	for _, in := range inits {
		p := m.Param(in.name)
		if p == nil {
			return nil, Meta{}, errors.Errorf("onnx import: the model has no parameter %s", in.name)
		}
		if err := p.Set(in.vals); err != nil {
			return nil, Meta{}, errors.Wrap(err, "onnx import")
		}
	}
	return m, metaOf(mp.GetMetadataProps()), nil
}

// decode bounds and parses the file.
func decode(data []byte) (*pb.ModelProto, error) {
	if len(data) > MaxFileSize {
		return nil, errors.Errorf("%d bytes, more than %d", len(data), MaxFileSize)
	}
	mp := &pb.ModelProto{}
	if err := prescan(data, mp.ProtoReflect().Descriptor()); err != nil {
		return nil, err
	}
	if err := (proto.UnmarshalOptions{RecursionLimit: maxDepth + 4}).Unmarshal(data, mp); err != nil {
		return nil, errors.Wrap(err, "not an ONNX model")
	}
	if mp.Graph == nil {
		return nil, errors.New("not an ONNX model: no graph")
	}
	return mp, nil
}

// paramInit is a parameter's value from the file, set once the model is
// built.
type paramInit struct {
	name string
	vals []float64
}

// newLayer plans the featlearn layer of a model's graph.
func newLayer(mp *pb.ModelProto) (*Layer, []paramInit, bool, error) {
	opset, err := defaultOpset(mp)
	if err != nil {
		return nil, nil, false, err
	}
	g := mp.Graph
	if len(g.GetNode()) > MaxNodes {
		return nil, nil, false, errors.Errorf("%d nodes, more than %d", len(g.GetNode()), MaxNodes)
	}
	if len(g.GetSparseInitializer()) > 0 {
		return nil, nil, false, errors.New("sparse initializers are not supported")
	}
	order, err := sortNodes(g)
	if err != nil {
		return nil, nil, false, err
	}
	p := newPlanner(g, opset)
	if err := p.inputs(); err != nil {
		return nil, nil, false, err
	}
	for _, n := range order {
		if !p.live[n] {
			continue
		}
		if err := p.plan(n); err != nil {
			return nil, nil, false, errors.Wrapf(err, "node %s (%s)", nodeName(n), n.GetOpType())
		}
	}
	out := p.vals[g.GetOutput()[0].GetName()]
	if out == nil || out.kind != dataValue {
		return nil, nil, false, errors.Errorf("output %s is not computed from the input", g.GetOutput()[0].GetName())
	}
	name := layerName(g.GetName(), "onnx")
	l := &Layer{name: name, input: graph.Shape(p.input.shape), in: p.input, output: out, nodes: len(g.GetNode())}
	for _, st := range p.steps {
		if !st.dead {
			l.steps = append(l.steps, &st.step)
		}
	}
	if len(l.steps) == 0 {
		return nil, nil, false, errors.New("the graph computes nothing from its input")
	}
	var inits []paramInit
	for _, st := range p.steps {
		if st.dead {
			continue
		}
		for _, pi := range st.params {
			inits = append(inits, paramInit{name: st.path + "." + pi.name, vals: pi.vals})
		}
	}
	return l, inits, p.float64s, nil
}

// defaultOpset returns the version of the default operator set.
func defaultOpset(mp *pb.ModelProto) (int64, error) {
	for _, o := range mp.GetOpsetImport() {
		if d := o.GetDomain(); d == "" || d == "ai.onnx" {
			v := o.GetVersion()
			if v < MinImportOpset || v > MaxImportOpset {
				return 0, errors.Errorf("opset %d: featlearn reads opsets %d to %d", v, MinImportOpset, MaxImportOpset)
			}
			return v, nil
		}
	}
	return 0, errors.New("the model imports no default opset")
}

// sortNodes checks that every name a node reads is defined exactly once
// and returns the nodes in an order where each follows the nodes it reads,
// refusing cycles.
func sortNodes(g *pb.GraphProto) ([]*pb.NodeProto, error) {
	producer := map[string]int{} // name -> node index, -1 for inputs and initializers
	for _, in := range g.GetInput() {
		producer[in.GetName()] = -1
	}
	for _, t := range g.GetInitializer() {
		producer[t.GetName()] = -1
	}
	nodes := g.GetNode()
	for i, n := range nodes {
		if n == nil {
			return nil, errors.Errorf("node %d is empty", i)
		}
		for _, o := range n.GetOutput() {
			if o == "" {
				continue
			}
			if _, dup := producer[o]; dup {
				return nil, errors.Errorf("node %s (%s) defines %q, which is already defined", nodeName(n), n.GetOpType(), o)
			}
			producer[o] = i
		}
	}
	readers := make([][]int, len(nodes))
	waiting := make([]int, len(nodes))
	for i, n := range nodes {
		for _, in := range n.GetInput() {
			if in == "" {
				continue
			}
			j, ok := producer[in]
			if !ok {
				return nil, errors.Errorf("node %s (%s) reads %q, which nothing defines", nodeName(n), n.GetOpType(), in)
			}
			if j >= 0 {
				readers[j] = append(readers[j], i)
				waiting[i]++
			}
		}
	}
	for _, out := range g.GetOutput() {
		if _, ok := producer[out.GetName()]; !ok {
			return nil, errors.Errorf("graph output %q is not defined", out.GetName())
		}
	}
	var queue, order []int
	for i := range nodes {
		if waiting[i] == 0 {
			queue = append(queue, i)
		}
	}
	for len(queue) > 0 {
		i := queue[0]
		queue = queue[1:]
		order = append(order, i)
		for _, r := range readers[i] {
			if waiting[r]--; waiting[r] == 0 {
				queue = append(queue, r)
			}
		}
	}
	if len(order) < len(nodes) {
		for i, w := range waiting {
			if w > 0 {
				return nil, errors.Errorf("the graph has a cycle through node %s (%s)", nodeName(nodes[i]), nodes[i].GetOpType())
			}
		}
	}
	out := make([]*pb.NodeProto, len(order))
	for k, i := range order {
		out[k] = nodes[i]
	}
	return out, nil
}

// nodeName names a node in messages: its name, quoted, or its op type.
func nodeName(n *pb.NodeProto) string {
	if n.GetName() != "" {
		return fmt.Sprintf("%q", n.GetName())
	}
	if len(n.GetOutput()) > 0 {
		return fmt.Sprintf("writing %q", n.GetOutput()[0])
	}
	return "without a name"
}

// invalidChars are the characters a featlearn layer name may not hold.
var invalidChars = regexp.MustCompile(`[^A-Za-z0-9_\-+]+`)

// layerName turns an ONNX name into a valid layer name, fallback when
// nothing of it is left.
func layerName(s, fallback string) string {
	s = strings.Trim(invalidChars.ReplaceAllString(s, "_"), "_")
	if s == "" {
		return fallback
	}
	return s
}
