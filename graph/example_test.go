package graph_test

import (
	"fmt"
	"math/rand/v2"

	G "gorgonia.org/gorgonia"

	"github.com/featlearn/featlearn/graph"
)

// A model is a layer, an input shape and a seed; a trainer adds a loss and
// an optimizer. Here a 2-4-2 net learns XOR as a two-class problem.
func Example() {
	net := graph.Sequential("xor", graph.Dense("hidden", 4), graph.Tanh(), graph.Dense("out", 2))
	model, err := graph.NewModel(net, []int{2}, 2)
	if err != nil {
		panic(err)
	}
	data, err := graph.NewArrays([]float32{0, 0, 0, 1, 1, 0, 1, 1}, 2, []float32{0, 1, 1, 0}, 1)
	if err != nil {
		panic(err)
	}
	trainer, err := graph.NewTrainer(model, graph.CrossEntropy{}, &graph.Adam{LR: 0.05})
	if err != nil {
		panic(err)
	}
	if _, err := trainer.Fit(data, graph.FitConfig{Epochs: 300, BatchSize: 4, Seed: 1}); err != nil {
		panic(err)
	}
	m, err := trainer.Evaluate(data, 4)
	if err != nil {
		panic(err)
	}
	fmt.Printf("accuracy %.0f%%, %d parameters\n", 100*m.Accuracy, model.NumParams())
	// Output: accuracy 100%, 22 parameters
}

// blobs returns n labelled 1x8x8 images of three classes: a bright
// square in one of three places, on noise.
func blobs(n int, seed uint64) *graph.Arrays {
	rng := rand.New(rand.NewPCG(seed, 1))
	x, y := make([]float32, n*64), make([]float32, n)
	for i := range y {
		c := i % 3
		y[i] = float32(c)
		img := x[i*64 : (i+1)*64]
		for j := range img {
			img[j] = float32(0.3 * rng.Float64())
		}
		for r := 0; r < 3; r++ {
			for col := 0; col < 3; col++ {
				img[(1+2*c+r%2)*8+1+2*c+col] += 1
			}
		}
	}
	a, _ := graph.NewArrays(x, 64, y, 1)
	return a
}

// A convolutional network: convolution, BatchNorm, ReLU, max pooling and
// a dense classifier, trained by a Recipe (SGD with momentum) and measured
// on held-out data.
func Example_cnn() {
	net := graph.Sequential("cnn",
		graph.Conv2D("conv1", 8, 3, graph.Pad(1), graph.NoBias()), graph.BatchNorm("bn1"), graph.ReLU(),
		graph.MaxPool2D("pool1", 2),
		graph.Flatten(), graph.Dense("fc", 3))
	model, err := graph.NewModel(net, []int{1, 8, 8}, 1)
	if err != nil {
		panic(err)
	}
	recipe := graph.Recipe{Epochs: 5, Batch: 16, LR: 0.05, Optimizer: graph.OptSGD, Momentum: 0.9, Seed: 1}
	if _, err := recipe.Fit(model, graph.CrossEntropy{}, blobs(300, 1), graph.FitConfig{}); err != nil {
		panic(err)
	}
	m, err := graph.Evaluate(model, graph.CrossEntropy{}, blobs(150, 2), 50)
	if err != nil {
		panic(err)
	}
	fmt.Printf("test accuracy %.0f%%\n", 100*m.Accuracy)
	// Output: test accuracy 100%
}

// Scale is a layer of one's own with weights of its own: it multiplies
// each feature by a learned factor. Setup declares the weight, Forward
// reads it; G.Grad differentiates whatever Forward builds.
type Scale struct{ name string }

func (l *Scale) Name() string { return l.name }

func (l *Scale) Setup(s *graph.Scope, in graph.Shape) (graph.Shape, error) {
	if len(in) != 1 {
		return nil, fmt.Errorf("want a vector per example, got %v", in)
	}
	_, err := s.Param("weight", graph.Shape{in[0]}, graph.Ones, graph.NoDecay())
	return in, err
}

