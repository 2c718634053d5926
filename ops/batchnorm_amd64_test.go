package ops

import "testing"

// TestBatchNormKernelsGo runs TestBatchNormKernels' checks on the Go loops
// that CPUs without AVX2 run for float32.
func TestBatchNormKernelsGo(t *testing.T) {
	defer func(v bool) { useAVX2 = v }(useAVX2)
	useAVX2 = false
	checkBatchNormKernels(t)
}
