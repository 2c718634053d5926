package arch

import (
	"fmt"
	"math"

	"github.com/featlearn/featlearn/graph"
)

// Limits bound what a SPEC may build. Check works them out from the SPEC
// alone, so a SPEC beyond them is refused before anything is allocated.
type Limits struct {
	// MaxParams bounds the trainable values in all.
	MaxParams int
	// MaxLayers bounds the layers, counting those inside blocks.
	MaxLayers int
	// MaxWidth bounds the filters or units of one layer.
	MaxWidth int
	// MaxValues bounds the values of one example's activations, summed
	// over the layers: a batch's memory grows with it.
	MaxValues int
}

// DefaultLimits allow 64 Mi parameters (256 MiB of float32), 512 layers
// of up to 65,536 filters or units, and 64 Mi activation values per
// example.
var DefaultLimits = Limits{MaxParams: 1 << 26, MaxLayers: 512, MaxWidth: 1 << 16, MaxValues: 1 << 26}

// Names of the limits, as LimitError gives them.
const (
	LimitParams = "params"
	LimitLayers = "layers"
	LimitWidth  = "width"
	LimitValues = "values"
)

// LimitError is a SPEC that exceeds one of its Limits.
type LimitError struct {
	Err   *Error // the token and the numbers
	Limit string // LimitParams, LimitLayers, LimitWidth or LimitValues
}

func (e *LimitError) Error() string { return e.Err.Error() }

// Unwrap returns the SPEC error.
func (e *LimitError) Unwrap() error { return e.Err }

// Info is what Check works out about a SPEC for an input shape.
type Info struct {
	// Params counts the trainable values, Layers the layers (inside
	// blocks too) and Values the values of one example's activations.
	Params, Layers, Values int
	// Output is the shape of one example's output.
	Output []int
}

// walker works out shapes and parameter counts, and makes the layers.
type walker struct {
	lim     Limits
	classes int
	info    Info
}

// Check works out every shape and parameter count of the SPEC for
// examples of shape in ([channels height width], or [features]) and
// refuses a SPEC that does not fit them, that exceeds lim, or whose
// output is not one value per class (classes 0: any output). Nothing is
// allocated but the layers' descriptions.
func (a *Arch) Check(in []int, classes int, lim Limits) (Info, error) {
	_, info, err := a.Layers(in, classes, lim)
	return info, err
}

// Layers checks the SPEC as Check does and returns its layers, in order,
// ready for graph.Sequential.
func (a *Arch) Layers(in []int, classes int, lim Limits) ([]graph.Layer, Info, error) {
	if len(in) != 1 && len(in) != 3 {
		return nil, Info{}, &Error{Msg: fmt.Sprintf("input shape %v: want [channels height width] or [features]", in)}
	}
	for _, d := range in {
		if d < 1 {
			return nil, Info{}, &Error{Msg: fmt.Sprintf("input shape %v has a dimension below 1", in)}
		}
	}
	w := &walker{lim: lim, classes: classes}
	layers, out, err := w.seq(a.items, in, true, map[string]int{})
	if err != nil {
		return nil, Info{}, err
	}
	w.info.Output = out
	if classes > 0 && (len(out) != 1 || out[0] != classes) {
		return nil, Info{}, &Error{Msg: fmt.Sprintf("the SPEC ends with output %v but there are %d classes: end it with fc%d, or a bare fc",
			out, classes, classes)}
	}
	return layers, w.info, nil
}

// Build checks the SPEC as Check does and returns it as a model named
// name for examples of shape in, every initial weight drawn from seed.
func (a *Arch) Build(name string, in []int, classes int, seed uint64, lim Limits) (*graph.Model, error) {
	layers, _, err := a.Layers(in, classes, lim)
	if err != nil {
		return nil, err
	}
	return graph.NewModel(graph.Sequential(name, layers...), in, seed)
}

// he is the initialiser of every weight layer.
var he = graph.WithInit(graph.He)

// seq walks items from shape in, naming layers by the counters of their
// block; tail says the items end the SPEC.
func (w *walker) seq(items []item, in []int, tail bool, counters map[string]int) ([]graph.Layer, []int, error) {
	var layers []graph.Layer
	for i, it := range items {
		if it.kind == kindFC && len(in) == 3 {
			layers = append(layers, graph.Flatten())
			in = []int{mul(in...)}
			if err := w.count(it, 0, in); err != nil {
				return nil, nil, err
			}
		}
		l, out, err := w.item(it, in, tail && i == len(items)-1, counters)
		if err != nil {
			return nil, nil, err
		}
		layers, in = append(layers, l), out
	}
	return layers, in, nil
}

