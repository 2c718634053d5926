#include "textflag.h"
#include "kernels6x16.h"

// The kernels of the sparse dense layer (dense_sparse.go).

// func gather6x16(n int, offs *int, a *float32, rows *int, b *float32, c *float32, crows *int, acc bool)
//
// A 6×16 tile of a matrix product over a chosen list of n steps:
// c[crows[r] + 4j] (+)= Σₜ a[rows[r] + offs[2t]]·b[offs[2t+1] + 4j],
// offsets in bytes, for r < 6 and j < 16. It is the gemm's 6×16
// micro-kernel with each step's A column and B row found through the
// offset list instead of by striding, so that the steps a sparse operand
// makes zero are never computed, and with the tile's rows of A and C
// anywhere. The accumulators start at zero and add the steps in order;
// with acc the tile is then added to c, otherwise it replaces it.
TEXT ·gather6x16(SB), NOSPLIT, $0-57
	MOVQ n+0(FP), CX
	MOVQ offs+8(FP), BX
	MOVQ a+16(FP), AX
	MOVQ rows+24(FP), DX
	ROWPTRS6(DX, AX)
	MOVQ b+32(FP), SI

	ZERO12
	TESTQ CX, CX
	JZ    gDone

gStep:
	MOVQ         (BX), AX
	MOVQ         8(BX), DX
	VMOVUPS      (SI)(DX*1), Y12
	VMOVUPS      32(SI)(DX*1), Y13
	FMA6x16
	ADDQ         $16, BX
	DECQ         CX
	JNZ          gStep

gDone:
	MOVQ    c+40(FP), DI
	MOVQ    crows+48(FP), DX
	ROWPTRS6(DX, DI)
	MOVBQZX acc+56(FP), AX
	TESTQ   AX, AX
	JZ      gStore
	VADDPS  (R8), Y0, Y0
	VADDPS  32(R8), Y1, Y1
	VADDPS  (R9), Y2, Y2
	VADDPS  32(R9), Y3, Y3
	VADDPS  (R10), Y4, Y4
	VADDPS  32(R10), Y5, Y5
	VADDPS  (R11), Y6, Y6
	VADDPS  32(R11), Y7, Y7
	VADDPS  (R12), Y8, Y8
	VADDPS  32(R12), Y9, Y9
	VADDPS  (R13), Y10, Y10
	VADDPS  32(R13), Y11, Y11

gStore:
	VMOVUPS Y0, (R8)
	VMOVUPS Y1, 32(R8)
	VMOVUPS Y2, (R9)
	VMOVUPS Y3, 32(R9)
	VMOVUPS Y4, (R10)
	VMOVUPS Y5, 32(R10)
	VMOVUPS Y6, (R11)
	VMOVUPS Y7, 32(R11)
	VMOVUPS Y8, (R12)
	VMOVUPS Y9, 32(R12)
	VMOVUPS Y10, (R13)
	VMOVUPS Y11, 32(R13)
	VZEROUPPER
	RET

// func nonzeroMask32(x *float32, n int, mask *uint8)
//
// Writes one byte per eight values of x (n a multiple of 8): bit i of byte
// q is set when x[8q+i] is not zero, NaN included (the unordered compare).
TEXT ·nonzeroMask32(SB), NOSPLIT, $0-24
	MOVQ   x+0(FP), SI
	MOVQ   n+8(FP), CX
	MOVQ   mask+16(FP), DI
	VXORPS Y15, Y15, Y15
	SHRQ   $3, CX
	JZ     maskDone

maskLoop:
	VMOVUPS   (SI), Y0
	VCMPPS    $4, Y15, Y0, Y0
	VMOVMSKPS Y0, AX
	MOVB      AX, (DI)
	ADDQ      $32, SI
	INCQ      DI
	DECQ      CX
	JNZ       maskLoop

maskDone:
	VZEROUPPER
	RET

// func finite32(x *float32, n int) bool
//
// Reports whether the n values of x (n a multiple of 8) are all finite:
// a value is Inf or NaN exactly when its exponent bits are all ones.
TEXT ·finite32(SB), NOSPLIT, $0-17
	MOVQ         x+0(FP), SI
	MOVQ         n+8(FP), CX
	MOVL         $0x7f800000, AX
	MOVD         AX, X14
	VPBROADCASTD X14, Y14
	VPXOR        Y0, Y0, Y0
	VPXOR        Y1, Y1, Y1
	SHRQ         $3, CX

