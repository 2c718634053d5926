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

// compressKernel generates compressNonzero512, the AVX-512 form of
// compressNonzero32 (kernels_sparse_amd64.s): VCOMPRESSPS and VPCOMPRESSD
// pack a group's kept lanes in registers, and the stores are masked to the
// kept count, so the outputs need no room past the entries written.
func compressKernel() {
	TEXT("compressNonzero512", NOSPLIT, "func(x *float32, pos *int32, n int, base int, vals *float32, offs *int) int")
	Pragma("noescape")
	Doc("compressNonzero512 appends the values of x that are not zero (NaN included)",
		"to vals and base + pos[i] for each of them to offs, in order, for n values",
		"(a multiple of 8), and returns how many.")
	Load(Param("x"), RSI)
	Load(Param("pos"), RBX)
	Load(Param("n"), RCX)
	VPBROADCASTQ(paramAddr("base"), Z14)
	Load(Param("vals"), RDI)
	Load(Param("offs"), RDX)
	XORQ(R9, R9)
	VXORPS(Z15, Z15, Z15)
	// group compares 16 values (8 when half) and appends the kept ones.
	group := func(half bool, next string) {
		if half {
			MOVL(U32(0xff), EAX)
			KMOVW(EAX, K3)
			VMOVUPS_Z(Mem{Base: RSI}, K3, Z0)
			VCMPPS(U8(4), Z15, Z0, K3, K1)
			VMOVDQU32_Z(Mem{Base: RBX}, K3, Z4)
		} else {
			VMOVUPS(Mem{Base: RSI}, Z0)
			VCMPPS(U8(4), Z15, Z0, K1)
			VMOVDQU32(Mem{Base: RBX}, Z4)
		}
		KMOVW(K1, EAX)
		TESTL(EAX, EAX)
		JZ(LabelRef(next))
		POPCNTL(EAX, R10L)
		Comment("K2 = the first count lanes.")
		MOVL(U32(1), R11L)
		MOVL(R10L, ECX)
		SHLL(CL, R11L)
		DECL(R11L)
		KMOVW(R11L, K2)
		VCOMPRESSPS(Z0, K1, Z1)
		VMOVUPS(Z1, K2, Mem{Base: RDI})
		VPCOMPRESSD(Z4, K1, Z5)
		VPMOVSXDQ(Z5.AsY(), Z6)
		VEXTRACTI32X8(U8(1), Z5, Y7)
		VPMOVSXDQ(Y7, Z7)
		VPADDQ(Z14, Z6, Z6)
		VPADDQ(Z14, Z7, Z7)
		KSHIFTRW(U8(8), K2, K3)
		VMOVDQU64(Z6, K2, Mem{Base: RDX})
		VMOVDQU64(Z7, K3, Mem{Base: RDX, Disp: 64})
		LEAQ(Mem{Base: RDI, Index: R10, Scale: 4}, RDI)
		LEAQ(Mem{Base: RDX, Index: R10, Scale: 8}, RDX)
		ADDQ(R10, R9)
	}
	Comment("R8: groups of 16 left.")
	MOVQ(RCX, R8)
	SHRQ(U8(4), R8)
	JZ(LabelRef("half"))
	Label("loop")
	group(false, "next")
	Label("next")
	ADDQ(U8(64), RSI)
	ADDQ(U8(64), RBX)
	DECQ(R8)
	JNZ(LabelRef("loop"))
	Label("half")
	Load(Param("n"), RCX)
	TESTQ(U32(8), RCX)
	JZ(LabelRef("done"))
	group(true, "done")
	Label("done")
	Store(R9, ReturnIndex(0))
	VZEROUPPER()
	RET()
}