// name returns the next name of a kind in a block: conv1, conv2, ...
func name(counters map[string]int, prefix string) string {
	counters[prefix]++
	return fmt.Sprintf("%s%d", prefix, counters[prefix])
}

// fail returns an Error about an item.
func fail(it item, format string, args ...any) error {
	return &Error{Token: it.tok, Text: it.text, Msg: fmt.Sprintf(format, args...)}
}

// item works out one item's output and makes its layer.
func (w *walker) item(it item, in []int, last bool, counters map[string]int) (graph.Layer, []int, error) {
	switch it.kind {
	case kindResidual:
		return w.residual(it, in, counters)
	case kindConcat:
		return w.concat(it, in, counters)
	case kindFC:
		return w.fc(it, in, last, counters)
	case kindConv, kindLC, kindPool, kindAvgPool, kindRes:
		return w.windowed(it, in, counters)
	}
	var l graph.Layer
	out := in
	switch it.kind {
	case kindGAP:
		if len(in) != 3 {
			return nil, nil, fail(it, "needs a [channels height width] input, gets %v", in)
		}
		l, out = graph.GlobalAvgPool2D(name(counters, "gap")), []int{in[0]}
	case kindReLU:
		l = graph.ReLU()
	case kindSigmoid:
		l = graph.Sigmoid()
	case kindTanh:
		l = graph.Tanh()
	case kindLReLU:
		l = graph.LeakyReLU(it.f)
	case kindBN:
		l = graph.BatchNorm(name(counters, "bn"))
	case kindDrop:
		l = graph.Dropout(name(counters, "drop"), it.f)
	case kindFlatten:
		l, out = graph.Flatten(), []int{mul(in...)}
	}
	params := 0
	if it.kind == kindBN {
		params = 2 * in[0]
	}
	return l, out, w.count(it, params, out)
}

// fc works out a fully connected layer.
func (w *walker) fc(it item, in []int, last bool, counters map[string]int) (graph.Layer, []int, error) {
	n := it.n
	if n == 0 {
		switch {
		case !last:
			return nil, nil, fail(it, "want fc<N>: only the last layer may leave out its units")
		case w.classes == 0:
			return nil, nil, fail(it, "a bare fc needs the number of classes")
		}
		n = w.classes
	}
	if err := w.width(it, n); err != nil {
		return nil, nil, err
	}
	opts := []graph.Option{he}
	params := mul(n, in[0])
	if it.noBias {
		opts = append(opts, graph.NoBias())
	} else {
		params = add(params, n)
	}
	out := []int{n}
	return graph.Dense(name(counters, "fc"), n, opts...), out, w.count(it, params, out)
}

// windowed works out a convolution, a locally connected layer, a pooling
// or a basic block, each sliding a window over a [C H W] input.
func (w *walker) windowed(it item, in []int, counters map[string]int) (graph.Layer, []int, error) {
	if len(in) != 3 {
		return nil, nil, fail(it, "needs a [channels height width] input, gets %v", in)
	}
	k, pad, s := it.k, it.pad, it.s
	switch it.kind {
	case kindPool, kindAvgPool:
		if s == 0 {
			s = k
		}
		if 2*pad > k {
			return nil, nil, fail(it, "padding %d is more than half the %dx%d window", pad, k, k)
		}
	case kindRes:
		k, pad = 3, 1
	}
	s = max(s, 1)
	c, h, wd := in[0], in[1], in[2]
	if add(h, 2*pad) < k || add(wd, 2*pad) < k {
		return nil, nil, fail(it, "a %dx%d window does not fit a %dx%dx%d input with padding %d", k, k, c, h, wd, pad)
	}
	oh, ow := (h+2*pad-k)/s+1, (wd+2*pad-k)/s+1
	opts := []graph.Option{graph.Pad(pad), graph.Stride(s)}
	n, params := c, 0
	var l graph.Layer
	switch it.kind {
	case kindPool:
		l = graph.MaxPool2D(name(counters, "pool"), k, opts...)
	case kindAvgPool:
		ap := graph.AvgPool2D(name(counters, "avgpool"), k, opts...)
		if it.excl {
			ap = ap.ExcludePad()
		}
		l = ap
	case kindRes:
		n = it.n
		params = add(mul(n, c, 9), 2*n, mul(n, n, 9), 2*n)
		if c != n || s != 1 {
			params = add(params, mul(n, c), 2*n)
		}
		l = graph.BasicBlock(name(counters, "res"), n, s)
	default:
		n = it.n
		perOutput := 1
		if it.kind == kindLC {
			perOutput = mul(oh, ow)
		}
		params = mul(n, perOutput, c, k, k)
		if it.noBias {
			opts = append(opts, graph.NoBias())
		} else {
			params = add(params, mul(n, perOutput))
		}
		opts = append(opts, he)
		if it.kind == kindLC {
			l = graph.LocallyConnected2D(name(counters, "lc"), n, k, opts...)
		} else {
			l = graph.Conv2D(name(counters, "conv"), n, k, opts...)
		}
	}
	if err := w.width(it, n); err != nil {
		return nil, nil, err
	}
	out := []int{n, oh, ow}
	return l, out, w.count(it, params, out)
}

