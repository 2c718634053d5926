package onnx

import (
	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"

	"github.com/featlearn/featlearn/ops"

	pb "github.com/featlearn/featlearn/graph/onnx/internal/onnxpb"
)

// alias makes a node's first output name the value v.
func (p *planner) alias(n *pb.NodeProto, v *value) error {
	p.bind(n.GetOutput()[0], v)
	return nil
}

// add2 plans Add: of two data values of one shape, or of a data value and
// a constant that becomes the bias of the MatMul or Conv before it.
func (p *planner) add2(n *pb.NodeProto) error {
	if _, err := attrs(n); err != nil {
		return err
	}
	a, b := p.in(n, 0), p.in(n, 1)
	if a == nil || b == nil {
		return errors.New("Add takes two inputs")
	}
	if a.kind != dataValue {
		a, b = b, a
	}
	switch {
	case a.kind == dataValue && b.kind == dataValue:
		if !sameShape(a.shape, b.shape) {
			return errors.Errorf("shapes %v and %v: only equal shapes are supported", a.shape, b.shape)
		}
		l := &multiLayer{name: p.name(n), kind: "Add", out: a.shape,
			f: func(xs ...*G.Node) (*G.Node, error) { return ops.Add(xs[0], xs[1]) }}
		_, err := p.add(n, l, []*value{a, b}, a.shape)
		return err
	case a.kind == dataValue && b.kind == floatConst:
		if err := p.fuseBias(n, a, b); err != nil {
			return err
		}
		return p.alias(n, a)
	}
	return errors.New("Add of constants or integers is not supported")
}

// fuseBias makes the constant c the bias of the biasless dense or
// convolution layer that computes x and nothing else reads.
func (p *planner) fuseBias(n *pb.NodeProto, x, c *value) error {
	refuse := errors.Errorf("Add of a constant of shape %v is supported only as the bias of the MatMul, Gemm or Conv before it", c.shape)
	st := x.from
	if st == nil || p.uses[x] != 1 {
		return refuse
	}
	switch l := st.layer.(type) {
	case *denseLayer:
		if l.bias {
			return refuse
		}
		b, err := broadcastBias(c, l.out, 1)
		if err != nil || len(c.floats) != l.out {
			return refuse
		}
		l.bias = true
		st.params = append(st.params, localInit{"bias", b})
	case *convLayer:
		if l.bias || len(c.floats) != l.out || !channelShape(c.shape, l.out) {
			return refuse
		}
		l.bias = true
		st.params = append(st.params, localInit{"bias", c.floats})
	default:
		return refuse
	}
	return nil
}

// channelShape says whether a constant of shape s holds one value per
// channel of c, broadcast over a map's plane: (C, 1, 1) or (1, C, 1, 1).
func channelShape(s []int, c int) bool {
	if len(s) == 4 && s[0] == 1 {
		s = s[1:]
	}
	return len(s) == 3 && s[0] == c && s[1] == 1 && s[2] == 1
}

// mul plans Mul of data by a per-channel constant as a trainable scale.
func (p *planner) mul(n *pb.NodeProto) error {
	if _, err := attrs(n); err != nil {
		return err
	}
	a, b := p.in(n, 0), p.in(n, 1)
	if a == nil || b == nil {
		return errors.New("Mul takes two inputs")
	}
	if a.kind != dataValue {
		a, b = b, a
	}
	if a.kind != dataValue || b.kind != floatConst {
		return errors.New("only Mul of data by a constant is supported")
	}
	c := a.shape[0]
	ok := len(a.shape) == 3 && channelShape(b.shape, c)
	ok = ok || (len(a.shape) == 1 && len(b.floats) == c && (len(b.shape) == 1 || (len(b.shape) == 2 && b.shape[0] == 1)))
	if !ok {
		return errors.Errorf("Mul of data %v per example by a constant of shape %v: only one value per channel is supported", a.shape, b.shape)
	}
	_, err := p.add(n, &scaleLayer{name: p.name(n, b.src), c: c}, []*value{a}, a.shape, localInit{"weight", b.floats})
	return err
}

