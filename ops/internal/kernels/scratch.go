package kernels

import (
	"math/bits"
	"sync"
)

// convPools holds scratch buffers by element type and power-of-two size
// class, so that buffers of one class are interchangeable and a steady
// training loop allocates none.
var convPools [2][64]sync.Pool

// convScratch returns a pooled buffer of n elements with arbitrary contents.
func convScratch[T float](n int) *[]T {
	class := bits.Len(uint(max(n, 1) - 1))
	if b, ok := convPool[T](class).Get().(*[]T); ok {
		*b = (*b)[:n]
		return b
	}
	s := make([]T, n, 1<<class)
	return &s
}

// align64 rounds n float32s up to a whole number of 64-byte cache lines.
// convScratch buffers start on a line (their capacity is a power of two,
// which Go's allocator aligns), so a scratch area that starts at an
// aligned offset lets the kernels' vector loads stay within one line.
func align64(n int) int { return (n + 15) &^ 15 }

// convRelease returns a buffer from convScratch to its pool.
func convRelease[T float](b *[]T) {
	convPool[T](bits.Len(uint(cap(*b))) - 1).Put(b)
}

// convPool is the pool of []T buffers of capacity 1<<class.
func convPool[T float](class int) *sync.Pool {
	var zero T
	if _, ok := any(zero).(float64); ok {
		return &convPools[1][class]
	}
	return &convPools[0][class]
}
