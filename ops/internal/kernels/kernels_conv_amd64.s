#include "textflag.h"
#include "kernels6x16.h"

// func directConv6x16(k int, w, x *float32, offs *int, y *float32, ldy int)
//
// The direct-convolution micro-kernel: a 6×16 tile of the virtual output,
// y[o][j] = Σₜ w[t][o]·x[offs[t] + j], for o < 6 and j < 16. It is the
// gemm's 6×16 micro-kernel with the row of B for step t read at its own
// byte offset offs[t] in x instead of t·ldb, so that no im2col matrix is
// written: the rows of a stride-1 convolution's im2col matrix are all
// windows of the one padded sample. w is packed as k rows of 6 weights.
// The accumulators start at zero and add the steps in order, one FMA each,
// so every element's sum is the same on any CPU count.
TEXT ·directConv6x16(SB), NOSPLIT, $0-48
	MOVQ k+0(FP), CX
	MOVQ w+8(FP), SI
	MOVQ x+16(FP), DX
	MOVQ offs+24(FP), BX
	MOVQ y+32(FP), DI
	MOVQ ldy+40(FP), R8
	SHLQ $2, R8

	ZERO12

step:
	MOVQ         (BX), AX
	VMOVUPS      (DX)(AX*1), Y12
	VMOVUPS      32(DX)(AX*1), Y13
	VBROADCASTSS (SI), Y14
	VBROADCASTSS 4(SI), Y15
	VFMADD231PS  Y12, Y14, Y0
	VFMADD231PS  Y13, Y14, Y1
	VFMADD231PS  Y12, Y15, Y2
	VFMADD231PS  Y13, Y15, Y3
	VBROADCASTSS 8(SI), Y14
	VBROADCASTSS 12(SI), Y15
	VFMADD231PS  Y12, Y14, Y4
	VFMADD231PS  Y13, Y14, Y5
	VFMADD231PS  Y12, Y15, Y6
	VFMADD231PS  Y13, Y15, Y7
	VBROADCASTSS 16(SI), Y14
	VBROADCASTSS 20(SI), Y15
	VFMADD231PS  Y12, Y14, Y8
	VFMADD231PS  Y13, Y14, Y9
	VFMADD231PS  Y12, Y15, Y10
	VFMADD231PS  Y13, Y15, Y11
	ADDQ         $24, SI
	ADDQ         $8, BX
	DECQ         CX
	JNZ          step

	STORE6x16
	VZEROUPPER
	RET

// func directDw6x16(rows, cols int, x *float32, offs *int, bump int, dyt *float32, ldd int, c *float32, ldc int)
//
// The filter-gradient micro-kernel: for six filter taps i and sixteen
// output channels o it adds to c[i][o] (rows ldc bytes apart)
// Σ x[offs[i] + p]·dyt[p][o] over the rows × cols real output positions p
// of one sample. x is the padded sample, offs[i] the byte offset of tap
// i's window, dyt the sample's output gradient transposed, one row of
// ldd bytes per position. After each row of cols positions the windows
// skip bump bytes, the padded row's columns that no output reads, so no
// virtual position is computed. The accumulators start at zero and add the
// positions in order, one FMA each.
TEXT ·directDw6x16(SB), NOSPLIT, $0-72
	MOVQ x+16(FP), AX
	MOVQ offs+24(FP), BX
	MOVQ (BX), R8
	MOVQ 8(BX), R9
	MOVQ 16(BX), R10
	MOVQ 24(BX), R11
	MOVQ 32(BX), R12
	MOVQ 40(BX), R13
	ADDQ AX, R8
	ADDQ AX, R9
	ADDQ AX, R10
	ADDQ AX, R11
	ADDQ AX, R12
	ADDQ AX, R13
	MOVQ rows+0(FP), DX
	MOVQ bump+32(FP), AX
	MOVQ dyt+40(FP), SI
	MOVQ ldd+48(FP), BX

	ZERO12

dwRow:
	MOVQ cols+8(FP), CX

