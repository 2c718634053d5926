package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// convMaxAcc is the most accumulators a convolution tile keeps: 28 of the
// 32 ZMM registers, the others holding weights or output gradients and
// broadcasts.
const convMaxAcc = 28

// FwdMaxP is the most output positions of one row a forward tile covers.
const fwdMaxP = 14

// fwdRows is the number of output rows a forward tile of p positions by v
// vectors of 16 channels covers.
func fwdRows(v, p int) int { return max(1, min(4, convMaxAcc/(p*v))) }

// convFwdKernels generates the transposed direct forward kernels,
// dtFwd{V}x{P}: for v of 1 and 2 vectors of 16 output channels and p of 1
// to 14 positions, a tile of up to four output rows (fwdRows) of p
// consecutive positions by 16v channels.
func convFwdKernels() {
	for v := 1; v <= 2; v++ {
		for p := 1; p <= fwdMaxP; p++ {
			convFwd(v, p, fwdRows(v, p))
		}
	}
}

// convFwd generates one forward kernel:
//
//	y[r][j][o] = Σₜ x[rows[r] + offs[t] + 4j]·w[t][o] + b[o]
//
// for r < rows (R), j < p, o < 16v, offsets in bytes; output position
// (r, j) of the tile is stored at y + yrows[r] + j·ldy. w holds k rows of
// 16v weights, one per tap; b 16v biases. The accumulators start at zero
// and add the taps in order, then the bias, so every element's sum is the
// same whatever the tile.
func convFwd(v, p, rows int) {
	name := fmt.Sprintf("dtFwd%dx%d", v, p)
	TEXT(name, NOSPLIT, "func(k int, w *float32, offs *int, x *float32, rows *int, y *float32, yrows *int, ldy int, b *float32)")
	Pragma("noescape")
	Doc(fmt.Sprintf("%s computes %d output rows of %d positions by %d channels of a", name, rows, p, 16*v),
		"stride-1 convolution, channels in the lanes: y[yrows[r] + j·ldy + 4o] =",
		"Σₜ x[rows[r] + offs[t] + 4j]·w[t·16v + o] + b[o], byte offsets, k ≥ 1 taps.")
	nacc := rows * p * v
	acc := func(r, j, vv int) VecPhysical { return zmm((r*p+j)*v + vv) }
	wreg := make([]VecPhysical, v)
	for i := range wreg {
		wreg[i] = zmm(nacc + i)
	}
	var bc []VecPhysical
	for i := nacc + v; i < 32; i++ {
		bc = append(bc, zmm(i))
	}
	Commentf("Z0-Z%d accumulate the tile, Z%d-Z%d hold a tap's weights.", nacc-1, nacc, nacc+v-1)

	Load(Param("k"), RCX)
	Load(Param("w"), RSI)
	Load(Param("offs"), RBX)
	Load(Param("x"), RDX)
	Load(Param("rows"), RDI)
	for r := 0; r < rows; r++ {
		MOVQ(Mem{Base: RDI, Disp: 8 * r}, gp(r))
		ADDQ(RDX, gp(r))
	}
	for i := 0; i < nacc; i++ {
		VXORPS(zmm(i), zmm(i), zmm(i))
	}
	Label("tap")
	MOVQ(Mem{Base: RBX}, RAX)
	for vv := 0; vv < v; vv++ {
		VMOVUPS(Mem{Base: RSI, Disp: 64 * vv}, wreg[vv])
	}
	n := 0
	for r := 0; r < rows; r++ {
		for j := 0; j < p; j++ {
			m := Mem{Base: gp(r), Index: RAX, Scale: 1, Disp: 4 * j}
			if v == 1 {
				fmaBcast(m, wreg[0], acc(r, j, 0))
				continue
			}
			b := bc[n%len(bc)]
			n++
			VBROADCASTSS(m, b)
			for vv := 0; vv < v; vv++ {
				VFMADD231PS(b, wreg[vv], acc(r, j, vv))
			}
		}
	}
	ADDQ(U32(64*v), RSI)
	ADDQ(U8(8), RBX)
	DECQ(RCX)
	JNZ(LabelRef("tap"))

	Load(Param("b"), RSI)
	for vv := 0; vv < v; vv++ {
		VMOVUPS(Mem{Base: RSI, Disp: 64 * vv}, wreg[vv])
	}
	Load(Param("y"), RDX)
	Load(Param("yrows"), RDI)
	Load(Param("ldy"), RBX)
	for r := 0; r < rows; r++ {
		MOVQ(Mem{Base: RDI, Disp: 8 * r}, RAX)
		ADDQ(RDX, RAX)
		for j := 0; j < p; j++ {
			for vv := 0; vv < v; vv++ {
				VADDPS(wreg[vv], acc(r, j, vv), acc(r, j, vv))
				VMOVUPS(acc(r, j, vv), Mem{Base: RAX, Disp: 64 * vv})
			}
			if j < p-1 {
				ADDQ(RBX, RAX)
			}
		}
	}
	VZEROUPPER()
	RET()
}

