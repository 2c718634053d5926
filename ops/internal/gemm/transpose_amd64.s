#include "textflag.h"

// func transpose8x8(dst *float32, ldd int, src *float32, lds int)
//
// Writes the transpose of the 8×8 block at src (rows lds bytes apart) into
// dst (rows ldd bytes apart): two rounds of unpacks and shuffles within
// 128-bit lanes, then one exchange of lanes.
TEXT ·transpose8x8(SB), NOSPLIT, $0-32
	MOVQ src+16(FP), SI
	MOVQ lds+24(FP), BX
	MOVQ dst+0(FP), DI
	MOVQ ldd+8(FP), DX
	VMOVUPS (SI), Y0
	ADDQ    BX, SI
	VMOVUPS (SI), Y1
	ADDQ    BX, SI
	VMOVUPS (SI), Y2
	ADDQ    BX, SI
	VMOVUPS (SI), Y3
	ADDQ    BX, SI
	VMOVUPS (SI), Y4
	ADDQ    BX, SI
	VMOVUPS (SI), Y5
	ADDQ    BX, SI
	VMOVUPS (SI), Y6
	ADDQ    BX, SI
	VMOVUPS (SI), Y7

	VUNPCKLPS Y1, Y0, Y8
	VUNPCKHPS Y1, Y0, Y9
	VUNPCKLPS Y3, Y2, Y10
	VUNPCKHPS Y3, Y2, Y11
	VUNPCKLPS Y5, Y4, Y12
	VUNPCKHPS Y5, Y4, Y13
	VUNPCKLPS Y7, Y6, Y14
	VUNPCKHPS Y7, Y6, Y15

	VSHUFPS $0x44, Y10, Y8, Y0
	VSHUFPS $0xEE, Y10, Y8, Y1
	VSHUFPS $0x44, Y11, Y9, Y2
	VSHUFPS $0xEE, Y11, Y9, Y3
	VSHUFPS $0x44, Y14, Y12, Y4
	VSHUFPS $0xEE, Y14, Y12, Y5
	VSHUFPS $0x44, Y15, Y13, Y6
	VSHUFPS $0xEE, Y15, Y13, Y7

	VPERM2F128 $0x20, Y4, Y0, Y8
	VPERM2F128 $0x20, Y5, Y1, Y9
	VPERM2F128 $0x20, Y6, Y2, Y10
	VPERM2F128 $0x20, Y7, Y3, Y11
	VPERM2F128 $0x31, Y4, Y0, Y12
	VPERM2F128 $0x31, Y5, Y1, Y13
	VPERM2F128 $0x31, Y6, Y2, Y14
	VPERM2F128 $0x31, Y7, Y3, Y15

	VMOVUPS Y8, (DI)
	ADDQ    DX, DI
	VMOVUPS Y9, (DI)
	ADDQ    DX, DI
	VMOVUPS Y10, (DI)
	ADDQ    DX, DI
	VMOVUPS Y11, (DI)
	ADDQ    DX, DI
	VMOVUPS Y12, (DI)
	ADDQ    DX, DI
	VMOVUPS Y13, (DI)
	ADDQ    DX, DI
	VMOVUPS Y14, (DI)
	ADDQ    DX, DI
	VMOVUPS Y15, (DI)
	VZEROUPPER
	RET
