package lab

import (
	"fmt"
	"math"
	"net/http"
	"strings"

	"github.com/pkg/errors"

	"github.com/featlearn/featlearn/graph"
	"github.com/featlearn/featlearn/models/xor"
	"github.com/featlearn/featlearn/viz"
)

// The XOR tab: the slides' sigmoid neurons with editable weights (bias
// first, as the slides write -30, 20, 20), their truth tables and decision
// regions, and a small net learning XOR by gradient descent, its decision
// regions drawn every few steps for the page to animate.

// gateNet describes one of the slides' networks.
type gateNet struct {
	inputs  int
	weights []float64 // the slides' values, bias first per neuron
	target  func(a, b int) int
	neurons []string // names of the neurons, in weight order
}

// gates are the networks of the XOR tab.
var gates = map[string]gateNet{
	"and":  {2, []float64{-30, 20, 20}, func(a, b int) int { return a & b }, []string{"and"}},
	"or":   {2, []float64{-10, 20, 20}, func(a, b int) int { return a | b }, []string{"or"}},
	"nor":  {2, []float64{10, -20, -20}, func(a, b int) int { return 1 - (a | b) }, []string{"nor"}},
	"not":  {1, []float64{10, -20}, func(a, _ int) int { return 1 - a }, []string{"not"}},
	"xnor": {2, []float64{-30, 20, 20, 10, -20, -20, -10, 20, 20}, func(a, b int) int { return 1 - (a ^ b) }, []string{"and", "nor", "or"}},
}

// gateRequest asks for a network with weights (nil: the slides').
type gateRequest struct {
	Net     string    `json:"net"`
	Weights []float64 `json:"weights"`
}

// tableRow is one row of a truth table.
type tableRow struct {
	In     []int   `json:"in"`
	Out    float64 `json:"out"`
	Target int     `json:"target"`
}

// gateAnswer is the answer of /api/xor/gate.
type gateAnswer struct {
	Net     string     `json:"net"`
	Weights []float64  `json:"weights"`
	Formula string     `json:"formula"`
	Table   []tableRow `json:"table"`
	Right   bool       `json:"right"` // every row rounds to its target
	Regions picture    `json:"regions"`
}

// maxWeight bounds an edited weight: sigmoid saturates long before.
const maxWeight = 1000

// handleGate answers POST /api/xor/gate.
func handleGate(w http.ResponseWriter, r *http.Request) error {
	var req gateRequest
	if err := readJSON(r, &req); err != nil {
		return err
	}
	g, ok := gates[req.Net]
	if !ok {
		return badRequest("net %q: want and, or, nor, not or xnor", req.Net)
	}
	if req.Weights == nil {
		req.Weights = g.weights
	}
	if len(req.Weights) != len(g.weights) {
		return badRequest("%s takes %d weights (bias first per neuron), got %d", req.Net, len(g.weights), len(req.Weights))
	}
	for i, v := range req.Weights {
		if err := checkRange(fmt.Sprintf("weight %d", i), v, -maxWeight, maxWeight, false); err != nil {
			return err
		}
	}
	m, err := gateModel(req.Net, g, req.Weights)
	if err != nil {
		return err
	}
	inputs, outs, err := xor.TruthTable(m)
	if err != nil {
		return err
	}
	ans := gateAnswer{Net: req.Net, Weights: req.Weights, Formula: formula(g, req.Weights), Right: true}
	var xs, ys []float64
	var labels []int
	for i, in := range inputs {
		a := int(in[0])
		b := 0
		if g.inputs == 2 {
			b = int(in[1])
		}
		row := tableRow{Out: outs[i], Target: g.target(a, b)}
		for _, v := range in {
			row.In = append(row.In, int(v))
		}
		ans.Right = ans.Right && int(math.Round(outs[i])) == row.Target
		ans.Table = append(ans.Table, row)
		xs, ys, labels = append(xs, float64(a)), append(ys, float64(b)), append(labels, row.Target)
	}
	if g.inputs == 1 {
		ys = []float64{0.5, 0.5}
	}
	title := fmt.Sprintf("%s: output >= 0.5 (orange) or < 0.5 (blue)", req.Net)
	if ans.Regions, err = regions(m, g.inputs, xs, ys, labels, title); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, ans)
	return nil
}

