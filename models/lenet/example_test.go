package lenet_test

import (
	"fmt"

	"github.com/featlearn/featlearn/datasets"
	"github.com/featlearn/featlearn/graph"
	"github.com/featlearn/featlearn/models/lenet"
)

// Train LeNet-5 on the first 2,000 MNIST training images within a budget
// of 100 steps, then measure it on the first 1,000 test images. Every call
// is non-generic, as notebooks (gophernotes) need.
func Example() {
	m, err := datasets.LoadMNIST("")
	if err != nil {
		fmt.Println(err)
		return
	}
	train, val, err := m.TrainVal()
	if err != nil {
		fmt.Println(err)
		return
	}
	model, res, err := lenet.Train(lenet.DefaultRecipe(), train.First(2000), val.First(500), graph.FitConfig{MaxSteps: 100})
	if err != nil {
		fmt.Println(err)
		return
	}
	ev, err := graph.Evaluate(model, graph.CrossEntropy{}, graph.ImageData(m.Test.First(1000)), 500)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%d steps; test accuracy above 90%%: %v\n", res.Steps, ev.Accuracy > 0.9)
	// Output: 100 steps; test accuracy above 90%: true
}
