#include "textflag.h"

// Vector loops of BatchNorm over one channel of a float32 tensor: runs
// runs of cnt contiguous values, the runs step values apart (one run per
// sample). Every loop takes 16 values per round, then 8 or 4, then one at
// a time, in the same registers for every run, so its results depend on
// the values and the geometry only, never on the thread that runs it.
//
// The reductions accumulate in float64: four accumulators of four lanes
// take the rounds of 16, the first also the groups of 4, and a scalar
// register the single values; they are folded in a fixed order at the end.
// The elementwise loops round after every operation, as the Go loops do.

// BNFOLD adds the accumulators Y0-Y3 and their lanes, then X15, into ret.
#define BNFOLD(ret) \
	VADDPD       Y1, Y0, Y0 \
	VADDPD       Y3, Y2, Y2 \
	VADDPD       Y2, Y0, Y0 \
	VEXTRACTF128 $1, Y0, X1 \
	VADDPD       X1, X0, X0 \
	VHADDPD      X0, X0, X0 \
	VADDSD       X15, X0, X0 \
	VMOVSD       X0, ret

#define BNZERO \
	VXORPD Y0, Y0, Y0 \
	VXORPD Y1, Y1, Y1 \
	VXORPD Y2, Y2, Y2 \
	VXORPD Y3, Y3, Y3 \
	VXORPD X15, X15, X15

// func bnSum32(x *float32, runs, cnt, step int) float64
//
// Σ x in float64.
TEXT ·bnSum32(SB), NOSPLIT, $0-40
	MOVQ x+0(FP), SI
	MOVQ runs+8(FP), R8
	MOVQ cnt+16(FP), R9
	MOVQ step+24(FP), R10
	SHLQ $2, R10
	BNZERO

sumRun:
	TESTQ R8, R8
	JEQ   sumDone
	MOVQ  SI, R11
	MOVQ  R9, CX

sum16:
	CMPQ      CX, $16
	JLT       sum4
	VCVTPS2PD (R11), Y4
	VCVTPS2PD 16(R11), Y5
	VCVTPS2PD 32(R11), Y6
	VCVTPS2PD 48(R11), Y7
	VADDPD    Y4, Y0, Y0
	VADDPD    Y5, Y1, Y1
	VADDPD    Y6, Y2, Y2
	VADDPD    Y7, Y3, Y3
	ADDQ      $64, R11
	SUBQ      $16, CX
	JMP       sum16

sum4:
	CMPQ      CX, $4
	JLT       sum1
	VCVTPS2PD (R11), Y4
	VADDPD    Y4, Y0, Y0
	ADDQ      $16, R11
	SUBQ      $4, CX
	JMP       sum4

sum1:
	TESTQ     CX, CX
	JEQ       sumNext
	VCVTSS2SD (R11), X4, X4
	VADDSD    X4, X15, X15
	ADDQ      $4, R11
	DECQ      CX
	JMP       sum1

sumNext:
	ADDQ R10, SI
	DECQ R8
	JMP  sumRun

sumDone:
	BNFOLD(ret+32(FP))
	VZEROUPPER
	RET

// func bnSqDev32(x *float32, runs, cnt, step int, mean float64) float64
//
// Σ (x - mean)² in float64.
TEXT ·bnSqDev32(SB), NOSPLIT, $0-48
	MOVQ         x+0(FP), SI
	MOVQ         runs+8(FP), R8
	MOVQ         cnt+16(FP), R9
	MOVQ         step+24(FP), R10
	SHLQ         $2, R10
	VBROADCASTSD mean+32(FP), Y8
	BNZERO

sqRun:
	TESTQ R8, R8
	JEQ   sqDone
	MOVQ  SI, R11
	MOVQ  R9, CX

sq16:
	CMPQ        CX, $16
	JLT         sq4
	VCVTPS2PD   (R11), Y4
	VCVTPS2PD   16(R11), Y5
	VCVTPS2PD   32(R11), Y6
	VCVTPS2PD   48(R11), Y7
	VSUBPD      Y8, Y4, Y4
	VSUBPD      Y8, Y5, Y5
	VSUBPD      Y8, Y6, Y6
	VSUBPD      Y8, Y7, Y7
	VFMADD231PD Y4, Y4, Y0
	VFMADD231PD Y5, Y5, Y1
	VFMADD231PD Y6, Y6, Y2
	VFMADD231PD Y7, Y7, Y3
	ADDQ        $64, R11
	SUBQ        $16, CX
	JMP         sq16

sq4:
	CMPQ        CX, $4
	JLT         sq1
	VCVTPS2PD   (R11), Y4
	VSUBPD      Y8, Y4, Y4
	VFMADD231PD Y4, Y4, Y0
	ADDQ        $16, R11
	SUBQ        $4, CX
	JMP         sq4

sq1:
	TESTQ       CX, CX
	JEQ         sqNext
	VCVTSS2SD   (R11), X4, X4
	VSUBSD      X8, X4, X4
	VFMADD231SD X4, X4, X15
	ADDQ        $4, R11
	DECQ        CX
	JMP         sq1

