// Command asm generates the AVX2+FMA micro-kernels of package gemm with avo.
//
// Run it through `go generate` in the gemm package; the generated
// kernel_amd64.s and kernel_amd64.go are committed, so building the gemm
// package needs neither this module nor avo.
//
// Every kernel computes one register tile of C:
//
//	C[0:mv, 0:nv] = alpha·(A·B)[0:mv, 0:nv] + beta·C[0:mv, 0:nv]
//
// where A is an mr×k micro-panel and B a k×nr micro-panel whose row p holds
// nr contiguous elements at b[p*rsb:]: either a packed panel (rsb = nr, zero
// padded past the matrix edge) or a full-width panel of a row-major B read in
// place (rsb = ldb).
// The product is accumulated in registers over the whole of k and C is
// touched only once, at the end.
//
// A is read in place wherever the caller's layout allows it, so there are two
// addressing variants of each tile shape:
//
//   - "P" (rows contiguous): element (r, p) is at a[r + p*csa]. This is
//     the layout of a packed panel (csa = mr) and of a transposed A read in
//     place (csa = lda).
//   - "S" (rows strided): element (r, p) is at a[r*rsa + p]. This is a
//     row-major A read in place, which saves packing A when it is used only a
//     few times (skinny N, the common case of convolutions).
package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// elem describes the floating-point type a kernel works on.
type elem struct {
	name  string // Go type
	size  int    // bytes
	lanes int    // elements per YMM register
	fma   func(ops ...Op)
	mul   func(ops ...Op)
	bcast func(mx, y Op)
	mask  func(mxy, xy, mxy1 Op)
	ucom  func(mx, x Op)
}

var (
	f32 = elem{"float32", 4, 8, VFMADD231PS, VMULPS, func(m, y Op) { VBROADCASTSS(m, y) }, VMASKMOVPS, VUCOMISS}
	f64 = elem{"float64", 8, 4, VFMADD231PD, VMULPD, func(m, y Op) { VBROADCASTSD(m, y) }, VMASKMOVPD, VUCOMISD}
)

// shape is one generated kernel: mr rows by nvec YMM registers per row.
type shape struct {
	e       elem
	mr      int
	nvec    int
	strided bool // variant S; otherwise P
}

func (s shape) nr() int { return s.nvec * s.e.lanes }

func (s shape) name() string {
	v := "P"
	if s.strided {
		v = "S"
	}
	p := "s"
	if s.e.size == 8 {
		p = "d"
	}
	return fmt.Sprintf("%skern%dx%d%s", p, s.mr, s.nr(), v)
}

// unroll is how many k steps one loop iteration does: enough to hide the
// loop overhead, small enough to keep the loop in the op cache.
const unroll = 4

// maskTable holds 64 bytes of ones followed by 64 bytes of zeros. Loading a
// YMM from maskTable+64-nv*size+v*32 gives the VMASKMOV mask that selects
// columns [0, nv) of vector v, for both element sizes.
var maskTable Mem

func main() {
	maskTable = GLOBL("maskTable", RODATA|NOPTR)
	for i := 0; i < 8; i++ {
		DATA(8*i, U64(0xffffffffffffffff))
	}
	for i := 8; i < 16; i++ {
		DATA(8*i, U64(0))
	}
	for _, e := range []elem{f32, f64} {
		// mr×2 vectors: the main tile (6×16 float32, 6×8 float64): 12
		// accumulators, 2 B registers and 2 broadcast registers use all 16 YMM.
		// mr×1 vector: the right edge when at most half a tile is left.
		// 12×1 vector: the main tile when the whole of N fits in one vector
		// (conv layers with 6 or 8 channels).
		for _, sh := range [][2]int{{6, 2}, {6, 1}, {12, 1}} {
			for _, strided := range []bool{false, true} {
				kernel(shape{e, sh[0], sh[1], strided})
			}
		}
	}
	dotKernel()
	gemvKernel()
	transpose16Kernel()
	kernels512()
	dot512Kernel()
	Generate()
}

