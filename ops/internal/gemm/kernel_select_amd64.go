package gemm

import "github.com/featlearn/featlearn/ops/internal/isa"

// The AVX2 kernels need AVX2 and FMA, which isa.AVX2 guarantees.
func init() {
	if isa.Detected() < isa.AVX2 {
		return
	}
	sets32[isa.AVX2] = &kernelSet[float32]{
		main: tiling[float32]{6, 16, skern6x16P, skern6x16S},
		half: tiling[float32]{6, 8, skern6x8P, skern6x8S},
		tall: tiling[float32]{12, 8, skern12x8P, skern12x8S},
		dot:  sdot3x4, dotMR: 3, dotNR: 4,
		gemv: sdot1x8,
	}
	if isa.Detected() >= isa.AVX512 {
		// Twelve rows by two ZMM vectors; the right edge and narrow
		// products (N ≤ 16) take one vector; A·Bᵀ takes a 3×8 dot-product
		// tile. The one-row kernel is the AVX2 one.
		sets32[isa.AVX512] = &kernelSet[float32]{
			main: tiling[float32]{12, 32, skern12x32P, skern12x32S},
			half: tiling[float32]{12, 16, skern12x16P, skern12x16S},
			dot:  sdot3x8z, dotMR: 3, dotNR: 8,
			gemv: sdot1x8,
		}
	}
	sets64[isa.AVX2] = &kernelSet[float64]{
		main: tiling[float64]{6, 8, dkern6x8P, dkern6x8S},
		half: tiling[float64]{6, 4, dkern6x4P, dkern6x4S},
		tall: tiling[float64]{12, 4, dkern12x4P, dkern12x4S},
	}
}