sqNext:
	ADDQ R10, SI
	DECQ R8
	JMP  sqRun

sqDone:
	BNFOLD(ret+40(FP))
	VZEROUPPER
	RET

// func bnDotDev32(dy, x *float32, runs, cnt, step int, mean float64) float64
//
// Σ dy·(x - mean) in float64; dy has x's layout.
TEXT ·bnDotDev32(SB), NOSPLIT, $0-56
	MOVQ         dy+0(FP), DI
	MOVQ         x+8(FP), SI
	MOVQ         runs+16(FP), R8
	MOVQ         cnt+24(FP), R9
	MOVQ         step+32(FP), R10
	SHLQ         $2, R10
	VBROADCASTSD mean+40(FP), Y12
	BNZERO

dotRun:
	TESTQ R8, R8
	JEQ   dotDone
	MOVQ  SI, R11
	MOVQ  DI, R12
	MOVQ  R9, CX

dot16:
	CMPQ        CX, $16
	JLT         dot4
	VCVTPS2PD   (R11), Y4
	VCVTPS2PD   16(R11), Y5
	VCVTPS2PD   32(R11), Y6
	VCVTPS2PD   48(R11), Y7
	VCVTPS2PD   (R12), Y8
	VCVTPS2PD   16(R12), Y9
	VCVTPS2PD   32(R12), Y10
	VCVTPS2PD   48(R12), Y11
	VSUBPD      Y12, Y4, Y4
	VSUBPD      Y12, Y5, Y5
	VSUBPD      Y12, Y6, Y6
	VSUBPD      Y12, Y7, Y7
	VFMADD231PD Y8, Y4, Y0
	VFMADD231PD Y9, Y5, Y1
	VFMADD231PD Y10, Y6, Y2
	VFMADD231PD Y11, Y7, Y3
	ADDQ        $64, R11
	ADDQ        $64, R12
	SUBQ        $16, CX
	JMP         dot16

dot4:
	CMPQ        CX, $4
	JLT         dot1
	VCVTPS2PD   (R11), Y4
	VCVTPS2PD   (R12), Y8
	VSUBPD      Y12, Y4, Y4
	VFMADD231PD Y8, Y4, Y0
	ADDQ        $16, R11
	ADDQ        $16, R12
	SUBQ        $4, CX
	JMP         dot4

dot1:
	TESTQ       CX, CX
	JEQ         dotNext
	VCVTSS2SD   (R11), X4, X4
	VCVTSS2SD   (R12), X8, X8
	VSUBSD      X12, X4, X4
	VFMADD231SD X8, X4, X15
	ADDQ        $4, R11
	ADDQ        $4, R12
	DECQ        CX
	JMP         dot1

dotNext:
	ADDQ R10, SI
	ADDQ R10, DI
	DECQ R8
	JMP  dotRun

dotDone:
	BNFOLD(ret+48(FP))
	VZEROUPPER
	RET

// func bnAffine32(y, x *float32, runs, cnt, step int, m, k, b float32)
//
// y = (x - m)·k + b; y has x's layout.
TEXT ·bnAffine32(SB), NOSPLIT, $0-52
	MOVQ         y+0(FP), DI
	MOVQ         x+8(FP), SI
	MOVQ         runs+16(FP), R8
	MOVQ         cnt+24(FP), R9
	MOVQ         step+32(FP), R10
	SHLQ         $2, R10
	VBROADCASTSS m+40(FP), Y12
	VBROADCASTSS k+44(FP), Y13
	VBROADCASTSS b+48(FP), Y14

affRun:
	TESTQ R8, R8
	JEQ   affDone
	MOVQ  SI, R11
	MOVQ  DI, R12
	MOVQ  R9, CX

aff16:
	CMPQ    CX, $16
	JLT     aff8
	VMOVUPS (R11), Y0
	VMOVUPS 32(R11), Y1
	VSUBPS  Y12, Y0, Y0
	VSUBPS  Y12, Y1, Y1
	VMULPS  Y13, Y0, Y0
	VMULPS  Y13, Y1, Y1
	VADDPS  Y14, Y0, Y0
	VADDPS  Y14, Y1, Y1
	VMOVUPS Y0, (R12)
	VMOVUPS Y1, 32(R12)
	ADDQ    $64, R11
	ADDQ    $64, R12
	SUBQ    $16, CX
	JMP     aff16

aff8:
	CMPQ    CX, $8
	JLT     aff1
	VMOVUPS (R11), Y0
	VSUBPS  Y12, Y0, Y0
	VMULPS  Y13, Y0, Y0
	VADDPS  Y14, Y0, Y0
	VMOVUPS Y0, (R12)
	ADDQ    $32, R11
	ADDQ    $32, R12
	SUBQ    $8, CX