// concat plans Concat of data values, or of integer vectors.
func (p *planner) concat(n *pb.NodeProto) error {
	at, err := attrs(n, "axis")
	if err != nil {
		return err
	}
	axis, err := attrIntOf(at, "axis", 0)
	if err != nil {
		return err
	}
	if _, ok := at["axis"]; !ok {
		return errors.New("no axis")
	}
	var ins []*value
	for i := range n.GetInput() {
		v := p.in(n, i)
		if v == nil {
			return errors.Errorf("input %d is absent", i)
		}
		ins = append(ins, v)
	}
	if len(ins) == 0 {
		return errors.New("no inputs")
	}
	if ins[0].kind == intConst {
		out := &value{kind: intConst, shape: []int{0}}
		for _, v := range ins {
			if v.kind != intConst || len(v.shape) != 1 || (axis != 0 && axis != -1) {
				return errors.New("only integer vectors concatenate with integer vectors")
			}
			out.ints = append(out.ints, v.ints...)
		}
		out.shape[0] = len(out.ints)
		return p.alias(n, out)
	}
	rank := int64(len(ins[0].shape) + 1)
	if axis < 0 {
		axis += rank
	}
	if axis < 1 || axis >= rank {
		return errors.Errorf("axis %d of rank %d: only axes after the batch are supported", axis, rank)
	}
	out := append([]int(nil), ins[0].shape...)
	for i, v := range ins {
		if v.kind != dataValue || len(v.shape) != len(out) {
			return errors.Errorf("input %d is not data of rank %d", i, rank)
		}
		for d := range v.shape {
			if d != int(axis-1) && v.shape[d] != ins[0].shape[d] {
				return errors.Errorf("input %d of shape %v does not join input 0 of %v", i, v.shape, ins[0].shape)
			}
		}
		if i > 0 {
			out[axis-1] += v.shape[axis-1]
		}
	}
	ax := int(axis)
	l := &multiLayer{name: p.name(n), kind: "Concat", out: out,
		f: func(xs ...*G.Node) (*G.Node, error) { return ops.Concat(ax, xs...) }}
	_, err = p.add(n, l, ins, out)
	return err
}

// flatten plans Flatten at axis 1: every example becomes a vector.
func (p *planner) flatten(n *pb.NodeProto) error {
	at, err := attrs(n, "axis")
	if err != nil {
		return err
	}
	x, err := p.data(n, 0)
	if err != nil {
		return err
	}
	axis, err := attrIntOf(at, "axis", 1)
	if err != nil {
		return err
	}
	if axis < 0 {
		axis += int64(len(x.shape) + 1)
	}
	if axis != 1 {
		return errors.Errorf("axis %d: only 1, which keeps the batch, is supported", axis)
	}
	return p.reshapeTo(n, x, []int{size(x.shape)}, "Flatten")
}

// reshapeTo plans a reshape of data x to a per-example shape: nothing when
// it keeps the shape, the vector of a GlobalAveragePool that nothing else
// reads, else a reshape layer.
func (p *planner) reshapeTo(n *pb.NodeProto, x *value, to []int, kind string) error {
	if size(to) != size(x.shape) {
		return errors.Errorf("shape %v per example does not reshape to %v", x.shape, to)
	}
	if sameShape(x.shape, to) {
		return p.alias(n, x)
	}
	if st := x.from; st != nil && len(to) == 1 && p.uses[x] == 1 {
		if g, ok := st.layer.(*gapLayer); ok && g.keep {
			g.keep = false
			st.out.shape = to
			return p.alias(n, st.out)
		}
	}
	_, err := p.add(n, &reshapeLayer{name: p.name(n), kind: kind, to: to}, []*value{x}, to)
	return err
}

// reshape plans Reshape of data, keeping the batch, or of a constant.
func (p *planner) reshape(n *pb.NodeProto) error {
	at, err := attrs(n, "allowzero")
	if err != nil {
		return err
	}
	allowZero, err := attrIntOf(at, "allowzero", 0)
	if err != nil {
		return err
	}
	x := p.in(n, 0)
	s, err := p.ints(n, 1)
	if err != nil {
		return err
	}
	if x == nil || len(s.shape) != 1 {
		return errors.New("Reshape takes data and a shape vector")
	}
	full := make([]dim, 0, len(x.shape)+1)
	if x.kind == dataValue {
		full = append(full, dim{batch: true})
	}
	for _, d := range x.shape {
		full = append(full, dim{v: int64(d)})
	}
	target := make([]dim, len(s.ints))
	infer := -1
	for i, d := range s.ints {
		switch {
		case d.batch || (x.kind == dataValue && i == 0 && p.batch > 0 && d.v == p.batch):
			target[i] = dim{batch: true}
		case d.v == 0 && allowZero == 0:
			if i >= len(full) {
				return errors.Errorf("shape %v copies dimension %d of a rank-%d tensor", s.ints, i, len(full))
			}
			target[i] = full[i]
		case d.v == -1 && infer < 0:
			infer = i
		case d.v < 1 || d.v > MaxActivation:
			return errors.Errorf("shape entry %d", d.v)
		default:
			target[i] = dim{v: d.v}
		}
	}
	if x.kind == dataValue && infer == 0 {
		target[0], infer = dim{batch: true}, -1 // -1 then stands for the batch
	}
	var per []int
	for i, d := range target {
		switch {
		case i == 0 && x.kind == dataValue:
			if !d.batch {
				return errors.Errorf("shape %v does not keep the batch first", s.ints)
			}
		case d.batch:
			return errors.Errorf("shape %v moves the batch", s.ints)
		default:
			per = append(per, int(d.v))
		}
	}
	want := len(x.floats)
	if x.kind == dataValue {
		want = size(x.shape)
	}
	if infer >= 0 {
		k := infer
		if x.kind == dataValue {
			k--
		}
		per[k] = 1
		if rest := size(per); rest == 0 || want%rest != 0 {
			return errors.Errorf("shape %v does not fit %d values", s.ints, want)
		} else {
			per[k] = want / rest
		}
	}
	switch x.kind {
	case dataValue:
		return p.reshapeTo(n, x, per, "Reshape")
	case floatConst:
		if size(per) != want {
			return errors.Errorf("shape %v does not fit %d values", s.ints, want)
		}
		return p.alias(n, &value{kind: floatConst, shape: per, floats: x.floats, src: x.src})
	}
	return errors.New("Reshape of integers is not supported")
}