finLoop2:
	CMPQ     CX, $2
	JLT      finTail
	VPAND    (SI), Y14, Y2
	VPAND    32(SI), Y14, Y3
	VPCMPEQD Y14, Y2, Y2
	VPCMPEQD Y14, Y3, Y3
	VPOR     Y2, Y0, Y0
	VPOR     Y3, Y1, Y1
	ADDQ     $64, SI
	SUBQ     $2, CX
	JMP      finLoop2

finTail:
	TESTQ    CX, CX
	JZ       finDone
	VPAND    (SI), Y14, Y2
	VPCMPEQD Y14, Y2, Y2
	VPOR     Y2, Y0, Y0

finDone:
	VPOR   Y1, Y0, Y0
	VPTEST Y0, Y0
	SETEQ  ret+16(FP)
	VZEROUPPER
	RET

// func sparseDw5x2(n int, offs *int, vals *float32, x *float32, plane, row int, acc *float32)
//
// The sparse filter-gradient micro-kernel, for five-row filters at most
// eight wide: for each of n nonzero output-gradient values vals[t], whose
// input window starts offs[t] bytes into x, adds vals[t] times the window's
// five rows (row bytes apart, eight values each) of two input channels
// (plane bytes apart) to the 2×5×8 accumulators at acc. Lanes past the
// filter's width collect products of the next columns, which the caller
// drops. The values are added in order.
TEXT ·sparseDw5x2(SB), NOSPLIT, $0-56
	MOVQ    n+0(FP), CX
	MOVQ    offs+8(FP), BX
	MOVQ    vals+16(FP), DX
	MOVQ    x+24(FP), SI
	MOVQ    plane+32(FP), R10
	MOVQ    row+40(FP), R11
	LEAQ    (R11)(R11*2), R12
	MOVQ    acc+48(FP), DI
	VMOVUPS (DI), Y0
	VMOVUPS 32(DI), Y1
	VMOVUPS 64(DI), Y2
	VMOVUPS 96(DI), Y3
	VMOVUPS 128(DI), Y4
	VMOVUPS 160(DI), Y5
	VMOVUPS 192(DI), Y6
	VMOVUPS 224(DI), Y7
	VMOVUPS 256(DI), Y8
	VMOVUPS 288(DI), Y9
	TESTQ   CX, CX
	JZ      dwDone

dwStep:
	MOVQ         (BX), AX
	LEAQ         (SI)(AX*1), R8
	LEAQ         (R8)(R10*1), R9
	VBROADCASTSS (DX), Y10
	VFMADD231PS  (R8), Y10, Y0
	VFMADD231PS  (R8)(R11*1), Y10, Y1
	VFMADD231PS  (R8)(R11*2), Y10, Y2
	VFMADD231PS  (R8)(R12*1), Y10, Y3
	VFMADD231PS  (R8)(R11*4), Y10, Y4
	VFMADD231PS  (R9), Y10, Y5
	VFMADD231PS  (R9)(R11*1), Y10, Y6
	VFMADD231PS  (R9)(R11*2), Y10, Y7
	VFMADD231PS  (R9)(R12*1), Y10, Y8
	VFMADD231PS  (R9)(R11*4), Y10, Y9
	ADDQ         $8, BX
	ADDQ         $4, DX
	DECQ         CX
	JNZ          dwStep

dwDone:
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	VMOVUPS Y2, 64(DI)
	VMOVUPS Y3, 96(DI)
	VMOVUPS Y4, 128(DI)
	VMOVUPS Y5, 160(DI)
	VMOVUPS Y6, 192(DI)
	VMOVUPS Y7, 224(DI)
	VMOVUPS Y8, 256(DI)
	VMOVUPS Y9, 288(DI)
	VZEROUPPER
	RET

// func sparseDw5x1(n int, offs *int, vals *float32, x *float32, row int, acc *float32)
//
// sparseDw5x2 for a single input channel: two sets of five accumulators
// take the values in turns, for twice the independent multiply-adds, and
// are added together at the end.
TEXT ·sparseDw5x1(SB), NOSPLIT, $0-48
	MOVQ    n+0(FP), CX
	MOVQ    offs+8(FP), BX
	MOVQ    vals+16(FP), DX
	MOVQ    x+24(FP), SI
	MOVQ    row+32(FP), R11
	LEAQ    (R11)(R11*2), R12
	MOVQ    acc+40(FP), DI
	VMOVUPS (DI), Y0
	VMOVUPS 32(DI), Y1
	VMOVUPS 64(DI), Y2
	VMOVUPS 96(DI), Y3
	VMOVUPS 128(DI), Y4
	VXORPS  Y5, Y5, Y5
	VXORPS  Y6, Y6, Y6
	VXORPS  Y7, Y7, Y7
	VXORPS  Y8, Y8, Y8
	VXORPS  Y9, Y9, Y9

