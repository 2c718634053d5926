// Package resnet builds a small residual network for MNIST from the
// framework's public layers only: a convolution stem, three of ResNet's
// basic blocks (3x3 convolution, BatchNorm, ReLU, 3x3 convolution,
// BatchNorm, plus a shortcut) with max pooling between them, global
// average pooling, dropout and a linear classifier.
//
// The network takes a 1x28x28 image: stem 16x28x28, block1 16x28x28,
// pool 16x14x14, block2 32x14x14, pool 32x7x7, block3 64x7x7, global
// average pooling to 64 values, dropout 0.2, 10 logits. Parameter names
// follow torchvision's (block2.conv1.weight, block2.bn1.running_mean,
// block2.proj.weight), so checkpoints read like a torch state dict.
package resnet

import (
	"github.com/pkg/errors"

	"github.com/featlearn/featlearn/datasets"
	"github.com/featlearn/featlearn/graph"
)

// Name names the model in checkpoints.
const Name = "resnet"

// Arch names the architecture in checkpoints.
const Arch = "conv16@3x3pad1-bn-relu-res16-pool2-res32-pool2-res64-gap-dropout0.2-fc10"

// InputShape is one example: a single-channel 28x28 image.
var InputShape = []int{1, 28, 28}

// Net returns the network's layers.
func Net() *graph.SequentialLayer {
	he := graph.WithInit(graph.He)
	return graph.Sequential(Name,
		graph.Conv2D("conv1", 16, 3, graph.Pad(1), graph.NoBias(), he), graph.BatchNorm("bn1"), graph.ReLU(),
		graph.BasicBlock("block1", 16, 1),
		graph.MaxPool2D("pool1", 2),
		graph.BasicBlock("block2", 32, 1),
		graph.MaxPool2D("pool2", 2),
		graph.BasicBlock("block3", 64, 1),
		graph.GlobalAvgPool2D("gap"),
		graph.Dropout("drop", 0.2),
		graph.Dense("fc", 10, he),
	)
}

// New returns the network with every initial weight and dropout mask drawn
// from seed.
func New(seed uint64) (*graph.Model, error) {
	return graph.NewModel(Net(), InputShape, seed)
}

// DefaultRecipe is the recipe `resnet train` uses: 12 epochs of SGD with
// Nesterov-free momentum 0.9 in batches of 64, the learning rate 0.05
// annealed by a cosine after 200 warm-up steps, weight decay 5e-4
// (docs/resnet.md has its accuracy).
func DefaultRecipe() graph.Recipe {
	return graph.Recipe{
		Epochs: 12, Batch: 64, LR: 0.05, Optimizer: graph.OptSGD, Momentum: 0.9,
		WeightDecay: 5e-4, Schedule: graph.SchedCosine, Warmup: 200, Seed: 1,
	}
}

// Train builds the network from r.Seed and trains it by r on train,
// validating on val after every epoch (nil: no validation); cfg supplies
// the rest of the run (Dir, Resume, MaxSteps, hooks).
func Train(r graph.Recipe, train, val *datasets.Set, cfg graph.FitConfig) (*graph.Model, *graph.FitResult, error) {
	m, err := New(r.Seed)
	if err != nil {
		return nil, nil, err
	}
	cfg.Meta.Model, cfg.Meta.Config = Name, Arch
	res, err := r.FitImages(m, train, val, cfg)
	return m, res, err
}

// Load reads a checkpoint of this network and returns the model and the
// checkpoint's metadata.
func Load(path string) (*graph.Model, graph.CheckpointMeta, error) {
	return graph.LoadModel(path, func(meta graph.CheckpointMeta) (*graph.Model, error) {
		if meta.Model != Name || meta.Config != Arch {
			return nil, errors.Errorf("checkpoint holds %s %q, not %s %q", meta.Model, meta.Config, Name, Arch)
		}
		return New(meta.ModelSeed)
	})
}