// gateModel builds a network of sigmoid neurons with the given weights.
func gateModel(name string, g gateNet, w []float64) (*graph.Model, error) {
	var net *graph.SequentialLayer
	if len(g.neurons) == 1 {
		net = graph.Sequential(name, graph.Dense("n", 1), graph.Sigmoid())
	} else {
		net = graph.Sequential(name, graph.Dense("hidden", 2), graph.Sigmoid(), graph.Dense("out", 1), graph.Sigmoid())
	}
	m, err := graph.NewModel(net, []int{g.inputs}, 0, graph.Float64())
	if err != nil {
		return nil, err
	}
	set := func(layer string, ws []float64, units int) error {
		per := len(ws) / units
		var weight, bias []float64
		for u := range units {
			bias = append(bias, ws[u*per])
			weight = append(weight, ws[u*per+1:(u+1)*per]...)
		}
		if err := m.Param(layer + ".weight").Set(weight); err != nil {
			return err
		}
		return m.Param(layer + ".bias").Set(bias)
	}
	if len(g.neurons) == 1 {
		return m, set("n", w, 1)
	}
	if err := set("hidden", w[:6], 2); err != nil {
		return nil, err
	}
	return m, set("out", w[6:], 1)
}

// formula writes the network as the slides do.
func formula(g gateNet, w []float64) string {
	neuron := func(ws []float64, in []string) string {
		var b strings.Builder
		fmt.Fprintf(&b, "sigmoid(%g", ws[0])
		for i, v := range ws[1:] {
			fmt.Fprintf(&b, " %+g*%s", v, in[i])
		}
		return b.String() + ")"
	}
	switch {
	case g.inputs == 1:
		return "y = " + neuron(w, []string{"x"})
	case len(g.neurons) == 1:
		return "y = " + neuron(w, []string{"x1", "x2"})
	}
	return fmt.Sprintf("h1 = %s (AND), h2 = %s (NOR), y = %s (OR)",
		neuron(w[0:3], []string{"x1", "x2"}), neuron(w[3:6], []string{"x1", "x2"}), neuron(w[6:9], []string{"h1", "h2"}))
}

// regionsGrid is the side of the grid of points a regions picture
// classifies in one prediction.
const regionsGrid = 80

// regions draws the decision regions of a model of one or two inputs in
// [-0.5, 1.5], with the truth table's points.
func regions(m *graph.Model, inputs int, xs, ys []float64, labels []int, title string) (picture, error) {
	const lo, hi = -0.5, 1.5
	n := regionsGrid
	x := make([]float32, 0, n*n*inputs)
	for row := range n {
		for col := range n {
			x = append(x, float32(lo+(hi-lo)*(float64(col)+0.5)/float64(n)))
			if inputs == 2 {
				x = append(x, float32(hi-(hi-lo)*(float64(row)+0.5)/float64(n)))
			}
		}
	}
	out, err := m.Predict(x, n*n, n*n)
	if err != nil {
		return picture{}, err
	}
	classify := func(px, py float64) int {
		col := min(n-1, max(0, int((px-lo)/(hi-lo)*float64(n))))
		row := min(n-1, max(0, int((hi-py)/(hi-lo)*float64(n))))
		if out[row*n+col] >= 0.5 {
			return 1
		}
		return 0
	}
	img, err := viz.DecisionRegions(classify, xs, ys, labels, 200, [4]float64{lo, hi, lo, hi})
	if err != nil {
		return picture{}, err
	}
	yl := "x2"
	if inputs == 1 {
		yl = "(no second input)"
	}
	xl := "x1"
	if inputs == 1 {
		xl = "x"
	}
	return labelled(img, viz.Labels{Title: title, X: xl, Y: yl}, nil, picture{Title: title})
}

