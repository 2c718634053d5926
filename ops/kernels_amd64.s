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