// squeeze plans Squeeze and Unsqueeze of data, keeping the batch, and of
// integer scalars and vectors.
func (p *planner) squeeze(n *pb.NodeProto) error {
	at, err := attrs(n, "axes")
	if err != nil {
		return err
	}
	x := p.in(n, 0)
	if x == nil {
		return errors.New("no input")
	}
	axes, err := attrIntsOf(at, "axes")
	if err != nil {
		return err
	}
	if a := p.in(n, 1); a != nil {
		if a.kind != intConst || len(a.ints) > maxRank {
			return errors.New("axes must be an integer constant")
		}
		axes = nil
		for _, d := range a.ints {
			axes = append(axes, d.v)
		}
	}
	full := append([]int(nil), x.shape...)
	if x.kind == dataValue {
		full = append([]int{-1}, full...) // the batch
	}
	unsq := n.GetOpType() == "Unsqueeze"
	rank := len(full)
	if unsq {
		rank += len(axes)
	}
	drop := map[int]bool{}
	for _, a := range axes {
		if a < 0 {
			a += int64(rank)
		}
		if a < 0 || a >= int64(rank) || drop[int(a)] || (x.kind == dataValue && a == 0) {
			return errors.Errorf("axes %v of rank %d", axes, rank)
		}
		drop[int(a)] = true
	}
	var out []int
	if unsq {
		for i, j := 0, 0; i < rank; i++ {
			if drop[i] {
				out = append(out, 1)
			} else {
				out = append(out, full[j])
				j++
			}
		}
	} else {
		for i, d := range full {
			switch {
			case drop[i] && d != 1:
				return errors.Errorf("axis %d has size %d", i, d)
			case drop[i], len(axes) == 0 && d == 1:
			default:
				out = append(out, d)
			}
		}
	}
	switch x.kind {
	case dataValue:
		return p.reshapeTo(n, x, out[1:], n.GetOpType())
	case intConst:
		return p.alias(n, &value{kind: intConst, shape: out, ints: x.ints})
	}
	return p.alias(n, &value{kind: floatConst, shape: out, floats: x.floats, src: x.src})
}

// identity plans Identity: its output is its input.
func (p *planner) identity(n *pb.NodeProto) error {
	if _, err := attrs(n); err != nil {
		return err
	}
	x := p.in(n, 0)
	if x == nil {
		return errors.New("no input")
	}
	return p.alias(n, x)
}

// constantNode plans Constant: a value known while importing.
func (p *planner) constantNode(n *pb.NodeProto) error {
	at, err := attrs(n, "value", "value_float", "value_floats", "value_int", "value_ints")
	if err != nil {
		return err
	}
	if len(at) != 1 {
		return errors.New("want exactly one value attribute")
	}
	for name, a := range at {
		switch name {
		case "value":
			if a.T == nil {
				return errors.New("value holds no tensor")
			}
			v, err := p.constant(a.T)
			if err != nil {
				return err
			}
			v.src = n.GetOutput()[0]
			return p.alias(n, v)
		case "value_float", "value_floats":
			fs := a.GetFloats()
			shape := []int{len(fs)}
			if name == "value_float" {
				fs, shape = []float32{a.GetF()}, nil
			}
			v := &value{kind: floatConst, shape: shape, src: n.GetOutput()[0]}
			for _, f := range fs {
				v.floats = append(v.floats, float64(f))
			}
			return p.alias(n, v)
		default:
			is := a.GetInts()
			shape := []int{len(is)}
			if name == "value_int" {
				is, shape = []int64{a.GetI()}, nil
			}
			if len(is) > maxIntElements {
				return errors.Errorf("%d integers", len(is))
			}
			v := &value{kind: intConst, shape: shape}
			for _, i := range is {
				v.ints = append(v.ints, dim{v: i})
			}
			return p.alias(n, v)
		}
	}
	return nil
}

