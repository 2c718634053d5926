package main

import (
	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// dotKernel generates sdot3x4, the kernel for C = alpha·A·Bᵀ + beta·C with
// both A and B row-major along k (B "transposed"). There both operands are
// contiguous in k, so instead of packing B into k-major panels (a gather
// that costs more than the multiply for the small-M products of
// convolution weight gradients), each C element is a dot product: twelve
// accumulators hold 8-lane partial sums of a 3×4 tile, reduced horizontally
// once at the end.
func dotKernel() {
	TEXT("sdot3x4", NOSPLIT, "func(k int, a *float32, lda int, b *float32, ldb int, c *float32, ldc int, alpha, beta float32, mv, nv int)")
	Doc("sdot3x4 computes a 3×4 tile of C = alpha·A·Bᵀ + beta·C over k steps, where",
		"row r of A is at a[r*lda:] and row j of B at b[j*ldb:]. Only rows [0, mv)",
		"and columns [0, nv) of C are read and written, and only those rows of A",
		"and B are read; C is not read when beta is 0. k must be at least 1.")
	Comment("Register layout: Y[4r+j] accumulates 8-lane partial sums of C[r][j];",
		"Y12-Y14 hold 8 k steps of A rows 0-2, Y15 those of one B row.",
		"SI, R10, R11: A rows; DI, R12, R13, R14: B rows (rows past mv or nv",
		"alias the last real one, so that nothing outside the matrices is read);",
		"BX: byte offset along k; R9: 8-step iterations left.")
	acc := func(r, j int) VecPhysical { return ymm(4*r + j) }
	aR := []GPPhysical{RSI, R10, R11}
	bR := []GPPhysical{RDI, R12, R13, R14}
	aY := []VecPhysical{Y12, Y13, Y14}

	Load(Param("a"), RSI)
	Load(Param("lda"), RAX)
	SHLQ(U8(2), RAX)
	Load(Param("mv"), R8)
	for r := 1; r < 3; r++ {
		// Row r is row r-1 plus lda, unless mv <= r.
		MOVQ(aR[r-1], aR[r])
		CMPQ(R8, U32(r))
		LEAQ(Mem{Base: aR[r-1], Index: RAX, Scale: 1}, RDX)
		CMOVQGT(RDX, aR[r])
	}
	Load(Param("b"), RDI)
	Load(Param("ldb"), RAX)
	SHLQ(U8(2), RAX)
	Load(Param("nv"), R8)
	for j := 1; j < 4; j++ {
		MOVQ(bR[j-1], bR[j])
		CMPQ(R8, U32(j))
		LEAQ(Mem{Base: bR[j-1], Index: RAX, Scale: 1}, RDX)
		CMOVQGT(RDX, bR[j])
	}

	// The k%8 leftover steps come first, with masked loads that never read
	// past the rows; their products initialise the accumulators.
	Load(Param("k"), RCX)
	MOVQ(RCX, R9)
	SHRQ(U8(3), R9)
	ANDQ(U32(7), RCX)
	JNZ(LabelRef("head"))
	for r := 0; r < 3; r++ {
		for j := 0; j < 4; j++ {
			VXORPS(acc(r, j), acc(r, j), acc(r, j))
		}
	}
	XORQ(RBX, RBX)
	JMP(LabelRef("body"))
	Label("head")
	LEAQ(maskTable.Offset(64), RAX)
	MOVQ(RCX, RBX)
	SHLQ(U8(2), RBX)
	SUBQ(RBX, RAX)
	VMOVDQU(Mem{Base: RAX}, Y15)
	for r := 0; r < 3; r++ {
		VMASKMOVPS(Mem{Base: aR[r]}, Y15, aY[r])
	}
	for j := 0; j < 4; j++ {
		// acc(2, j) holds B row j until the last product overwrites it.
		VMASKMOVPS(Mem{Base: bR[j]}, Y15, acc(2, j))
		VMULPS(acc(2, j), aY[0], acc(0, j))
		VMULPS(acc(2, j), aY[1], acc(1, j))
		VMULPS(acc(2, j), aY[2], acc(2, j))
	}

	Label("body")
	TESTQ(R9, R9)
	JZ(LabelRef("reduce"))
	Label("loop")
	for r := 0; r < 3; r++ {
		VMOVUPS(Mem{Base: aR[r], Index: RBX, Scale: 1}, aY[r])
	}
	for j := 0; j < 4; j++ {
		VMOVUPS(Mem{Base: bR[j], Index: RBX, Scale: 1}, Y15)
		for r := 0; r < 3; r++ {
			VFMADD231PS(Y15, aY[r], acc(r, j))
		}
	}
	ADDQ(U32(32), RBX)
	DECQ(R9)
	JNZ(LabelRef("loop"))

	// Reduce row r's four accumulators to one XMM of C[r][0:4]:
	// hadd(hadd(c0, c1), hadd(c2, c3)) leaves the sums of lanes 0-3 in the
	// low half and of lanes 4-7 in the high half.
	Label("reduce")
	Load(Param("alpha"), X12)
	VBROADCASTSS(X12, X12)
	Load(Param("beta"), X13)
	Load(Param("nv"), R14)
	Load(Param("mv"), R13)
	Load(Param("c"), RDX)
	Load(Param("ldc"), R8)
	SHLQ(U8(2), R8)
	LEAQ(maskTable.Offset(64), RAX)
	MOVQ(R14, RCX)
	SHLQ(U8(2), RCX)
	SUBQ(RCX, RAX)
	VMOVDQU(Mem{Base: RAX}, X14)
	VXORPS(X15, X15, X15)
	VUCOMISS(X15, X13)
	MOVQ(U32(1), RAX)
	JNE(LabelRef("betaset"))
	JPS(LabelRef("betaset"))
	MOVQ(U32(0), RAX)
	Label("betaset")
	VBROADCASTSS(X13, X13)
	for r := 0; r < 3; r++ {
		c0 := acc(r, 0)
		VHADDPS(acc(r, 1), c0, c0)
		VHADDPS(acc(r, 3), acc(r, 2), acc(r, 2))
		VHADDPS(acc(r, 2), c0, c0)
		VEXTRACTF128(U8(1), c0, acc(r, 1).AsX())
		VADDPS(acc(r, 1).AsX(), c0.AsX(), c0.AsX())
		VMULPS(X12, c0.AsX(), c0.AsX())
		TESTQ(RAX, RAX)
		JZ(LabelRef("dstore" + string(rune('0'+r))))
		VMASKMOVPS(Mem{Base: RDX}, X14, X15)
		VFMADD231PS(X15, X13, c0.AsX())
		Label("dstore" + string(rune('0'+r)))
		storeXRow(r, c0)
		if r < 2 {
			ADDQ(R8, RDX)
			CMPQ(R13, U32(r+1))
			JEQ(LabelRef("done"))
		}
	}
	Label("done")
	VZEROUPPER()
	RET()
}

// storeXRow stores the first nv (R14, 1 to 4) elements of the XMM half of
// y at DX.
func storeXRow(r int, y VecPhysical) {
	id := "d" + string(rune('0'+r))
	CMPQ(R14, U32(4))
	JL(LabelRef("part" + id))
	VMOVUPS(y.AsX(), Mem{Base: RDX})
	JMP(LabelRef("next" + id))
	Label("part" + id)
	LEAQ(Mem{Base: RDX}, RSI)
	TESTQ(U32(2), R14)
	JZ(LabelRef("one" + id))
	VMOVQ(y.AsX(), Mem{Base: RSI})
	VPSRLDQ(U8(8), y.AsX(), y.AsX())
	ADDQ(U32(8), RSI)
	Label("one" + id)
	TESTQ(U32(1), R14)
	JZ(LabelRef("next" + id))
	VMOVSS(y.AsX(), Mem{Base: RSI})
	Label("next" + id)
}
