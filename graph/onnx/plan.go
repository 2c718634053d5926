package onnx

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/pkg/errors"

	"github.com/featlearn/featlearn/graph"
	pb "github.com/featlearn/featlearn/graph/onnx/internal/onnxpb"
)

// valueKind says what an ONNX name holds while a graph is imported.
type valueKind int

const (
	dataValue  valueKind = iota // computed from the input, per example
	floatConst                  // a float initializer or constant
	intConst                    // an integer constant, such as a shape
)

// value is what an ONNX name holds: data computed from the input (shape
// is then one example's), or a constant known while importing (shape is
// then its dimensions).
type value struct {
	kind   valueKind
	shape  []int
	floats []float64 // floatConst
	ints   []dim     // intConst
	src    string    // floatConst: the initializer it comes from
	from   *pstep    // dataValue: the step computing it, nil for the input
	pad    *padded   // dataValue: zero padding of another value, for the Conv or AveragePool after it
}

// padded is the zero padding of a data value's planes, which featlearn
// computes inside the Conv or AveragePool that reads it.
type padded struct {
	x    *value
	h, w int
}

// dim is an integer of a shape computation: a number or the batch size.
type dim struct {
	v     int64
	batch bool
}

// String writes the batch as N and numbers as they are.
func (d dim) String() string {
	if d.batch {
		return "N"
	}
	return strconv.FormatInt(d.v, 10)
}

// size returns the number of values of a shape.
func size(s []int) int {
	n := 1
	for _, d := range s {
		n *= d
	}
	return n
}

// pstep is a step being planned: the layer, the parameter values it is
// given and whether a later node made it redundant.
type pstep struct {
	step
	path   string // the layer's path, such as "layer1.conv1"
	params []localInit
	dead   bool
}

// localInit is the value of one parameter of a step's layer.
type localInit struct {
	name string
	vals []float64
}

// planner turns ONNX nodes into featlearn layers.
type planner struct {
	g        *pb.GraphProto
	opset    int64
	vals     map[string]*value
	readers  map[string]int // how many live nodes read each name
	uses     map[*value]int // how many live nodes read each value, under any name
	live     map[*pb.NodeProto]bool
	steps    []*pstep
	taken    map[string]bool // layer names in use
	input    *value
	batch    int64 // the input's fixed batch size, 0 when dynamic
	params   int   // parameter values so far
	float64s bool  // the input is DOUBLE
}

func newPlanner(g *pb.GraphProto, opset int64) *planner {
	return &planner{g: g, opset: opset, vals: map[string]*value{}, readers: map[string]int{}, uses: map[*value]int{},
		live: map[*pb.NodeProto]bool{}, taken: map[string]bool{}}
}

// inputs reads the graph's input and initializers and finds the nodes
// the output depends on.
func (p *planner) inputs() error {
	if len(p.g.GetOutput()) != 1 {
		return errors.Errorf("%d graph outputs: featlearn models have one", len(p.g.GetOutput()))
	}
	total := 0
	for _, t := range p.g.GetInitializer() {
		_, n, err := tensorDims(t)
		if err != nil {
			return errors.Wrapf(err, "initializer %q", t.GetName())
		}
		if total += n; total > MaxParams {
			return errors.Errorf("initializers of more than %d values", MaxParams)
		}
	}
	for _, t := range p.g.GetInitializer() {
		v, err := p.constant(t)
		if err != nil {
			return errors.Wrapf(err, "initializer %q", t.GetName())
		}
		v.src = t.GetName()
		p.vals[t.GetName()] = v
	}
	defer func() {
		for name, v := range p.vals {
			p.uses[v] += p.readers[name]
		}
	}()
	var data []*pb.ValueInfoProto
	for _, in := range p.g.GetInput() {
		if _, isInit := p.vals[in.GetName()]; !isInit {
			data = append(data, in)
		}
	}
	if len(data) != 1 {
		return errors.Errorf("%d graph inputs besides initializers: featlearn models take one", len(data))
	}
	if err := p.readInput(data[0]); err != nil {
		return errors.Wrapf(err, "input %q", data[0].GetName())
	}
	p.markLive()
	return nil
}

