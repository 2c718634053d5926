package ops

import (
	"unsafe"

	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// vals returns the backing slice of a float tensor of element type T. It
// replaces data[T] in the hot paths: tensor.Dense.Data builds its []T by
// reflection and allocates twice per call, while Float32s and Float64s
// only reinterpret the header. The caller has checked the dtype.
func vals[T float](d *tensor.Dense) []T {
	var z T
	if _, ok := any(z).(float32); ok {
		s := d.Float32s()
		return unsafe.Slice((*T)(unsafe.Pointer(unsafe.SliceData(s))), len(s))
	}
	s := d.Float64s()
	return unsafe.Slice((*T)(unsafe.Pointer(unsafe.SliceData(s))), len(s))
}

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