// residual works out [body] or [body|shortcut].
func (w *walker) residual(it item, in []int, counters map[string]int) (graph.Layer, []int, error) {
	inner := map[string]int{}
	body, out, err := w.seq(it.body, in, false, inner)
	if err != nil {
		return nil, nil, err
	}
	shortOut := in
	var short []graph.Layer
	if it.short != nil {
		if short, shortOut, err = w.seq(it.short, in, false, inner); err != nil {
			return nil, nil, err
		}
	}
	if !sameShape(out, shortOut) {
		hint := "add a shortcut that maps one to the other, [body|shortcut]"
		if it.short != nil {
			hint = "make them agree"
		}
		return nil, nil, fail(it, "the body gives %v but the shortcut %v: %s", out, shortOut, hint)
	}
	r := graph.Residual(name(counters, "block"), body...)
	if short != nil {
		r = r.Shortcut(short...)
	}
	return r, out, w.count(it, 0, out)
}

// concat works out {a|b|...}.
func (w *walker) concat(it item, in []int, counters map[string]int) (graph.Layer, []int, error) {
	inner := map[string]int{}
	var branches []graph.Layer
	var out []int
	for i, b := range it.branches {
		layers, o, err := w.seq(b, in, false, map[string]int{})
		if err != nil {
			return nil, nil, err
		}
		switch {
		case i == 0:
			out = append([]int(nil), o...)
		case len(o) != len(out) || !sameShape(o[1:], out[1:]):
			return nil, nil, fail(it, "branch %d gives %v, branch 1 %v: only the first dimension may differ", i+1, o, out)
		default:
			out[0] += o[0]
		}
		branches = append(branches, graph.Sequential(name(inner, "branch"), layers...))
	}
	return graph.Concat(name(counters, "concat"), branches...), out, w.count(it, 0, out)
}

// width refuses a layer wider than the limit.
func (w *walker) width(it item, n int) error {
	if w.lim.MaxWidth > 0 && n > w.lim.MaxWidth {
		return &LimitError{Err: fail(it, "%d filters or units, more than the limit of %d", n, w.lim.MaxWidth).(*Error), Limit: LimitWidth}
	}
	return nil
}

// count adds a layer to the totals and refuses totals beyond the limits.
func (w *walker) count(it item, params int, out []int) error {
	w.info.Params = add(w.info.Params, params)
	w.info.Layers++
	w.info.Values = add(w.info.Values, mul(out...))
	lim := func(what, limit string, have, most int) error {
		e := fail(it, "makes %d %s so far, more than the limit of %d", have, what, most).(*Error)
		return &LimitError{Err: e, Limit: limit}
	}
	switch l := w.lim; {
	case l.MaxParams > 0 && w.info.Params > l.MaxParams:
		return lim("parameters", LimitParams, w.info.Params, l.MaxParams)
	case l.MaxLayers > 0 && w.info.Layers > l.MaxLayers:
		return lim("layers", LimitLayers, w.info.Layers, l.MaxLayers)
	case l.MaxValues > 0 && w.info.Values > l.MaxValues:
		return lim("activation values per example", LimitValues, w.info.Values, l.MaxValues)
	}
	return nil
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

// saturated is where mul and add stop counting: far beyond any limit,
// yet safe from overflow.
const saturated = math.MaxInt64 / 4

// mul multiplies, saturating instead of overflowing.
func mul(xs ...int) int {
	p := 1
	for _, x := range xs {
		if x != 0 && p > saturated/x {
			return saturated
		}
		p *= x
	}
	return p
}

// add adds, saturating instead of overflowing.
func add(xs ...int) int {
	s := 0
	for _, x := range xs {
		s = min(s+x, saturated)
	}
	return s
}