// readInput checks the input's type and shape: float, (N, C, H, W) or
// (N, F), every dimension but the batch fixed.
func (p *planner) readInput(in *pb.ValueInfoProto) error {
	tt := in.GetType().GetTensorType()
	if tt == nil {
		return errors.New("not a tensor")
	}
	switch pb.TensorProto_DataType(tt.GetElemType()) {
	case pb.TensorProto_FLOAT:
	case pb.TensorProto_DOUBLE:
		p.float64s = true
	default:
		return errors.Errorf("element type %s: want FLOAT or DOUBLE", dataTypeName(tt.GetElemType()))
	}
	dims := tt.GetShape().GetDim()
	if tt.GetShape() == nil || (len(dims) != 2 && len(dims) != 4) {
		return errors.Errorf("%d dimensions: want (N, C, H, W) or (N, F)", len(dims))
	}
	if v, ok := dims[0].GetValue().(*pb.TensorShapeProto_Dimension_DimValue); ok {
		if v.DimValue < 1 {
			return errors.Errorf("batch dimension %d", v.DimValue)
		}
		p.batch = v.DimValue
	}
	shape := make([]int, len(dims)-1)
	for i, d := range dims[1:] {
		v, ok := d.GetValue().(*pb.TensorShapeProto_Dimension_DimValue)
		if !ok || v.DimValue < 1 || v.DimValue > MaxActivation {
			return errors.Errorf("dimension %d is not a fixed size from 1 to %d", i+1, MaxActivation)
		}
		shape[i] = int(v.DimValue)
	}
	p.input = &value{kind: dataValue, shape: shape}
	if err := p.checkSize(shape); err != nil {
		return err
	}
	p.vals[in.GetName()] = p.input
	return nil
}

// markLive finds the nodes the graph's output depends on and counts the
// readers of every name among them.
func (p *planner) markLive() {
	producer := map[string]*pb.NodeProto{}
	for _, n := range p.g.GetNode() {
		for _, o := range n.GetOutput() {
			if o != "" {
				producer[o] = n
			}
		}
	}
	stack := []string{p.g.GetOutput()[0].GetName()}
	seen := map[string]bool{}
	for len(stack) > 0 {
		name := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		n := producer[name]
		if seen[name] || n == nil {
			continue
		}
		seen[name] = true
		if p.live[n] {
			continue
		}
		p.live[n] = true
		for _, in := range n.GetInput() {
			if in != "" {
				p.readers[in]++
				stack = append(stack, in)
			}
		}
	}
	p.readers[p.g.GetOutput()[0].GetName()]++
}

// constant reads an initializer or a Constant's tensor.
func (p *planner) constant(t *pb.TensorProto) (*value, error) {
	if isFloatType(t.GetDataType()) {
		dims, vals, err := readFloats(t)
		if err != nil {
			return nil, err
		}
		return &value{kind: floatConst, shape: dims, floats: vals}, nil
	}
	dims, vals, err := readInts(t)
	if err != nil {
		return nil, err
	}
	ints := make([]dim, len(vals))
	for i, v := range vals {
		ints[i] = dim{v: v}
	}
	return &value{kind: intConst, shape: dims, ints: ints}, nil
}

// checkSize refuses an example larger than MaxActivation.
func (p *planner) checkSize(shape []int) error {
	n := 1
	for _, d := range shape {
		if d < 1 || d > MaxActivation || n > MaxActivation/d {
			return errors.Errorf("shape %v holds more than %d values per example", shape, MaxActivation)
		}
		n *= d
	}
	return nil
}

// add appends a step computing a new data value of the given shape from
// the data values ins, with its parameters' values, and names that value.
func (p *planner) add(n *pb.NodeProto, l graph.Layer, ins []*value, shape []int, params ...localInit) (*pstep, error) {
	if err := p.checkSize(shape); err != nil {
		return nil, err
	}
	for _, in := range params {
		if p.params += len(in.vals); p.params > MaxParams {
			return nil, errors.Errorf("more than %d parameter values", MaxParams)
		}
	}
	st := &pstep{step: step{layer: nest(l.Name(), l), ins: ins}, path: l.Name(), params: params}
	st.out = &value{kind: dataValue, shape: shape, from: st}
	if m, ok := l.(*multiLayer); ok {
		st.multi = m
	}
	p.steps = append(p.steps, st)
	p.bind(n.GetOutput()[0], st.out)
	return st, nil
}

// bind names a value. Every name read is bound before it is read, so
// uses[v] counts every reader of v at any time.
func (p *planner) bind(name string, v *value) {
	p.vals[name] = v
	p.uses[v] += p.readers[name]
}

// name chooses the path of a node's layer: the layer part of its
// initializers' names when they share one (conv1 for conv1.weight and
// conv1.bias, layer1.0.conv1 for layer1.0.conv1.weight, each part made a
// valid name), else the part of its node name before the op (conv1 for
// PyTorch's "/conv1/Conv"), else its op type; made unique.
func (p *planner) name(n *pb.NodeProto, inits ...string) string {
	base := ""
	for _, in := range inits {
		i := strings.LastIndexByte(in, '.')
		if i <= 0 || strings.Contains(in, "::") {
			base = ""
			break
		}
		if base != "" && base != in[:i] {
			base = ""
			break
		}
		base = in[:i]
	}
	if base != "" {
		parts := strings.Split(base, ".")
		for i, part := range parts {
			parts[i] = layerName(part, "_")
		}
		base = strings.Join(parts, ".")
	} else {
		parts := strings.Split(strings.Trim(n.GetName(), "/"), "/")
		if k := len(parts); k > 1 && strings.HasPrefix(parts[k-1], n.GetOpType()) {
			parts = parts[:k-1]
		}
		base = layerName(strings.Join(parts, "_"), strings.ToLower(n.GetOpType()))
	}
	name := base
	for i := 2; p.taken[name]; i++ {
		name = fmt.Sprintf("%s_%d", base, i)
	}
	p.taken[name] = true
	return name
}