// learnRequest asks for a small net learning XOR.
type learnRequest struct {
	Hidden int     `json:"hidden"`
	LR     float64 `json:"lr"`
	Steps  int     `json:"steps"`
	Seed   uint64  `json:"seed"`
	Tanh   bool    `json:"tanh"`
	Frames int     `json:"frames"`
}

// learnFrame is the net after some steps.
type learnFrame struct {
	Step    int       `json:"step"`
	Loss    float64   `json:"loss"`
	Outputs []float64 `json:"outputs"`
	Right   int       `json:"right"` // points on the right side of 0.5
	Regions picture   `json:"regions"`
}

// handleLearn answers POST /api/xor/learn with frames of a net learning
// XOR from random weights: full-batch SGD with momentum 0.9 on the mean
// squared error, as models/xor learns it.
func handleLearn(w http.ResponseWriter, r *http.Request) error {
	req := learnRequest{Hidden: 3, LR: 0.5, Steps: 2000, Seed: 1, Tanh: true, Frames: 40}
	if err := readJSON(r, &req); err != nil {
		return err
	}
	switch {
	case req.Hidden < 2 || req.Hidden > 16:
		return badRequest("hidden %d: want 2..16 units", req.Hidden)
	case req.Steps < 1 || req.Steps > 20000:
		return badRequest("steps %d: want 1..20000", req.Steps)
	case req.Frames < 1 || req.Frames > 100:
		return badRequest("frames %d: want 1..100", req.Frames)
	}
	if err := checkRange("lr", req.LR, 0, maxLR, true); err != nil {
		return err
	}
	act := graph.Sigmoid()
	if req.Tanh {
		act = graph.Tanh()
	}
	net := graph.Sequential("xor", graph.Dense("hidden", req.Hidden), act, graph.Dense("out", 1), graph.Sigmoid())
	m, err := graph.NewModel(net, []int{2}, req.Seed, graph.Float64())
	if err != nil {
		return err
	}
	tr, err := graph.NewTrainer(m, graph.MeanSquaredError{}, &graph.SGD{LR: req.LR, Momentum: 0.9})
	if err != nil {
		return err
	}
	xs, ys, labels := []float64{0, 0, 1, 1}, []float64{0, 1, 0, 1}, []int{0, 1, 1, 0}
	var frames []learnFrame
	frame := func(step int, loss float64) error {
		outs, err := m.Predict(xor.Inputs, 4, 4)
		if err != nil {
			return err
		}
		f := learnFrame{Step: step, Loss: loss, Outputs: outs}
		for i, o := range outs {
			if (o >= 0.5) == (labels[i] == 1) {
				f.Right++
			}
		}
		if f.Regions, err = regions(m, 2, xs, ys, labels, fmt.Sprintf("step %d: loss %.4f", step, loss)); err != nil {
			return err
		}
		frames = append(frames, f)
		return nil
	}
	res, err := tr.Evaluate(mustArrays(), 4)
	if err != nil {
		return err
	}
	if err := frame(0, res.Loss); err != nil {
		return err
	}
	next := 1
	for step := 1; step <= req.Steps; step++ {
		b, err := tr.TrainBatch(xor.Inputs, xor.XORTargets, 4)
		if err != nil {
			return errors.Wrapf(err, "step %d", step)
		}
		if step*req.Frames >= next*req.Steps {
			next++
			if err := frame(step, b.Loss); err != nil {
				return err
			}
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"frames": frames, "weights": xor.FormatWeights(m)})
	return nil
}

// mustArrays returns the four XOR points as a dataset.
func mustArrays() *graph.Arrays {
	a, _ := graph.NewArrays(xor.Inputs, 2, xor.XORTargets, 1)
	return a
}
