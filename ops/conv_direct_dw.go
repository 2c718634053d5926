package ops

// The direct filter gradient serves float32 stride-1 convolutions with more
// than 8 output channels (LeNet's conv2) on AVX2 CPUs. The flat path copies
// each sample's k × q im2col matrix (84 KB for conv2) and runs a gemm with
// q = oh·wp rows, 30 % of them garbage columns that the output gradient
// zeroes. Here a 6×16 micro-kernel reads the six tap windows of the padded
// sample in place and walks only the oh × ow real positions, skipping the
// wp - ow columns no output reads. The output channels are the kernel's 16
// vector lanes, so the output gradient is transposed per sample (q × out),
// a 6 KB copy.

// directDwOK says whether directFilterGrad serves g.
func directDwOK(g *convGeom) bool { return useAVX2 && flatOK(g) && g.out > 8 }

// directDwGeom extends the flat geometry with the kernel's tiles.
type directDwGeom struct {
	flatGeom
	kR   int // taps rounded up to whole tiles of directMR
	outR int // output channels rounded up to whole tiles of directNR
}

func newDirectDwGeom(g *convGeom) directDwGeom {
	d := directDwGeom{flatGeom: newFlatGeom(g)}
	d.kR = (d.k() + directMR - 1) / directMR * directMR
	d.outR = (g.out + directNR - 1) / directNR * directNR
	return d
}

// part is the size of one chunk's partial sum: kR × outR.
func (d *directDwGeom) part() int { return d.kR * d.outR }

// directDwJob computes the partial filter gradients of chunks [lo, hi):
// part c is Σ over the chunk's samples of dwᵀ (kR × outR).
type directDwJob struct {
	d      directDwGeom
	parts  []float32
	x, dy  []float32
	offs   []int // byte offsets of the taps, padded to kR with offset 0
	chunks int
}

func (j *directDwJob) run(lo, hi int) {
	d := &j.d
	p := d.p()
	buf := convScratch[float32](d.plane + p*d.outR)
	defer convRelease(buf)
	xpad, dyt := (*buf)[:d.plane], (*buf)[d.plane:]
	clear(dyt) // the padding channels stay zero for every sample
	xs, ys := d.c*d.h*d.w, d.out*p
	bump, ldd := (d.wp-d.ow)*4, d.outR*4
	for c := lo; c < hi; c++ {
		part := j.parts[c*d.part():][:d.part()]
		clear(part)
		for n := c * d.n / j.chunks; n < (c+1)*d.n/j.chunks; n++ {
			flatPad(&d.flatGeom, xpad, j.x[n*xs:][:xs])
			transposeInto(dyt, j.dy[n*ys:][:ys], d.out, p, d.outR)
			for jb := 0; jb < d.outR; jb += directNR {
				for tb := 0; tb < d.kR; tb += directMR {
					directDw6x16(d.oh, d.ow, &xpad[0], &j.offs[tb], bump, &dyt[jb], ldd, &part[tb*d.outR+jb], ldd)
				}
			}
		}
	}
}

// transposeInto writes src (rows × cols) transposed into dst, whose rows
// are ld apart: dst[c·ld + r] = src[r·cols + c].
func transposeInto(dst, src []float32, rows, cols, ld int) {
	for r := 0; r < rows; r++ {
		for c, v := range src[r*cols : (r+1)*cols] {
			dst[c*ld+r] = v
		}
	}
}

// directFilterGrad computes dw = Σₙ dyₙ·im2col(xₙ)ᵀ with the direct
// kernel and reports whether it served g. Like flatFilterGrad it sums the
// batch in fixed chunks, added in chunk order, so the bits do not depend on
// the number of cores.
func directFilterGrad(g *convGeom, dw, x, dy []float32) bool {
	if !directDwOK(g) {
		return false
	}
	d := newDirectDwGeom(g)
	chunks := min(g.n, convGradChunks)
	parts := convScratch[float32](chunks * d.part())
	defer convRelease(parts)
	tb := directTablePool.Get().(*directTables)
	defer directTablePool.Put(tb)
	if cap(tb.offs) < d.kR {
		tb.offs = make([]int, d.kR)
	}
	tb.offs = tb.offs[:d.kR]
	clear(tb.offs) // the padding taps read offset 0 and are dropped
	d.taps(func(r, off int) { tb.offs[r] = off * 4 })

	j := getJob[directDwJob]()
	*j = directDwJob{d: d, parts: *parts, x: x, dy: dy, offs: tb.offs, chunks: chunks}
	parallelRun(chunks, 1, j)
	putJob(j)

	// dw[o][r] = Σ_c partᶜ[r][o], the chunks added in order.
	k, ps := g.k(), d.part()
	for o := 0; o < g.out; o++ {
		row := dw[o*k:][:k]
		for r := range row {
			s := (*parts)[r*d.outR+o]
			for c := 1; c < chunks; c++ {
				s += (*parts)[c*ps+r*d.outR+o]
			}
			row[r] = s
		}
	}
	return true
}
