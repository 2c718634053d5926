package gemm

import "golang.org/x/sys/cpu"

// The assembly kernels need AVX2 and FMA; x/sys/cpu also checks that the
// OS saves the YMM registers.
func init() {
	if !cpu.X86.HasAVX2 || !cpu.X86.HasFMA {
		return
	}
	asm32 = &kernelSet[float32]{
		main: tiling[float32]{6, 16, skern6x16P, skern6x16S},
		half: tiling[float32]{6, 8, skern6x8P, skern6x8S},
		tall: tiling[float32]{12, 8, skern12x8P, skern12x8S},
		dot:  sdot3x4,
		gemv: sdot1x8,
	}
	asm64 = &kernelSet[float64]{
		main: tiling[float64]{6, 8, dkern6x8P, dkern6x8S},
		half: tiling[float64]{6, 4, dkern6x4P, dkern6x4S},
		tall: tiling[float64]{12, 4, dkern12x4P, dkern12x4S},
	}
}