func kernel(s shape) {
	e := s.e
	TEXT(s.name(), NOSPLIT, fmt.Sprintf("func(k int, a *%[1]s, rsa, csa int, b *%[1]s, rsb int, c *%[1]s, ldc int, alpha, beta %[1]s, mv, nv int)", e.name))
	variant := "P: element (r, p) of A at a[r + p*csa]; rsa is ignored."
	if s.strided {
		variant = "S: element (r, p) of A at a[r*rsa + p]; csa is ignored."
	}
	Doc(fmt.Sprintf("%s computes a %d×%d tile of C = alpha·A·B + beta·C over k steps.", s.name(), s.mr, s.nr()),
		"Variant "+variant,
		fmt.Sprintf("Row p of the B panel is the %d elements at b[p*rsb:]. Only rows [0, mv) and", s.nr()),
		"columns [0, nv) of C are read and written, and C is not read when beta is 0.")

	// Register layout.
	//   Y[r*nvec+v]           accumulator for row r, columns [v*lanes, (v+1)*lanes)
	//   Y[nacc .. nacc+nvec)  current row of the B panel
	//   the rest              broadcasts of A elements, used round robin so
	//                         that a broadcast never waits for the FMAs
	//                         reading the previous one
	nacc := s.mr * s.nvec
	acc := func(r, v int) VecPhysical { return ymm(r*s.nvec + v) }
	bregs := make([]VecPhysical, s.nvec)
	for v := range bregs {
		bregs[v] = ymm(nacc + v)
	}
	var bc []VecPhysical
	for i := nacc + s.nvec; i < 16; i++ {
		bc = append(bc, ymm(i))
	}
	if len(bc) == 0 {
		panic("no broadcast register left")
	}
	if s.nvec == 1 {
		Commentf("Register layout: Y0-Y%d accumulate the %d×%d tile (Yr is row r),", nacc-1, s.mr, s.nr())
		Commentf("Y%d holds a row of the B panel, Y%d-Y15 take A broadcasts in turn.", nacc, nacc+1)
	} else {
		Commentf("Register layout: Y0-Y%d accumulate the %d×%d tile (Y[%dr+v] is row r, vector v),", nacc-1, s.mr, s.nr(), s.nvec)
		Commentf("Y%d-Y%d hold a row of the B panel, Y%d-Y15 take A broadcasts in turn.", nacc, nacc+s.nvec-1, nacc+s.nvec)
	}

	// General registers.
	//   CX: k steps left   DI: B panel   R13: rsb in bytes
	//   BX: unrolled iterations left
	//   P:  SI: A, R9: csa in bytes
	//   S:  SI, R10, R11, R12: rows 0, 3, 6, 9 of A; R9: rsa in bytes (rows
	//       r+1 and r+2 are addressed as (base)(R9*1) and (base)(R9*2))
	k := Load(Param("k"), RCX)
	Load(Param("b"), RDI)
	Load(Param("rsb"), R13)
	SHLQ(U8(log2(e.size)), R13)
	aBase := []GPPhysical{RSI, R10, R11, R12}
	Load(Param("a"), RSI)
	if s.strided {
		if s.mr == 12 {
			Comment("SI, R10, R11, R12 point at rows 0, 3, 6, 9 of A; R9 is the row stride in bytes.")
		} else {
			Comment("SI and R10 point at rows 0 and 3 of A; R9 is the row stride in bytes.")
		}
		Load(Param("rsa"), R9)
		SHLQ(U8(log2(e.size)), R9)
		for g := 1; g*3 < s.mr; g++ {
			LEAQ(Mem{Base: aBase[g-1], Index: R9, Scale: 2}, aBase[g])
			ADDQ(R9, aBase[g])
		}
	} else {
		Comment("SI walks the A panel; R9 is the step between k columns in bytes.")
		Load(Param("csa"), R9)
		SHLQ(U8(log2(e.size)), R9)
	}
	aElem := func(r, u int) Mem {
		if !s.strided {
			return Mem{Base: RSI, Disp: r * e.size}
		}
		m := Mem{Base: aBase[r/3], Disp: u * e.size}
		if r%3 != 0 {
			m.Index = R9
			m.Scale = uint8(r % 3)
		}
		return m
	}

	for r := 0; r < s.mr; r++ {
		for v := 0; v < s.nvec; v++ {
			VXORPS(acc(r, v), acc(r, v), acc(r, v))
		}
	}

	// Pull the C tile towards L1 while the k loop runs, so that the
	// read-modify-write at the end does not stall on memory. Prefetches never
	// fault, so rows past mv are harmless.
	Load(Param("c"), RDX)
	Load(Param("ldc"), R8)
	SHLQ(U8(log2(e.size)), R8)
	MOVQ(RDX, RAX)
	for r := 0; r < s.mr; r++ {
		PREFETCHT0(Mem{Base: RAX})
		PREFETCHT0(Mem{Base: RAX, Disp: s.nr()*e.size - 1})
		ADDQ(R8, RAX)
	}
	if s.strided {
		// Start on the first lines of the next micro-panel's rows too: in
		// the skinny products that read A in place (im2col matrices with
		// short rows) A streams from memory, and each call would otherwise
		// wait for mr cache misses at once.
		Comment("Prefetch the next micro-panel of A, rows mr to 2mr-1.")
		g := s.mr/3 - 1
		LEAQ(Mem{Base: aBase[g], Index: R9, Scale: 2}, RAX)
		ADDQ(R9, RAX)
		for g := 0; g*3 < s.mr; g++ {
			for j := 0; j < 3; j++ {
				m := Mem{Base: RAX}
				if j > 0 {
					m.Index, m.Scale = R9, uint8(j)
				}
				PREFETCHT0(m)
				m.Disp = 64
				PREFETCHT0(m)
			}
			if (g+1)*3 < s.mr {
				LEAQ(Mem{Base: RAX, Index: R9, Scale: 2}, RAX)
				ADDQ(R9, RAX)
			}
		}
	}

	nbc := 0
	step := func(u int) {
		for v := 0; v < s.nvec; v++ {
			VMOVUPS(Mem{Base: RDI, Disp: v * 32}, bregs[v])
		}
		for r := 0; r < s.mr; r++ {
			y := bc[nbc%len(bc)]
			nbc++
			e.bcast(aElem(r, u), y)
			for v := 0; v < s.nvec; v++ {
				e.fma(bregs[v], y, acc(r, v))
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
				ADDQ(U32(steps*e.size), aBase[g])
			}
		}
	}

	MOVQ(k, RBX)
	SHRQ(U8(log2(unroll)), RBX)
	JZ(LabelRef("tail"))
	Label("loop")
	for u := 0; u < unroll; u++ {
		step(u)
	}
	advance(unroll)
	DECQ(RBX)
	JNZ(LabelRef("loop"))

	Label("tail")
	ANDQ(U32(unroll-1), k)
	JZ(LabelRef("store"))
	Label("tailloop")
	step(0)
	advance(1)
	DECQ(k)
	JNZ(LabelRef("tailloop"))

	// Store: scale by alpha, then add beta·C unless beta is 0 (C may then
	// hold garbage such as NaN, which must not leak into the result).
	Label("store")
	if len(bc) < 2 {
		panic("need two scratch registers")
	}
	alpha, beta, tmp := bc[0], bc[1], bregs[0]
	Load(Param("alpha"), alpha.AsX())
	e.bcast(alpha.AsX(), alpha)
	for r := 0; r < s.mr; r++ {
		for v := 0; v < s.nvec; v++ {
			e.mul(alpha, acc(r, v), acc(r, v))
		}
	}
	Load(Param("beta"), beta.AsX())
	VXORPS(tmp, tmp, tmp)
	e.ucom(tmp.AsX(), beta.AsX())
	Comment("A NaN beta compares unordered (PF set) and must take the beta path.")
	JNE(LabelRef("havebeta"))
	JPS(LabelRef("havebeta"))
	MOVQ(U32(0), RAX)
	JMP(LabelRef("choose"))
	Label("havebeta")
	e.bcast(beta.AsX(), beta)
	MOVQ(U32(1), RAX)
	Label("choose")
	Load(Param("mv"), R13)
	Load(Param("nv"), R14)
	CMPQ(R13, U32(s.mr))
	JNE(LabelRef("edge"))
	CMPQ(R14, U32(s.nr()))
	JNE(LabelRef("edge"))
	TESTQ(RAX, RAX)
	JNZ(LabelRef("fullbeta"))

	Comment("Full tile, beta == 0.")
	for r := 0; r < s.mr; r++ {
		for v := 0; v < s.nvec; v++ {
			VMOVUPS(acc(r, v), Mem{Base: RDX, Disp: v * 32})
		}
		ADDQ(R8, RDX)
	}
	VZEROUPPER()
	RET()

	Label("fullbeta")
	Comment("Full tile, beta != 0.")
	for r := 0; r < s.mr; r++ {
		for v := 0; v < s.nvec; v++ {
			e.fma(Mem{Base: RDX, Disp: v * 32}, beta, acc(r, v))
			VMOVUPS(acc(r, v), Mem{Base: RDX, Disp: v * 32})
		}
		ADDQ(R8, RDX)
	}
	VZEROUPPER()
	RET()

	// Edge tile: only rows [0, mv) and columns [0, nv) are touched, so the
	// tile may end where C's slice ends. C is read with VMASKMOV, whose
	// masked-off lanes never fault, but written with plain 32-, 16-, 8- and
	// 4-byte stores: VMASKMOV stores are microcoded on AMD and cost about
	// ten cycles each. The B registers are free by now and hold the load
	// masks; alpha's register is the scratch for C. R15 is avoided: it is
	// clobbered by global accesses when dynamically linking.
	Label("edge")
	Comment("Edge tile: rows [0, mv), columns [0, nv); R14 = nv, R12 = nv - lanes.")
	LEAQ(maskTable.Offset(64), RBX)
	MOVQ(R14, RCX)
	SHLQ(U8(log2(e.size)), RCX)
	SUBQ(RCX, RBX)
	for v := 0; v < s.nvec; v++ {
		VMOVDQU(Mem{Base: RBX, Disp: v * 32}, bregs[v])
	}
	MOVQ(R14, R12)
	SUBQ(U32(e.lanes), R12)
	scratch := alpha // alpha has been applied; its register is free
	for r := 0; r < s.mr; r++ {
		TESTQ(RAX, RAX)
		JZ(LabelRef(fmt.Sprintf("store%d", r)))
		for v := 0; v < s.nvec; v++ {
			e.mask(Mem{Base: RDX, Disp: v * 32}, bregs[v], scratch)
			e.fma(scratch, beta, acc(r, v))
		}
		Label(fmt.Sprintf("store%d", r))
		storeRow(s, r, acc)
		if r < s.mr-1 {
			ADDQ(R8, RDX)
			CMPQ(R13, U32(r+1))
			JEQ(LabelRef("done"))
		}
	}
	Label("done")
	VZEROUPPER()
	RET()
}

