package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// dotIdx gathers lanes 0-3 and 8-11 of a ZMM into its low eight.
var dotIdx Mem

// dot512Kernel generates sdot3x8z, the AVX-512 form of sdot3x4 (see
// dotKernel) with the same bits: C = alpha·A·Bᵀ + beta·C for a 3×8 tile,
// both operands read in place along k. Each ZMM accumulator holds two
// elements of C, columns j and j+4, in its halves, and each half adds k
// in sdot3x4's eight lanes: the k%8 first steps (loaded under a mask)
// start the lanes, then rounds of eight; each half is folded as sdot3x4
// folds its accumulator, so every element is the same sum in the same
// order as at the AVX2 level, with half the instructions.
func dot512Kernel() {
	dotIdx = GLOBL("dotIdx512", RODATA|NOPTR)
	for i, v := range []uint32{0, 1, 2, 3, 8, 9, 10, 11, 0, 1, 2, 3, 8, 9, 10, 11} {
		DATA(4*i, U32(v))
	}
	TEXT("sdot3x8z", NOSPLIT, "func(k int, a *float32, lda int, b *float32, ldb int, c *float32, ldc int, alpha, beta float32, mv, nv int)")
	Pragma("noescape")
	Doc("sdot3x8z computes a 3×8 tile of C = alpha·A·Bᵀ + beta·C over k ≥ 1 steps",
		"with AVX-512, where row r of A is at a[r*lda:] and row j of B at b[j*ldb:],",
		"with sdot3x4's bits. Only rows [0, mv) and columns [0, nv) of C are read",
		"and written, and only those rows of A and B are read; C is not read when",
		"beta is 0.")
	Comment("Z[4r+p] accumulates C[r][p] (low half) and C[r][p+4] (high half);",
		"Z12-Z14 hold 8 k steps of A rows 0-2 in both halves, Z15-Z16 B rows p and",
		"p+4. SI, R10, R11: A rows; DI, R12, R13, R14, R8, R9, BX, DX: B rows (rows",
		"past mv or nv alias the last real one); AX: byte offset along k; CX: rounds.")
	acc := func(r, p int) VecPhysical { return zmm(4*r + p) }
	aR := []GPPhysical{RSI, R10, R11}
	bR := []GPPhysical{RDI, R12, R13, R14, R8, R9, RBX, RDX}
	aZ := []VecPhysical{Z12, Z13, Z14}
	bZ := []VecPhysical{Z15, Z16}

	Load(Param("a"), RSI)
	Load(Param("lda"), RAX)
	SHLQ(U8(2), RAX)
	for r := 1; r < 3; r++ {
		MOVQ(aR[r-1], aR[r])
		LEAQ(Mem{Base: aR[r-1], Index: RAX, Scale: 1}, RCX)
		CMPQ(paramAddr("mv"), U32(r))
		CMOVQGT(RCX, aR[r])
	}
	Load(Param("b"), RDI)
	Load(Param("ldb"), RAX)
	SHLQ(U8(2), RAX)
	for j := 1; j < 8; j++ {
		MOVQ(bR[j-1], bR[j])
		LEAQ(Mem{Base: bR[j-1], Index: RAX, Scale: 1}, RCX)
		CMPQ(paramAddr("nv"), U32(j))
		CMOVQGT(RCX, bR[j])
	}
	Comment("The k%8 first steps, under the mask K1, start the accumulators.")
	Load(Param("k"), RCX)
	ANDQ(U8(7), RCX)
	MOVQ(RCX, RAX)
	SHLQ(U8(2), RAX)
	MOVL(U32(1), R15L)
	SHLL(CL, R15L)
	DECL(R15L)
	KMOVW(R15L, K1)
	TESTQ(RCX, RCX)
	JNZ(LabelRef("head"))
	for i := 0; i < 12; i++ {
		VXORPS(zmm(i), zmm(i), zmm(i))
	}
	JMP(LabelRef("body"))
	Label("head")
	for r := 0; r < 3; r++ {
		VMOVUPS_Z(Mem{Base: aR[r]}, K1, aZ[r].AsY())
		VINSERTF32X8(U8(1), aZ[r].AsY(), aZ[r], aZ[r])
	}
	for p := 0; p < 4; p++ {
		VMOVUPS_Z(Mem{Base: bR[p]}, K1, Z15.AsY())
		VMOVUPS_Z(Mem{Base: bR[p+4]}, K1, Z16.AsY())
		VINSERTF32X8(U8(1), Y16, Z15, Z15)
		for r := 0; r < 3; r++ {
			VMULPS(Z15, aZ[r], acc(r, p))
		}
	}
	Label("body")
	Load(Param("k"), RCX)
	SHRQ(U8(3), RCX)
	JZ(LabelRef("fold"))
	Label("loop")
	for r := 0; r < 3; r++ {
		VBROADCASTF32X8(Mem{Base: aR[r], Index: RAX, Scale: 1}, aZ[r])
	}
	for p := 0; p < 4; p++ {
		bz := bZ[p%2]
		VMOVUPS(Mem{Base: bR[p], Index: RAX, Scale: 1}, bz.AsY())
		VINSERTF32X8(U8(1), Mem{Base: bR[p+4], Index: RAX, Scale: 1}, bz, bz)
		for r := 0; r < 3; r++ {
			VFMADD231PS(bz, aZ[r], acc(r, p))
		}
	}
	ADDQ(U8(32), RAX)
	DECQ(RCX)
	JNZ(LabelRef("loop"))

	Label("fold")
	Comment("Each half: (l0+l1)+(l2+l3), then + (l4+l5)+(l6+l7), as sdot3x4 folds.")
	for i := 0; i < 12; i++ {
		z := zmm(i)
		VPERMILPS(U8(0xb1), z, Z15)
		VADDPS(Z15, z, z)
		VPERMILPS(U8(0x4e), z, Z15)
		VADDPS(Z15, z, z)
		VSHUFF32X4(U8(0xb1), z, z, Z15)
		VADDPS(Z15, z, z)
	}
	Comment("Row r's eight sums into the low half of Z[4r].")
	VMOVDQU32(dotIdx, Z17)
	for i, m := range []uint32{0x0202, 0x0404, 0x0808} {
		MOVL(U32(m), EAX)
		KMOVW(EAX, []Op{K4, K5, K6}[i])
	}
	for r := 0; r < 3; r++ {
		for p := 1; p < 4; p++ {
			VBLENDMPS(acc(r, p), acc(r, 0), []Op{K4, K5, K6}[p-1], acc(r, 0))
		}
		VPERMPS(acc(r, 0), Z17, acc(r, 0))
	}
	Comment("K2 selects the columns [0, nv).")
	Load(Param("nv"), RCX)
	MOVL(U32(1), EAX)
	SHLL(CL, EAX)
	DECL(EAX)
	KMOVW(EAX, K2)
	Load(Param("c"), RDX)
	Load(Param("ldc"), R8)
	SHLQ(U8(2), R8)
	Load(Param("mv"), R9)
	VBROADCASTSS(paramAddr("alpha"), Y18)
	VBROADCASTSS(paramAddr("beta"), Y19)
	MOVL(paramAddr("beta"), EAX)
	ANDL(U32(0x7fffffff), EAX)
	for r := 0; r < 3; r++ {
		y := acc(r, 0).AsY()
		VMULPS(Y18, y, y)
		skip := fmt.Sprintf("store%d", r)
		TESTL(EAX, EAX)
		JZ(LabelRef(skip))
		VMOVUPS_Z(Mem{Base: RDX}, K2, Y20)
		VFMADD231PS(Y20, Y19, y)
		Label(skip)
		VMOVUPS(y, K2, Mem{Base: RDX})
		if r < 2 {
			ADDQ(R8, RDX)
			CMPQ(R9, U8(r+1))
			JEQ(LabelRef("done"))
		}
	}
	Label("done")
	VZEROUPPER()
	RET()
}
