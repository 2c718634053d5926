package graph

import (
	"fmt"
	"regexp"

	"github.com/pkg/errors"
	"gorgonia.org/tensor"
)

// Scope is what a layer's Setup declares its parameters and buffers on,
// and how a layer made of other layers sets those up. It names everything
// by the layer's path: a parameter "weight" declared by layer conv2 inside
// block1 is "block1.conv2.weight", as PyTorch names a state dict.
type Scope struct {
	m    *Model
	path string // the layer's path, "" for the model's top layer
	own  string // the prefix of its own parameters: the path, or the top layer's name
}

// LayerError is a mistake in one layer of a model, found while setting it
// up or adding it to a graph; it names the layer by its path.
type LayerError struct {
	Path string // the layer's path, such as "block1.conv2"
	Err  error
}

func (e *LayerError) Error() string { return fmt.Sprintf("layer %s: %v", e.Path, e.Err) }

// Unwrap returns the underlying error.
func (e *LayerError) Unwrap() error { return e.Err }

// layerErr wraps err with the layer's path, unless an inner layer already did.
func layerErr(path string, err error) error {
	var le *LayerError
	if err == nil || errors.As(err, &le) {
		return err
	}
	return errors.WithStack(&LayerError{Path: path, Err: err})
}

// Path returns the layer's path, such as "block1.conv2", by which errors
// and parameter names refer to it. The model's top layer is named by its
// own name; the layers it holds start their paths afresh, so the layers
// of Sequential("lenet", Conv2D("conv1", ...), ...) are "conv1", ...
func (s *Scope) Path() string { return s.own }

// Dtype returns the element type of the model's tensors.
func (s *Scope) Dtype() tensor.Dtype { return s.m.dtype }

// Setup sets up a layer of this one for a per-example input shape and
// returns its output shape: containers call it for each layer they hold.
// The child's parameters are named under this layer's path.
func (s *Scope) Setup(child Layer, in Shape) (out Shape, err error) {
	if child == nil {
		return nil, layerErr(s.path, errors.New("nil layer"))
	}
	path := join(s.path, child.Name())
	c := &Scope{m: s.m, path: path, own: path}
	defer func() {
		if r := recover(); r != nil {
			err = layerErr(c.path, errors.Errorf("setup panicked: %v", r))
		}
	}()
	if err := checkName(child.Name()); err != nil {
		return nil, layerErr(c.path, err)
	}
	out, err = child.Setup(c, append(Shape(nil), in...))
	if err != nil {
		return nil, layerErr(c.path, err)
	}
	for _, d := range out {
		if d < 1 {
			return nil, layerErr(c.path, errors.Errorf("output shape %v has a dimension below 1", out))
		}
	}
	s.m.setupShapes[c.path] = append(s.m.setupShapes[c.path], append(Shape(nil), out...))
	return out, nil
}

// Param declares a trainable parameter of the layer, named path.name,
// with initial values drawn by init from the model's seeded generator.
// Weight decay applies unless NoDecay is given.
func (s *Scope) Param(name string, shape Shape, init Initializer, opts ...ParamOption) (*Param, error) {
	var o paramOptions
	for _, opt := range opts {
		opt(&o)
	}
	if init == nil {
		return nil, errors.Errorf("param %s: no initializer", name)
	}
	p, err := s.declare(name, shape, false)
	if err != nil {
		return nil, err
	}
	p.Decay = !o.noDecay
	if s.m.layoutOnly {
		return p, nil
	}
	in, out := fans(shape)
	if o.fansFromCaller {
		in, out = o.fanIn, o.fanOut
	}
	w := make([]float64, p.Size())
	init(s.m.rng, in, out, w)
	setFromFloat64s(p.value, w)
	return p, nil
}

// Buffer declares state of the layer that is saved with the model but not
// trained, such as a running mean, named path.name and filled with value.
func (s *Scope) Buffer(name string, shape Shape, value float64) (*Param, error) {
	p, err := s.declare(name, shape, true)
	if err != nil || s.m.layoutOnly {
		return p, err
	}
	w := make([]float64, p.Size())
	Constant(value)(nil, 0, 0, w)
	setFromFloat64s(p.value, w)
	return p, nil
}

// declare registers a new zero tensor under the layer's path; while
// CheckLayout sets a model up, only its name and shape.
func (s *Scope) declare(name string, shape Shape, buffer bool) (*Param, error) {
	if err := checkName(name); err != nil {
		return nil, errors.Wrap(err, "param")
	}
	full := join(s.own, name)
	for _, d := range shape {
		if d < 1 {
			return nil, errors.Errorf("param %s: shape %v has a dimension below 1", full, shape)
		}
	}
	if _, dup := s.m.byName[full]; dup {
		return nil, errors.Errorf("two parameters are named %s: give the layers distinct names", full)
	}
	p := &Param{Name: full, buffer: buffer, layer: s.own, shape: append(Shape(nil), shape...)}
	if !s.m.layoutOnly {
		p.value = newLike(s.m.dtype, shape...)
	}
	s.m.byName[full] = p
	if buffer {
		s.m.buffers = append(s.m.buffers, p)
	} else {
		s.m.params = append(s.m.params, p)
	}
	return p, nil
}

// validName is what a layer or parameter may be called: the dots of a path
// separate names, so a name holds none.
var validName = regexp.MustCompile(`^[A-Za-z0-9_\-+]+$`)

// checkName refuses names that would make paths ambiguous.
func checkName(name string) error {
	if !validName.MatchString(name) {
		return errors.Errorf("name %q: want letters, digits, '_', '-' or '+', no dots", name)
	}
	return nil
}

// join appends a name to a path.
func join(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}
