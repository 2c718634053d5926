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

// bnReduce generates a float64 reduction over the channel that gives the
// bits of the AVX2 kernel (bnSum32, bnSqDev32, bnDotDev32): per run,
// rounds of 16 values into two ZMM accumulators whose halves are the AVX2
// kernel's four YMM ones, lane for lane; then groups of 4 into the first
// one's low half; then single values into a scalar; folded at the end in
// the AVX2 kernel's order. With dot, the kernel reads dy and x and returns
// Σ dy·(x - mean) and Σ dy (the latter with bnSum32's bits); otherwise it
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
	Doc(fmt.Sprintf("%s returns %s over a channel, accumulated in float64,", name, what),
		"with the bits of the AVX2 kernel.")
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
	// acc: Σ x (or its deviations), sum: Σ dy; two ZMM each, and a scalar.
	acc := []VecPhysical{Z0, Z1}
	sum := []VecPhysical{Z2, Z3}
	accS, sumS := X4, X5
	for _, z := range []VecPhysical{Z0, Z1, Z2, Z3, Z4, Z5} {
		VXORPD(z, z, z)
	}
	// term loads the values at off (R11, and R13 for dy) into xv (and dv),
	// width 8, 4 (the upper lanes zero) or 1, and subtracts the mean.
	term := func(off, width int, xv, dv VecPhysical) {
		m, dm := Mem{Base: R11, Disp: off}, Mem{Base: R13, Disp: off}
		switch width {
		case 8:
			VCVTPS2PD(m, xv)
			if dot {
				VCVTPS2PD(dm, dv)
			}
			if dev {
				VSUBPD(mean, xv, xv)
			}
		case 4:
			VCVTPS2PD(m, xv.AsY())
			if dot {
				VCVTPS2PD(dm, dv.AsY())
			}
			if dev {
				VSUBPD(mean.AsY(), xv.AsY(), xv.AsY())
			}
		case 1:
			VCVTSS2SD(m, xv.AsX(), xv.AsX())
			if dot {
				VCVTSS2SD(dm, dv.AsX(), dv.AsX())
			}
			if dev {
				VSUBSD(mean.AsX(), xv.AsX(), xv.AsX())
			}
		}
	}
	// add folds the loaded terms into accumulator a (and s for dy).
	add := func(xv, dv VecPhysical, a, s Op, scalar bool) {
		switch {
		case dot && scalar:
			VFMADD231SD(dv.AsX(), xv.AsX(), a)
			VADDSD(dv.AsX(), s, s)
		case dot:
			VFMADD231PD(dv, xv, a)
			VADDPD(dv, s, s)
		case dev && scalar:
			VFMADD231SD(xv.AsX(), xv.AsX(), a)
		case dev:
			VFMADD231PD(xv, xv, a)
		case scalar:
			VADDSD(xv.AsX(), a, a)
		default:
			VADDPD(xv, a, a)
		}
	}
	advance := func(bytes int) {
		ADDQ(U8(bytes), R11)
		if dot {
			ADDQ(U8(bytes), R13)
		}
	}
	Label("run")
	MOVQ(RSI, R11)
	if dot {
		MOVQ(RDI, R13)
	}
	MOVQ(R9, RCX)
	Label("r16")
	CMPQ(RCX, U8(16))
	JLT(LabelRef("r4"))
	for h := 0; h < 2; h++ {
		term(32*h, 8, zmm(8+h), zmm(12+h))
		add(zmm(8+h), zmm(12+h), acc[h], sum[h], false)
	}
	advance(64)
	SUBQ(U8(16), RCX)
	JMP(LabelRef("r16"))
	Label("r4")
	CMPQ(RCX, U8(4))
	JLT(LabelRef("r1"))
	term(0, 4, Z8, Z12) // the upper lanes are zero: they add 0 to acc's
	add(Z8, Z12, acc[0], sum[0], false)
	advance(16)
	SUBQ(U8(4), RCX)
	JMP(LabelRef("r4"))
	Label("r1")
	TESTQ(RCX, RCX)
	JZ(LabelRef("next"))
	term(0, 1, Z8, Z12)
	add(Z8, Z12, accS, sumS, true)
	advance(4)
	DECQ(RCX)
	JMP(LabelRef("r1"))
	Label("next")
	ADDQ(R10, RSI)
	if dot {
		ADDQ(R10, RDI)
	}
	DECQ(R8)
	JNZ(LabelRef("run"))

	// fold is BNFOLD: (acc0 + acc1) + (acc2 + acc3), the two lanes pairs,
	// the two lanes, then the scalar.
	fold := func(a []VecPhysical, s Register, ret int) {
		VEXTRACTF64X4(U8(1), a[0], Y14)
		VADDPD(Y14, a[0].AsY(), Y15) // acc0 + acc1
		VEXTRACTF64X4(U8(1), a[1], Y14)
		VADDPD(Y14, a[1].AsY(), Y14) // acc2 + acc3
		VADDPD(Y14, Y15, Y15)
		VEXTRACTF128(U8(1), Y15, X14)
		VADDPD(X14, X15, X15)
		VHADDPD(X15, X15, X15)
		VADDSD(s, X15, X15)
		Store(X15, ReturnIndex(ret))
	}
	fold(acc, accS, 0)
	if dot {
		fold(sum, sumS, 1)
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
