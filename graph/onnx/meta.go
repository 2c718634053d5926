package onnx

import (
	"encoding/json"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/pkg/errors"

	"github.com/featlearn/featlearn/graph"
	pb "github.com/featlearn/featlearn/graph/onnx/internal/onnxpb"
)

// The metadata_props keys Export writes and Import reads back into Meta.
const (
	KeyModel      = "model"       // Meta.Model
	KeyArch       = "arch"        // Meta.Arch
	KeyClasses    = "classes"     // Meta.Classes as a JSON array of strings
	KeyInputScale = "input_scale" // Normalization.Scale as a decimal number
	KeyInputMean  = "input_mean"  // Normalization.Mean as a JSON array of numbers
	KeyInputStd   = "input_std"   // Normalization.Std as a JSON array of numbers
	KeyLayout     = "input_layout"
	// ExtraPrefix starts the keys of a checkpoint's Extra entries other
	// than those above, such as "extra.recipe".
	ExtraPrefix = "extra."
)

// Meta is what an ONNX file says about its model besides the graph: it
// travels in the model's metadata_props, where ONNX Runtime's
// InferenceSession.modelMetadata.customMetadataMap and Netron show it.
type Meta struct {
	// Model names the model, such as "lenet"; Export writes the model's
	// own name when it is empty.
	Model string
	// Arch describes the architecture, as a checkpoint's Config does.
	Arch string
	// Classes names the outputs: Classes[i] is the class of logit i.
	Classes []string
	// Input says how an image's pixels become the input tensor.
	Input Normalization
	// Props holds every other metadata_props entry, written as it is.
	// Import puts the entries it does not know here.
	Props map[string]string
}

// Normalization is how an image becomes the model's input: each pixel
// byte p of channel c becomes (p·Scale - Mean[c]) / Std[c]. featlearn's
// MNIST models take p/255: Scale 1/255, Mean 0, Std 1. A zero Scale
// means unknown, and Export writes none of it.
type Normalization struct {
	Scale     float64
	Mean, Std []float64
}

// MNISTInput returns the normalisation of featlearn's image datasets
// (graph.ImageData): pixel/255, no mean or deviation.
func MNISTInput() Normalization {
	return Normalization{Scale: 1.0 / 255, Mean: []float64{0}, Std: []float64{1}}
}

// DigitClasses names the ten classes of MNIST, "0" to "9".
func DigitClasses() []string {
	c := make([]string, 10)
	for i := range c {
		c[i] = strconv.Itoa(i)
	}
	return c
}

// MetaFromCheckpoint returns the Meta of a checkpoint's model: Model and
// Arch from its Model and Config, Classes from Extra["classes"] (a JSON
// array or a comma-separated list), the normalisation from
// Extra["input_scale"], ["input_mean"] and ["input_std"], and every other
// Extra entry as a property "extra.<key>".
func MetaFromCheckpoint(cm graph.CheckpointMeta) (Meta, error) {
	m := Meta{Model: cm.Model, Arch: cm.Config, Props: map[string]string{}}
	known := map[string]string{}
	for k, v := range cm.Extra {
		switch k {
		case KeyClasses, KeyInputScale, KeyInputMean, KeyInputStd:
			known[k] = v
		default:
			m.Props[ExtraPrefix+k] = v
		}
	}
	if s, ok := known[KeyClasses]; ok {
		var err error
		if m.Classes, err = parseClasses(s); err != nil {
			return Meta{}, err
		}
	}
	in, err := parseNormalization(known)
	if err != nil {
		return Meta{}, err
	}
	m.Input = in
	return m, nil
}

// parseClasses reads a JSON array of names or a comma-separated list.
func parseClasses(s string) ([]string, error) {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "[") {
		var c []string
		if err := json.Unmarshal([]byte(s), &c); err != nil {
			return nil, errors.Wrap(err, "classes")
		}
		return c, nil
	}
	if s == "" {
		return nil, nil
	}
	c := strings.Split(s, ",")
	for i := range c {
		c[i] = strings.TrimSpace(c[i])
	}
	return c, nil
}