func (l *Scale) Forward(p *graph.Pass, x *G.Node) (*G.Node, error) {
	return G.BroadcastHadamardProd(x, p.Param("weight"), nil, []byte{0})
}

// A custom layer with its own weights, in a model with built-in layers.
// Its parameter is named by its path, "scale.weight".
func Example_customLayer() {
	net := graph.Sequential("net", graph.Dense("fc1", 4), &Scale{"scale"}, graph.Tanh(), graph.Dense("fc2", 2))
	model, err := graph.NewModel(net, []int{2}, 2, graph.Float64())
	if err != nil {
		panic(err)
	}
	data, _ := graph.NewArrays([]float32{0, 0, 0, 1, 1, 0, 1, 1}, 2, []float32{0, 1, 1, 0}, 1)
	trainer, _ := graph.NewTrainer(model, graph.CrossEntropy{}, &graph.Adam{LR: 0.05})
	if _, err := trainer.Fit(data, graph.FitConfig{Epochs: 300, BatchSize: 4, Seed: 1}); err != nil {
		panic(err)
	}
	m, _ := trainer.Evaluate(data, 4)
	w := model.Param("scale.weight")
	fmt.Printf("%s %v trained away from 1: %v; accuracy %.0f%%\n", w.Name, w.Shape(), w.Float64s()[0] != 1, 100*m.Accuracy)
	// Output: scale.weight [4] trained away from 1: true; accuracy 100%
}

// A residual block and a branch that joins two paths: Residual adds its
// body's output to its input (through a projecting shortcut when the shape
// changes), and Func builds any graph of layers with a Block. Parameter
// names follow the layer path, and the summary lists the graph that runs.
func Example_residual() {
	inception := graph.Func("mix", func(b *graph.Block, x *G.Node) (*G.Node, error) {
		a, err := b.Apply(graph.Conv2D("a", 4, 1), x)
		if err != nil {
			return nil, err
		}
		c, err := b.Apply(graph.Conv2D("c", 4, 3, graph.Pad(1)), x)
		if err != nil {
			return nil, err
		}
		return b.Concat(a, c)
	})
	net := graph.Sequential("net",
		graph.Conv2D("conv1", 8, 3, graph.Pad(1)), graph.ReLU(),
		graph.Residual("block1",
			graph.Conv2D("conv1", 16, 3, graph.Pad(1), graph.Stride(2)), graph.ReLU(),
			graph.Conv2D("conv2", 16, 3, graph.Pad(1))).
			Shortcut(graph.Conv2D("proj", 16, 1, graph.Stride(2))).
			Then(graph.ReLU()),
		inception, graph.GlobalAvgPool2D("gap"), graph.Dense("fc", 10))
	model, err := graph.NewModel(net, []int{1, 8, 8}, 1)
	if err != nil {
		panic(err)
	}
	s, _ := graph.FormatSummary(model)
	fmt.Print(s)
	fmt.Println(model.Param("block1.proj.weight").Shape())
	// Output:
	// #   layer     kind                          output             params
	//     input                                   1x8x8
	// 0   conv1     Conv2D 8@3x3 pad 1            8x8x8                  80
	// 1   relu      ReLU                          8x8x8                   0
	// 2   block1    Residual of 3, shortcut of 1  16x4x4               3632
	// 3     conv1   Conv2D 16@3x3 stride 2 pad 1  16x4x4               1168
	// 4     relu    ReLU                          16x4x4                  0
	// 5     conv2   Conv2D 16@3x3 pad 1           16x4x4               2320
	// 6     proj    Conv2D 16@1x1 stride 2        16x4x4                144
	// 7     add     Add                           16x4x4                  0
	// 8     relu    ReLU                          16x4x4                  0
	// 9   mix       Func                          8x4x4                 648
	// 10    a       Conv2D 4@1x1                  4x4x4                  68
	// 11    c       Conv2D 4@3x3 pad 1            4x4x4                 580
	// 12    concat  Concat                        8x4x4                   0
	// 13  gap       GlobalAvgPool2D               8                       0
	// 14  fc        Dense 10                      10                     90
	// total parameters: 4450
	// [16 8 1 1]
}

