package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// The BatchNorm kernels cover one channel of a float32 tensor: runs runs
// of cnt ≥ 1 contiguous values, the runs step values apart (one run per
// sample), as the AVX2 ones do (batchnorm_amd64.s). Every loop takes its
// values in the same registers for every run, so a result depends on the
// values and the geometry only.

// bnKernels generates the AVX-512 BatchNorm kernels.
func bnKernels() {
	bnReduce("bnSum512", "Σ x", false, false)
	bnReduce("bnSqDev512", "Σ (x - mean)²", false, true)
	bnReduce("bnDotSum512", "Σ dy·(x - mean) and Σ dy", true, true)
	bnAffine()
	bnGradX()
	bnScale()
}

// bnReduce generates a float64 reduction over the channel. The values are
// converted eight at a time into ZMM lanes of float64: rounds of 32 into
// four accumulators, then of 8 into the first, then the last cnt%8 under
// a mask into the second, per run; the four are folded in a fixed order
// at the end. With dot, the kernel reads dy and x and returns Σ dy·(x -
// mean) and Σ dy (accumulated alike in four more registers); otherwise it
// reads x and returns Σ x, or Σ (x - mean)² with dev.
func bnReduce(name, what string, dot, dev bool) {
	sig := "func(x *float32, runs, cnt, step int) float64"
	switch {
	case dot:
		sig = "func(dy, x *float32, runs, cnt, step int, mean float64) (dot, sum float64)"
	case dev:
		sig = "func(x *float32, runs, cnt, step int, mean float64) float64"
	}
	TEXT(name, NOSPLIT, sig)
	Pragma("noescape")
	Doc(fmt.Sprintf("%s returns %s over a channel, accumulated in float64.", name, what))
	Load(Param("x"), RSI)
	if dot {
		Load(Param("dy"), RDI)
	}
	Load(Param("runs"), R8)
	Load(Param("cnt"), R9)
	Load(Param("step"), R10)
	SHLQ(U8(2), R10)
	mean := Z20
	if dev {
		VBROADCASTSD(paramAddr("mean"), mean)
	}
	Comment("K1 selects the last cnt%8 values of a run; R12 counts its rounds of 32.")
	MOVQ(R9, RCX)
	ANDQ(U8(7), RCX)
	MOVL(U32(1), EAX)
	SHLL(CL, EAX)
	DECL(EAX)
	KMOVW(EAX, K1)
	acc := []VecPhysical{Z0, Z1, Z2, Z3}
	sum := []VecPhysical{Z4, Z5, Z6, Z7}
	for i := 0; i < 4; i++ {
		VXORPD(acc[i], acc[i], acc[i])
		if dot {
			VXORPD(sum[i], sum[i], sum[i])
		}
	}
	// unit adds the 8 values at byte offset off (from R11, and R13 for dy)
	// into accumulator a, masked by K1 when masked.
	unit := func(off int, a int, masked bool) {
		xv, dv := zmm(8+a), zmm(12+a)
		m := Mem{Base: R11, Disp: off}
		if masked {
			VCVTPS2PD_Z(m, K1, xv)
		} else {
			VCVTPS2PD(m, xv)
		}
		if dev {
			if masked {
				VSUBPD_Z(mean, xv, K1, xv)
			} else {
				VSUBPD(mean, xv, xv)
			}
		}
		switch {
		case dot:
			dm := Mem{Base: R13, Disp: off}
			if masked {
				VCVTPS2PD_Z(dm, K1, dv)
			} else {
				VCVTPS2PD(dm, dv)
			}
			VFMADD231PD(xv, dv, acc[a])
			VADDPD(dv, sum[a], sum[a])
		case dev:
			VFMADD231PD(xv, xv, acc[a])
		default:
			VADDPD(xv, acc[a], acc[a])
		}
	}
	Label("run")
	MOVQ(RSI, R11)
	if dot {
		MOVQ(RDI, R13)
	}
	MOVQ(R9, RCX)
	Label("r32")
	CMPQ(RCX, U8(32))
	JLT(LabelRef("r8"))
	for a := 0; a < 4; a++ {
		unit(32*a, a, false)
	}
	ADDQ(U8(128), R11)
	if dot {
		ADDQ(U8(128), R13)
	}
	SUBQ(U8(32), RCX)
	JMP(LabelRef("r32"))
	Label("r8")
	CMPQ(RCX, U8(8))
	JLT(LabelRef("tail"))
	unit(0, 0, false)
	ADDQ(U8(32), R11)
	if dot {
		ADDQ(U8(32), R13)
	}
	SUBQ(U8(8), RCX)
	JMP(LabelRef("r8"))
	Label("tail")
	TESTQ(RCX, RCX)
	JZ(LabelRef("next"))
	unit(0, 1, true)
	Label("next")
	ADDQ(R10, RSI)
	if dot {
		ADDQ(R10, RDI)
	}
	DECQ(R8)
	JNZ(LabelRef("run"))

	fold := func(a []VecPhysical, ret string) {
		VADDPD(a[1], a[0], a[0])
		VADDPD(a[3], a[2], a[2])
		VADDPD(a[2], a[0], a[0])
		VEXTRACTF64X4(U8(1), a[0], a[1].AsY())
		VADDPD(a[1].AsY(), a[0].AsY(), a[0].AsY())
		VEXTRACTF128(U8(1), a[0].AsY(), a[1].AsX())
		VADDPD(a[1].AsX(), a[0].AsX(), a[0].AsX())
		VPERMILPD(U8(1), a[0].AsX(), a[1].AsX())
		VADDSD(a[1].AsX(), a[0].AsX(), a[0].AsX())
		Store(a[0].AsX(), ReturnIndex(map[string]int{"dot": 0, "sum": 1, "": 0}[ret]))
	}
	if dot {
		fold(acc, "dot")
		fold(sum, "sum")
	} else {
		fold(acc, "")
	}
	VZEROUPPER()
	RET()
}

