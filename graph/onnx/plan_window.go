package onnx

import (
	"github.com/pkg/errors"

	pb "github.com/featlearn/featlearn/graph/onnx/internal/onnxpb"
	"github.com/featlearn/featlearn/ops"
)

// conv plans Conv with one group and no dilation.
func (p *planner) conv(n *pb.NodeProto) error {
	at, err := attrs(n, "auto_pad", "dilations", "group", "kernel_shape", "pads", "strides")
	if err != nil {
		return err
	}
	x, ph, pw, err := p.dataOrPad(n, 0)
	if err != nil {
		return err
	}
	w, err := p.floats(n, 1)
	if err != nil {
		return err
	}
	if len(x.shape) != 3 || len(w.shape) != 4 {
		return errors.Errorf("data %v per example and weight %v: only 2-D convolutions of (N, C, H, W) are supported", x.shape, w.shape)
	}
	if g, err := attrIntOf(at, "group", 1); err != nil || g != 1 {
		return errors.Errorf("group %d: only group 1 is supported", g)
	}
	if w.shape[1] != x.shape[0] {
		return errors.Errorf("weight %v for %d input channels", w.shape, x.shape[0])
	}
	win, err := windowOf(at, []int{x.shape[0], x.shape[1] + 2*ph, x.shape[2] + 2*pw}, w.shape[2], w.shape[3], false)
	if err != nil {
		return err
	}
	win.PadH, win.PadW = win.PadH+ph, win.PadW+pw
	out := w.shape[0]
	l := &convLayer{out: out, kh: w.shape[2], kw: w.shape[3], c: x.shape[0], p: ops.ConvParams{StrideH: win.StrideH, StrideW: win.StrideW, PadH: win.PadH, PadW: win.PadW}}
	params := []localInit{{"weight", w.floats}}
	inits := []string{w.src}
	if b := p.in(n, 2); b != nil {
		if b.kind != floatConst || len(b.floats) != out {
			return errors.Errorf("bias must be a constant of %d values", out)
		}
		l.bias = true
		params = append(params, localInit{"bias", b.floats})
		inits = append(inits, b.src)
	}
	l.name = p.name(n, inits...)
	_, err = p.add(n, l, []*value{x}, []int{out, outSide(x.shape[1], win.KernelH, win.StrideH, win.PadH), outSide(x.shape[2], win.KernelW, win.StrideW, win.PadW)}, params...)
	return err
}

// pool plans MaxPool and AveragePool.
func (p *planner) pool(n *pb.NodeProto) error {
	max := n.GetOpType() == "MaxPool"
	known := []string{"auto_pad", "ceil_mode", "dilations", "kernel_shape", "pads", "strides"}
	if max {
		known = append(known, "storage_order")
	} else {
		known = append(known, "count_include_pad")
	}
	at, err := attrs(n, known...)
	if err != nil {
		return err
	}
	if err := p.onlyOutput(n); err != nil {
		return err
	}
	x, ph, pw, err := p.dataOrPad(n, 0)
	if err != nil {
		return err
	}
	if len(x.shape) != 3 {
		return errors.Errorf("data of shape %v per example: want (C, H, W)", x.shape)
	}
	k, err := attrIntsOf(at, "kernel_shape")
	if err != nil || len(k) != 2 || k[0] < 1 || k[1] < 1 || k[0] > MaxActivation || k[1] > MaxActivation {
		return errors.Errorf("kernel_shape %v: want two sizes", k)
	}
	win, err := windowOf(at, []int{x.shape[0], x.shape[1] + 2*ph, x.shape[2] + 2*pw}, int(k[0]), int(k[1]), true)
	if err != nil {
		return err
	}
	include, err := attrIntOf(at, "count_include_pad", 0)
	if err != nil {
		return err
	}
	if ph+pw > 0 {
		// Zeros padded before an average pool that pads nothing itself
		// count in its averages: AveragePool with count_include_pad.
		if max || win.PadH+win.PadW > 0 {
			return errors.New("a Pad is supported before an AveragePool without pads of its own")
		}
		win.PadH, win.PadW, include = ph, pw, 1
	}
	if 2*win.PadH > win.KernelH || 2*win.PadW > win.KernelW {
		return errors.Errorf("pads %dx%d exceed half the kernel %dx%d", win.PadH, win.PadW, win.KernelH, win.KernelW)
	}
	l := &poolLayer{name: p.name(n), max: max, p: win, includePad: include != 0}
	_, err = p.add(n, l, []*value{x}, []int{x.shape[0], outSide(x.shape[1], win.KernelH, win.StrideH, win.PadH), outSide(x.shape[2], win.KernelW, win.StrideW, win.PadW)})
	return err
}

// outSide is the output length of a window sliding over n values.
func outSide(n, k, s, pad int) int { return (n+2*pad-k)/s + 1 }

