// Package xor builds the lecture's first networks: logic gates from single
// sigmoid neurons, x1 XNOR x2 wired by hand from three of them, and a small
// net that learns XOR from random weights by gradient descent.
package xor

import (
	"fmt"
	"strings"

	"github.com/pkg/errors"

	"github.com/featlearn/featlearn/graph"
)

// Inputs are the four points of the truth table, x1 then x2, one after another.
var Inputs = []float32{0, 0, 0, 1, 1, 0, 1, 1}

// XORTargets are x1 XOR x2 for Inputs.
var XORTargets = []float32{0, 1, 1, 0}

// neuron is a single sigmoid unit: bias first, then one weight per input,
// as the slides write them (-30, 20, 20).
type neuron struct {
	bias    float64
	weights []float64
}

var (
	and = neuron{-30, []float64{20, 20}}
	nor = neuron{10, []float64{-20, -20}} // (NOT x1) AND (NOT x2)
	or  = neuron{-10, []float64{20, 20}}
	not = neuron{10, []float64{-20}}
)

// gate is a model of one sigmoid neuron with fixed weights.
func gate(name string, n neuron) (*graph.Model, error) {
	m, err := graph.NewModel(graph.Sequential(name, graph.Dense(name, 1), graph.Sigmoid()), []int{len(n.weights)}, 0, graph.Float64())
	if err != nil {
		return nil, err
	}
	return m, setLayer(m, name, []neuron{n})
}

// setLayer writes the weights of neurons into the dense layer called name.
func setLayer(m *graph.Model, name string, ns []neuron) error {
	var w, b []float64
	for _, n := range ns {
		w = append(w, n.weights...)
		b = append(b, n.bias)
	}
	if err := m.Param(name + ".weight").Set(w); err != nil {
		return err
	}
	return m.Param(name + ".bias").Set(b)
}

// AND is the neuron sigmoid(-30 + 20·x1 + 20·x2).
func AND() (*graph.Model, error) { return gate("and", and) }

// OR is the neuron sigmoid(-10 + 20·x1 + 20·x2).
func OR() (*graph.Model, error) { return gate("or", or) }

// NOR is the neuron (NOT x1) AND (NOT x2) = sigmoid(10 - 20·x1 - 20·x2).
func NOR() (*graph.Model, error) { return gate("nor", nor) }

// NOT is the neuron sigmoid(10 - 20·x).
func NOT() (*graph.Model, error) { return gate("not", not) }

// XNOR wires the slides' network: a hidden layer of x1 AND x2 and
// (NOT x1) AND (NOT x2), and an OR of the two on top.
func XNOR() (*graph.Model, error) {
	net := graph.Sequential("xnor",
		graph.Dense("hidden", 2), graph.Sigmoid(),
		graph.Dense("or", 1), graph.Sigmoid())
	m, err := graph.NewModel(net, []int{2}, 0, graph.Float64())
	if err != nil {
		return nil, err
	}
	if err := setLayer(m, "hidden", []neuron{and, nor}); err != nil {
		return nil, err
	}
	return m, setLayer(m, "or", []neuron{or})
}

// TruthTable runs a model on every combination of its 0/1 inputs and
// returns the inputs, one row per combination, and the outputs.
func TruthTable(m *graph.Model) (inputs [][]float32, outputs []float64, err error) {
	k := m.InputShape().Size()
	if k > 16 {
		return nil, nil, errors.Errorf("truth table of %d inputs is too large", k)
	}
	var flat []float32
	for row := 0; row < 1<<k; row++ {
		in := make([]float32, k)
		for j := range in {
			in[j] = float32(row >> (k - 1 - j) & 1)
		}
		inputs = append(inputs, in)
		flat = append(flat, in...)
	}
	outputs, err = m.Predict(flat, len(inputs), len(inputs))
	return inputs, outputs, err
}

// FormatTruthTable renders a truth table as aligned text.
func FormatTruthTable(title string, inputs [][]float32, outputs []float64) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n", title)
	for i, in := range inputs {
		for _, v := range in {
			fmt.Fprintf(&b, "%3.0f", v)
		}
		fmt.Fprintf(&b, "  ->  %.5f\n", outputs[i])
	}
	return b.String()
}
