package main

import (
	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// The AVX-512 2x2 pooling kernels: the AVX2 ones' contract
// (pool2x2Max4 and pool2x2Grad4 in kernels_amd64.s) for rows of any
// number of windows, eight windows (sixteen input columns) a step and the
// last step under masks, so nothing outside the rows is read or written.

var poolIdx Mem // dup: 0 0 1 1 ... 7 7; even: 0 2 ... 14 (then 16 more); odd: 1 3 ... 15

func poolData() {
	poolIdx = GLOBL("poolIdx512", RODATA|NOPTR)
	for i := 0; i < 16; i++ {
		DATA(4*i, U32(i/2))
	}
	for i := 0; i < 16; i++ {
		DATA(64+4*i, U32(2*i%32))
	}
	for i := 0; i < 16; i++ {
		DATA(128+4*i, U32((2*i+1)%32))
	}
}

// goMax sets d to max(a, b) with Go's semantics (see GOMAX in
// kernels_amd64.s): VMAXPS both ways ANDed settles ±0, and lanes where
// either is NaN are set to all ones (a NaN). t is scratch; K7 is clobbered.
func goMax(a, b, d, t VecPhysical) {
	VMAXPS(b, a, t)
	VMAXPS(a, b, d)
	VANDPS(t, d, d)
	VCMPPS(U8(3), b, a, K7)
	VPTERNLOGD_Z(U8(0xff), d, d, K7, t) // t = all ones where unordered, 0 elsewhere
	VORPS(t, d, d)
}

// lanesMask sets k to the low cnt bits (cnt in CX, 0 ≤ cnt ≤ 16); EAX is
// clobbered.
func lanesMask(k Op) {
	MOVL(U32(1), EAX)
	SHLL(CL, EAX)
	DECL(EAX)
	KMOVW(EAX, k)
}

// poolBlockMasks sets, for the block of windows at CX of a row of n (R11)
// windows, K1 to its windows' lanes and K2 to their input columns; AX and
// DX are clobbered.
func poolBlockMasks() {
	MOVQ(RCX, RDX)
	MOVQ(R11, RCX)
	SUBQ(RDX, RCX)
	MOVQ(U32(8), RAX)
	CMPQ(RCX, RAX)
	CMOVQGT(RAX, RCX)
	lanesMask(K1)
	ADDQ(RCX, RCX)
	lanesMask(K2)
	MOVQ(RDX, RCX)
}

func poolKernels() {
	poolData()
	poolMax()
	poolGrad()
}

func poolMax() {
	TEXT("pool2x2Max8", NOSPLIT, "func(y, x *float32, pairs, w, n int)")
	Pragma("noescape")
	Doc("pool2x2Max8 writes the 2x2 maxima of pairs row pairs of x (rows of w",
		"values, 2n ≤ w, n ≥ 1) into y, n per pair, with Go's max; eight windows a",
		"step, the last step masked.")
	Load(Param("y"), RDI)
	Load(Param("x"), RBX)
	Load(Param("pairs"), R9)
	Load(Param("w"), R10)
	SHLQ(U8(2), R10)
	Load(Param("n"), R11)
	VMOVDQU32(poolIdx.Offset(64), Z14)
	VMOVDQU32(poolIdx.Offset(128), Z15)
	Label("pair")
	XORQ(RCX, RCX)
	Label("block")
	poolBlockMasks()
	LEAQ(Mem{Base: RBX, Index: RCX, Scale: 8}, RSI)
	VMOVUPS_Z(Mem{Base: RSI}, K2, Z0)
	VMOVUPS_Z(Mem{Base: RSI, Index: R10, Scale: 1}, K2, Z1)
	goMax(Z0, Z1, Z2, Z3)
	VPERMPS(Z2, Z14, Z4)
	VPERMPS(Z2, Z15, Z5)
	goMax(Z4, Z5, Z6, Z3)
	VMOVUPS(Y6, K1, Mem{Base: RDI, Index: RCX, Scale: 4})
	ADDQ(U8(8), RCX)
	CMPQ(RCX, R11)
	JLT(LabelRef("block"))
	LEAQ(Mem{Base: RBX, Index: R10, Scale: 2}, RBX)
	LEAQ(Mem{Base: RDI, Index: R11, Scale: 4}, RDI)
	DECQ(R9)
	JNZ(LabelRef("pair"))
	VZEROUPPER()
	RET()
}

func poolGrad() {
	TEXT("pool2x2Grad8", NOSPLIT, "func(dx, x, y, dy *float32, pairs, w, n int, relu bool)")
	Pragma("noescape")
	Doc("pool2x2Grad8 is pool2x2Max8's backward: for each row pair it writes dy at",
		"each window's winner (its first element equal to y, or its first NaN) and 0",
		"elsewhere into the same two rows of dx; with relu, only windows whose y is",
		"positive pass their gradient. Eight windows a step, the last step masked.")
	Load(Param("dx"), R8)
	Load(Param("x"), RBX)
	Load(Param("y"), R12)
	Load(Param("dy"), R13)
	Load(Param("pairs"), R9)
	Load(Param("w"), R10)
	SHLQ(U8(2), R10)
	Load(Param("n"), R11)
	MOVBQZX(paramAddr("relu"), R14)
	VMOVDQU32(poolIdx, Z15)
	VXORPS(Z14, Z14, Z14)
	Comment("K5: even lanes, K6: odd lanes.")
	MOVL(U32(0x5555), EAX)
	KMOVW(EAX, K5)
	MOVL(U32(0xaaaa), EAX)
	KMOVW(EAX, K6)
	Label("pair")
	XORQ(RCX, RCX)
	Label("block")
	poolBlockMasks()
	VMOVUPS_Z(Mem{Base: R12, Index: RCX, Scale: 4}, K1, Z0) // y, 8 windows
	VMOVUPS_Z(Mem{Base: R13, Index: RCX, Scale: 4}, K1, Z1) // dy
	TESTQ(R14, R14)
	JZ(LabelRef("route"))
	VCMPPS(U8(1), Z0, Z14, K3) // 0 < y: the ReLU passes the gradient
	VMOVAPS_Z(Z1, K3, Z1)
	Label("route")
	VPERMPS(Z0, Z15, Z2) // y of each input column
	VPERMPS(Z1, Z15, Z3) // dy of each input column
	LEAQ(Mem{Base: RBX, Index: RCX, Scale: 8}, RSI)
	VMOVUPS_Z(Mem{Base: RSI}, K2, Z4)
	VMOVUPS_Z(Mem{Base: RSI, Index: R10, Scale: 1}, K2, Z5)
	Comment("K3, K4: the top and bottom row's elements that match y (or are NaN).")
	VCMPPS(U8(0), Z2, Z4, K3)
	VCMPPS(U8(3), Z4, Z4, K7)
	KORW(K7, K3, K3)
	VCMPPS(U8(0), Z2, Z5, K4)
	VCMPPS(U8(3), Z5, Z5, K7)
	KORW(K7, K4, K4)
	Comment("Top winner: a (even lane) or b (odd lane) with no a before it.")
	KANDW(K5, K3, K0) // a
	KANDW(K6, K3, K7) // b
	KSHIFTLW(U8(1), K0, K3)
	KANDNW(K7, K3, K3) // b and not a
	KORW(K0, K3, K3)
	VMOVAPS_Z(Z3, K3, Z6)
	LEAQ(Mem{Base: R8, Index: RCX, Scale: 8}, RDI)
	VMOVUPS(Z6, K2, Mem{Base: RDI})
	Comment("Bottom winner: e (even) with no top winner, or f (odd) with neither.")
	KSHIFTRW(U8(1), K7, K7)
	KORW(K7, K0, K0)   // any top winner, at the even lane
	KANDW(K5, K4, K3)  // e
	KANDNW(K3, K0, K7) // e and no top winner
	KORW(K3, K0, K0)   // a, b or e
	KSHIFTLW(U8(1), K0, K0)
	KANDW(K6, K4, K3)  // f
	KANDNW(K3, K0, K3) // f and none before
	KORW(K7, K3, K3)
	VMOVAPS_Z(Z3, K3, Z6)
	VMOVUPS(Z6, K2, Mem{Base: RDI, Index: R10, Scale: 1})
	ADDQ(U8(8), RCX)
	CMPQ(RCX, R11)
	JLT(LabelRef("block"))
	LEAQ(Mem{Base: RBX, Index: R10, Scale: 2}, RBX)
	LEAQ(Mem{Base: R8, Index: R10, Scale: 2}, R8)
	LEAQ(Mem{Base: R12, Index: R11, Scale: 4}, R12)
	LEAQ(Mem{Base: R13, Index: R11, Scale: 4}, R13)
	DECQ(R9)
	JNZ(LabelRef("pair"))
	VZEROUPPER()
	RET()
}