aff1:
	TESTQ  CX, CX
	JEQ    affNext
	VMOVSS (R11), X0
	VSUBSS X12, X0, X0
	VMULSS X13, X0, X0
	VADDSS X14, X0, X0
	VMOVSS X0, (R12)
	ADDQ   $4, R11
	ADDQ   $4, R12
	DECQ   CX
	JMP    aff1

affNext:
	ADDQ R10, SI
	ADDQ R10, DI
	DECQ R8
	JMP  affRun

affDone:
	VZEROUPPER
	RET

// func bnGradX32(dx, dy, x *float32, runs, cnt, step int, gm, m, k, w float32)
//
// dx = ((dy - gm) - (x - m)·k)·w; dx and dy have x's layout.
TEXT ·bnGradX32(SB), NOSPLIT, $0-64
	MOVQ         dx+0(FP), DI
	MOVQ         dy+8(FP), DX
	MOVQ         x+16(FP), SI
	MOVQ         runs+24(FP), R8
	MOVQ         cnt+32(FP), R9
	MOVQ         step+40(FP), R10
	SHLQ         $2, R10
	VBROADCASTSS gm+48(FP), Y12
	VBROADCASTSS m+52(FP), Y13
	VBROADCASTSS k+56(FP), Y14
	VBROADCASTSS w+60(FP), Y15

gxRun:
	TESTQ R8, R8
	JEQ   gxDone
	MOVQ  SI, R11
	MOVQ  DX, R12
	MOVQ  DI, R13
	MOVQ  R9, CX

gx16:
	CMPQ    CX, $16
	JLT     gx8
	VMOVUPS (R11), Y0
	VMOVUPS 32(R11), Y1
	VMOVUPS (R12), Y2
	VMOVUPS 32(R12), Y3
	VSUBPS  Y13, Y0, Y0
	VSUBPS  Y13, Y1, Y1
	VMULPS  Y14, Y0, Y0
	VMULPS  Y14, Y1, Y1
	VSUBPS  Y12, Y2, Y2
	VSUBPS  Y12, Y3, Y3
	VSUBPS  Y0, Y2, Y2
	VSUBPS  Y1, Y3, Y3
	VMULPS  Y15, Y2, Y2
	VMULPS  Y15, Y3, Y3
	VMOVUPS Y2, (R13)
	VMOVUPS Y3, 32(R13)
	ADDQ    $64, R11
	ADDQ    $64, R12
	ADDQ    $64, R13
	SUBQ    $16, CX
	JMP     gx16

gx8:
	CMPQ    CX, $8
	JLT     gx1
	VMOVUPS (R11), Y0
	VMOVUPS (R12), Y2
	VSUBPS  Y13, Y0, Y0
	VMULPS  Y14, Y0, Y0
	VSUBPS  Y12, Y2, Y2
	VSUBPS  Y0, Y2, Y2
	VMULPS  Y15, Y2, Y2
	VMOVUPS Y2, (R13)
	ADDQ    $32, R11
	ADDQ    $32, R12
	ADDQ    $32, R13
	SUBQ    $8, CX

gx1:
	TESTQ  CX, CX
	JEQ    gxNext
	VMOVSS (R11), X0
	VMOVSS (R12), X2
	VSUBSS X13, X0, X0
	VMULSS X14, X0, X0
	VSUBSS X12, X2, X2
	VSUBSS X0, X2, X2
	VMULSS X15, X2, X2
	VMOVSS X2, (R13)
	ADDQ   $4, R11
	ADDQ   $4, R12
	ADDQ   $4, R13
	DECQ   CX
	JMP    gx1

gxNext:
	ADDQ R10, SI
	ADDQ R10, DX
	ADDQ R10, DI
	DECQ R8
	JMP  gxRun

gxDone:
	VZEROUPPER
	RET

// func bnScale32(y, x *float32, runs, cnt, step int, k float32)
//
// y = x·k; y has x's layout.
TEXT ·bnScale32(SB), NOSPLIT, $0-44
	MOVQ         y+0(FP), DI
	MOVQ         x+8(FP), SI
	MOVQ         runs+16(FP), R8
	MOVQ         cnt+24(FP), R9
	MOVQ         step+32(FP), R10
	SHLQ         $2, R10
	VBROADCASTSS k+40(FP), Y12

scRun:
	TESTQ R8, R8
	JEQ   scDone
	MOVQ  SI, R11
	MOVQ  DI, R12
	MOVQ  R9, CX

sc8:
	CMPQ    CX, $8
	JLT     sc1
	VMULPS  (R11), Y12, Y0
	VMOVUPS Y0, (R12)
	ADDQ    $32, R11
	ADDQ    $32, R12
	SUBQ    $8, CX
	JMP     sc8

sc1:
	TESTQ  CX, CX
	JEQ    scNext
	VMOVSS (R11), X0
	VMULSS X12, X0, X0
	VMOVSS X0, (R12)
	ADDQ   $4, R11
	ADDQ   $4, R12
	DECQ   CX
	JMP    sc1

scNext:
	ADDQ R10, SI
	ADDQ R10, DI
	DECQ R8
	JMP  scRun

scDone:
	VZEROUPPER
	RET