// dwMaxKW is the widest filter the filter-gradient kernels serve.
const dwMaxKW = 5

// dwTapRows is the number of filter rows (taps (c, i, 0..kw-1)) a
// filter-gradient tile of v vectors of 16 channels covers.
func dwTapRows(v, kw int) int { return max(1, min(6, 24/(v*kw))) }

// convDwKernels generates the filter-gradient kernels dtDw{V}x{KW}: for v
// of 1 and 2 vectors of 16 output channels and filters kw of 1 to 5 wide,
// a tile of dwTapRows filter rows, kw taps each, by 16v channels.
func convDwKernels() {
	for v := 1; v <= 2; v++ {
		for kw := 1; kw <= dwMaxKW; kw++ {
			convDw(v, kw, dwTapRows(v, kw))
		}
	}
}

// convDw generates one filter-gradient kernel:
//
//	c[(tr·kw + j)·ldc + 4o] += Σ_pos x[trows[tr] + pos + 4j]·dyt[pos·ldd + 4o]
//
// over rows × cols output positions: pos walks each row 4 bytes at a time
// and skips bump bytes after it, while dyt advances ldd bytes a position.
// tr < trs filter rows, j < kw, o < 16v; offsets in bytes. rows and cols
// must be at least 1.
func convDw(v, kw, trs int) {
	name := fmt.Sprintf("dtDw%dx%d", v, kw)
	TEXT(name, NOSPLIT, "func(rows, cols int, x *float32, trows *int, bump int, dyt *float32, ldd int, c *float32, ldc int)")
	Pragma("noescape")
	Doc(fmt.Sprintf("%s adds to %d filter rows of %d taps by %d channels of a filter", name, trs, kw, 16*v),
		"gradient c (rows of taps ldc bytes apart) the products of the taps' windows",
		"of x, at byte offsets trows[tr] + 4j, with dyt (ldd bytes a position), over",
		"rows × cols output positions; the windows skip bump bytes after a row.")
	ntap := trs * kw
	nacc := ntap * v
	acc := func(t, vv int) VecPhysical { return zmm(t*v + vv) }
	dreg := make([]VecPhysical, v)
	for i := range dreg {
		dreg[i] = zmm(nacc + i)
	}
	var bc []VecPhysical
	for i := nacc + v; i < 32; i++ {
		bc = append(bc, zmm(i))
	}
	Commentf("Z0-Z%d accumulate the tile, Z%d-Z%d hold a position's output gradient.", nacc-1, nacc, nacc+v-1)
	Load(Param("x"), RDX)
	Load(Param("trows"), RDI)
	for tr := 0; tr < trs; tr++ {
		MOVQ(Mem{Base: RDI, Disp: 8 * tr}, gp(tr))
		ADDQ(RDX, gp(tr))
	}
	Load(Param("dyt"), RSI)
	Load(Param("ldd"), RDI)
	Load(Param("rows"), RBX)
	XORQ(RAX, RAX)
	for i := 0; i < nacc; i++ {
		VXORPS(zmm(i), zmm(i), zmm(i))
	}
	Label("row")
	Load(Param("cols"), RCX)
	Label("col")
	for vv := 0; vv < v; vv++ {
		VMOVUPS(Mem{Base: RSI, Disp: 64 * vv}, dreg[vv])
	}
	n := 0
	for tr := 0; tr < trs; tr++ {
		for j := 0; j < kw; j++ {
			m := Mem{Base: gp(tr), Index: RAX, Scale: 1, Disp: 4 * j}
			t := tr*kw + j
			if v == 1 {
				fmaBcast(m, dreg[0], acc(t, 0))
				continue
			}
			b := bc[n%len(bc)]
			n++
			VBROADCASTSS(m, b)
			for vv := 0; vv < v; vv++ {
				VFMADD231PS(b, dreg[vv], acc(t, vv))
			}
		}
	}
	ADDQ(U8(4), RAX)
	ADDQ(RDI, RSI)
	DECQ(RCX)
	JNZ(LabelRef("col"))
	// Load's register would clobber nothing live here, but ADDQ takes the
	// parameter from memory directly.
	ADDQ(NewParamAddr("bump", 32), RAX)
	DECQ(RBX)
	JNZ(LabelRef("row"))

	Load(Param("c"), RDX)
	Load(Param("ldc"), RBX)
	for t := 0; t < ntap; t++ {
		for vv := 0; vv < v; vv++ {
			VADDPS(Mem{Base: RDX, Disp: 64 * vv}, acc(t, vv), acc(t, vv))
			VMOVUPS(acc(t, vv), Mem{Base: RDX, Disp: 64 * vv})
		}
		if t < ntap-1 {
			ADDQ(RBX, RDX)
		}
	}
	VZEROUPPER()
	RET()
}
