package main

import (
	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// gemvKernel generates sdot1x8, the dot-product kernel for a single row of
// A (batch-1 inference, x·wᵀ). sdot3x4 would compute three copies of that
// row, so two thirds of its FMAs are wasted and it runs at a third of the
// speed the loads allow. Here each 8 k steps take one A load and eight B
// loads folded into the FMAs: the kernel is bound by the loads, that is by
// how fast B (the weights) streams in.
func gemvKernel() {
	TEXT("sdot1x8", NOSPLIT, "func(k int, a *float32, b *float32, ldb int, c *float32, alpha, beta float32, nv int)")
	Doc("sdot1x8 computes C[0:nv] = alpha·A·Bᵀ + beta·C[0:nv] over k steps for",
		"one row of A at a and the rows of B at b[j*ldb:], j < nv <= 8. Only",
		"those rows of B are read; C is not read when beta is 0. k must be at",
		"least 1.")
	Comment("Register layout: Y0-Y7 accumulate 8-lane partial sums of C[j];",
		"Y8 holds 8 k steps of A. SI: A; DI, R8-R14: B rows (rows past nv",
		"alias the last real one, so that nothing outside B is read);",
		"BX: byte offset along k; CX: 8-step iterations left.")
	bR := []GPPhysical{RDI, R8, R9, R10, R11, R12, R13, R14}
	acc := func(j int) VecPhysical { return ymm(j) }

	Load(Param("a"), RSI)
	Load(Param("b"), RDI)
	Load(Param("ldb"), RAX)
	SHLQ(U8(2), RAX)
	Load(Param("nv"), RDX)
	for j := 1; j < 8; j++ {
		MOVQ(bR[j-1], bR[j])
		CMPQ(RDX, U32(j))
		LEAQ(Mem{Base: bR[j-1], Index: RAX, Scale: 1}, RBX)
		CMOVQGT(RBX, bR[j])
	}

	// The k%8 leftover steps come first, with masked loads that never read
	// past the rows; their products initialise the accumulators.
	Load(Param("k"), RCX)
	MOVQ(RCX, RDX)
	SHRQ(U8(3), RCX)
	ANDQ(U32(7), RDX)
	JNZ(LabelRef("g1head"))
	for j := 0; j < 8; j++ {
		VXORPS(acc(j), acc(j), acc(j))
	}
	XORQ(RBX, RBX)
	JMP(LabelRef("g1body"))
	Label("g1head")
	LEAQ(maskTable.Offset(64), RAX)
	MOVQ(RDX, RBX)
	SHLQ(U8(2), RBX)
	SUBQ(RBX, RAX)
	VMOVDQU(Mem{Base: RAX}, Y15)
	VMASKMOVPS(Mem{Base: RSI}, Y15, Y8)
	for j := 0; j < 8; j++ {
		VMASKMOVPS(Mem{Base: bR[j]}, Y15, acc(j))
		VMULPS(acc(j), Y8, acc(j))
	}

	Label("g1body")
	TESTQ(RCX, RCX)
	JZ(LabelRef("g1reduce"))
	Label("g1loop")
	VMOVUPS(Mem{Base: RSI, Index: RBX, Scale: 1}, Y8)
	for j := 0; j < 8; j++ {
		VFMADD231PS(Mem{Base: bR[j], Index: RBX, Scale: 1}, Y8, acc(j))
	}
	ADDQ(U32(32), RBX)
	DECQ(RCX)
	JNZ(LabelRef("g1loop"))

	// hadd(hadd(c0, c1), hadd(c2, c3)) leaves in each 128-bit half the
	// partial sums of C[0:4] over lanes 0-3 (low) or 4-7 (high); the same
	// for C[4:8], then the halves are paired up and added.
	Label("g1reduce")
	for j := 0; j < 8; j += 2 {
		VHADDPS(acc(j+1), acc(j), acc(j))
	}
	VHADDPS(acc(2), acc(0), acc(0))
	VHADDPS(acc(6), acc(4), acc(4))
	VPERM2F128(U8(0x20), acc(4), acc(0), Y1)
	VPERM2F128(U8(0x31), acc(4), acc(0), Y3)
	VADDPS(Y3, Y1, Y1)
	Load(Param("alpha"), X2)
	VBROADCASTSS(X2, Y2)
	VMULPS(Y2, Y1, Y1)
	Load(Param("nv"), RDX)
	LEAQ(maskTable.Offset(64), RAX)
	SHLQ(U8(2), RDX)
	SUBQ(RDX, RAX)
	VMOVDQU(Mem{Base: RAX}, Y15)
	Load(Param("c"), RDI)
	Load(Param("beta"), X2)
	VXORPS(X3, X3, X3)
	VUCOMISS(X3, X2)
	JNE(LabelRef("g1beta"))
	JPS(LabelRef("g1beta"))
	JMP(LabelRef("g1store"))
	Label("g1beta")
	VBROADCASTSS(X2, Y2)
	VMASKMOVPS(Mem{Base: RDI}, Y15, Y3)
	VFMADD231PS(Y3, Y2, Y1)
	Label("g1store")
	VMASKMOVPS(Y1, Y15, Mem{Base: RDI})
	VZEROUPPER()
	RET()
}
