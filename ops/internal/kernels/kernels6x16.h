// Macros shared by the 6x16 micro-kernels of kernels_conv_amd64.s and
// kernels_sparse_amd64.s: twelve accumulators Y0-Y11, two per row of a
// 6x16 tile, six row pointers R8-R13.

// ZERO12 clears the twelve accumulators Y0-Y11 of the 6x16 kernels.
#define ZERO12 \
	VXORPS Y0, Y0, Y0; \
	VXORPS Y1, Y1, Y1; \
	VXORPS Y2, Y2, Y2; \
	VXORPS Y3, Y3, Y3; \
	VXORPS Y4, Y4, Y4; \
	VXORPS Y5, Y5, Y5; \
	VXORPS Y6, Y6, Y6; \
	VXORPS Y7, Y7, Y7; \
	VXORPS Y8, Y8, Y8; \
	VXORPS Y9, Y9, Y9; \
	VXORPS Y10, Y10, Y10; \
	VXORPS Y11, Y11, Y11

// STORE6x16 writes the accumulators Y0-Y11, two per row, to six rows at DI,
// R8 bytes apart.
#define STORE6x16 \
	VMOVUPS Y0, (DI); \
	VMOVUPS Y1, 32(DI); \
	ADDQ    R8, DI; \
	VMOVUPS Y2, (DI); \
	VMOVUPS Y3, 32(DI); \
	ADDQ    R8, DI; \
	VMOVUPS Y4, (DI); \
	VMOVUPS Y5, 32(DI); \
	ADDQ    R8, DI; \
	VMOVUPS Y6, (DI); \
	VMOVUPS Y7, 32(DI); \
	ADDQ    R8, DI; \
	VMOVUPS Y8, (DI); \
	VMOVUPS Y9, 32(DI); \
	ADDQ    R8, DI; \
	VMOVUPS Y10, (DI); \
	VMOVUPS Y11, 32(DI)

// ROWPTRS6 sets R8-R13 to BASE plus the six byte offsets at TABLE.
#define ROWPTRS6(TABLE, BASE) \
	MOVQ (TABLE), R8; \
	MOVQ 8(TABLE), R9; \
	MOVQ 16(TABLE), R10; \
	MOVQ 24(TABLE), R11; \
	MOVQ 32(TABLE), R12; \
	MOVQ 40(TABLE), R13; \
	ADDQ BASE, R8; \
	ADDQ BASE, R9; \
	ADDQ BASE, R10; \
	ADDQ BASE, R11; \
	ADDQ BASE, R12; \
	ADDQ BASE, R13

// FMA6x16 adds one step to the tile: the value AX bytes past each row
// pointer, broadcast, times the 16 values in Y12 and Y13. Y14 and Y15 are
// scratch.
#define FMA6x16 \
	VBROADCASTSS (R8)(AX*1), Y14; \
	VBROADCASTSS (R9)(AX*1), Y15; \
	VFMADD231PS  Y12, Y14, Y0; \
	VFMADD231PS  Y13, Y14, Y1; \
	VFMADD231PS  Y12, Y15, Y2; \
	VFMADD231PS  Y13, Y15, Y3; \
	VBROADCASTSS (R10)(AX*1), Y14; \
	VBROADCASTSS (R11)(AX*1), Y15; \
	VFMADD231PS  Y12, Y14, Y4; \
	VFMADD231PS  Y13, Y14, Y5; \
	VFMADD231PS  Y12, Y15, Y6; \
	VFMADD231PS  Y13, Y15, Y7; \
	VBROADCASTSS (R12)(AX*1), Y14; \
	VBROADCASTSS (R13)(AX*1), Y15; \
	VFMADD231PS  Y12, Y14, Y8; \
	VFMADD231PS  Y13, Y14, Y9; \
	VFMADD231PS  Y12, Y15, Y10; \
	VFMADD231PS  Y13, Y15, Y11