d1Pair:
	CMPQ         CX, $2
	JLT          d1Tail
	MOVQ         (BX), AX
	LEAQ         (SI)(AX*1), R8
	MOVQ         8(BX), AX
	LEAQ         (SI)(AX*1), R9
	VBROADCASTSS (DX), Y10
	VBROADCASTSS 4(DX), Y11
	VFMADD231PS  (R8), Y10, Y0
	VFMADD231PS  (R9), Y11, Y5
	VFMADD231PS  (R8)(R11*1), Y10, Y1
	VFMADD231PS  (R9)(R11*1), Y11, Y6
	VFMADD231PS  (R8)(R11*2), Y10, Y2
	VFMADD231PS  (R9)(R11*2), Y11, Y7
	VFMADD231PS  (R8)(R12*1), Y10, Y3
	VFMADD231PS  (R9)(R12*1), Y11, Y8
	VFMADD231PS  (R8)(R11*4), Y10, Y4
	VFMADD231PS  (R9)(R11*4), Y11, Y9
	ADDQ         $16, BX
	ADDQ         $8, DX
	SUBQ         $2, CX
	JMP          d1Pair

d1Tail:
	TESTQ        CX, CX
	JZ           d1Done
	MOVQ         (BX), AX
	LEAQ         (SI)(AX*1), R8
	VBROADCASTSS (DX), Y10
	VFMADD231PS  (R8), Y10, Y0
	VFMADD231PS  (R8)(R11*1), Y10, Y1
	VFMADD231PS  (R8)(R11*2), Y10, Y2
	VFMADD231PS  (R8)(R12*1), Y10, Y3
	VFMADD231PS  (R8)(R11*4), Y10, Y4

d1Done:
	VADDPS  Y5, Y0, Y0
	VADDPS  Y6, Y1, Y1
	VADDPS  Y7, Y2, Y2
	VADDPS  Y8, Y3, Y3
	VADDPS  Y9, Y4, Y4
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	VMOVUPS Y2, 64(DI)
	VMOVUPS Y3, 96(DI)
	VMOVUPS Y4, 128(DI)
	VZEROUPPER
	RET

// func compressNonzero32(x *float32, pos *int32, n int, base int, lut *[256][8]int32, vals *float32, offs *int) int
//
// Appends the values of x that are not zero (NaN included) to vals and
// base + pos[i] for each of them to offs, in order, for n values (a
// multiple of 8), and returns how many: each group of eight is compared,
// its mask picks a permutation from lut that packs the chosen lanes first,
// and all eight lanes are stored, so both outputs need room for seven
// more entries. Groups with nothing to keep cost a compare and a branch.
TEXT ·compressNonzero32(SB), NOSPLIT, $0-64
	MOVQ         x+0(FP), SI
	MOVQ         pos+8(FP), BX
	MOVQ         n+16(FP), CX
	MOVQ         base+24(FP), AX
	MOVQ         AX, X14
	VPBROADCASTQ X14, Y14
	MOVQ         lut+32(FP), R8
	MOVQ         vals+40(FP), DI
	MOVQ         offs+48(FP), DX
	XORQ         R9, R9
	VXORPS       Y15, Y15, Y15
	SHRQ         $3, CX
	JZ           cmpDone

cmpGroup:
	VMOVUPS   (SI), Y0
	VCMPPS    $4, Y15, Y0, Y1
	VMOVMSKPS Y1, AX
	TESTQ     AX, AX
	JZ        cmpNext
	POPCNTQ   AX, R10
	SHLQ      $5, AX
	VMOVDQU   (R8)(AX*1), Y2
	VPERMPS   Y0, Y2, Y3
	VMOVUPS   Y3, (DI)
	VMOVDQU   (BX), Y4
	VPERMD    Y4, Y2, Y5
	VPMOVSXDQ X5, Y6
	VEXTRACTI128 $1, Y5, X7
	VPMOVSXDQ X7, Y7
	VPADDQ    Y14, Y6, Y6
	VPADDQ    Y14, Y7, Y7
	VMOVDQU   Y6, (DX)
	VMOVDQU   Y7, 32(DX)
	LEAQ      (DI)(R10*4), DI
	LEAQ      (DX)(R10*8), DX
	ADDQ      R10, R9

cmpNext:
	ADDQ $32, SI
	ADDQ $32, BX
	DECQ CX
	JNZ  cmpGroup

