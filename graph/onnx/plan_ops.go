package onnx

import (
	"fmt"
	"strconv"

	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"

	"github.com/featlearn/featlearn/graph"
	pb "github.com/featlearn/featlearn/graph/onnx/internal/onnxpb"
	"github.com/featlearn/featlearn/ops"
)

// plan turns one ONNX node into a layer, a constant or an alias.
func (p *planner) plan(n *pb.NodeProto) error {
	if d := n.GetDomain(); d != "" && d != "ai.onnx" {
		return errors.Errorf("op domain %q is not supported", d)
	}
	if len(n.GetOutput()) == 0 || n.GetOutput()[0] == "" {
		return errors.New("no output")
	}
	switch n.GetOpType() {
	case "Gemm":
		return p.gemm(n)
	case "MatMul":
		return p.matMul(n)
	case "Conv":
		return p.conv(n)
	case "MaxPool", "AveragePool":
		return p.pool(n)
	case "Pad":
		return p.pad(n)
	case "GlobalAveragePool":
		return p.globalPool(n)
	case "BatchNormalization":
		return p.batchNorm(n)
	case "Dropout":
		return p.dropout(n)
	case "Relu", "Sigmoid", "Tanh", "LeakyRelu":
		return p.activation(n)
	case "Softmax", "LogSoftmax":
		return p.softmax(n)
	case "Add":
		return p.add2(n)
	case "Mul":
		return p.mul(n)
	case "Concat":
		return p.concat(n)
	case "Flatten":
		return p.flatten(n)
	case "Reshape":
		return p.reshape(n)
	case "Squeeze", "Unsqueeze":
		return p.squeeze(n)
	case "Identity":
		return p.identity(n)
	case "Constant":
		return p.constantNode(n)
	case "Shape":
		return p.shapeOf(n)
	case "Gather":
		return p.gather(n)
	case "Slice":
		return p.slice(n)
	case "Cast":
		return p.cast(n)
	}
	return errors.Errorf("op %s is not supported", n.GetOpType())
}

// gemm plans Gemm(A, B, C) = alpha·A·op(B) + beta·C with A the data and B,
// C constants, as a dense layer of weight alpha·op(B)ᵀ and bias beta·C.
func (p *planner) gemm(n *pb.NodeProto) error {
	at, err := attrs(n, "alpha", "beta", "transA", "transB")
	if err != nil {
		return err
	}
	alpha, err := attrFloatOf(at, "alpha", 1)
	if err != nil {
		return err
	}
	beta, err := attrFloatOf(at, "beta", 1)
	if err != nil {
		return err
	}
	transA, err := attrIntOf(at, "transA", 0)
	if err != nil {
		return err
	}
	transB, err := attrIntOf(at, "transB", 0)
	if err != nil {
		return err
	}
	if transA != 0 {
		return errors.New("transA is not supported: the data must be (N, K)")
	}
	x, err := p.data(n, 0)
	if err != nil {
		return err
	}
	b, err := p.floats(n, 1)
	if err != nil {
		return err
	}
	w, out, err := denseWeight(x, b, transB != 0, alpha)
	if err != nil {
		return err
	}
	inits := []string{b.src}
	var bias []float64
	if c := p.in(n, 2); c != nil {
		if c.kind != floatConst {
			return errors.New("input 2 (C) must be a float constant")
		}
		if bias, err = broadcastBias(c, out, beta); err != nil {
			return err
		}
		inits = append(inits, c.src)
	}
	return p.dense(n, "Gemm", x, w, out, bias, inits...)
}

// denseWeight returns the (out, in) weight of a dense layer over data x
// from a 2-D constant b, (out, in) when transposed is set, else (in, out),
// scaled by alpha.
func denseWeight(x, b *value, transposed bool, alpha float64) ([]float64, int, error) {
	if len(x.shape) != 1 {
		return nil, 0, errors.Errorf("data of shape %v per example: want vectors", x.shape)
	}
	if len(b.shape) != 2 {
		return nil, 0, errors.Errorf("weight of shape %v: want 2 dimensions", b.shape)
	}
	k := x.shape[0]
	rows, cols := b.shape[0], b.shape[1]
	if (transposed && cols != k) || (!transposed && rows != k) {
		return nil, 0, errors.Errorf("weight of shape %v does not take vectors of %d", b.shape, k)
	}
	out := cols
	if transposed {
		out = rows
	}
	w := make([]float64, out*k)
	for o := range out {
		for i := range k {
			if transposed {
				w[o*k+i] = alpha * b.floats[o*cols+i]
			} else {
				w[o*k+i] = alpha * b.floats[i*cols+o]
			}
		}
	}
	return w, out, nil
}