// shapeOf plans Shape: the batch, unknown while importing, and the fixed
// dimensions.
func (p *planner) shapeOf(n *pb.NodeProto) error {
	at, err := attrs(n, "start", "end")
	if err != nil {
		return err
	}
	x := p.in(n, 0)
	if x == nil {
		return errors.New("no input")
	}
	var dims []dim
	if x.kind == dataValue {
		dims = append(dims, dim{batch: true})
	}
	for _, d := range x.shape {
		dims = append(dims, dim{v: int64(d)})
	}
	r := int64(len(dims))
	start, err := attrIntOf(at, "start", 0)
	if err != nil {
		return err
	}
	end, err := attrIntOf(at, "end", r)
	if err != nil {
		return err
	}
	start, end = clampIndex(start, r), clampIndex(end, r)
	if end < start {
		end = start
	}
	dims = dims[start:end]
	return p.alias(n, &value{kind: intConst, shape: []int{len(dims)}, ints: dims})
}

// clampIndex resolves a negative index and clamps it to [0, r].
func clampIndex(i, r int64) int64 {
	if i < 0 {
		i += r
	}
	return min(max(i, 0), r)
}

// gather plans Gather of an integer vector at constant indices.
func (p *planner) gather(n *pb.NodeProto) error {
	at, err := attrs(n, "axis")
	if err != nil {
		return err
	}
	if a, err := attrIntOf(at, "axis", 0); err != nil || a != 0 {
		return errors.New("only axis 0 is supported")
	}
	x, err := p.ints(n, 0)
	if err != nil {
		return errors.Wrap(err, "Gather is supported on shapes only")
	}
	idx, err := p.ints(n, 1)
	if err != nil {
		return err
	}
	if len(x.shape) != 1 || len(idx.shape) > 1 {
		return errors.New("only a vector gathered at a scalar or a vector is supported")
	}
	out := &value{kind: intConst, shape: append([]int(nil), idx.shape...)}
	r := int64(len(x.ints))
	for _, i := range idx.ints {
		k := i.v
		if k < 0 {
			k += r
		}
		if i.batch || k < 0 || k >= r {
			return errors.Errorf("index %d of %d values", i.v, r)
		}
		out.ints = append(out.ints, x.ints[k])
	}
	return p.alias(n, out)
}

// slice plans Slice of an integer vector with constant bounds and step 1.
func (p *planner) slice(n *pb.NodeProto) error {
	if _, err := attrs(n); err != nil {
		return err
	}
	x, err := p.ints(n, 0)
	if err != nil {
		return errors.Wrap(err, "Slice is supported on shapes only")
	}
	if len(x.shape) != 1 {
		return errors.New("only vectors are supported")
	}
	var b [4]int64 // starts, ends, axes, steps
	for i := 1; i <= 4; i++ {
		v := p.in(n, i)
		switch {
		case v == nil && i <= 2:
			return errors.Errorf("input %d is absent", i)
		case v == nil:
			b[i-1] = []int64{0, 1}[i-3]
			continue
		case v.kind != intConst || len(v.ints) != 1 || v.ints[0].batch:
			return errors.Errorf("input %d must be one integer", i)
		}
		b[i-1] = v.ints[0].v
	}
	if (b[2] != 0 && b[2] != -1) || b[3] != 1 {
		return errors.New("only axis 0 and step 1 are supported")
	}
	r := int64(len(x.ints))
	lo, hi := clampIndex(b[0], r), clampIndex(b[1], r)
	if hi < lo {
		hi = lo
	}
	return p.alias(n, &value{kind: intConst, shape: []int{int(hi - lo)}, ints: x.ints[lo:hi]})
}

// cast plans Cast between integer types, between float types of
// constants, and of data to its own type.
func (p *planner) cast(n *pb.NodeProto) error {
	at, err := attrs(n, "to", "saturate")
	if err != nil {
		return err
	}
	to, err := attrIntOf(at, "to", 0)
	if err != nil {
		return err
	}
	x := p.in(n, 0)
	if x == nil {
		return errors.New("no input")
	}
	isInt := to == int64(pb.TensorProto_INT64) || to == int64(pb.TensorProto_INT32)
	isFloat := isFloatType(int32(to))
	switch {
	case x.kind == intConst && isInt, x.kind == floatConst && isFloat:
		return p.alias(n, x)
	case x.kind == dataValue && isFloat && (to == int64(pb.TensorProto_DOUBLE)) == p.float64s:
		return p.alias(n, x)
	}
	return errors.Errorf("Cast to %s is not supported here", dataTypeName(int32(to)))
}
