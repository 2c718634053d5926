package ops

import (
	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// denseArgs is densesOf writing into dst, a caller's array, so that the
// ops that call it every step allocate no slice. It falls back to densesOf
// when dst is too short.
func denseArgs(dst []*tensor.Dense, vs []G.Value) ([]*tensor.Dense, error) {
	if len(vs) > len(dst) {
		return densesOf(vs)
	}
	for i, v := range vs {
		d, err := denseOf(v)
		if err != nil {
			return nil, errors.Wrapf(err, "input %d", i)
		}
		if i > 0 && d.Dtype() != dst[0].Dtype() {
			return nil, errors.Errorf("input %d has dtype %v, input 0 has %v", i, d.Dtype(), dst[0].Dtype())
		}
		dst[i] = d
	}
	return dst[:len(vs)], nil
}
