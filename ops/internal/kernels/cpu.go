package kernels

import "github.com/featlearn/featlearn/ops/internal/isa"

// avx2 reports whether the AVX2 kernels may run: the CPU has AVX2 and FMA
// and FEATLEARN_CPU (or a test) has not asked for the generic paths.
func avx2() bool { return isa.Has(isa.AVX2) }

// avx512 reports whether the AVX-512 kernels may run.
func avx512() bool { return isa.Has(isa.AVX512) }
