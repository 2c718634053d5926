package graph

import "github.com/pkg/errors"

// Arrays is an in-memory Dataset: example i's input is
// X[i*XSize:(i+1)*XSize] and its target Y[i*YSize:(i+1)*YSize].
type Arrays struct {
	X, Y         []float32
	XSize, YSize int
}

// NewArrays checks that x and y hold the same number of examples.
func NewArrays(x []float32, xSize int, y []float32, ySize int) (*Arrays, error) {
	if xSize < 1 || ySize < 0 || len(x)%xSize != 0 {
		return nil, errors.Errorf("arrays: %d inputs do not split into examples of %d", len(x), xSize)
	}
	n := len(x) / xSize
	if len(y) != n*ySize && !(ySize == 0 && len(y) == n) {
		return nil, errors.Errorf("arrays: %d examples but %d targets of size %d", n, len(y), ySize)
	}
	return &Arrays{X: x, Y: y, XSize: xSize, YSize: max(ySize, 1)}, nil
}

// Len returns the number of examples.
func (a *Arrays) Len() int { return len(a.X) / a.XSize }

// ExampleSizes returns XSize and YSize.
func (a *Arrays) ExampleSizes() (int, int) { return a.XSize, a.YSize }

// Gather copies the examples idx into x and y.
func (a *Arrays) Gather(idx []int, x, y []float32) error {
	if len(x) < len(idx)*a.XSize || len(y) < len(idx)*a.YSize {
		return errors.Errorf("gather: buffers too small for %d examples", len(idx))
	}
	for j, i := range idx {
		if i < 0 || i >= a.Len() {
			return errors.Errorf("gather: example %d of %d", i, a.Len())
		}
		copy(x[j*a.XSize:(j+1)*a.XSize], a.X[i*a.XSize:(i+1)*a.XSize])
		copy(y[j*a.YSize:(j+1)*a.YSize], a.Y[i*a.YSize:(i+1)*a.YSize])
	}
	return nil
}
