package main

import (
	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// copyRowsKernel generates copyRows512, a strided copy of float32 rows of
// any width: 16 values a step and one masked step for the rest, so that
// nothing past a row is read or written.
func copyRowsKernel() {
	TEXT("copyRows512", NOSPLIT, "func(dst, src *float32, rows, n, ldd, lds int)")
	Pragma("noescape")
	Doc("copyRows512 copies rows rows of n ≥ 1 values from src, rows lds bytes",
		"apart, to dst, rows ldd bytes apart.")
	Load(Param("dst"), RDI)
	Load(Param("src"), RSI)
	Load(Param("rows"), RDX)
	Load(Param("n"), R8)
	Load(Param("ldd"), R9)
	Load(Param("lds"), R10)
	Comment("K1 selects the n%16 values of the last step; R11 counts the full steps.")
	MOVQ(R8, RCX)
	ANDQ(U8(15), RCX)
	MOVL(U32(1), EAX)
	SHLL(CL, EAX)
	DECL(EAX)
	KMOVW(EAX, K1)
	MOVQ(R8, R11)
	SHRQ(U8(4), R11)
	Label("row")
	XORQ(RAX, RAX)
	MOVQ(R11, RCX)
	TESTQ(RCX, RCX)
	JZ(LabelRef("tail"))
	Label("full")
	VMOVUPS(Mem{Base: RSI, Index: RAX, Scale: 1}, Z0)
	VMOVUPS(Z0, Mem{Base: RDI, Index: RAX, Scale: 1})
	ADDQ(U8(64), RAX)
	DECQ(RCX)
	JNZ(LabelRef("full"))
	Label("tail")
	KTESTW(K1, K1)
	JZ(LabelRef("next"))
	VMOVUPS_Z(Mem{Base: RSI, Index: RAX, Scale: 1}, K1, Z0)
	VMOVUPS(Z0, K1, Mem{Base: RDI, Index: RAX, Scale: 1})
	Label("next")
	ADDQ(R9, RDI)
	ADDQ(R10, RSI)
	DECQ(RDX)
	JNZ(LabelRef("row"))
	VZEROUPPER()
	RET()
}
