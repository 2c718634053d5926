package main

import (
	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// zmm returns Z register i.
func zmm(i int) VecPhysical {
	return []VecPhysical{Z0, Z1, Z2, Z3, Z4, Z5, Z6, Z7, Z8, Z9, Z10, Z11, Z12, Z13, Z14, Z15,
		Z16, Z17, Z18, Z19, Z20, Z21, Z22, Z23, Z24, Z25, Z26, Z27, Z28, Z29, Z30, Z31}[i]
}

// transpose16Kernel generates transpose16, the AVX-512 transpose of a
// float32 block of up to 16×16: masked loads of the rows (the rows past
// the block zero), four rounds of shuffles in registers, masked stores of
// the columns. Nothing outside the block is read or written.
func transpose16Kernel() {
	TEXT("transpose16", NOSPLIT, "func(dst *float32, ldd int, src *float32, lds int, rows, cols int)")
	Pragma("noescape")
	Doc("transpose16 writes the transpose of the rows×cols block at src (rows lds",
		"bytes apart; 1 ≤ rows, cols ≤ 16) into dst (rows ldd bytes apart):",
		"dst[c][r] = src[r][c]. It needs AVX-512.")
	Load(Param("src"), RSI)
	Load(Param("lds"), RBX)
	Load(Param("dst"), RDI)
	Load(Param("ldd"), RDX)
	Load(Param("rows"), R8)
	Load(Param("cols"), R9)
	Comment("K1 selects the block's columns in a row, K2 its rows in a column.")
	MOVL(U32(1), EAX)
	MOVQ(R9, RCX)
	SHLL(CL, EAX)
	DECL(EAX)
	KMOVW(EAX, K1)
	MOVL(U32(1), EAX)
	MOVQ(R8, RCX)
	SHLL(CL, EAX)
	DECL(EAX)
	KMOVW(EAX, K2)
	r := func(i int) VecPhysical { return zmm(i) }
	t := func(i int) VecPhysical { return zmm(16 + i) }
	for i := 0; i < 16; i++ {
		VXORPS(r(i), r(i), r(i))
	}
	for i := 0; i < 16; i++ {
		if i > 0 {
			CMPQ(R8, U8(i))
			JLE(LabelRef("loaded"))
		}
		VMOVUPS_Z(Mem{Base: RSI}, K1, r(i))
		ADDQ(RBX, RSI)
	}
	Label("loaded")
	for i := 0; i < 16; i += 2 {
		VUNPCKLPS(r(i+1), r(i), t(i))
		VUNPCKHPS(r(i+1), r(i), t(i+1))
	}
	for i := 0; i < 16; i += 4 {
		VUNPCKLPD(t(i+2), t(i), r(i))
		VUNPCKHPD(t(i+2), t(i), r(i+1))
		VUNPCKLPD(t(i+3), t(i+1), r(i+2))
		VUNPCKHPD(t(i+3), t(i+1), r(i+3))
	}
	for h := 0; h < 16; h += 8 {
		for i := 0; i < 4; i++ {
			VSHUFF32X4(U8(0x88), r(h+4+i), r(h+i), t(h+i))
			VSHUFF32X4(U8(0xdd), r(h+4+i), r(h+i), t(h+4+i))
		}
	}
	for i := 0; i < 8; i++ {
		VSHUFF32X4(U8(0x88), t(8+i), t(i), r(i))
		VSHUFF32X4(U8(0xdd), t(8+i), t(i), r(8+i))
	}
	Comment("Z[c] now holds column c of the block.")
	for i := 0; i < 16; i++ {
		if i > 0 {
			CMPQ(R9, U8(i))
			JLE(LabelRef("done"))
		}
		VMOVUPS(r(i), K2, Mem{Base: RDI})
		ADDQ(RDX, RDI)
	}
	Label("done")
	VZEROUPPER()
	RET()
}
