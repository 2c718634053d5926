package gemm

import (
	"unsafe"

	"github.com/featlearn/featlearn/ops/internal/isa"
)

// float is the element types the package multiplies.
type float interface{ float32 | float64 }

// kernFn computes one register tile of C; asm/gen.go documents the contract.
// Element (r, p) of the A micro-panel is a[r*rsa + p*csa] (the assembly
// variants each use only one of the strides, the driver always passes both)
// and row p of the B micro-panel is the nr elements at b[p*rsb:].
type kernFn[T float] func(k int, a *T, rsa, csa int, b *T, rsb int, c *T, ldc int, alpha, beta T, mv, nv int)

// dotFn computes a 3×4 tile of C = alpha·A·Bᵀ + beta·C from rows of A
// and B that are both contiguous in k; asm/dot.go documents the contract.
type dotFn[T float] func(k int, a *T, lda int, b *T, ldb int, c *T, ldc int, alpha, beta T, mv, nv int)

// gemvFn computes C[0:nv] = alpha·a·Bᵀ + beta·C[0:nv] for a single row a
// and nv <= 8 rows of B, both contiguous in k; asm/gemv.go documents the
// contract.
type gemvFn[T float] func(k int, a *T, b *T, ldb int, c *T, alpha, beta T, nv int)

// tiling is one micro-kernel shape with its two ways of addressing A.
type tiling[T float] struct {
	mr, nr int
	p      kernFn[T] // rows of A contiguous (packed, or transposed A in place)
	s      kernFn[T] // rows of A strided (row-major A in place)
}

// kernelSet is the kernels available for one element type.
type kernelSet[T float] struct {
	main tiling[T]
	// half is main's height with half its width, for a right edge at most
	// half a tile wide; nr == 0 when there is none.
	half tiling[T]
	// tall has twice main's height and half its width, for problems whose
	// whole N fits in half a tile (6- or 8-channel convolutions), where main
	// would waste more than half its lanes; nr == 0 when there is none.
	tall tiling[T]
	// dot serves A·Bᵀ with both operands read in place, dotMR rows of A by
	// dotNR rows of B at a time; nil when there is none.
	dot          dotFn[T]
	dotMR, dotNR int
	// gemv serves the one-row parts of the products dot serves; nil when
	// there is none.
	gemv gemvFn[T]
}

// sets32 and sets64 hold the assembly kernels of each instruction-set
// level, nil where there are none; the amd64 init fills them for the
// levels the CPU has. isa.Current picks among them at every call, so that
// FEATLEARN_CPU and the tests' isa.Set choose the path.
var (
	sets32 [isa.AVX512 + 1]*kernelSet[float32]
	sets64 [isa.AVX512 + 1]*kernelSet[float64]
)

var (
	generic32 = &kernelSet[float32]{main: tiling[float32]{genMR, genNR, goKernel[float32], goKernel[float32]}}
	generic64 = &kernelSet[float64]{main: tiling[float64]{genMR, genNR, goKernel[float64], goKernel[float64]}}
)

// kernelsAt returns the best set of sets at or below the current level.
func kernelsAt[T float](sets *[isa.AVX512 + 1]*kernelSet[T], generic *kernelSet[T]) *kernelSet[T] {
	for l := isa.Current(); l > isa.Generic; l-- {
		if ks := sets[l]; ks != nil {
			return ks
		}
	}
	return generic
}

func kernels32() *kernelSet[float32] { return kernelsAt(&sets32, generic32) }
func kernels64() *kernelSet[float64] { return kernelsAt(&sets64, generic64) }

// The generic tile is 4×4: sixteen accumulators are about what the Go
// compiler keeps in registers without spilling.
const genMR, genNR = 4, 4

// goKernel is the pure-Go micro-kernel behind the same contract as the
// assembly ones, so the blocking and packing code is shared.
func goKernel[T float](k int, a *T, rsa, csa int, b *T, rsb int, c *T, ldc int, alpha, beta T, mv, nv int) {
	// The driver guarantees that every element named here exists: full rows
	// of A unless it is packed, full rows of B unless it is packed.
	as := unsafe.Slice(a, (genMR-1)*rsa+(k-1)*csa+1)
	bs := unsafe.Slice(b, (k-1)*rsb+genNR)
	var c00, c01, c02, c03, c10, c11, c12, c13, c20, c21, c22, c23, c30, c31, c32, c33 T
	for p := 0; p < k; p++ {
		bp := bs[p*rsb : p*rsb+genNR : p*rsb+genNR]
		b0, b1, b2, b3 := bp[0], bp[1], bp[2], bp[3]
		o := p * csa
		a0, a1, a2, a3 := as[o], as[o+rsa], as[o+2*rsa], as[o+3*rsa]
		c00 += a0 * b0
		c01 += a0 * b1
		c02 += a0 * b2
		c03 += a0 * b3
		c10 += a1 * b0
		c11 += a1 * b1
		c12 += a1 * b2
		c13 += a1 * b3
		c20 += a2 * b0
		c21 += a2 * b1
		c22 += a2 * b2
		c23 += a2 * b3
		c30 += a3 * b0
		c31 += a3 * b1
		c32 += a3 * b2
		c33 += a3 * b3
	}
	acc := [genMR][genNR]T{
		{c00, c01, c02, c03},
		{c10, c11, c12, c13},
		{c20, c21, c22, c23},
		{c30, c31, c32, c33},
	}
	cs := unsafe.Slice(c, (mv-1)*ldc+nv)
	for r := 0; r < mv; r++ {
		row := cs[r*ldc : r*ldc+nv]
		for j := range row {
			v := alpha * acc[r][j]
			if beta != 0 {
				v += beta * row[j]
			}
			row[j] = v
		}
	}
}