// bnElementwise generates an elementwise loop over a channel: per run,
// rounds of 16 values and a last masked one; body computes Z0 from the
// values loaded into the registers of srcs (Z0 the first).
func bnElementwise(name, sig, doc string, srcs []string, consts []string, body func(c []VecPhysical)) {
	TEXT(name, NOSPLIT, sig)
	Pragma("noescape")
	Doc(doc)
	ptr := []GPPhysical{RSI, RDI, RDX}
	Load(Param("y"), RBX)
	for i, s := range srcs {
		Load(Param(s), ptr[i])
	}
	Load(Param("runs"), R8)
	Load(Param("cnt"), R9)
	Load(Param("step"), R10)
	SHLQ(U8(2), R10)
	c := make([]VecPhysical, len(consts))
	for i, name := range consts {
		c[i] = zmm(20 + i)
		VBROADCASTSS(paramAddr(name), c[i])
	}
	MOVQ(R9, RCX)
	ANDQ(U8(15), RCX)
	MOVL(U32(1), EAX)
	SHLL(CL, EAX)
	DECL(EAX)
	KMOVW(EAX, K1)
	Label("run")
	XORQ(RAX, RAX)
	MOVQ(R9, RCX)
	SHRQ(U8(4), RCX)
	JZ(LabelRef("tail"))
	Label("r16")
	for i := range srcs {
		VMOVUPS(Mem{Base: ptr[i], Index: RAX, Scale: 1}, zmm(i))
	}
	body(c)
	VMOVUPS(Z0, Mem{Base: RBX, Index: RAX, Scale: 1})
	ADDQ(U8(64), RAX)
	DECQ(RCX)
	JNZ(LabelRef("r16"))
	Label("tail")
	KTESTW(K1, K1)
	JZ(LabelRef("next"))
	for i := range srcs {
		VMOVUPS_Z(Mem{Base: ptr[i], Index: RAX, Scale: 1}, K1, zmm(i))
	}
	body(c)
	VMOVUPS(Z0, K1, Mem{Base: RBX, Index: RAX, Scale: 1})
	Label("next")
	ADDQ(R10, RBX)
	for i := range srcs {
		ADDQ(R10, ptr[i])
	}
	DECQ(R8)
	JNZ(LabelRef("run"))
	VZEROUPPER()
	RET()
}

func bnAffine() {
	bnElementwise("bnAffine512", "func(y, x *float32, runs, cnt, step int, m, k, b float32)",
		"bnAffine512 writes (x - m)·k + b into y, every operation rounded.",
		[]string{"x"}, []string{"m", "k", "b"}, func(c []VecPhysical) {
			VSUBPS(c[0], Z0, Z0)
			VMULPS(c[1], Z0, Z0)
			VADDPS(c[2], Z0, Z0)
		})
}

func bnGradX() {
	bnElementwise("bnGradX512", "func(y, dy, x *float32, runs, cnt, step int, gm, m, k, w float32)",
		"bnGradX512 writes ((dy - gm) - (x - m)·k)·w into y, every operation rounded.",
		[]string{"dy", "x"}, []string{"gm", "m", "k", "w"}, func(c []VecPhysical) {
			VSUBPS(c[0], Z0, Z0)
			VSUBPS(c[1], Z1, Z1)
			VMULPS(c[2], Z1, Z1)
			VSUBPS(Z1, Z0, Z0)
			VMULPS(c[3], Z0, Z0)
		})
}

func bnScale() {
	bnElementwise("bnScale512", "func(y, x *float32, runs, cnt, step int, k float32)",
		"bnScale512 writes x·k into y.",
		[]string{"x"}, []string{"k"}, func(c []VecPhysical) {
			VMULPS(c[0], Z0, Z0)
		})
}

// paramAddr returns the memory address of the parameter name.
func paramAddr(name string) Mem {
	b, err := Param(name).Resolve()
	if err != nil {
		panic(err)
	}
	return b.Addr
}
