package main

import (
	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// gatherKernel generates gather6x32, the AVX-512 form of gather6x16 (the
// sparse dense layer's kernel, kernels_sparse_amd64.s) for two 16-column
// panels at once: the second panel's rows lie at b2 where the first's lie
// at b, and the tile's 32 columns are contiguous in c.
func gatherKernel() {
	TEXT("gather6x32", NOSPLIT, "func(n int, offs *int, a *float32, rows *int, b, b2 *float32, c *float32, crows *int, acc bool)")
	Pragma("noescape")
	Doc("gather6x32 computes a 6×32 tile Σₜ a[(rows[r]+offs[2t])/4]·B[t][j] over n ≥ 0",
		"steps t, where B[t][j] is b[offs[2t+1]/4 + j] for j < 16 and b2[offs[2t+1]/4 +",
		"j-16] after, and adds it to (acc) or writes it into c[crows[r]/4 + j]; every",
		"offset is in bytes. The accumulators start at zero and add the steps in order.")
	rowR := []GPPhysical{R8, R9, R10, R11, R12, R13}
	acc := func(r, v int) VecPhysical { return zmm(2*r + v) }
	Load(Param("n"), RCX)
	Load(Param("offs"), RBX)
	Load(Param("a"), RAX)
	Load(Param("rows"), RDX)
	for r, reg := range rowR {
		MOVQ(Mem{Base: RDX, Disp: 8 * r}, reg)
		ADDQ(RAX, reg)
	}
	Load(Param("b"), RSI)
	Load(Param("b2"), RDI)
	for i := 0; i < 12; i++ {
		VXORPS(zmm(i), zmm(i), zmm(i))
	}
	bc := []VecPhysical{Z14, Z15, Z16, Z17, Z18, Z19}
	TESTQ(RCX, RCX)
	JZ(LabelRef("done"))
	Label("step")
	MOVQ(Mem{Base: RBX}, RAX)
	MOVQ(Mem{Base: RBX, Disp: 8}, RDX)
	VMOVUPS(Mem{Base: RSI, Index: RDX, Scale: 1}, Z12)
	VMOVUPS(Mem{Base: RDI, Index: RDX, Scale: 1}, Z13)
	for r, reg := range rowR {
		VBROADCASTSS(Mem{Base: reg, Index: RAX, Scale: 1}, bc[r])
		VFMADD231PS(Z12, bc[r], acc(r, 0))
		VFMADD231PS(Z13, bc[r], acc(r, 1))
	}
	ADDQ(U8(16), RBX)
	DECQ(RCX)
	JNZ(LabelRef("step"))
	Label("done")
	Load(Param("c"), RDI)
	Load(Param("crows"), RDX)
	for r, reg := range rowR {
		MOVQ(Mem{Base: RDX, Disp: 8 * r}, reg)
		ADDQ(RDI, reg)
	}
	MOVBQZX(paramAddr("acc"), RAX)
	TESTQ(RAX, RAX)
	JZ(LabelRef("store"))
	for r, reg := range rowR {
		VADDPS(Mem{Base: reg}, acc(r, 0), acc(r, 0))
		VADDPS(Mem{Base: reg, Disp: 64}, acc(r, 1), acc(r, 1))
	}
	Label("store")
	for r, reg := range rowR {
		VMOVUPS(acc(r, 0), Mem{Base: reg})
		VMOVUPS(acc(r, 1), Mem{Base: reg, Disp: 64})
	}
	VZEROUPPER()
	RET()
}