// BatchNorm and Dropout behave differently while training: BatchNorm
// normalises by the batch and updates its running statistics (buffers,
// saved in checkpoints, never trained), Dropout drops values with a mask
// drawn from the model's seed and the step. Evaluation uses the running
// statistics and keeps every value, so predictions are deterministic.
func Example_batchNormDropout() {
	net := graph.Sequential("net",
		graph.Dense("fc1", 16, graph.NoBias()), graph.BatchNorm("bn1"), graph.ReLU(), graph.Dropout("drop", 0.5),
		graph.Dense("fc2", 2))
	model, err := graph.NewModel(net, []int{2}, 3)
	if err != nil {
		panic(err)
	}
	for _, b := range model.Buffers() {
		fmt.Println("buffer", b.Name, b.Shape())
	}
	data, _ := graph.NewArrays([]float32{0, 0, 0, 1, 1, 0, 1, 1}, 2, []float32{0, 1, 1, 0}, 1)
	trainer, _ := graph.NewTrainer(model, graph.CrossEntropy{}, &graph.Adam{LR: 0.05})
	if _, err := trainer.Fit(data, graph.FitConfig{Epochs: 200, BatchSize: 4, Seed: 1}); err != nil {
		panic(err)
	}
	a, _ := model.Predict(data.X, 4, 4)
	b, _ := model.Predict(data.X, 4, 4)
	m, _ := trainer.Evaluate(data, 4)
	fmt.Printf("running mean moved: %v; predictions repeat: %v; accuracy %.0f%%\n",
		model.Param("bn1.running_mean").Float64s()[0] != 0, fmt.Sprint(a) == fmt.Sprint(b), 100*m.Accuracy)
	// Output:
	// buffer bn1.running_mean [16]
	// buffer bn1.running_var [16]
	// running mean moved: true; predictions repeat: true; accuracy 100%
}

// A learning-rate schedule (cosine with a linear warm-up) and early
// stopping on the validation loss, which ends training once it stops
// improving and keeps the best epoch's weights.
func Example_scheduleEarlyStopping() {
	net := graph.Sequential("mlp", graph.Flatten(), graph.Dense("fc1", 32), graph.ReLU(), graph.Dense("fc2", 3))
	model, err := graph.NewModel(net, []int{1, 8, 8}, 1)
	if err != nil {
		panic(err)
	}
	trainer, _ := graph.NewTrainer(model, graph.CrossEntropy{}, &graph.SGD{LR: 0.1, Momentum: 0.9})
	var rates []float64
	res, err := trainer.Fit(blobs(120, 1), graph.FitConfig{
		Epochs: 100, BatchSize: 20, Seed: 1,
		Val:           blobs(60, 2),
		Schedule:      graph.CosineLR{WarmupSteps: 12},
		EarlyStopping: &graph.EarlyStopping{Monitor: graph.ValLoss, Patience: 3, MinDelta: 1e-3},
		RestoreBest:   true,
		OnEpoch:       func(e graph.EpochInfo) error { rates = append(rates, e.LR); return nil },
	})
	if err != nil {
		panic(err)
	}
	fmt.Printf("warm-up: rate %.3f after epoch 1, %.3f after epoch 2\n", rates[0], rates[1])
	fmt.Printf("stopped early: %v, before epoch 100: %v, best epoch kept: %v\n",
		res.EarlyStopped, len(res.History) < 100, res.BestEpoch > 0 && res.BestEpoch < len(res.History))
	// Output:
	// warm-up: rate 0.046 after epoch 1, 0.092 after epoch 2
	// stopped early: true, before epoch 100: true, best epoch kept: true
}
