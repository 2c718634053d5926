package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// dot512Kernel generates sdot3x8z, the AVX-512 form of sdot3x4 (see
// dotKernel): C = alpha·A·Bᵀ + beta·C for a 3×8 tile, both operands read
// in place along k. Twenty-four ZMM accumulators hold 16-lane partial sums;
// the k%16 last steps are loaded under a mask, so nothing past a row is
// read. At the end each row's eight accumulators are folded into one
// vector of eight sums: halves added twice, then horizontal adds.
func dot512Kernel() {
	TEXT("sdot3x8z", NOSPLIT, "func(k int, a *float32, lda int, b *float32, ldb int, c *float32, ldc int, alpha, beta float32, mv, nv int)")
	Pragma("noescape")
	Doc("sdot3x8z computes a 3×8 tile of C = alpha·A·Bᵀ + beta·C over k ≥ 1 steps",
		"with AVX-512, where row r of A is at a[r*lda:] and row j of B at b[j*ldb:].",
		"Only rows [0, mv) and columns [0, nv) of C are read and written, and only",
		"those rows of A and B are read; C is not read when beta is 0.")
	Comment("Z[8r+j] accumulates C[r][j]; Z24-Z26 hold 16 k steps of A rows 0-2, Z27-Z31",
		"B rows in turn. SI, R10, R11: A rows; DI, R12, R13, R14, R8, R9, BX, DX: B",
		"rows (rows past mv or nv alias the last real one); AX: byte offset along k;",
		"CX: 16-step rounds left.")
	acc := func(r, j int) VecPhysical { return zmm(8*r + j) }
	aR := []GPPhysical{RSI, R10, R11}
	bR := []GPPhysical{RDI, R12, R13, R14, R8, R9, RBX, RDX}
	aZ := []VecPhysical{Z24, Z25, Z26}
	bZ := []VecPhysical{Z27, Z28, Z29, Z30, Z31}

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
	for i := 0; i < 24; i++ {
		VXORPS(zmm(i), zmm(i), zmm(i))
	}
	Comment("K1 selects the last k%16 steps.")
	Load(Param("k"), RCX)
	ANDQ(U8(15), RCX)
	MOVL(U32(1), EAX)
	SHLL(CL, EAX)
	DECL(EAX)
	KMOVW(EAX, K1)
	Load(Param("k"), RCX)
	SHRQ(U8(4), RCX)
	XORQ(RAX, RAX)
	round := func(masked bool) {
		for r := 0; r < 3; r++ {
			m := Mem{Base: aR[r], Index: RAX, Scale: 1}
			if masked {
				VMOVUPS_Z(m, K1, aZ[r])
			} else {
				VMOVUPS(m, aZ[r])
			}
		}
		for j := 0; j < 8; j++ {
			bz := bZ[j%len(bZ)]
			m := Mem{Base: bR[j], Index: RAX, Scale: 1}
			if masked {
				VMOVUPS_Z(m, K1, bz)
			} else {
				VMOVUPS(m, bz)
			}
			for r := 0; r < 3; r++ {
				VFMADD231PS(bz, aZ[r], acc(r, j))
			}
		}
	}
	TESTQ(RCX, RCX)
	JZ(LabelRef("tail"))
	Label("loop")
	round(false)
	ADDQ(U8(64), RAX)
	DECQ(RCX)
	JNZ(LabelRef("loop"))
	Label("tail")
	KTESTW(K1, K1)
	JZ(LabelRef("fold"))
	round(true)

	Label("fold")
	Comment("Fold each row's accumulators into one YMM of its eight sums: Y0, Y8, Y1.")
	// VHADDPS has no EVEX form, so row 2's partial sums move to registers
	// below 16 (those of row 0 that its fold has freed) for the last adds.
	low := [3][8]VecPhysical{
		{Z0, Z1, Z2, Z3, Z4, Z5, Z6, Z7},
		{Z8, Z9, Z10, Z11, Z12, Z13, Z14, Z15},
		{Z1, Z2, Z3, Z4, Z5, Z6, Z7, Z9},
	}
	for r := 0; r < 3; r++ {
		for j := 0; j < 8; j++ {
			z := acc(r, j)
			VEXTRACTF32X8(U8(1), z, Y24)
			VADDPS(Y24, z.AsY(), z.AsY())
			VEXTRACTF32X4(U8(1), z.AsY(), X24)
			VADDPS(X24, z.AsX(), z.AsX())
			if low[r][j] != z {
				VMOVAPS(z.AsX(), low[r][j].AsX())
			}
		}
		x := func(j int) Register { return low[r][j].AsX() }
		VHADDPS(x(1), x(0), x(0))
		VHADDPS(x(3), x(2), x(2))
		VHADDPS(x(5), x(4), x(4))
		VHADDPS(x(7), x(6), x(6))
		VHADDPS(x(2), x(0), x(0))
		VHADDPS(x(6), x(4), x(4))
		VINSERTF128(U8(1), x(4), low[r][0].AsY(), low[r][0].AsY())
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
	VBROADCASTSS(paramAddr("alpha"), Y24)
	VBROADCASTSS(paramAddr("beta"), Y25)
	MOVL(paramAddr("beta"), EAX)
	ANDL(U32(0x7fffffff), EAX)
	for r := 0; r < 3; r++ {
		y := low[r][0].AsY()
		VMULPS(Y24, y, y)
		skip := fmt.Sprintf("store%d", r)
		TESTL(EAX, EAX)
		JZ(LabelRef(skip))
		VMOVUPS_Z(Mem{Base: RDX}, K2, Y26)
		VFMADD231PS(Y26, Y25, y)
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
