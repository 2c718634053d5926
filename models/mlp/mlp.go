// Package mlp builds a multilayer perceptron for MNIST, 784-300-100-10 with
// ReLU hidden units by default, and trains it.
//
// Each 28x28 image is flattened to 784 inputs; hidden layers are fully
// connected with a nonlinearity after each; the last layer's ten outputs
// are logits. Layers are named fc1, fc2, ... with PyTorch layouts
// (fc1.weight is (300, 784)).
package mlp

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/pkg/errors"

	"github.com/featlearn/featlearn/datasets"
	"github.com/featlearn/featlearn/graph"
)

// Name names the model in checkpoints.
const Name = "mlp"

// Image geometry and classes of MNIST.
const (
	Inputs  = 28 * 28
	Classes = 10
)

// Activations the hidden layers may use.
const (
	ReLU    = "relu"
	Tanh    = "tanh"
	Sigmoid = "sigmoid"
)

// Arch is an MLP's shape: hidden layer sizes and their nonlinearity.
type Arch struct {
	Hidden     []int
	Activation string
}

// DefaultArch is 784-300-100-10 with ReLU.
func DefaultArch() Arch { return Arch{Hidden: []int{300, 100}, Activation: ReLU} }

// String writes the architecture as "784-300-100-10 relu", the form
// checkpoints record and ParseArch reads.
func (a Arch) String() string {
	parts := []string{strconv.Itoa(Inputs)}
	for _, h := range a.Hidden {
		parts = append(parts, strconv.Itoa(h))
	}
	return strings.Join(append(parts, strconv.Itoa(Classes)), "-") + " " + a.Activation
}

// Bounds on an architecture, checked before anything is allocated, so a
// damaged or hostile checkpoint cannot ask for gigabytes: at most MaxLayers
// hidden layers of at most MaxUnits units and MaxParams weights in all
// (256 MiB of float32).
const (
	MaxLayers = 32
	MaxUnits  = 1 << 15
	MaxParams = 1 << 26
)

// check refuses sizes out of bounds and unknown activations.
func (a Arch) check() error {
	if len(a.Hidden) > MaxLayers {
		return errors.Errorf("mlp: %d hidden layers, want at most %d", len(a.Hidden), MaxLayers)
	}
	params, in := 0, Inputs
	for _, h := range append(append([]int(nil), a.Hidden...), Classes) {
		if h < 1 || h > MaxUnits {
			return errors.Errorf("mlp: hidden layer of %d units, want 1..%d", h, MaxUnits)
		}
		params += (in + 1) * h
		in = h
		if params > MaxParams {
			return errors.Errorf("mlp: over %d parameters, want at most %d", params, MaxParams)
		}
	}
	switch a.Activation {
	case ReLU, Tanh, Sigmoid:
		return nil
	}
	return errors.Errorf("mlp: activation %q, want %s, %s or %s", a.Activation, ReLU, Tanh, Sigmoid)
}

// ParseHidden reads hidden layer sizes written "300,100" or "300-100"; ""
// means no hidden layer (a linear classifier).
func ParseHidden(s string) ([]int, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	var sizes []int
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == '-' }) {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			return nil, errors.Errorf("hidden sizes %q: %q is not a positive number", s, f)
		}
		sizes = append(sizes, n)
	}
	return sizes, nil
}

// ParseArch reads what Arch.String wrote.
func ParseArch(s string) (Arch, error) {
	shape, act, ok := strings.Cut(s, " ")
	sizes, err := ParseHidden(shape)
	if !ok || err != nil || len(sizes) < 2 || sizes[0] != Inputs || sizes[len(sizes)-1] != Classes {
		return Arch{}, errors.Errorf("mlp architecture %q: want the form \"784-300-100-10 relu\"", s)
	}
	a := Arch{Hidden: sizes[1 : len(sizes)-1], Activation: act}
	return a, a.check()
}