dwStep:
	VMOVUPS      (SI), Y12
	VMOVUPS      32(SI), Y13
	VBROADCASTSS (R8), Y14
	VBROADCASTSS (R9), Y15
	VFMADD231PS  Y12, Y14, Y0
	VFMADD231PS  Y13, Y14, Y1
	VFMADD231PS  Y12, Y15, Y2
	VFMADD231PS  Y13, Y15, Y3
	VBROADCASTSS (R10), Y14
	VBROADCASTSS (R11), Y15
	VFMADD231PS  Y12, Y14, Y4
	VFMADD231PS  Y13, Y14, Y5
	VFMADD231PS  Y12, Y15, Y6
	VFMADD231PS  Y13, Y15, Y7
	VBROADCASTSS (R12), Y14
	VBROADCASTSS (R13), Y15
	VFMADD231PS  Y12, Y14, Y8
	VFMADD231PS  Y13, Y14, Y9
	VFMADD231PS  Y12, Y15, Y10
	VFMADD231PS  Y13, Y15, Y11
	ADDQ         $4, R8
	ADDQ         $4, R9
	ADDQ         $4, R10
	ADDQ         $4, R11
	ADDQ         $4, R12
	ADDQ         $4, R13
	ADDQ         BX, SI
	DECQ         CX
	JNZ          dwStep

	ADDQ AX, R8
	ADDQ AX, R9
	ADDQ AX, R10
	ADDQ AX, R11
	ADDQ AX, R12
	ADDQ AX, R13
	DECQ DX
	JNZ  dwRow

	MOVQ   c+56(FP), DI
	MOVQ   ldc+64(FP), R8
	VADDPS (DI), Y0, Y0
	VADDPS 32(DI), Y1, Y1
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	ADDQ   R8, DI
	VADDPS (DI), Y2, Y2
	VADDPS 32(DI), Y3, Y3
	VMOVUPS Y2, (DI)
	VMOVUPS Y3, 32(DI)
	ADDQ   R8, DI
	VADDPS (DI), Y4, Y4
	VADDPS 32(DI), Y5, Y5
	VMOVUPS Y4, (DI)
	VMOVUPS Y5, 32(DI)
	ADDQ   R8, DI
	VADDPS (DI), Y6, Y6
	VADDPS 32(DI), Y7, Y7
	VMOVUPS Y6, (DI)
	VMOVUPS Y7, 32(DI)
	ADDQ   R8, DI
	VADDPS (DI), Y8, Y8
	VADDPS 32(DI), Y9, Y9
	VMOVUPS Y8, (DI)
	VMOVUPS Y9, 32(DI)
	ADDQ   R8, DI
	VADDPS (DI), Y10, Y10
	VADDPS 32(DI), Y11, Y11
	VMOVUPS Y10, (DI)
	VMOVUPS Y11, 32(DI)
	VZEROUPPER
	RET

// func directDwDot6x2(n int, dy *float32, ldd int, x0, x1 *float32, out *float32)
//
// The narrow filter-gradient micro-kernel: twelve dot products of length
// 8n, between six rows of the output gradient (ldd bytes apart) and two
// filter taps' windows of the padded sample. out[2·o+t] gets the product
// of row o and window t. Each dot product adds eight partial sums in
// order, then folds them pairwise, so its bits do not depend on the CPU
// count.
TEXT ·directDwDot6x2(SB), NOSPLIT, $0-48
	MOVQ n+0(FP), CX
	MOVQ dy+8(FP), SI
	MOVQ ldd+16(FP), BX
	MOVQ x0+24(FP), R8
	MOVQ x1+32(FP), R9
	LEAQ (SI)(BX*2), R10
	LEAQ (R10)(BX*2), R11

	ZERO12