// broadcastBias returns beta·c broadcast to out values: c holds out
// values, (1, out), or one value.
func broadcastBias(c *value, out int, beta float64) ([]float64, error) {
	nc := len(c.floats)
	if nc != 1 && (nc != out || (len(c.shape) == 2 && c.shape[0] != 1) || len(c.shape) > 2) {
		return nil, errors.Errorf("bias of shape %v for %d outputs", c.shape, out)
	}
	b := make([]float64, out)
	for i := range b {
		b[i] = beta * c.floats[min(i, nc-1)]
	}
	return b, nil
}

// dense adds a dense layer; a bias given later by an Add joins it.
func (p *planner) dense(n *pb.NodeProto, kind string, x *value, w []float64, out int, bias []float64, inits ...string) error {
	l := &denseLayer{name: p.name(n, inits...), kind: kind, out: out, bias: bias != nil}
	params := []localInit{{"weight", w}}
	if bias != nil {
		params = append(params, localInit{"bias", bias})
	}
	_, err := p.add(n, l, []*value{x}, []int{out}, params...)
	return err
}

// matMul plans MatMul(data, constant) as a dense layer without bias.
func (p *planner) matMul(n *pb.NodeProto) error {
	if _, err := attrs(n); err != nil {
		return err
	}
	x, err := p.data(n, 0)
	if err != nil {
		return err
	}
	b, err := p.floats(n, 1)
	if err != nil {
		return errors.Wrap(err, "MatMul needs a constant second input")
	}
	w, out, err := denseWeight(x, b, false, 1)
	if err != nil {
		return err
	}
	return p.dense(n, "MatMul", x, w, out, nil, b.src)
}

// batchNorm plans BatchNormalization in evaluation mode as featlearn's
// BatchNorm layer, which trains like PyTorch's.
func (p *planner) batchNorm(n *pb.NodeProto) error {
	at, err := attrs(n, "epsilon", "momentum", "training_mode", "spatial")
	if err != nil {
		return err
	}
	if t, err := attrIntOf(at, "training_mode", 0); err != nil || t != 0 {
		return errors.New("training_mode 1 is not supported: export the model in evaluation mode")
	}
	if s, err := attrIntOf(at, "spatial", 1); err != nil || s != 1 {
		return errors.New("spatial 0 is not supported")
	}
	if err := p.onlyOutput(n); err != nil {
		return err
	}
	eps, err := attrFloatOf(at, "epsilon", 1e-5)
	if err != nil {
		return err
	}
	momentum, err := attrFloatOf(at, "momentum", 0.9)
	if err != nil {
		return err
	}
	if !(eps > 0) || !(momentum >= 0 && momentum <= 1) {
		return errors.Errorf("epsilon %v, momentum %v", eps, momentum)
	}
	x, err := p.data(n, 0)
	if err != nil {
		return err
	}
	if len(x.shape) != 1 && len(x.shape) != 3 {
		return errors.Errorf("data of shape %v per example: want (C) or (C, H, W)", x.shape)
	}
	c := x.shape[0]
	names := []string{"weight", "bias", "running_mean", "running_var"}
	params := make([]localInit, 4)
	var inits []string
	for i := range 4 {
		v, err := p.floats(n, i+1)
		if err != nil {
			return err
		}
		if len(v.floats) != c {
			return errors.Errorf("input %d holds %d values for %d channels", i+1, len(v.floats), c)
		}
		params[i] = localInit{names[i], v.floats}
		inits = append(inits, v.src)
	}
	// ONNX's momentum weighs the running statistics, PyTorch's the batch.
	l := graph.BatchNorm(p.name(n, inits...)).Eps(tidy(eps)).Momentum(round15(1 - tidy(momentum)))
	_, err = p.add(n, l, []*value{x}, x.shape, params...)
	return err
}

