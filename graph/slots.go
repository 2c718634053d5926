package graph

import (
	"strings"

	"github.com/pkg/errors"
	"gorgonia.org/tensor"
)

// slots holds an optimizer's per-parameter tensors (velocity, moments),
// created on the first step and keyed by slot and parameter name so a saved
// state restores into the right parameters whatever their order.
type slots struct {
	names   []string                   // parameter names, fixed at the first step
	tensors map[string][]*tensor.Dense // slot name -> one tensor per parameter
	pending map[string][]float64       // restored state waiting for the first step
}

// get returns the slot's tensors for params, creating them (zero, or from a
// restored state) the first time.
func (s *slots) get(slot string, params []*Param) ([]*tensor.Dense, error) {
	if s.tensors == nil {
		s.tensors = map[string][]*tensor.Dense{}
	}
	if err := s.checkNames(params); err != nil {
		return nil, err
	}
	if ts, ok := s.tensors[slot]; ok {
		return ts, nil
	}
	ts := make([]*tensor.Dense, len(params))
	for i, p := range params {
		ts[i] = tensor.New(tensor.Of(p.value.Dtype()), tensor.WithShape(p.value.Shape().Clone()...))
		if saved, ok := s.pending[slot+"/"+p.Name]; ok {
			if len(saved) != p.Size() {
				return nil, errors.Errorf("optimizer state %s/%s has %d values, want %d", slot, p.Name, len(saved), p.Size())
			}
			setFromFloat64s(ts[i], saved)
		}
	}
	s.tensors[slot] = ts
	return ts, nil
}

// checkNames pins the parameter list at the first step and rejects a
// different one later, since slots follow parameters by position.
func (s *slots) checkNames(params []*Param) error {
	if s.names == nil {
		for _, p := range params {
			s.names = append(s.names, p.Name)
		}
		return nil
	}
	if len(params) != len(s.names) {
		return errors.Errorf("optimizer: %d params, first step had %d", len(params), len(s.names))
	}
	for i, p := range params {
		if p.Name != s.names[i] {
			return errors.Errorf("optimizer: param %d is %s, first step had %s", i, p.Name, s.names[i])
		}
	}
	return nil
}

// state returns every slot tensor as "slot/param" -> values.
func (s *slots) state() map[string][]float64 {
	out := map[string][]float64{}
	for slot, ts := range s.tensors {
		for i, t := range ts {
			out[slot+"/"+s.names[i]] = appendFloats(nil, t)
		}
	}
	for k, v := range s.pending {
		if _, ok := out[k]; !ok {
			out[k] = v
		}
	}
	return out
}

// setState keeps a saved state until the slots are created at the next step.
func (s *slots) setState(saved map[string][]float64) error {
	for k := range saved {
		if !strings.Contains(k, "/") {
			return errors.Errorf("optimizer state key %q is not slot/param", k)
		}
	}
	s.pending = make(map[string][]float64, len(saved))
	for k, v := range saved {
		s.pending[k] = append([]float64(nil), v...)
	}
	s.tensors, s.names = nil, nil
	return nil
}

// setFromFloat64s copies vals into a float32 or float64 tensor.
func setFromFloat64s(dst *tensor.Dense, vals []float64) {
	switch d := dst.Data().(type) {
	case []float32:
		for i, v := range vals {
			d[i] = float32(v)
		}
	case []float64:
		copy(d, vals)
	}
}