// windowOf reads the strides, pads, dilations, auto_pad and, for pooling,
// ceil_mode of a window of kh×kw over data of per-example shape x,
// refusing what featlearn's ops cannot compute: dilation, asymmetric
// padding, and a ceil_mode that changes the output.
func windowOf(at map[string]*pb.AttributeProto, x []int, kh, kw int, pooling bool) (ops.PoolParams, error) {
	w := ops.PoolParams{KernelH: kh, KernelW: kw, StrideH: 1, StrideW: 1}
	if k, err := attrIntsOf(at, "kernel_shape"); err != nil || (k != nil && (len(k) != 2 || int(k[0]) != kh || int(k[1]) != kw)) {
		return w, errors.Errorf("kernel_shape %v does not match the weight's %dx%d", k, kh, kw)
	}
	if d, err := attrIntsOf(at, "dilations"); err != nil || (d != nil && (len(d) != 2 || d[0] != 1 || d[1] != 1)) {
		return w, errors.Errorf("dilations %v: only 1 is supported", d)
	}
	s, err := attrIntsOf(at, "strides")
	if err != nil || (s != nil && (len(s) != 2 || s[0] < 1 || s[1] < 1 || s[0] > MaxActivation || s[1] > MaxActivation)) {
		return w, errors.Errorf("strides %v: want two positive steps", s)
	}
	if s != nil {
		w.StrideH, w.StrideW = int(s[0]), int(s[1])
	}
	pads, err := attrIntsOf(at, "pads")
	if err != nil || (pads != nil && len(pads) != 4) {
		return w, errors.Errorf("pads %v: want four", pads)
	}
	for _, v := range pads {
		if v < 0 || v > MaxActivation {
			return w, errors.Errorf("pads %v out of range", pads)
		}
	}
	auto, err := attrStringOf(at, "auto_pad", "NOTSET")
	if err != nil {
		return w, err
	}
	begin, end := [2]int{}, [2]int{}
	switch auto {
	case "NOTSET", "":
		if pads != nil {
			begin, end = [2]int{int(pads[0]), int(pads[1])}, [2]int{int(pads[2]), int(pads[3])}
		}
	case "VALID":
	case "SAME_UPPER", "SAME_LOWER":
		for i, k := range []int{kh, kw} {
			st := []int{w.StrideH, w.StrideW}[i]
			out := (x[i+1] + st - 1) / st
			total := max(0, (out-1)*st+k-x[i+1])
			begin[i], end[i] = total/2, total-total/2
			if auto == "SAME_LOWER" {
				begin[i], end[i] = end[i], begin[i]
			}
		}
	default:
		return w, errors.Errorf("auto_pad %q is not supported", auto)
	}
	if begin != end {
		return w, errors.Errorf("asymmetric padding (begin %v, end %v) is not supported", begin, end)
	}
	w.PadH, w.PadW = begin[0], begin[1]
	for i, k := range []int{kh, kw} {
		st, pad := []int{w.StrideH, w.StrideW}[i], begin[i]
		if x[i+1]+2*pad < k {
			return w, errors.Errorf("a %dx%d window does not fit input %v with padding %v", kh, kw, x, begin)
		}
		if pooling {
			ceil, err := attrIntOf(at, "ceil_mode", 0)
			if err != nil {
				return w, err
			}
			if ceil != 0 && (x[i+1]+2*pad-k)%st != 0 {
				return w, errors.New("ceil_mode 1 changes the output here, and is not supported")
			}
		}
	}
	return w, nil
}

// globalPool plans GlobalAveragePool, which keeps a (1, 1) plane.
func (p *planner) globalPool(n *pb.NodeProto) error {
	if _, err := attrs(n); err != nil {
		return err
	}
	x, err := p.data(n, 0)
	if err != nil {
		return err
	}
	if len(x.shape) != 3 {
		return errors.Errorf("data of shape %v per example: want (C, H, W)", x.shape)
	}
	_, err = p.add(n, &gapLayer{name: p.name(n), keep: true}, []*value{x}, []int{x.shape[0], 1, 1})
	return err
}

// pad plans a constant zero Pad of the planes of (N, C, H, W) data, the
// same on both sides, for the Conv or AveragePool that reads it.
func (p *planner) pad(n *pb.NodeProto) error {
	at, err := attrs(n, "mode", "pads", "value")
	if err != nil {
		return err
	}
	if mode, err := attrStringOf(at, "mode", "constant"); err != nil || mode != "constant" {
		return errors.Errorf("mode %q: only constant padding is supported", mode)
	}
	x, err := p.data(n, 0)
	if err != nil {
		return err
	}
	pads, err := attrIntsOf(at, "pads")
	if err != nil {
		return err
	}
	if v := p.in(n, 1); v != nil {
		if v.kind != intConst {
			return errors.New("pads must be an integer constant")
		}
		pads = nil
		for _, d := range v.ints {
			pads = append(pads, d.v)
		}
	}
	fill, err := attrFloatOf(at, "value", 0)
	if err != nil {
		return err
	}
	if c := p.in(n, 2); c != nil {
		if c.kind != floatConst || len(c.floats) > 1 {
			return errors.New("constant_value must be a float constant")
		}
		if len(c.floats) == 1 {
			fill = c.floats[0]
		}
	}
	if p.in(n, 3) != nil {
		return errors.New("axes are not supported")
	}
	if fill != 0 {
		return errors.Errorf("padding with %v: only zeros are supported", fill)
	}
	if len(x.shape) != 3 || len(pads) != 8 || pads[0] != 0 || pads[1] != 0 || pads[4] != 0 || pads[5] != 0 ||
		pads[2] != pads[6] || pads[3] != pads[7] || pads[2] < 0 || pads[3] < 0 || pads[2] > MaxActivation || pads[3] > MaxActivation {
		return errors.Errorf("pads %v of data %v per example: only the same padding on both sides of the planes of (N, C, H, W) is supported", pads, x.shape)
	}
	h, w := int(pads[2]), int(pads[3])
	if h == 0 && w == 0 {
		return p.alias(n, x)
	}
	shape := []int{x.shape[0], x.shape[1] + 2*h, x.shape[2] + 2*w}
	if err := p.checkSize(shape); err != nil {
		return err
	}
	return p.alias(n, &value{kind: dataValue, shape: shape, pad: &padded{x: x, h: h, w: w}})
}
