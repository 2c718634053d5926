// Package graph builds, trains and runs models declared as gorgonia
// expression graphs.
//
// The story fits on one screen:
//
//  1. A Layer is Keras-shaped: Setup declares its weights on a Scope once,
//     Forward adds its ops to a graph on a Pass. Layers hold layers
//     (Sequential, Residual, Concat, Func for any DAG), and parameters are
//     named by the path of layers, "block1.conv2.weight", as PyTorch names
//     a state dict. Buffers such as BatchNorm's running statistics are
//     saved with the weights but never trained.
//  2. NewModel sets the layers up for one example's shape, draws every
//     weight from one seeded generator and builds the model once to check
//     it, so a mistake names its layer at once and a seed fixes the model.
//  3. A Program is the model in its own gorgonia ExprGraph for one batch
//     size and mode (training or evaluation: BatchNorm and Dropout differ).
//     Its parameter nodes are bound to the model's tensors, so every
//     program of a model sees the same weights without copying.
//  4. For training, the program adds a loss node and asks G.Grad for the
//     symbolic gradient of the loss with respect to every parameter. The
//     gradient nodes feed capture ops that copy each gradient into a buffer
//     the trainer owns, so gorgonia's register reuse cannot clobber it and
//     nothing accumulates between steps (no BindDualValues).
//  5. A gorgonia TapeMachine runs the program: forward, then reverse-mode
//     backward. The Optimizer updates the weights in place from the
//     captured gradients, stateful layers fold what they measured into
//     their buffers, and the next step starts.
//  6. Fit is the one training loop: shuffled batches, a learning-rate
//     Schedule, gradient clipping, validation after each epoch,
//     EarlyStopping, atomic checkpoints and exact resume. A Recipe states
//     a run as plain values a command line or a notebook sets.
//
// Data reaches Fit as a Dataset. ImageData serves a datasets.Set of
// bytes, converted to pixel/255 on both cores as each batch is gathered;
// ImageDataWith adds per-channel normalisation and random distortions
// (Augment: shifts, rotations, scalings, shears, flips) that are a pure
// function of a seed, the epoch and the example, so that training with
// them stays reproducible and resumes exactly.
//
// Everything differentiable in the graph is an op from package ops, each
// checked against finite differences there.
//
// A model, trained:
//
//	net := graph.Sequential("cnn",
//		graph.Conv2D("conv1", 16, 3, graph.Pad(1), graph.NoBias()), graph.BatchNorm("bn1"), graph.ReLU(),
//		graph.BasicBlock("block1", 32, 2),
//		graph.GlobalAvgPool2D("gap"), graph.Dropout("drop", 0.2), graph.Dense("fc", 10))
//	model, err := graph.NewModel(net, []int{1, 28, 28}, 1)
//	recipe := graph.Recipe{Epochs: 10, Batch: 64, LR: 0.05, Optimizer: graph.OptSGD, Momentum: 0.9, Seed: 1}
//	res, err := recipe.FitImages(model, train, val, graph.FitConfig{Dir: "out/cnn"})
//	metrics, err := graph.Evaluate(model, graph.CrossEntropy{}, graph.ImageData(test), 500)
//
// A layer of one's own, with weights:
//
//	type Scale struct{ name string }
//
//	func (l *Scale) Name() string { return l.name }
//	func (l *Scale) Setup(s *graph.Scope, in graph.Shape) (graph.Shape, error) {
//		_, err := s.Param("weight", graph.Shape{in[0]}, graph.Ones, graph.NoDecay())
//		return in, err
//	}
//	func (l *Scale) Forward(p *graph.Pass, x *G.Node) (*G.Node, error) {
//		return G.BroadcastHadamardProd(x, p.Param("weight"), nil, []byte{0})
//	}
//
// Any graph of layers, with Func:
//
//	mix := graph.Func("mix", func(b *graph.Block, x *G.Node) (*G.Node, error) {
//		a, err := b.Apply(graph.Conv2D("a", 8, 1), x)
//		if err != nil {
//			return nil, err
//		}
//		c, err := b.Apply(graph.Conv2D("c", 8, 3, graph.Pad(1)), x)
//		if err != nil {
//			return nil, err
//		}
//		return b.Concat(a, c)
//	})
//
// The Example functions of this package run these (go test runs them).
package graph
