#include "textflag.h"

// Vector loops over float32 slices for the elementwise kernels. Each
// handles n elements, n a multiple of 8; the Go callers do the tail. The
// main loops take 32 elements (four YMM registers) per round so that the
// loads of one round overlap the arithmetic of the last.

// func addTo32(dst, src *float32, n int)
TEXT ·addTo32(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX

add32:
	CMPQ    CX, $32
	JLT     add8
	VMOVUPS (DI), Y0
	VMOVUPS 32(DI), Y1
	VMOVUPS 64(DI), Y2
	VMOVUPS 96(DI), Y3
	VADDPS  (SI), Y0, Y0
	VADDPS  32(SI), Y1, Y1
	VADDPS  64(SI), Y2, Y2
	VADDPS  96(SI), Y3, Y3
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	VMOVUPS Y2, 64(DI)
	VMOVUPS Y3, 96(DI)
	ADDQ    $128, DI
	ADDQ    $128, SI
	SUBQ    $32, CX
	JMP     add32

add8:
	CMPQ    CX, $8
	JLT     addDone
	VMOVUPS (DI), Y0
	VADDPS  (SI), Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ    $32, DI
	ADDQ    $32, SI
	SUBQ    $8, CX
	JMP     add8

addDone:
	VZEROUPPER
	RET

// func relu32(y, x *float32, n int)
//
// VMAXPS returns its second source when the first is not greater, so with
// x first and zero second a NaN or -0 input gives +0, as the Go loop does.
TEXT ·relu32(SB), NOSPLIT, $0-24
	MOVQ   y+0(FP), DI
	MOVQ   x+8(FP), SI
	MOVQ   n+16(FP), CX
	VXORPS Y15, Y15, Y15

relu32loop:
	CMPQ    CX, $32
	JLT     relu8
	VMOVUPS (SI), Y0
	VMOVUPS 32(SI), Y1
	VMOVUPS 64(SI), Y2
	VMOVUPS 96(SI), Y3
	VMAXPS  Y15, Y0, Y0
	VMAXPS  Y15, Y1, Y1
	VMAXPS  Y15, Y2, Y2
	VMAXPS  Y15, Y3, Y3
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	VMOVUPS Y2, 64(DI)
	VMOVUPS Y3, 96(DI)
	ADDQ    $128, DI
	ADDQ    $128, SI
	SUBQ    $32, CX
	JMP     relu32loop

relu8:
	CMPQ    CX, $8
	JLT     reluDone
	VMOVUPS (SI), Y0
	VMAXPS  Y15, Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ    $32, DI
	ADDQ    $32, SI
	SUBQ    $8, CX
	JMP     relu8

reluDone:
	VZEROUPPER
	RET

// func reluGrad32(dx, y, dy *float32, n int)
//
// dx = dy where 0 < y and +0 elsewhere: the ordered compare is false for
// a NaN y, and the AND keeps dy's bits exactly.
TEXT ·reluGrad32(SB), NOSPLIT, $0-32
	MOVQ   dx+0(FP), DI
	MOVQ   y+8(FP), SI
	MOVQ   dy+16(FP), DX
	MOVQ   n+24(FP), CX
	VXORPS Y15, Y15, Y15

grad32:
	CMPQ   CX, $32
	JLT    grad8
	VCMPPS $1, (SI), Y15, Y0
	VCMPPS $1, 32(SI), Y15, Y1
	VCMPPS $1, 64(SI), Y15, Y2
	VCMPPS $1, 96(SI), Y15, Y3
	VANDPS (DX), Y0, Y0
	VANDPS 32(DX), Y1, Y1
	VANDPS 64(DX), Y2, Y2
	VANDPS 96(DX), Y3, Y3
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	VMOVUPS Y2, 64(DI)
	VMOVUPS Y3, 96(DI)
	ADDQ   $128, DI
	ADDQ   $128, SI
	ADDQ   $128, DX
	SUBQ   $32, CX
	JMP    grad32

grad8:
	CMPQ    CX, $8
	JLT     gradDone
	VCMPPS  $1, (SI), Y15, Y0
	VANDPS  (DX), Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ    $32, DI
	ADDQ    $32, SI
	ADDQ    $32, DX
	SUBQ    $8, CX
	JMP     grad8

gradDone:
	VZEROUPPER
	RET

// Constants of pool2x2Grad32: VPERMPS indices that repeat each of the
// first (lo) or last (hi) four lanes twice, and a mask of the odd lanes.
DATA poolDupLo<>+0(SB)/4, $0
DATA poolDupLo<>+4(SB)/4, $0
DATA poolDupLo<>+8(SB)/4, $1
DATA poolDupLo<>+12(SB)/4, $1
DATA poolDupLo<>+16(SB)/4, $2
DATA poolDupLo<>+20(SB)/4, $2
DATA poolDupLo<>+24(SB)/4, $3
DATA poolDupLo<>+28(SB)/4, $3
GLOBL poolDupLo<>(SB), RODATA|NOPTR, $32

DATA poolDupHi<>+0(SB)/4, $4
DATA poolDupHi<>+4(SB)/4, $4
DATA poolDupHi<>+8(SB)/4, $5
DATA poolDupHi<>+12(SB)/4, $5
DATA poolDupHi<>+16(SB)/4, $6
DATA poolDupHi<>+20(SB)/4, $6
DATA poolDupHi<>+24(SB)/4, $7
DATA poolDupHi<>+28(SB)/4, $7
GLOBL poolDupHi<>(SB), RODATA|NOPTR, $32

DATA poolOdd<>+0(SB)/4, $0
DATA poolOdd<>+4(SB)/4, $0xffffffff
DATA poolOdd<>+8(SB)/4, $0
DATA poolOdd<>+12(SB)/4, $0xffffffff
DATA poolOdd<>+16(SB)/4, $0
DATA poolOdd<>+20(SB)/4, $0xffffffff
DATA poolOdd<>+24(SB)/4, $0
DATA poolOdd<>+28(SB)/4, $0xffffffff
GLOBL poolOdd<>(SB), RODATA|NOPTR, $32

// POOLHALF routes the gradient of four windows: eight input columns of the
// rows at SI and DX, window maxima M and gradients G (each repeated for
// the two columns of its window), into the rows at DI and R8. An element
// matches when it equals the maximum or is NaN; the winner is the first
// match in the order top-left, top-right, bottom-left, and bottom-right
// wins when nothing before it matched, as in the Go kernel. Step by step:
// E0 and E1 mark the matches in the top and bottom rows; a top element
// wins if it matches and, in an odd lane, its left neighbour does not
// (VPERMILPS $0xA0 copies each window's left lane over its right one); a
// bottom element wins if no top element of its window matched
// (VPERMILPS $0xB1 swaps the lanes of each window) and, in an even lane,
// it matches or, in an odd lane, its left neighbour does not.
// POOLROUTE is POOLHALF with its registers named: T0..T5 scratch, ODD
// the odd-lane mask, all of one width (Y for four windows, X for two).
#define POOLROUTE(M, G, off, T0, T1, T2, T3, T4, T5, ODD) \
	VMOVUPS   off(SI), T0; \
	VMOVUPS   off(DX), T1; \
	VCMPPS    $0, M, T0, T2; \
	VCMPPS    $3, T0, T0, T3; \
	VORPS     T3, T2, T2; \
	VCMPPS    $0, M, T1, T4; \
	VCMPPS    $3, T1, T1, T3; \
	VORPS     T3, T4, T4; \
	VPERMILPS $0xA0, T2, T5; \
	VANDPS    ODD, T5, T5; \
	VANDNPS   T2, T5, T5; \
	VPERMILPS $0xB1, T2, T3; \
	VORPS     T3, T2, T2; \
	VPERMILPS $0xA0, T4, T3; \
	VANDNPS   ODD, T3, T3; \
	VANDNPS   T4, ODD, T4; \
	VORPS     T3, T4, T4; \
	VANDNPS   T4, T2, T4; \
	VANDPS    G, T5, T5; \
	VANDPS    G, T4, T4; \
	VMOVUPS   T5, off(DI); \
	VMOVUPS   T4, off(R8)

#define POOLHALF(M, G, off) POOLROUTE(M, G, off, Y6, Y7, Y8, Y9, Y10, Y11, Y13)

// func pool2x2Grad32(d0, d1, r0, r1, y, dy *float32, n int)
//
// For n windows (n a multiple of 8) of two input rows r0 and r1 with
// maxima y and gradients dy, it writes dy at each window's winner and 0
// elsewhere into the gradient rows d0 and d1.
TEXT ·pool2x2Grad32(SB), NOSPLIT, $0-56
	MOVQ    d0+0(FP), DI
	MOVQ    d1+8(FP), R8
	MOVQ    r0+16(FP), SI
	MOVQ    r1+24(FP), DX
	MOVQ    y+32(FP), AX
	MOVQ    dy+40(FP), BX
	MOVQ    n+48(FP), CX
	VMOVUPS poolDupLo<>(SB), Y15
	VMOVUPS poolDupHi<>(SB), Y14
	VMOVUPS poolOdd<>(SB), Y13

poolLoop:
	CMPQ    CX, $8
	JLT     poolDone
	VMOVUPS (AX), Y0
	VMOVUPS (BX), Y1
	VPERMPS Y0, Y15, Y2
	VPERMPS Y0, Y14, Y3
	VPERMPS Y1, Y15, Y4
	VPERMPS Y1, Y14, Y5
	POOLHALF(Y2, Y4, 0)
	POOLHALF(Y3, Y5, 32)
	ADDQ    $64, DI
	ADDQ    $64, R8
	ADDQ    $64, SI
	ADDQ    $64, DX
	ADDQ    $32, AX
	ADDQ    $32, BX
	SUBQ    $8, CX
	JMP     poolLoop

poolDone:
	VZEROUPPER
	RET

// GOMAX sets D to max(A, B) with the semantics of Go's max: NaN if either
// is NaN, +0 for a +0 and a -0, the larger value otherwise. VMAXPS returns
// its second source on NaN or equal zeros, so the AND of both operand
// orders settles the zeros, and OR-ing the unordered mask (all ones, a
// NaN) settles NaN. T is scratch.
#define GOMAX(A, B, D, T) \
	VMAXPS   B, A, T; \
	VMAXPS   A, B, D; \
	VANDPS   T, D, D; \
	VCMPPS   $3, B, A, T; \
	VORPS    T, D, D

// func pool2x2Max32(y, r0, r1 *float32, n int)
//
// For n windows (n a multiple of 8) of the input rows r0 and r1, it writes
// each window's maximum into y.
TEXT ·pool2x2Max32(SB), NOSPLIT, $0-32
	MOVQ y+0(FP), DI
	MOVQ r0+8(FP), SI
	MOVQ r1+16(FP), DX
	MOVQ n+24(FP), CX

maxLoop:
	CMPQ      CX, $8
	JLT       maxDone
	VMOVUPS   (SI), Y0
	VMOVUPS   32(SI), Y1
	VMOVUPS   (DX), Y2
	VMOVUPS   32(DX), Y3
	GOMAX(Y0, Y2, Y4, Y8)
	GOMAX(Y1, Y3, Y5, Y8)
	// Left columns of the eight windows, then right columns, in the lane
	// order 0 1 4 5 | 2 3 6 7 that VPERMPD $0xD8 puts right.
	VSHUFPS   $0x88, Y5, Y4, Y6
	VSHUFPS   $0xDD, Y5, Y4, Y7
	GOMAX(Y6, Y7, Y0, Y8)
	VPERMPD   $0xD8, Y0, Y0
	VMOVUPS   Y0, (DI)
	ADDQ      $32, DI
	ADDQ      $64, SI
	ADDQ      $64, DX
	SUBQ      $8, CX
	JMP       maxLoop

maxDone:
	VZEROUPPER
	RET

// func copyRows32(dst, src *float32, rows, n, ldd, lds int, b float32, bias bool)
//
// For each of rows rows, it writes src[i] (+ b with bias) into dst[i] for
// i < n, n at least 8, then moves dst on by ldd and src by lds values. A
// width that is not a multiple of 8 ends with a block overlapping the one
// before, which writes the same values again. Without bias nothing is
// added (not even 0, which would turn -0 into +0).
TEXT ·copyRows32(SB), NOSPLIT, $0-53
	MOVQ         dst+0(FP), DI
	MOVQ         src+8(FP), SI
	MOVQ         rows+16(FP), CX
	MOVQ         n+24(FP), R8
	MOVQ         ldd+32(FP), R11
	MOVQ         lds+40(FP), R9
	VBROADCASTSS b+48(FP), Y15
	MOVBQZX      bias+52(FP), BX
	SHLQ         $2, R11
	SHLQ         $2, R9
	LEAQ         -32(R8*4), R10 // byte offset of the last block of a row

rowsRow:
	TESTQ CX, CX
	JEQ   rowsDone
	XORQ  AX, AX

rowsBlock:
	CMPQ    AX, R10
	JGE     rowsLast
	VMOVUPS (SI)(AX*1), Y0
	TESTQ   BX, BX
	JZ      rowsStore
	VADDPS  Y15, Y0, Y0

rowsStore:
	VMOVUPS Y0, (DI)(AX*1)
	ADDQ    $32, AX
	JMP     rowsBlock

rowsLast:
	VMOVUPS (SI)(R10*1), Y0
	TESTQ   BX, BX
	JZ      rowsLastStore
	VADDPS  Y15, Y0, Y0

rowsLastStore:
	VMOVUPS Y0, (DI)(R10*1)
	ADDQ    R11, DI
	ADDQ    R9, SI
	DECQ    CX
	JMP     rowsRow

rowsDone:
	VZEROUPPER
	RET

// func sgdMomentum32(w, grad, v *float32, n int, lr, mom, wd float32)
//
// Multiplies and adds are separate instructions, not FMAs, so that each
// result is rounded as the scalar Go loop rounds it.
TEXT ·sgdMomentum32(SB), NOSPLIT, $0-44
	MOVQ         w+0(FP), DI
	MOVQ         grad+8(FP), SI
	MOVQ         v+16(FP), DX
	MOVQ         n+24(FP), CX
	VBROADCASTSS lr+32(FP), Y13
	VBROADCASTSS mom+36(FP), Y14
	VBROADCASTSS wd+40(FP), Y15

sgdLoop:
	CMPQ    CX, $8
	JLT     sgdDone
	VMOVUPS (DI), Y0
	VMULPS  Y15, Y0, Y1
	VADDPS  (SI), Y1, Y1
	VMULPS  (DX), Y14, Y2
	VADDPS  Y1, Y2, Y2
	VMOVUPS Y2, (DX)
	VMULPS  Y13, Y2, Y3
	VSUBPS  Y3, Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ    $32, DI
	ADDQ    $32, SI
	ADDQ    $32, DX
	SUBQ    $8, CX
	JMP     sgdLoop

sgdDone:
	VZEROUPPER
	RET

// func sum32To64(x *float32, n int) float64
//
// The sum of n float32 values (n a multiple of 16), accumulated in float64:
// four accumulators of four lanes each take every fourth group of four
// values, and are folded in a fixed order at the end.
TEXT ·sum32To64(SB), NOSPLIT, $0-24
	MOVQ   x+0(FP), SI
	MOVQ   n+8(FP), CX
	VXORPD Y0, Y0, Y0
	VXORPD Y1, Y1, Y1
	VXORPD Y2, Y2, Y2
	VXORPD Y3, Y3, Y3

sumLoop:
	CMPQ      CX, $16
	JLT       sumDone
	VCVTPS2PD (SI), Y4
	VCVTPS2PD 16(SI), Y5
	VCVTPS2PD 32(SI), Y6
	VCVTPS2PD 48(SI), Y7
	VADDPD    Y4, Y0, Y0
	VADDPD    Y5, Y1, Y1
	VADDPD    Y6, Y2, Y2
	VADDPD    Y7, Y3, Y3
	ADDQ      $64, SI
	SUBQ      $16, CX
	JMP       sumLoop

sumDone:
	VADDPD       Y1, Y0, Y0
	VADDPD       Y3, Y2, Y2
	VADDPD       Y2, Y0, Y0
	VEXTRACTF128 $1, Y0, X1
	VADDPD       X1, X0, X0
	VHADDPD      X0, X0, X0
	VMOVSD       X0, ret+16(FP)
	VZEROUPPER
	RET

// POOLHALFX is POOLHALF on 128-bit registers: two windows, four input
// columns. X13 holds the low half of poolOdd.
#define POOLHALFX(M, G, off) POOLROUTE(M, G, off, X6, X7, X8, X9, X10, X11, X13)

// func pool2x2Max4(y, x *float32, pairs, w, n int)
//
// Pools pairs row pairs of x in place, without gathering: row pair p is
// input rows 2p and 2p+1 (w values each, 2n ≤ w) and its n ≥ 4 window
// maxima go to y[p·n:]. Blocks of four windows; a row whose n is not a
// multiple of 4 ends with a block that overlaps the one before.
TEXT ·pool2x2Max4(SB), NOSPLIT, $0-40
	MOVQ y+0(FP), DI
	MOVQ x+8(FP), BX
	MOVQ pairs+16(FP), R9
	MOVQ w+24(FP), R10
	SHLQ $2, R10
	MOVQ n+32(FP), R11
	MOVQ R11, R13
	SUBQ $4, R13

max4Pair:
	XORQ CX, CX

max4Block:
	MOVQ    CX, AX
	CMPQ    AX, R13
	CMOVQGT R13, AX
	LEAQ    (BX)(AX*8), SI
	VMOVUPS (SI), X0
	VMOVUPS 16(SI), X1
	VMOVUPS (SI)(R10*1), X2
	VMOVUPS 16(SI)(R10*1), X3
	GOMAX(X0, X2, X4, X8)
	GOMAX(X1, X3, X5, X8)
	VSHUFPS $0x88, X5, X4, X6
	VSHUFPS $0xDD, X5, X4, X7
	GOMAX(X6, X7, X0, X8)
	VMOVUPS X0, (DI)(AX*4)
	ADDQ    $4, CX
	CMPQ    CX, R11
	JLT     max4Block

	LEAQ (BX)(R10*2), BX
	LEAQ (DI)(R11*4), DI
	DECQ R9
	JNZ  max4Pair
	VZEROUPPER
	RET

// func pool2x2Grad4(dx, x, y, dy *float32, pairs, w, n int, relu bool)
//
// pool2x2Max4's backward: for each row pair it writes dy at each window's
// winner and 0 elsewhere into the same two rows of dx, four windows at a
// time, the last block overlapping when n is not a multiple of 4 (the
// kernel writes, never adds, so that is harmless). With relu, y is the
// ReLU of the maxima and a window whose y is not positive (or NaN) passes
// no gradient, as the ReLU's own backward would decide.
TEXT ·pool2x2Grad4(SB), NOSPLIT, $0-57
	MOVQ    dx+0(FP), R9
	MOVQ    x+8(FP), BX
	MOVQ    y+16(FP), R10
	MOVQ    dy+24(FP), R11
	MOVQ    w+40(FP), R12
	SHLQ    $2, R12
	VMOVUPS poolOdd<>(SB), X13

grad4Pair:
	XORQ CX, CX

grad4Block:
	MOVQ      CX, AX
	MOVQ      n+48(FP), R13
	SUBQ      $4, R13
	CMPQ      AX, R13
	CMOVQGT   R13, AX
	VMOVUPS   (R10)(AX*4), X0
	VMOVUPS   (R11)(AX*4), X1
	CMPB      relu+56(FP), $0
	JEQ       grad4Route
	VXORPS    X14, X14, X14
	VCMPPS    $1, X0, X14, X14 // 0 < y: the ReLU passes the gradient
	VANDPS    X14, X1, X1

grad4Route:
	VPERMILPS $0x50, X0, X2
	VPERMILPS $0xFA, X0, X3
	VPERMILPS $0x50, X1, X4
	VPERMILPS $0xFA, X1, X5
	LEAQ      (BX)(AX*8), SI
	LEAQ      (SI)(R12*1), DX
	LEAQ      (R9)(AX*8), DI
	LEAQ      (DI)(R12*1), R8
	POOLHALFX(X2, X4, 0)
	POOLHALFX(X3, X5, 16)
	ADDQ      $4, CX
	CMPQ      CX, n+48(FP)
	JLT       grad4Block

	MOVQ n+48(FP), AX
	LEAQ (BX)(R12*2), BX
	LEAQ (R9)(R12*2), R9
	LEAQ (R10)(AX*4), R10
	LEAQ (R11)(AX*4), R11
	DECQ pairs+32(FP)
	JNZ  grad4Pair
	VZEROUPPER
	RET

// func scalePixels32(dst *float32, src *uint8, n int)
//
// Writes src[i]/255 into dst[i] for n a multiple of 8: bytes widened to
// int32, converted exactly, divided (correctly rounded, as Go's division).
TEXT ·scalePixels32(SB), NOSPLIT, $0-24
	MOVQ         dst+0(FP), DI
	MOVQ         src+8(FP), SI
	MOVQ         n+16(FP), CX
	MOVL         $0x437f0000, AX // 255.0
	MOVD         AX, X15
	VBROADCASTSS X15, Y15
	SHRQ         $3, CX
	JZ           pxDone

pxLoop:
	VPMOVZXBD (SI), Y0
	VCVTDQ2PS Y0, Y0
	VDIVPS    Y15, Y0, Y0
	VMOVUPS   Y0, (DI)
	ADDQ      $8, SI
	ADDQ      $32, DI
	DECQ      CX
	JNZ       pxLoop

pxDone:
	VZEROUPPER
	RET

// func leakyScale32(out, x, a *float32, n int, slope float32)
//
// out = a·1 where 0 < x, a·slope elsewhere (a NaN x included): the ordered
// compare selects the factor, so no branch depends on the data, and the one
// product rounds as the Go loop's does. a = x gives LeakyReLU, a = dy its
// gradient.
TEXT ·leakyScale32(SB), NOSPLIT, $0-36
	MOVQ         out+0(FP), DI
	MOVQ         x+8(FP), SI
	MOVQ         a+16(FP), DX
	MOVQ         n+24(FP), CX
	VBROADCASTSS slope+32(FP), Y13
	VXORPS       Y15, Y15, Y15
	MOVL         $0x3f800000, AX
	MOVL         AX, X14
	VBROADCASTSS X14, Y14

leaky16:
	CMPQ      CX, $16
	JLT       leaky8
	VCMPPS    $1, (SI), Y15, Y0
	VCMPPS    $1, 32(SI), Y15, Y1
	VBLENDVPS Y0, Y14, Y13, Y0
	VBLENDVPS Y1, Y14, Y13, Y1
	VMULPS    (DX), Y0, Y0
	VMULPS    32(DX), Y1, Y1
	VMOVUPS   Y0, (DI)
	VMOVUPS   Y1, 32(DI)
	ADDQ      $64, DI
	ADDQ      $64, SI
	ADDQ      $64, DX
	SUBQ      $16, CX
	JMP       leaky16

leaky8:
	CMPQ      CX, $8
	JLT       leakyDone
	VCMPPS    $1, (SI), Y15, Y0
	VBLENDVPS Y0, Y14, Y13, Y0
	VMULPS    (DX), Y0, Y0
	VMOVUPS   Y0, (DI)

leakyDone:
	VZEROUPPER
	RET
