package kernels

import (
	"math"
	"unsafe"
)

// DropoutKeep reports whether element i is kept under seed, step and rate
// (ops.DropoutKeep documents the stream).
func DropoutKeep(seed, step uint64, i int, rate float64) bool {
	h := mix64(dropoutKey(seed, step) + uint64(i>>1+1)*golden)
	return keepMask(uint32(h>>(32*(i&1))), dropoutThreshold(rate)) != 0
}

// golden is splitmix64's increment, 2⁶⁴ divided by the golden ratio.
const golden = 0x9e3779b97f4a7c15

// mix64 is splitmix64's finaliser, a bijection of 64-bit words.
func mix64(z uint64) uint64 {
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// dropoutKey is the start of the splitmix64 stream of (seed, step).
// Distinct steps of one seed give distinct keys, as mix64 is a bijection.
func dropoutKey(seed, step uint64) uint64 { return mix64(mix64(seed+golden) ^ step) }

// dropoutThreshold is the least 32-bit draw that keeps an element.
func dropoutThreshold(rate float64) uint64 { return uint64(rate * (1 << 32)) }

// keepMask is all ones when the draw u keeps an element (u >= t), else 0,
// computed without a branch: the draws are random, so a branch would be
// mispredicted at every other dropped element.
func keepMask(u uint32, t uint64) uint64 { return (uint64(u)-t)>>63 - 1 }

// dropoutPairs is the least number of element pairs that dropout spreads
// over the cores: about 3 µs of hashing.
const dropoutPairs = 1024

// Dropout writes x masked and divided by 1-rate into y, over the cores
// in chunks of element pairs. Each element depends on its index alone, so
// the split does not change the bits.
func Dropout[T float](y, x []T, rate float64, seed, step uint64) {
	y = y[:len(x)]
	if rate == 0 {
		copy(y, x)
		return
	}
	keep := T(1 - rate)
	j := getJob[dropoutJob[T]]()
	*j = dropoutJob[T]{y: y, x: x, key: dropoutKey(seed, step), t: dropoutThreshold(rate), keep: keep, inv: 1 / float64(keep)}
	parallelRun((len(x)+1)/2, dropoutPairs, j)
	putJob(j)
}

// dropoutJob is Dropout over element pairs [lo, hi).
type dropoutJob[T float] struct {
	y, x []T
	key  uint64
	t    uint64
	keep T       // 1-rate in T
	inv  float64 // 1/keep
}

func (j *dropoutJob[T]) run(lo, hi int) {
	y, x, n := j.y, j.x, len(j.x)
	state := j.key + uint64(lo)*golden
	for k := lo; k < hi; k++ {
		state += golden // position k of the stream: key + (k+1)·golden
		h := mix64(state)
		i := 2 * k
		y[i] = masked(divide(x[i], j.keep, j.inv), keepMask(uint32(h), j.t))
		if i+1 < n {
			y[i+1] = masked(divide(x[i+1], j.keep, j.inv), keepMask(uint32(h>>32), j.t))
		}
	}
}

// divide returns v/keep rounded to T, given inv = 1/keep in float64. For
// float32 it multiplies in float64, which is several times faster than a
// division and gives the same bits: the product is within 2⁻⁵² of v/keep,
// while a quotient of two float32s that is not a float32 or a rounding
// midpoint lies at least 2⁻⁴⁹ from every midpoint, and it is a midpoint only
// when keep is a power of two, whose reciprocal is exact (TestDropoutDivide
// checks this on millions of values).
func divide[T float](v, keep T, inv float64) T {
	if unsafe.Sizeof(v) == 4 {
		return T(float64(v) * inv)
	}
	return v / keep
}

// masked returns v where m is all ones and +0 where m is 0, by masking its
// bits, so that a dropped NaN or Inf gives 0 as well.
func masked[T float](v T, m uint64) T {
	if unsafe.Sizeof(v) == 4 {
		b := math.Float32bits(*(*float32)(unsafe.Pointer(&v))) & uint32(m)
		return *(*T)(unsafe.Pointer(&b))
	}
	b := math.Float64bits(*(*float64)(unsafe.Pointer(&v))) & m
	return *(*T)(unsafe.Pointer(&b))
}
