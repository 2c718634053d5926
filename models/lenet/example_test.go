package lenet_test

import (
	"fmt"

	"github.com/featlearn/featlearn/datasets"
	"github.com/featlearn/featlearn/models/lenet"
	"github.com/featlearn/featlearn/models/mnisttrain"
)

// A notebook's session: train LeNet-5 within a budget of 200 steps, print
// the history, and draw the learned filters, the feature maps of a test
// digit and the curves (gophernotes shows an image.Image inline). Every
// call is non-generic, as gophernotes needs.
func Example_notebook() {
	m, err := datasets.LoadMNIST("")
	if err != nil {
		fmt.Println(err)
		return
	}
	data, err := mnisttrain.Split(m)
	if err != nil {
		fmt.Println(err)
		return
	}
	cfg := lenet.DefaultConfig()
	cfg.MaxSteps = 200
	res, err := lenet.Train(cfg, data)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, e := range res.History {
		fmt.Printf("epoch %d: %d steps, validation accuracy %.2f%%\n", e.Epoch, e.Steps, 100*e.ValAccuracy)
	}
	filters, _ := mnisttrain.Filters(res.Model, 6, 0)
	maps, _ := mnisttrain.FeatureMaps(res.Model, m.Test.Pixels(0))
	curves, _ := mnisttrain.Curves("LeNet-5", res.History)
	_, _, _ = filters, maps, curves
	ev, _ := mnisttrain.Evaluate(res.Model, m.Test)
	fmt.Printf("test accuracy %.2f%%\n", 100*ev.Accuracy)
}