dotStep:
	VMOVUPS     (R8), Y12
	VMOVUPS     (R9), Y13
	VMOVUPS     (SI), Y14
	VFMADD231PS Y14, Y12, Y0
	VFMADD231PS Y14, Y13, Y1
	VMOVUPS     (SI)(BX*1), Y15
	VFMADD231PS Y15, Y12, Y2
	VFMADD231PS Y15, Y13, Y3
	VMOVUPS     (R10), Y14
	VFMADD231PS Y14, Y12, Y4
	VFMADD231PS Y14, Y13, Y5
	VMOVUPS     (R10)(BX*1), Y15
	VFMADD231PS Y15, Y12, Y6
	VFMADD231PS Y15, Y13, Y7
	VMOVUPS     (R11), Y14
	VFMADD231PS Y14, Y12, Y8
	VFMADD231PS Y14, Y13, Y9
	VMOVUPS     (R11)(BX*1), Y15
	VFMADD231PS Y15, Y12, Y10
	VFMADD231PS Y15, Y13, Y11
	ADDQ        $32, R8
	ADDQ        $32, R9
	ADDQ        $32, SI
	ADDQ        $32, R10
	ADDQ        $32, R11
	DECQ        CX
	JNZ         dotStep

	// Fold four accumulators at a time into the four sums they hold.
	MOVQ         out+40(FP), DI
	VHADDPS      Y1, Y0, Y0
	VHADDPS      Y3, Y2, Y2
	VHADDPS      Y2, Y0, Y0
	VEXTRACTF128 $1, Y0, X12
	VADDPS       X12, X0, X0
	VMOVUPS      X0, (DI)
	VHADDPS      Y5, Y4, Y4
	VHADDPS      Y7, Y6, Y6
	VHADDPS      Y6, Y4, Y4
	VEXTRACTF128 $1, Y4, X12
	VADDPS       X12, X4, X4
	VMOVUPS      X4, 16(DI)
	VHADDPS      Y9, Y8, Y8
	VHADDPS      Y11, Y10, Y10
	VHADDPS      Y10, Y8, Y8
	VEXTRACTF128 $1, Y8, X12
	VADDPS       X12, X8, X8
	VMOVUPS      X8, 32(DI)
	VZEROUPPER
	RET

// func directConvT6x16(k int, w *float32, offs *int, x *float32, pos *int, y *float32, ldy int, b *float32)
//
// The transposed direct-convolution micro-kernel, for 16 output channels:
// y[i][o] = Σₜ x[pos[i] + offs[t] + ...]·w[t][o] + b[o] for six output
// positions i, whose byte offsets in the padded sample x are pos[i], and
// o < 16, rows of y ldy bytes apart. The positions are real ones, any six,
// so no virtual position of the flat grid is computed; the channels are
// the vector lanes. w is packed as k rows of 16 weights, offs holds the
// taps' byte offsets. The accumulators start at zero and add the taps in
// order, then the bias.
TEXT ·directConvT6x16(SB), NOSPLIT, $0-64
	MOVQ k+0(FP), CX
	MOVQ w+8(FP), SI
	MOVQ offs+16(FP), BX
	MOVQ x+24(FP), AX
	MOVQ pos+32(FP), DX
	ROWPTRS6(DX, AX)

	ZERO12

tStep:
	MOVQ         (BX), AX
	VMOVUPS      (SI), Y12
	VMOVUPS      32(SI), Y13
	FMA6x16
	ADDQ         $64, SI
	ADDQ         $8, BX
	DECQ         CX
	JNZ          tStep

	MOVQ    b+56(FP), AX
	VMOVUPS (AX), Y12
	VMOVUPS 32(AX), Y13
	VADDPS  Y12, Y0, Y0
	VADDPS  Y13, Y1, Y1
	VADDPS  Y12, Y2, Y2
	VADDPS  Y13, Y3, Y3
	VADDPS  Y12, Y4, Y4
	VADDPS  Y13, Y5, Y5
	VADDPS  Y12, Y6, Y6
	VADDPS  Y13, Y7, Y7
	VADDPS  Y12, Y8, Y8
	VADDPS  Y13, Y9, Y9
	VADDPS  Y12, Y10, Y10
	VADDPS  Y13, Y11, Y11
	MOVQ    y+40(FP), DI
	MOVQ    ldy+48(FP), R8
	STORE6x16
	VZEROUPPER
	RET