// Net returns the layers of an MLP. ReLU layers start He-initialised,
// tanh and sigmoid ones Glorot-initialised.
func (a Arch) Net() (*graph.SequentialLayer, error) {
	if err := a.check(); err != nil {
		return nil, err
	}
	init, act := graph.He, graph.ReLU
	switch a.Activation {
	case Tanh:
		init, act = graph.Glorot, graph.Tanh
	case Sigmoid:
		init, act = graph.Glorot, graph.Sigmoid
	}
	layers := []graph.Layer{graph.Flatten()}
	for i, h := range a.Hidden {
		layers = append(layers, graph.Dense(fmt.Sprintf("fc%d", i+1), h, graph.WithInit(init)), act())
	}
	layers = append(layers, graph.Dense(fmt.Sprintf("fc%d", len(a.Hidden)+1), Classes, graph.WithInit(init)))
	return graph.Sequential(Name, layers...), nil
}

// Build returns the MLP with every initial weight drawn from seed. It
// takes 1x28x28 images, like LeNet, so the two share data and tools.
func (a Arch) Build(seed uint64) (*graph.Model, error) {
	net, err := a.Net()
	if err != nil {
		return nil, err
	}
	return graph.NewModel(net, inputShape, seed)
}

// inputShape is one example: a single-channel 28x28 image.
var inputShape = []int{1, 28, 28}

// New returns the default 784-300-100-10 ReLU MLP drawn from seed.
func New(seed uint64) (*graph.Model, error) { return DefaultArch().Build(seed) }

// DefaultRecipe is the recipe `mlp train` uses: 10 epochs of SGD with
// momentum 0.9 in batches of 64, the learning rate 0.05 multiplied by 0.3
// after epochs 4 and 8, weight decay 1e-4 (docs/mlp.md has its
// accuracies).
func DefaultRecipe() graph.Recipe {
	return graph.Recipe{
		Epochs: 10, Batch: 64, LR: 0.05, Optimizer: graph.OptSGD, Momentum: 0.9,
		WeightDecay: 1e-4, DecayEvery: 4, DecayFactor: 0.3, Seed: 1,
	}
}

// Train builds an MLP of architecture a from r.Seed and trains it by r on
// train, validating on val after every epoch (nil: no validation); cfg
// supplies the rest of the run (Dir, Resume, MaxSteps, hooks).
func Train(a Arch, r graph.Recipe, train, val *datasets.Set, cfg graph.FitConfig) (*graph.Model, *graph.FitResult, error) {
	if err := a.check(); err != nil {
		return nil, nil, err
	}
	return r.TrainImages(a.Build, Name, a.String(), train, val, cfg)
}

// Load reads an MLP checkpoint, such as the one `mlp train` writes,
// builds the architecture it records and returns the model and the
// metadata. The architecture is parsed within the bounds of ParseArch and
// checked against the file's tensors before the model is built, so a small
// file cannot make Load allocate a large model. Options are
// graph.LoadModel's, such as graph.AllowNonFinite.
func Load(path string, opts ...graph.LoadOption) (*graph.Model, graph.CheckpointMeta, error) {
	return graph.LoadModel(path, func(meta graph.CheckpointMeta) (*graph.Model, error) {
		if meta.Model != Name {
			return nil, errors.Errorf("checkpoint holds a %s model, not an %s", meta.Model, Name)
		}
		a, err := ParseArch(meta.Config)
		if err != nil {
			return nil, err
		}
		if err := a.CheckCheckpoint(meta); err != nil {
			return nil, err
		}
		return a.Build(meta.ModelSeed)
	}, opts...)
}

// CheckCheckpoint checks, before any weight is allocated, that the
// checkpoint meta was read from holds the tensors of an MLP of
// architecture a with their shapes (graph.CheckLayout).
func (a Arch) CheckCheckpoint(meta graph.CheckpointMeta) error {
	net, err := a.Net()
	if err != nil {
		return err
	}
	return graph.CheckLayout(meta, net, inputShape)
}
