// Command asm generates the AVX-512 kernels of package kernels with avo.
//
// Run it through `go generate` in the kernels package; the generated
// kernels512_amd64.s and kernels512_amd64.go are committed, so building
// the package needs neither this module nor avo. The AVX2 kernels of the
// package are hand-written (kernels_*_amd64.s).
//
// Every kernel here runs only where isa.AVX512 is in force: AVX-512 F, BW,
// VL and DQ, the OS saving the ZMM and mask registers.
package main

import (
	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

func main() {
	convFwdKernels()
	convDwKernels()
	copyRowsKernel()
	bnKernels()
	gatherKernel()
	compressKernel()
	poolKernels()
	adamKernel()
	Generate()
}

// zmm returns Z register i.
func zmm(i int) VecPhysical {
	return []VecPhysical{Z0, Z1, Z2, Z3, Z4, Z5, Z6, Z7, Z8, Z9, Z10, Z11, Z12, Z13, Z14, Z15,
		Z16, Z17, Z18, Z19, Z20, Z21, Z22, Z23, Z24, Z25, Z26, Z27, Z28, Z29, Z30, Z31}[i]
}

// gp returns the i-th of the general registers the kernels use for row
// pointers. R15 is left alone: dynamic linking clobbers it.
func gp(i int) GPPhysical { return []GPPhysical{R8, R9, R10, R11, R12, R13, R14}[i] }

// fmaBcast adds the float32 at m, broadcast, times w to acc: one FMA with
// an embedded broadcast.
func fmaBcast(m Mem, w, acc VecPhysical) { VFMADD231PS_BCST(m, w, acc) }