// parseNormalization reads the input_* entries of a map; none is fine.
func parseNormalization(md map[string]string) (Normalization, error) {
	var n Normalization
	s, ok := md[KeyInputScale]
	if !ok {
		return n, nil
	}
	v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || !(v > 0) || math.IsInf(v, 0) {
		return n, errors.Errorf("%s %q: want a positive number", KeyInputScale, s)
	}
	n.Scale = v
	for _, f := range []struct {
		key string
		dst *[]float64
	}{{KeyInputMean, &n.Mean}, {KeyInputStd, &n.Std}} {
		s, ok := md[f.key]
		if !ok {
			continue
		}
		if err := json.Unmarshal([]byte(s), f.dst); err != nil {
			return Normalization{}, errors.Errorf("%s %q: want a JSON array of numbers", f.key, s)
		}
	}
	for _, sd := range n.Std {
		if !(sd > 0) {
			return Normalization{}, errors.Errorf("%s holds %v: want positive deviations", KeyInputStd, sd)
		}
	}
	return n, nil
}

// props returns the metadata_props entries of m, sorted by key.
func (m Meta) props(model *graph.Model) ([]*pb.StringStringEntryProto, error) {
	md := map[string]string{}
	for k, v := range m.Props {
		md[k] = v
	}
	md[KeyModel] = m.Model
	if m.Model == "" {
		md[KeyModel] = model.Name()
	}
	if m.Arch != "" {
		md[KeyArch] = m.Arch
	}
	if len(m.Classes) > 0 {
		b, err := json.Marshal(m.Classes)
		if err != nil {
			return nil, errors.Wrap(err, "classes")
		}
		md[KeyClasses] = string(b)
	}
	in := model.InputShape()
	if len(in) == 3 {
		md[KeyLayout] = "NCHW"
	}
	if m.Input.Scale != 0 {
		if !(m.Input.Scale > 0) || math.IsInf(m.Input.Scale, 0) {
			return nil, errors.Errorf("input scale %v: want a positive number", m.Input.Scale)
		}
		md[KeyInputScale] = strconv.FormatFloat(m.Input.Scale, 'g', -1, 64)
		for _, f := range []struct {
			key  string
			vals []float64
		}{{KeyInputMean, m.Input.Mean}, {KeyInputStd, m.Input.Std}} {
			if f.vals == nil {
				continue
			}
			b, err := json.Marshal(f.vals)
			if err != nil {
				return nil, errors.Wrap(err, f.key)
			}
			md[f.key] = string(b)
		}
	}
	keys := make([]string, 0, len(md))
	for k := range md {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]*pb.StringStringEntryProto, len(keys))
	for i, k := range keys {
		out[i] = &pb.StringStringEntryProto{Key: &k, Value: ptr(md[k])}
	}
	return out, nil
}

// metaOf reads a Meta back from metadata_props. Entries that do not parse
// stay in Props, so nothing a file holds is lost.
func metaOf(props []*pb.StringStringEntryProto) Meta {
	md := map[string]string{}
	for _, p := range props {
		md[p.GetKey()] = p.GetValue()
	}
	m := Meta{Model: md[KeyModel], Arch: md[KeyArch], Props: map[string]string{}}
	delete(md, KeyModel)
	delete(md, KeyArch)
	delete(md, KeyLayout)
	if s, ok := md[KeyClasses]; ok {
		if c, err := parseClasses(s); err == nil {
			m.Classes = c
			delete(md, KeyClasses)
		}
	}
	if n, err := parseNormalization(md); err == nil && n.Scale != 0 {
		m.Input = n
		delete(md, KeyInputScale)
		delete(md, KeyInputMean)
		delete(md, KeyInputStd)
	}
	for k, v := range md {
		m.Props[k] = v
	}
	return m
}

// ptr returns a pointer to a copy of v, for proto2's optional fields.
func ptr[T any](v T) *T { return &v }