// dropout plans Dropout as featlearn's layer: the identity when
// evaluating, inverted dropout when fine-tuning.
func (p *planner) dropout(n *pb.NodeProto) error {
	at, err := attrs(n, "ratio", "seed", "is_test")
	if err != nil {
		return err
	}
	if err := p.onlyOutput(n); err != nil {
		return err
	}
	x, err := p.data(n, 0)
	if err != nil {
		return err
	}
	rate, err := attrFloatOf(at, "ratio", 0.5)
	if err != nil {
		return err
	}
	if r := p.in(n, 1); r != nil {
		if r.kind != floatConst || len(r.floats) != 1 {
			return errors.New("ratio must be a constant")
		}
		rate = r.floats[0]
	}
	if t := p.in(n, 2); t != nil && (t.kind == dataValue || anyNonZero(t)) {
		return errors.New("training_mode must be false")
	}
	if !(rate >= 0 && rate < 1) {
		return errors.Errorf("ratio %v", rate)
	}
	_, err = p.add(n, graph.Dropout(p.name(n), rate), []*value{x}, x.shape)
	return err
}

// anyNonZero says whether a constant holds a value other than 0.
func anyNonZero(v *value) bool {
	for _, f := range v.floats {
		if f != 0 {
			return true
		}
	}
	for _, d := range v.ints {
		if d.batch || d.v != 0 {
			return true
		}
	}
	return false
}

// activation plans Relu, Sigmoid, Tanh and LeakyRelu.
func (p *planner) activation(n *pb.NodeProto) error {
	at, err := attrs(n, "alpha")
	if err != nil {
		return err
	}
	x, err := p.data(n, 0)
	if err != nil {
		return err
	}
	l := &fnLayer{name: p.name(n), kind: n.GetOpType()}
	switch n.GetOpType() {
	case "Relu":
		l.f = ops.ReLU
	case "Sigmoid":
		l.f = ops.Sigmoid
	case "Tanh":
		l.f = ops.Tanh
	case "LeakyRelu":
		alpha, err := attrFloatOf(at, "alpha", 0.01)
		if err != nil {
			return err
		}
		alpha = tidy(alpha)
		l.kind = fmt.Sprintf("LeakyRelu %g", alpha)
		l.f = func(x *G.Node) (*G.Node, error) { return ops.LeakyReLU(x, alpha) }
	}
	if _, ok := at["alpha"]; ok && n.GetOpType() != "LeakyRelu" {
		return errors.New("attribute \"alpha\" is not supported")
	}
	_, err = p.add(n, l, []*value{x}, x.shape)
	return err
}

// softmax plans Softmax and LogSoftmax over the last axis.
func (p *planner) softmax(n *pb.NodeProto) error {
	at, err := attrs(n, "axis")
	if err != nil {
		return err
	}
	x, err := p.data(n, 0)
	if err != nil {
		return err
	}
	def := int64(1)
	if p.opset >= 13 {
		def = -1
	}
	axis, err := attrIntOf(at, "axis", def)
	if err != nil {
		return err
	}
	rank := int64(len(x.shape) + 1)
	if axis < 0 {
		axis += rank
	}
	if axis != rank-1 {
		return errors.Errorf("axis %d of a rank-%d tensor: only the last axis is supported", axis, rank)
	}
	l := &fnLayer{name: p.name(n), kind: n.GetOpType(), f: ops.Softmax}
	if n.GetOpType() == "LogSoftmax" {
		l.f = ops.LogSoftmax
	}
	_, err = p.add(n, l, []*value{x}, x.shape)
	return err
}

// tidy reads a float32 attribute as the shortest decimal that rounds to
// it, the number its writer meant: float32(1e-5) reads back as 1e-5.
func tidy(v float64) float64 {
	t, err := strconv.ParseFloat(strconv.FormatFloat(v, 'g', -1, 32), 64)
	if err != nil {
		return v
	}
	return t
}

// round15 rounds to 15 significant digits, so that 1 - 0.9 is 0.1.
func round15(v float64) float64 {
	t, err := strconv.ParseFloat(strconv.FormatFloat(v, 'g', 15, 64), 64)
	if err != nil {
		return v
	}
	return t
}
