// Package resnet builds a small residual network for MNIST from the
// framework's public layers only: a 5x5 convolution stem with BatchNorm,
// two of ResNet's basic blocks (3x3 convolution, BatchNorm, ReLU, 3x3
// convolution, BatchNorm, added to the block's input, ReLU) with a wider
// convolution and max pooling between them, global average pooling,
// dropout and a linear classifier.
//
// The network takes a 1x28x28 image: stem 16x28x28, pool 16x14x14,
// res1 16x14x14, conv2 32x14x14, pool 32x7x7, res2 32x7x7, global
// average pooling to 32 values, dropout 0.2, 10 logits; 28,666 trained
// parameters and 288 running statistics. Layers are named as graph/arch
// names a SPEC's (res2.conv1.weight, res2.bn1.running_mean), so the
// network is also `featlearn train -arch` with Arch.
package resnet

import (
	"github.com/featlearn/featlearn/datasets"
	"github.com/featlearn/featlearn/graph"
)

// Name names the model in checkpoints.
const Name = "resnet"

// Arch names the architecture in checkpoints. It is a SPEC of package
// graph/arch that builds exactly Net()'s layers, names and initial
// weights, so `featlearn train -arch` with it trains this network.
const Arch = "conv16@5x5pad2nobias-bn-relu-pool2-res16-conv32@3x3pad1nobias-bn-relu-pool2-res32-gap-drop0.2-fc10"

// InputShape is one example: a single-channel 28x28 image.
var InputShape = []int{1, 28, 28}

// Net returns the network's layers.
func Net() *graph.SequentialLayer { return net(true) }

// net builds the network, with its BatchNorm and Dropout layers or, for
// the benchmark that measures what they cost, with biases instead.
func net(norm bool) *graph.SequentialLayer {
	he := graph.WithInit(graph.He)
	conv := func(name string, out, k int, bn string) []graph.Layer {
		if !norm {
			return []graph.Layer{graph.Conv2D(name, out, k, graph.Pad(k/2), he), graph.ReLU()}
		}
		return []graph.Layer{graph.Conv2D(name, out, k, graph.Pad(k/2), graph.NoBias(), he), graph.BatchNorm(bn), graph.ReLU()}
	}
	block := func(name string, c int) graph.Layer {
		if norm {
			return graph.BasicBlock(name, c, 1)
		}
		return graph.Residual(name, append(conv("conv1", c, 3, ""), graph.Conv2D("conv2", c, 3, graph.Pad(1), he))...).Then(graph.ReLU())
	}
	layers := conv("conv1", 16, 5, "bn1")
	layers = append(layers, graph.MaxPool2D("pool1", 2), block("res1", 16))
	layers = append(layers, conv("conv2", 32, 3, "bn2")...)
	layers = append(layers, graph.MaxPool2D("pool2", 2), block("res2", 32), graph.GlobalAvgPool2D("gap1"))
	if norm {
		layers = append(layers, graph.Dropout("drop1", 0.2))
	}
	return graph.Sequential(Name, append(layers, graph.Dense("fc1", 10, he))...)
}

// New returns the network with every initial weight and dropout mask drawn
// from seed.
func New(seed uint64) (*graph.Model, error) {
	return graph.NewModel(Net(), InputShape, seed)
}

// DefaultRecipe is the recipe `resnet train` uses: 12 epochs of SGD with
// momentum 0.9 in batches of 64, the learning rate rising linearly to 0.05
// over 200 steps, then annealed to 0 by a cosine; weight decay 1e-4
// (docs/resnet.md has its accuracy).
func DefaultRecipe() graph.Recipe {
	return graph.Recipe{
		Epochs: 12, Batch: 64, LR: 0.05, Optimizer: graph.OptSGD, Momentum: 0.9,
		WeightDecay: 1e-4, Schedule: graph.SchedCosine, Warmup: 200, Seed: 1,
	}
}

// Train builds the network from r.Seed and trains it by r on train,
// validating on val after every epoch (nil: no validation); cfg supplies
// the rest of the run (Dir, Resume, MaxSteps, hooks).
func Train(r graph.Recipe, train, val *datasets.Set, cfg graph.FitConfig) (*graph.Model, *graph.FitResult, error) {
	return r.TrainImages(New, Name, Arch, train, val, cfg)
}

// Load reads a checkpoint of this network, checking its tensors before
// allocating any weight, and returns the model and the checkpoint's
// metadata. Options are graph.LoadModel's, such as graph.AllowNonFinite.
func Load(path string, opts ...graph.LoadOption) (*graph.Model, graph.CheckpointMeta, error) {
	return graph.LoadNamed(path, Name, Arch, func() graph.Layer { return Net() }, InputShape, opts...)
}

// CheckCheckpoint checks, before any weight is allocated, that the
// checkpoint meta was read from holds the network's tensors with their
// shapes (graph.CheckLayout).
func CheckCheckpoint(meta graph.CheckpointMeta) error {
	return graph.CheckLayout(meta, Net(), InputShape)
}
