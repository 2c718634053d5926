// Package lenet builds LeNet-5 as the lecture's convolution slides draw
// it, and trains it on MNIST.
//
// The network takes a 1x28x28 image: a 5x5 convolution with 6 filters and
// padding 2 (6x28x28), ReLU, 2x2 max pooling (6x14x14); a 5x5 convolution
// with 16 filters (16x10x10), ReLU, 2x2 max pooling (16x5x5); then fully
// connected layers of 120, 84 and 10 units, ReLU between them. The ten
// outputs are logits: softmax turns them into class probabilities.
//
// Parameter names and layouts follow PyTorch's (conv1.weight is
// (6, 1, 5, 5), fc1.weight is (120, 400)), so checkpoints read like a
// torch state dict.
package lenet

import (
	"github.com/featlearn/featlearn/datasets"
	"github.com/featlearn/featlearn/graph"
)

// Name names the model in checkpoints.
const Name = "lenet"

// InputShape is one example: a single-channel 28x28 image.
var InputShape = []int{1, 28, 28}

// Arch names the architecture in checkpoints.
const Arch = "conv6@5x5pad2-relu-pool2-conv16@5x5-relu-pool2-fc120-relu-fc84-relu-fc10"

// Net returns LeNet-5's layers. Every weight layer starts He-initialised,
// the variance-preserving choice before a ReLU.
func Net() *graph.SequentialLayer {
	he := graph.WithInit(graph.He)
	return graph.Sequential(Name,
		graph.Conv2D("conv1", 6, 5, graph.Pad(2), he), graph.ReLU(),
		graph.MaxPool2D("pool1", 2),
		graph.Conv2D("conv2", 16, 5, he), graph.ReLU(),
		graph.MaxPool2D("pool2", 2),
		graph.Flatten(),
		graph.Dense("fc1", 120, he), graph.ReLU(),
		graph.Dense("fc2", 84, he), graph.ReLU(),
		graph.Dense("fc3", 10, he),
	)
}

// New returns LeNet-5 with every initial weight drawn from seed.
func New(seed uint64) (*graph.Model, error) {
	return graph.NewModel(Net(), InputShape, seed)
}

// DefaultRecipe is the recipe `lenet train` uses: 15 epochs of SGD with
// momentum 0.9 in batches of 64, the learning rate 0.05 multiplied by 0.2
// after epochs 5 and 10, weight decay 5e-4 (docs/lenet.md has its
// accuracies).
func DefaultRecipe() graph.Recipe {
	return graph.Recipe{
		Epochs: 15, Batch: 64, LR: 0.05, Optimizer: graph.OptSGD, Momentum: 0.9,
		WeightDecay: 5e-4, DecayEvery: 5, DecayFactor: 0.2, Seed: 1,
	}
}

// Train builds LeNet-5 from r.Seed and trains it by r on train, validating
// on val after every epoch (nil: no validation); cfg supplies the rest of
// the run (Dir, Resume, MaxSteps, hooks). It returns the trained model.
func Train(r graph.Recipe, train, val *datasets.Set, cfg graph.FitConfig) (*graph.Model, *graph.FitResult, error) {
	return r.TrainImages(New, Name, Arch, train, val, cfg)
}

// Load reads a LeNet-5 checkpoint, such as the one `lenet train` writes,
// and returns the model and the checkpoint's metadata. It checks the
// file's tensors against LeNet-5's before allocating any weight. Options
// are graph.LoadModel's, such as graph.AllowNonFinite.
func Load(path string, opts ...graph.LoadOption) (*graph.Model, graph.CheckpointMeta, error) {
	return graph.LoadNamed(path, Name, Arch, func() graph.Layer { return Net() }, InputShape, opts...)
}

// CheckCheckpoint checks, before any weight is allocated, that the
// checkpoint meta was read from holds LeNet-5's tensors with their shapes
// (graph.CheckLayout).
func CheckCheckpoint(meta graph.CheckpointMeta) error {
	return graph.CheckLayout(meta, Net(), InputShape)
}
