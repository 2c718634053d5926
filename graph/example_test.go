package graph_test

import (
	"fmt"

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