// in returns input i of a node, nil when it is absent.
func (p *planner) in(n *pb.NodeProto, i int) *value {
	if i >= len(n.GetInput()) || n.GetInput()[i] == "" {
		return nil
	}
	return p.vals[n.GetInput()[i]]
}

// data returns input i, which must be computed from the graph's input.
func (p *planner) data(n *pb.NodeProto, i int) (*value, error) {
	v := p.in(n, i)
	if v == nil || v.kind != dataValue {
		return nil, errors.Errorf("input %d must be computed from the graph's input", i)
	}
	if v.pad != nil {
		return nil, errors.Errorf("input %d comes from a Pad, which is supported only before Conv and AveragePool", i)
	}
	return v, nil
}

// dataOrPad returns input i, data or the zero padding of data, with the
// padding of its planes.
func (p *planner) dataOrPad(n *pb.NodeProto, i int) (x *value, h, w int, err error) {
	v := p.in(n, i)
	if v != nil && v.kind == dataValue && v.pad != nil {
		return v.pad.x, v.pad.h, v.pad.w, nil
	}
	x, err = p.data(n, i)
	return x, 0, 0, err
}

// floats returns input i, which must be a float constant.
func (p *planner) floats(n *pb.NodeProto, i int) (*value, error) {
	v := p.in(n, i)
	if v == nil || v.kind != floatConst {
		return nil, errors.Errorf("input %d must be a float initializer or constant", i)
	}
	return v, nil
}

// ints returns input i, which must be an integer constant.
func (p *planner) ints(n *pb.NodeProto, i int) (*value, error) {
	v := p.in(n, i)
	if v == nil || v.kind != intConst {
		return nil, errors.Errorf("input %d must be an integer constant", i)
	}
	return v, nil
}

// onlyOutput checks that of a node's outputs only the first is read.
func (p *planner) onlyOutput(n *pb.NodeProto) error {
	if len(n.GetOutput()) == 0 || n.GetOutput()[0] == "" {
		return errors.New("no output")
	}
	for i, o := range n.GetOutput()[1:] {
		if o != "" && p.readers[o] > 0 {
			return errors.Errorf("output %d (%q) is read, featlearn computes only the first", i+1, o)
		}
	}
	return nil
}

// attrs checks a node's attributes against the names an op knows and
// returns them by name.
func attrs(n *pb.NodeProto, known ...string) (map[string]*pb.AttributeProto, error) {
	m := map[string]*pb.AttributeProto{}
	for _, a := range n.GetAttribute() {
		ok := false
		for _, k := range known {
			ok = ok || a.GetName() == k
		}
		if !ok {
			return nil, errors.Errorf("attribute %q is not supported", a.GetName())
		}
		if a.GetRefAttrName() != "" || a.G != nil || len(a.Graphs) > 0 {
			return nil, errors.Errorf("attribute %q: references and subgraphs are not supported", a.GetName())
		}
		m[a.GetName()] = a
	}
	return m, nil
}

// attrInt returns an INT attribute or def.
func attrIntOf(m map[string]*pb.AttributeProto, name string, def int64) (int64, error) {
	a, ok := m[name]
	if !ok {
		return def, nil
	}
	if a.GetType() != pb.AttributeProto_INT && a.I == nil {
		return 0, errors.Errorf("attribute %q is not an integer", name)
	}
	return a.GetI(), nil
}

// attrIntsOf returns an INTS attribute, nil when absent.
func attrIntsOf(m map[string]*pb.AttributeProto, name string) ([]int64, error) {
	a, ok := m[name]
	if !ok {
		return nil, nil
	}
	if a.GetType() != pb.AttributeProto_INTS && len(a.Ints) == 0 {
		return nil, errors.Errorf("attribute %q is not a list of integers", name)
	}
	if len(a.Ints) > maxRank*2 {
		return nil, errors.Errorf("attribute %q holds %d integers", name, len(a.Ints))
	}
	return a.Ints, nil
}

// attrFloatOf returns a FLOAT attribute or def.
func attrFloatOf(m map[string]*pb.AttributeProto, name string, def float64) (float64, error) {
	a, ok := m[name]
	if !ok {
		return def, nil
	}
	if a.GetType() != pb.AttributeProto_FLOAT && a.F == nil {
		return 0, errors.Errorf("attribute %q is not a float", name)
	}
	return float64(a.GetF()), nil
}

// attrStringOf returns a STRING attribute or def.
func attrStringOf(m map[string]*pb.AttributeProto, name, def string) (string, error) {
	a, ok := m[name]
	if !ok {
		return def, nil
	}
	if a.GetType() != pb.AttributeProto_STRING && a.S == nil {
		return "", errors.Errorf("attribute %q is not a string", name)
	}
	return string(a.GetS()), nil
}
