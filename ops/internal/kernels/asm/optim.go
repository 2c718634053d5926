package main

import (
	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// adamKernel generates adam512, the float32 Adam step of optim.go's
// adamJob with AVX-512, 16 weights a round and the last round masked.
// Every operation is the Go loop's, in its order and precision (float32
// for the moments, float64 for the step), so the bits are the same.
func adamKernel() {
	TEXT("adam512", NOSPLIT, "func(w, grad, m, v *float32, n int, shrink, wd, b1, c1, b2, c2 float32, lr, corr2, eps float64)")
	Pragma("noescape")
	Doc("adam512 applies one Adam step to n weights: w = w·shrink; d = g + wd·w;",
		"m = b1·m + c1·d; v = b2·v + (c2·d)·d; w -= float32(lr·m / (√(v/corr2) + eps)),",
		"c1 = 1-b1 and c2 = 1-b2 in float32, every operation rounded as in Go.")
	Load(Param("w"), RDI)
	Load(Param("grad"), RSI)
	Load(Param("m"), RDX)
	Load(Param("v"), RBX)
	Load(Param("n"), R8)
	names := []string{"shrink", "wd", "b1", "c1", "b2", "c2"}
	c := make([]VecPhysical, len(names))
	for i, nm := range names {
		c[i] = zmm(20 + i)
		VBROADCASTSS(paramAddr(nm), c[i])
	}
	shrink, wd, b1, c1, b2, c2 := c[0], c[1], c[2], c[3], c[4], c[5]
	lr, corr2, eps := Z26, Z27, Z28
	VBROADCASTSD(paramAddr("lr"), lr)
	VBROADCASTSD(paramAddr("corr2"), corr2)
	VBROADCASTSD(paramAddr("eps"), eps)
	MOVQ(R8, RCX)
	ANDQ(U8(15), RCX)
	MOVL(U32(1), EAX)
	SHLL(CL, EAX)
	DECL(EAX)
	KMOVW(EAX, K1)
	XORQ(RAX, RAX)
	MOVQ(R8, RCX)
	SHRQ(U8(4), RCX)
	step := func(masked bool) {
		mem := func(base GPPhysical) Mem { return Mem{Base: base, Index: RAX, Scale: 1} }
		load := func(base GPPhysical, z VecPhysical) {
			if masked {
				VMOVUPS_Z(mem(base), K1, z)
			} else {
				VMOVUPS(mem(base), z)
			}
		}
		store := func(z VecPhysical, base GPPhysical) {
			if masked {
				VMOVUPS(z, K1, mem(base))
			} else {
				VMOVUPS(z, mem(base))
			}
		}
		load(RDI, Z0) // w
		load(RSI, Z1) // g
		load(RDX, Z2) // m
		load(RBX, Z3) // v
		VMULPS(shrink, Z0, Z0)
		VMULPS(Z0, wd, Z4)
		VADDPS(Z4, Z1, Z1) // d
		VMULPS(Z2, b1, Z2)
		VMULPS(Z1, c1, Z4)
		VADDPS(Z4, Z2, Z2) // m
		VMULPS(Z3, b2, Z3)
		VMULPS(Z1, c2, Z4)
		VMULPS(Z1, Z4, Z4)
		VADDPS(Z4, Z3, Z3) // v
		store(Z2, RDX)
		store(Z3, RBX)
		for h := 0; h < 2; h++ {
			mh, vh := Y2, Y3
			if h == 1 {
				VEXTRACTF32X8(U8(1), Z2, Y5)
				VEXTRACTF32X8(U8(1), Z3, Y6)
				mh, vh = Y5, Y6
			}
			VCVTPS2PD(mh, Z7)
			VCVTPS2PD(vh, Z8)
			VMULPD(Z7, lr, Z7)    // lr·m
			VDIVPD(corr2, Z8, Z8) // v/corr2
			VSQRTPD(Z8, Z8)       // √
			VADDPD(eps, Z8, Z8)   // + eps
			VDIVPD(Z8, Z7, Z7)    // lr·m / (...)
			VCVTPD2PS(Z7, []VecPhysical{Y9, Y10}[h])
		}
		VINSERTF32X8(U8(1), Y10, Z9, Z9)
		VSUBPS(Z9, Z0, Z0)
		store(Z0, RDI)
	}
	TESTQ(RCX, RCX)
	JZ(LabelRef("tail"))
	Label("loop")
	step(false)
	ADDQ(U8(64), RAX)
	DECQ(RCX)
	JNZ(LabelRef("loop"))
	Label("tail")
	KTESTW(K1, K1)
	JZ(LabelRef("done"))
	step(true)
	Label("done")
	VZEROUPPER()
	RET()
}
