package graph

import (
	"hash/fnv"

	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Pass is what a layer's Forward builds its part of a program with: the
// nodes of the parameters its Setup declared, the buffers it keeps, whether
// the program trains, and how to apply the layers it holds. A model builds
// one program per batch size and mode, so Forward runs several times; it
// must add the same computation each time.
type Pass struct {
	prog    *Program
	path    string // prefix of the paths of the layers it holds
	own     string // the layer's path, prefix of its parameters
	rec     int    // the layer's record when the program is traced, else -1
	missing []string
}

// Path returns the layer's path, such as "block1.conv2".
func (p *Pass) Path() string { return p.own }

// Training says whether the program trains: BatchNorm normalises by the
// batch's statistics and Dropout drops only when it does. Predict and
// Evaluate build programs that do not.
func (p *Pass) Training() bool { return p.prog.Training }

// Param returns the node of the parameter name that the layer's Setup
// declared, bound to the model's tensor. Asking for one it did not declare
// makes the layer's Forward fail with an error naming both.
func (p *Pass) Param(name string) *G.Node {
	full := join(p.own, name)
	prm, ok := p.prog.model.byName[full]
	if !ok || prm.buffer {
		p.missing = append(p.missing, full)
		return nil
	}
	return p.prog.node(prm)
}

// Buffer returns the tensor of the buffer name that the layer's Setup
// declared. Ops read it at every run; a layer changes it only from an
// AfterStep function, once a training step has succeeded.
func (p *Pass) Buffer(name string) *tensor.Dense {
	full := join(p.own, name)
	prm, ok := p.prog.model.byName[full]
	if !ok || !prm.buffer {
		p.missing = append(p.missing, full)
		return nil
	}
	return prm.value
}

// AfterStep registers fn to run after every successful optimizer step of
// a training program, such as BatchNorm folding the batch's statistics
// into its running ones. A step whose loss is not finite runs none, so a
// failed step leaves the buffers as it leaves the weights. Programs that
// do not train ignore it.
func (p *Pass) AfterStep(fn func() error) {
	if p.prog.Training && fn != nil {
		p.prog.afterStep = append(p.prog.afterStep, fn)
	}
}

// Noise returns what a stochastic layer such as Dropout draws its noise
// from: a seed of its own, fixed by the model's seed, the layer's path and
// how many layers of that path came before it, and the model's step
// counter, which the trainer sets before every step. A pure function of
// the two makes every mask reproducible, and a run resumed at step s draws
// what the uninterrupted run drew.
func (p *Pass) Noise() (seed uint64, step *uint64) {
	h := fnv.New64a()
	h.Write([]byte(p.own))
	k := p.prog.noiseUses[p.own]
	p.prog.noiseUses[p.own] = k + 1
	return mix64(p.prog.model.seed ^ mix64(h.Sum64()+uint64(k))), &p.prog.model.step
}

// mix64 is splitmix64's finaliser: a bijection that scatters nearby seeds.
func mix64(z uint64) uint64 {
	z += 0x9e3779b97f4a7c15
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// Apply adds a layer this one holds to the program, under this layer's
// path, and returns its output.
func (p *Pass) Apply(child Layer, x *G.Node) (*G.Node, error) {
	if child == nil {
		return nil, errors.New("apply: nil layer")
	}
	path := join(p.path, child.Name())
	c := &Pass{prog: p.prog, path: path, own: path, rec: -1}
	return c.forward(child, x)
}

// forward runs l.Forward on this pass and reports what it did wrong.
func (p *Pass) forward(l Layer, xs ...*G.Node) (out *G.Node, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = layerErr(p.own, errors.Errorf("forward panicked: %v", r))
		}
	}()
	for _, x := range xs {
		if x == nil {
			return nil, layerErr(p.own, errors.New("input node is nil"))
		}
	}
	p.rec = p.prog.trace.open(l, p.own, xs)
	out, err = l.Forward(p, xs[0])
	switch {
	case err != nil:
		return nil, layerErr(p.own, err)
	case len(p.missing) > 0:
		return nil, layerErr(p.own, errors.Errorf("Forward asked for %s, which its Setup did not declare", p.missing[0]))
	case out == nil:
		return nil, layerErr(p.own, errors.New("Forward returned no node"))
	}
	if err := p.checkShape(out); err != nil {
		return nil, err
	}
	p.prog.trace.close(p.rec, out)
	return out, nil
}

// checkShape compares, in the traced program NewModel builds, the shape a
// layer's Forward built with the one its Setup gave.
func (p *Pass) checkShape(out *G.Node) error {
	if p.prog.trace == nil {
		return nil
	}
	k := p.prog.trace.applied[p.own]
	p.prog.trace.applied[p.own] = k + 1
	shapes := p.prog.model.setupShapes[p.own]
	if k >= len(shapes) || len(out.Shape()) == 0 {
		return nil
	}
	if got := Shape(out.Shape()[1:]); got.String() != shapes[k].String() {
		return layerErr(p.own, errors.Errorf("Setup gave output shape %v but Forward built %v", shapes[k], got))
	}
	return nil
}

// combine applies a parameter-free op of several inputs, such as the sum
// of a residual connection, as a layer of its own in traces.
func (p *Pass) combine(name, kind string, f func(...*G.Node) (*G.Node, error), xs ...*G.Node) (*G.Node, error) {
	return p.Apply(combineLayer{name: name, kind: kind, f: f, xs: xs}, xs[0])
}

// combineLayer is an op over several nodes seen as a layer.
type combineLayer struct {
	name, kind string
	f          func(...*G.Node) (*G.Node, error)
	xs         []*G.Node
}

func (c combineLayer) Name() string                            { return c.name }
func (c combineLayer) Describe() string                        { return c.kind }
func (c combineLayer) Setup(_ *Scope, in Shape) (Shape, error) { return in, nil }

func (c combineLayer) Forward(p *Pass, _ *G.Node) (*G.Node, error) {
	p.prog.trace.setInputs(p.rec, c.xs)
	return c.f(c.xs...)
}

// fuse records that the layer being applied runs as one op with the layer
// that produced x, as MaxPool2D does with a ReLU before it.
func (p *Pass) fuse(x *G.Node, how string) { p.prog.trace.fuse(p.rec, x, how) }