// storeRow stores columns [0, nv) of row r of the tile at DX, nv in R14
// and nv-lanes in R12.
func storeRow(s shape, r int, acc func(r, v int) VecPhysical) {
	e := s.e
	next := fmt.Sprintf("next%d", r)
	part0 := fmt.Sprintf("part%d_0", r)
	CMPQ(R14, U32(e.lanes))
	if s.nvec == 2 {
		// Flags from this compare survive the vector moves below.
		only0 := fmt.Sprintf("only%d", r)
		JLE(LabelRef(only0))
		VMOVUPS(acc(r, 0), Mem{Base: RDX})
		part1 := fmt.Sprintf("part%d_1", r)
		CMPQ(R14, U32(2*e.lanes))
		JL(LabelRef(part1))
		VMOVUPS(acc(r, 1), Mem{Base: RDX, Disp: 32})
		JMP(LabelRef(next))
		Label(part1)
		partialStore(e, acc(r, 1), 32, R12, fmt.Sprintf("%d_1", r))
		JMP(LabelRef(next))
		Label(only0)
	}
	JL(LabelRef(part0))
	VMOVUPS(acc(r, 0), Mem{Base: RDX})
	JMP(LabelRef(next))
	Label(part0)
	partialStore(e, acc(r, 0), 0, R14, fmt.Sprintf("%d_0", r))
	Label(next)
}

