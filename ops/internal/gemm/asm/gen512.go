package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// The AVX-512 micro-kernels have the contract of the AVX2 ones (see
// kernel): a tile of C = alpha·A·B + beta·C over k steps, A in variant P
// (rows contiguous) or S (rows strided), B a panel whose row p is the nr
// elements at b[p*rsb:]. With 32 ZMM registers a tile is 12 rows by one
// or two vectors of 16 float32: 24 accumulators, the B row, and six
// registers for A broadcasts taken in turn. The edges need no separate
// code: rows past mv are skipped, and the columns of the last vector are
// stored (and C read) under an opmask.

// shape512 is one generated AVX-512 kernel: mr rows by nvec ZMM vectors.
type shape512 struct {
	mr, nvec int
	strided  bool
}

func (s shape512) nr() int { return 16 * s.nvec }

func (s shape512) name() string {
	v := "P"
	if s.strided {
		v = "S"
	}
	return fmt.Sprintf("skern%dx%d%s", s.mr, s.nr(), v)
}

func kernels512() {
	for _, nvec := range []int{2, 1} {
		for _, strided := range []bool{false, true} {
			kernel512(shape512{12, nvec, strided})
		}
	}
}

func kernel512(s shape512) {
	TEXT(s.name(), NOSPLIT, "func(k int, a *float32, rsa, csa int, b *float32, rsb int, c *float32, ldc int, alpha, beta float32, mv, nv int)")
	Pragma("noescape")
	variant := "P: element (r, p) of A at a[r + p*csa]; rsa is ignored."
	if s.strided {
		variant = "S: element (r, p) of A at a[r*rsa + p]; csa is ignored."
	}
	Doc(fmt.Sprintf("%s computes a %d×%d tile of C = alpha·A·B + beta·C over k ≥ 1 steps", s.name(), s.mr, s.nr()),
		"with AVX-512. Variant "+variant,
		fmt.Sprintf("Row p of the B panel is the %d elements at b[p*rsb:]. Only rows [0, mv) and", s.nr()),
		"columns [0, nv) of C are read and written, and C is not read when beta is 0.")
	nacc := s.mr * s.nvec
	acc := func(r, v int) VecPhysical { return zmm(r*s.nvec + v) }
	breg := []VecPhysical{Z24, Z25}[:s.nvec]
	bc := []VecPhysical{Z26, Z27, Z28, Z29, Z30, Z31}
	Commentf("Z0-Z%d accumulate the tile (Z[%dr+v] is row r, vector v), Z24-Z%d hold a row of B,", nacc-1, s.nvec, 23+s.nvec)
	Comment("Z26-Z31 take A broadcasts in turn.")

	k := Load(Param("k"), RCX)
	Load(Param("b"), RDI)
	Load(Param("rsb"), R13)
	SHLQ(U8(2), R13)
	aBase := []GPPhysical{RSI, R10, R11, R12}
	Load(Param("a"), RSI)
	if s.strided {
		Comment("SI, R10, R11, R12 point at rows 0, 3, 6, 9 of A; R9 is the row stride in bytes.")
		Load(Param("rsa"), R9)
		SHLQ(U8(2), R9)
		for g := 1; g*3 < s.mr; g++ {
			LEAQ(Mem{Base: aBase[g-1], Index: R9, Scale: 2}, aBase[g])
			ADDQ(R9, aBase[g])
		}
	} else {
		Comment("SI walks the A panel; R9 is the step between k columns in bytes.")
		Load(Param("csa"), R9)
		SHLQ(U8(2), R9)
	}
	aElem := func(r, u int) Mem {
		if !s.strided {
			return Mem{Base: RSI, Disp: r * 4}
		}
		m := Mem{Base: aBase[r/3], Disp: u * 4}
		if r%3 != 0 {
			m.Index = R9
			m.Scale = uint8(r % 3)
		}
		return m
	}
	for i := 0; i < nacc; i++ {
		VXORPS(zmm(i), zmm(i), zmm(i))
	}
	Load(Param("c"), RDX)
	Load(Param("ldc"), R8)
	SHLQ(U8(2), R8)
	MOVQ(RDX, RAX)
	for r := 0; r < s.mr; r++ {
		PREFETCHT0(Mem{Base: RAX})
		if s.nvec == 2 {
			PREFETCHT0(Mem{Base: RAX, Disp: 64})
		}
		ADDQ(R8, RAX)
	}

	nbc := 0
	step := func(u int) {
		for v := 0; v < s.nvec; v++ {
			VMOVUPS(Mem{Base: RDI, Disp: v * 64}, breg[v])
		}
		for r := 0; r < s.mr; r++ {
			if s.nvec == 1 {
				VFMADD231PS_BCST(aElem(r, u), breg[0], acc(r, 0))
				continue
			}
			y := bc[nbc%len(bc)]
			nbc++
			VBROADCASTSS(aElem(r, u), y)
			for v := 0; v < s.nvec; v++ {
				VFMADD231PS(breg[v], y, acc(r, v))
			}
		}
		ADDQ(R13, RDI)
		if !s.strided {
			ADDQ(R9, RSI)
		}
	}
	advance := func(steps int) {
		if s.strided {
			for g := 0; g*3 < s.mr; g++ {
				ADDQ(U32(steps*4), aBase[g])
			}
		}
	}
	MOVQ(k, RBX)
	SHRQ(U8(2), RBX)
	JZ(LabelRef("tail"))
	Label("loop")
	for u := 0; u < 4; u++ {
		step(u)
	}
	advance(4)
	DECQ(RBX)
	JNZ(LabelRef("loop"))
	Label("tail")
	ANDQ(U32(3), k)
	JZ(LabelRef("store"))
	Label("tailloop")
	step(0)
	advance(1)
	DECQ(k)
	JNZ(LabelRef("tailloop"))

	// Store: scale by alpha, then add beta·C unless beta is 0 (C may then
	// hold garbage such as NaN, which must not leak into the result).
	Label("store")
	alpha, beta := bc[0], bc[1]
	VBROADCASTSS(paramAddr("alpha"), alpha)
	for i := 0; i < nacc; i++ {
		VMULPS(alpha, zmm(i), zmm(i))
	}
	Comment("K1, K2: the columns of vectors 0 and 1 that lie in [0, nv).")
	Load(Param("nv"), R14)
	for v := 0; v < s.nvec; v++ {
		// lanes = clamp(nv - 16v, 0, 16); mask = (1 << lanes) - 1
		MOVQ(R14, RCX)
		if v > 0 {
			SUBQ(U8(16), RCX)
		}
		XORQ(RBX, RBX)
		CMPQ(RCX, RBX)
		CMOVQLT(RBX, RCX)
		MOVQ(U32(16), RBX)
		CMPQ(RCX, RBX)
		CMOVQGT(RBX, RCX)
		MOVL(U32(1), EAX)
		SHLL(CL, EAX)
		DECL(EAX)
		KMOVW(EAX, kmask[v])
	}
	Load(Param("mv"), R13)
	MOVL(paramAddr("beta"), EAX)
	ANDL(U32(0x7fffffff), EAX)
	Comment("beta == ±0 skips reading C; a NaN beta reads it.")
	JZ(LabelRef("nobeta"))
	VBROADCASTSS(paramAddr("beta"), beta)
	for r := 0; r < s.mr; r++ {
		for v := 0; v < s.nvec; v++ {
			kv := kmask[v]
			VMOVUPS_Z(Mem{Base: RDX, Disp: v * 64}, kv, bc[2+v])
			VFMADD231PS(bc[2+v], beta, acc(r, v))
			VMOVUPS(acc(r, v), kv, Mem{Base: RDX, Disp: v * 64})
		}
		if r < s.mr-1 {
			ADDQ(R8, RDX)
			CMPQ(R13, U8(r+1))
			JEQ(LabelRef("done"))
		}
	}
	JMP(LabelRef("done"))
	Label("nobeta")
	for r := 0; r < s.mr; r++ {
		for v := 0; v < s.nvec; v++ {
			VMOVUPS(acc(r, v), kmask[v], Mem{Base: RDX, Disp: v * 64})
		}
		if r < s.mr-1 {
			ADDQ(R8, RDX)
			CMPQ(R13, U8(r+1))
			JEQ(LabelRef("done"))
		}
	}
	Label("done")
	VZEROUPPER()
	RET()
}

// kmask are the opmasks of the tile's two column vectors.
var kmask = []Op{K1, K2}

// paramAddr returns the memory address of the parameter name.
func paramAddr(name string) Mem {
	b, err := Param(name).Resolve()
	if err != nil {
		panic(err)
	}
	return b.Addr
}
