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
		dot:  sdot3x4,
		gemv: sdot1x8,
	}
	sets64[isa.AVX2] = &kernelSet[float64]{
		main: tiling[float64]{6, 8, dkern6x8P, dkern6x8S},
		half: tiling[float64]{6, 4, dkern6x4P, dkern6x4S},
		tall: tiling[float64]{12, 4, dkern12x4P, dkern12x4S},
	}
}