cmpDone:
	MOVQ R9, ret+56(FP)
	VZEROUPPER
	RET

// DXLOAD loads the five rows of one channel's window at P (rows R11 bytes
// apart, R12 = 3·R11) into A0-A4.
#define DXLOAD(P, A0, A1, A2, A3, A4) \
	VMOVUPS (P), A0; \
	VMOVUPS (P)(R11*1), A1; \
	VMOVUPS (P)(R11*2), A2; \
	VMOVUPS (P)(R12*1), A3; \
	VMOVUPS (P)(R11*4), A4

// func sparseDx5x3m(n int, wins *int, dy *float32, w *float32, dx *float32, plane, row, dyPlane, filters int)
//
// The sparse input-gradient micro-kernel, for five-row filters at most
// eight wide: three channels of a window of the input gradient stay in
// registers while each nonzero output-gradient value of its position adds
// itself times its channel's filters (three channels of five rows of eight
// values, zero past the filter's width, filters bytes per output channel
// in w). wins holds, per window, its byte offset in dx, the byte offset in
// dy of its position in the first output channel, and the mask of the
// output channels whose value there is not zero: for each set bit o, in
// order, the value is read dyPlane·o bytes further. Channels of dx are
// plane bytes apart, rows row bytes. The zero lanes add zeros past the
// window, leaving those values as they were.
TEXT ·sparseDx5x3m(SB), NOSPLIT, $0-72
	MOVQ  n+0(FP), CX
	MOVQ  wins+8(FP), BX
	MOVQ  dy+16(FP), DX
	MOVQ  w+24(FP), DI
	MOVQ  dx+32(FP), SI
	MOVQ  row+48(FP), R11
	LEAQ  (R11)(R11*2), R12
	TESTQ CX, CX
	JZ    dmDone

dmWindow:
	MOVQ (BX), R8
	ADDQ SI, R8
	MOVQ plane+40(FP), R9
	ADDQ R8, R9
	MOVQ plane+40(FP), R10
	ADDQ R9, R10
	DXLOAD(R8, Y0, Y1, Y2, Y3, Y4)
	DXLOAD(R9, Y5, Y6, Y7, Y8, Y9)
	DXLOAD(R10, Y10, Y11, Y12, Y13, Y14)
	MOVQ 16(BX), R13

dmValue:
	TZCNTQ       R13, AX
	BLSRQ        R13, R13
	MOVQ         AX, R14
	IMULQ        dyPlane+56(FP), AX
	ADDQ         8(BX), AX
	VBROADCASTSS (DX)(AX*1), Y15
	IMULQ        filters+64(FP), R14
	ADDQ         DI, R14
	VFMADD231PS  (R14), Y15, Y0
	VFMADD231PS  32(R14), Y15, Y1
	VFMADD231PS  64(R14), Y15, Y2
	VFMADD231PS  96(R14), Y15, Y3
	VFMADD231PS  128(R14), Y15, Y4
	VFMADD231PS  160(R14), Y15, Y5
	VFMADD231PS  192(R14), Y15, Y6
	VFMADD231PS  224(R14), Y15, Y7
	VFMADD231PS  256(R14), Y15, Y8
	VFMADD231PS  288(R14), Y15, Y9
	VFMADD231PS  320(R14), Y15, Y10
	VFMADD231PS  352(R14), Y15, Y11
	VFMADD231PS  384(R14), Y15, Y12
	VFMADD231PS  416(R14), Y15, Y13
	VFMADD231PS  448(R14), Y15, Y14
	TESTQ        R13, R13
	JNZ          dmValue

	VMOVUPS Y0, (R8)
	VMOVUPS Y1, (R8)(R11*1)
	VMOVUPS Y2, (R8)(R11*2)
	VMOVUPS Y3, (R8)(R12*1)
	VMOVUPS Y4, (R8)(R11*4)
	VMOVUPS Y5, (R9)
	VMOVUPS Y6, (R9)(R11*1)
	VMOVUPS Y7, (R9)(R11*2)
	VMOVUPS Y8, (R9)(R12*1)
	VMOVUPS Y9, (R9)(R11*4)
	VMOVUPS Y10, (R10)
	VMOVUPS Y11, (R10)(R11*1)
	VMOVUPS Y12, (R10)(R11*2)
	VMOVUPS Y13, (R10)(R12*1)
	VMOVUPS Y14, (R10)(R11*4)
	ADDQ    $24, BX
	DECQ    CX
	JNZ     dmWindow

dmDone:
	VZEROUPPER
	RET
