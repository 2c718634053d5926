package graph

import (
	"fmt"
	"strings"

	G "gorgonia.org/gorgonia"
)

// trace records, while a program is built, every layer applied: where it
// sits, what it reads and what it gives. Summary, DOT and Activations are
// read off it, so they show the graph that really runs. A nil *trace
// records nothing.
type trace struct {
	records  []*record
	stack    []int           // records being built, innermost last
	producer map[*G.Node]int // the record whose output a node is
	children map[int]bool    // records that hold other records
	fusedBy  map[int]string  // a record's fusion note
	applied  map[string]int  // applications of each layer path so far
}

// record is one application of a layer.
type record struct {
	path, name, kind string
	depth            int
	inputs           []*G.Node
	output           *G.Node
	parent           int
}

func newTrace() *trace {
	return &trace{producer: map[*G.Node]int{}, children: map[int]bool{}, fusedBy: map[int]string{}, applied: map[string]int{}}
}

// open starts the record of a layer applied to xs and returns its index.
func (t *trace) open(l Layer, path string, xs []*G.Node) int {
	if t == nil {
		return -1
	}
	parent := -1
	if n := len(t.stack); n > 0 {
		parent = t.stack[n-1]
		t.children[parent] = true
	}
	t.records = append(t.records, &record{path: path, name: l.Name(), kind: describeLayer(l),
		depth: len(t.stack), inputs: xs, parent: parent})
	i := len(t.records) - 1
	t.stack = append(t.stack, i)
	return i
}

// close ends record i with its output node.
func (t *trace) close(i int, out *G.Node) {
	if t == nil || i < 0 {
		return
	}
	r := t.records[i]
	r.output = out
	t.stack = t.stack[:len(t.stack)-1]
	_, known := t.producer[out]
	identity := !t.children[i] && len(r.inputs) == 1 && r.inputs[0] == out
	if !known || identity {
		t.producer[out] = i
	}
}

// setInputs replaces the inputs of record i (a layer over several nodes).
func (t *trace) setInputs(i int, xs []*G.Node) {
	if t != nil && i >= 0 {
		t.records[i].inputs = xs
	}
}

// fuse notes that record i runs as one op with the record that made x.
func (t *trace) fuse(i int, x *G.Node, how string) {
	if t == nil || i < 0 {
		return
	}
	if j, ok := t.producer[x]; ok {
		t.fusedBy[j] = fmt.Sprintf("runs inside %s", t.records[i].path)
		t.fusedBy[i] = fmt.Sprintf("%s, one op with %s", how, t.records[j].path)
	}
}

// infos turns the records into the model's layer table: the top layer's
// own record is left out when it holds others, and depths count from its
// children.
func (t *trace) infos(m *Model) []LayerInfo {
	skipTop := len(t.records) > 0 && t.children[0]
	index := map[int]int{} // record -> position in the table
	var out []LayerInfo
	for i, r := range t.records {
		if i == 0 && skipTop {
			continue
		}
		index[i] = len(out)
		depth := r.depth
		if skipTop {
			depth--
		}
		info := LayerInfo{Index: len(out), Path: r.path, Name: r.name, Kind: r.kind, Depth: depth,
			Output: Shape(r.output.Shape()[1:].Clone()), Params: m.paramsUnder(r.path),
			Container: t.children[i], Fused: t.fusedBy[i]}
		out = append(out, info)
	}
	for i, r := range t.records {
		k, ok := index[i]
		if !ok {
			continue
		}
		for _, x := range r.inputs {
			from := -1
			if j, ok := t.producer[x]; ok && j != i {
				if pos, ok := index[j]; ok {
					from = pos
				}
			}
			out[k].Inputs = append(out[k].Inputs, from)
		}
	}
	return out
}

// paramsUnder counts the trainable values of the layer at path and of the
// layers inside it.
func (m *Model) paramsUnder(path string) int {
	n := 0
	for _, p := range m.params {
		if p.layer == path || strings.HasPrefix(p.layer, path+".") {
			n += p.Size()
		}
	}
	return n
}
