package graph

import (
	"math/rand/v2"
	"testing"

	"github.com/featlearn/featlearn/datasets"
)

// BenchmarkTrainStepLeNet times one LeNet-5 training step at batch 64.
func BenchmarkTrainStepLeNet(b *testing.B) {
	benchStep(b, lenetNet(), []int{1, 28, 28})
}

// BenchmarkTrainStepMLP times one 784-300-100-10 training step at batch 64.
func BenchmarkTrainStepMLP(b *testing.B) {
	benchStep(b, mlpNet(), []int{784})
}

// BenchmarkTrainStepMLPMNIST is BenchmarkTrainStepMLP on MNIST images,
// whose zeros the first layer skips.
func BenchmarkTrainStepMLPMNIST(b *testing.B) {
	benchStepOn(b, mlpNet(), []int{784}, mnistImages(b, 64))
}

// BenchmarkPredictMLP1000MNIST is BenchmarkPredictMLP1000 on MNIST images.
func BenchmarkPredictMLP1000MNIST(b *testing.B) {
	benchPredictOn(b, mlpNet(), []int{784}, 1000, mnistImages(b, 1000))
}

func mlpNet() Layer {
	return Sequential("mlp", Dense("fc1", 300), ReLU(), Dense("fc2", 100), ReLU(), Dense("fc3", 10))
}

// mnistImages returns the first n MNIST training images as pixels/255, or
// skips the benchmark where MNIST cannot be loaded.
func mnistImages(b *testing.B, n int) []float32 {
	m, err := datasets.LoadMNIST("")
	if err != nil {
		b.Skip(err)
	}
	x := make([]float32, n*784)
	for i, p := range m.Train.Images[:len(x)] {
		x[i] = float32(p) / 255
	}
	return x
}

// BenchmarkTrainStepLeNetMNIST is BenchmarkTrainStepLeNet on MNIST images,
// whose zero margins and pooled gradients the kernels skip.
func BenchmarkTrainStepLeNetMNIST(b *testing.B) {
	benchStepOn(b, lenetNet(), []int{1, 28, 28}, mnistImages(b, 64))
}

// BenchmarkPredictLeNet1000MNIST is BenchmarkPredictLeNet1000 on MNIST
// images.
func BenchmarkPredictLeNet1000MNIST(b *testing.B) {
	benchPredictOn(b, lenetNet(), []int{1, 28, 28}, 1000, mnistImages(b, 1000))
}

// lenetNet is LeNet-5 as the benchmarks build it.
func lenetNet() Layer {
	return Sequential("lenet",
		Conv2D("conv1", 6, 5, Pad(2)), ReLU(), MaxPool2D("pool1", 2),
		Conv2D("conv2", 16, 5), ReLU(), MaxPool2D("pool2", 2),
		Flatten(), Dense("fc1", 120), ReLU(), Dense("fc2", 84), ReLU(), Dense("fc3", 10))
}

// BenchmarkPredictLeNet1000 times LeNet-5 inference on 1000 images at
// batch 1000, as bench/featbench measures it.
func BenchmarkPredictLeNet1000(b *testing.B) { benchPredict(b, lenetNet(), []int{1, 28, 28}, 1000) }

// BenchmarkPredictLeNet1 times the batch-1 latency of LeNet-5.
func BenchmarkPredictLeNet1(b *testing.B) { benchPredict(b, lenetNet(), []int{1, 28, 28}, 1) }

// BenchmarkPredictMLP1000 times MLP inference on 1000 images at batch 1000.
func BenchmarkPredictMLP1000(b *testing.B) { benchPredict(b, mlpNet(), []int{784}, 1000) }

// benchPredict times predictions on uniform random inputs.
func benchPredict(b *testing.B, net Layer, input []int, batch int) {
	rng := rand.New(rand.NewPCG(1, 2))
	x := make([]float32, batch*Shape(input).Size())
	for i := range x {
		x[i] = rng.Float32()
	}
	benchPredictOn(b, net, input, batch, x)
}

func benchPredictOn(b *testing.B, net Layer, input []int, batch int, x []float32) {
	m, err := NewModel(net, input, 1)
	if err != nil {
		b.Fatal(err)
	}
	// The first call builds the program for the batch size.
	if _, err := m.Predict(x, batch, batch); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := m.Predict(x, batch, batch); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(batch*b.N)/b.Elapsed().Seconds(), "img/s")
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N), "µs/call")
}

// benchStep times training steps on uniform random inputs.
func benchStep(b *testing.B, net Layer, input []int) {
	rng := rand.New(rand.NewPCG(1, 2))
	x := make([]float32, 64*Shape(input).Size())
	for i := range x {
		x[i] = rng.Float32()
	}
	benchStepOn(b, net, input, x)
}

// benchStepOn times training steps at batch 64 on x, with random labels.
func benchStepOn(b *testing.B, net Layer, input []int, x []float32) {
	m, err := NewModel(net, input, 1)
	if err != nil {
		b.Fatal(err)
	}
	tr, _ := NewTrainer(m, CrossEntropy{}, &SGD{LR: 0.01, Momentum: 0.9})
	const batch = 64
	rng := rand.New(rand.NewPCG(1, 2))
	y := make([]float32, batch)
	for i := range y {
		y[i] = float32(rng.IntN(10))
	}
	if _, err := tr.TrainBatch(x, y, batch); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := tr.TrainBatch(x, y, batch); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(batch*b.N)/b.Elapsed().Seconds(), "img/s")
}