// partialStore stores the first cnt (1 to lanes-1) elements of y at
// disp(DX), halving the width at each step; y is clobbered.
func partialStore(e elem, y VecPhysical, disp int, cnt GPPhysical, id string) {
	LEAQ(Mem{Base: RDX, Disp: disp}, RSI)
	x := y.AsX()
	if e.lanes == 8 {
		TESTQ(U32(4), cnt)
		JZ(LabelRef("two" + id))
		VMOVUPS(x, Mem{Base: RSI})
		VEXTRACTF128(U8(1), y, x)
		ADDQ(U32(16), RSI)
		Label("two" + id)
		TESTQ(U32(2), cnt)
		JZ(LabelRef("one" + id))
		VMOVQ(x, Mem{Base: RSI})
		VPSRLDQ(U8(8), x, x)
		ADDQ(U32(8), RSI)
		Label("one" + id)
		TESTQ(U32(1), cnt)
		JZ(LabelRef("end" + id))
		VMOVSS(x, Mem{Base: RSI})
	} else {
		TESTQ(U32(2), cnt)
		JZ(LabelRef("one" + id))
		VMOVUPD(x, Mem{Base: RSI})
		VEXTRACTF128(U8(1), y, x)
		ADDQ(U32(16), RSI)
		Label("one" + id)
		TESTQ(U32(1), cnt)
		JZ(LabelRef("end" + id))
		VMOVSD(x, Mem{Base: RSI})
	}
	Label("end" + id)
}

func ymm(i int) VecPhysical {
	return []VecPhysical{Y0, Y1, Y2, Y3, Y4, Y5, Y6, Y7, Y8, Y9, Y10, Y11, Y12, Y13, Y14, Y15}[i]
}

func log2(x int) int {
	n := 0
	for x > 1 {
		x >>= 1
		n++
	}
	return n
}
