package kernels

// ConvGeom is the geometry of one convolution call: the shapes of its
// values and the op's stride and padding. NewConvGeom builds it; the ops
// check the shapes first.
type ConvGeom struct {
	n, c, h, w  int // input batch, channels, height, width
	out, kh, kw int // output channels, filter height and width
	oh, ow      int // output height and width
	sh, sw      int // strides
	ph, pw      int // paddings
}

// convGeom is ConvGeom inside the package.
type convGeom = ConvGeom

// NewConvGeom returns the geometry of convolving an input of n samples of
// c planes h×w with out filters of c planes kh×kw, at strides sh and sw
// and paddings ph and pw; the output is (h + 2·ph - kh)/sh + 1 rows of
// (w + 2·pw - kw)/sw + 1.
func NewConvGeom(n, c, h, w, out, kh, kw, sh, sw, ph, pw int) ConvGeom {
	return ConvGeom{n: n, c: c, h: h, w: w, out: out, kh: kh, kw: kw, sh: sh, sw: sw, ph: ph, pw: pw,
		oh: (h+2*ph-kh)/sh + 1, ow: (w+2*pw-kw)/sw + 1}
}

func (g *convGeom) k() int { return g.c * g.kh * g.kw } // elements of one input patch
func (g *convGeom) p() int { return g.oh * g.ow }       // output positions per plane

// pointwise reports whether im2col would be the identity (1x1 filters,
// stride 1, no padding), so the kernels can use the input directly.
func (g *convGeom) pointwise() bool {
	return g.kh == 1 && g.kw == 1 && g.sh == 1 && g.sw == 1 && g.ph == 0 && g.pw == 0
}

// The convolution's dispatch: for each direction, one function that
// decides which implementation runs (the package doc has the table).

// convPath names an implementation of a convolution pass.
type convPath int

const (
	pathIm2col      convPath = iota // im2col + SGEMM per sample (conv_im2col.go): every stride and padding
	pathFlat                        // flat virtual grid + SGEMM (conv_flat.go): stride 1
	pathDirect                      // direct 6×16 kernel on the virtual grid (conv_direct.go)
	pathDirectT                     // transposed direct kernel, channels in the lanes (conv_direct_t.go)
	pathSparse                      // the nonzero values of dy only (conv_sparse.go)
	pathNarrow                      // filter gradient by dot products of tap windows (conv_direct_dw.go)
	pathDirectDw                    // filter gradient by a 6×16 kernel over tap windows (conv_direct_dw.go)
	pathDirectT512                  // pathDirectT with AVX-512 tiles of rows of positions (conv_direct_t.go)
	pathDirectDw512                 // pathDirectDw with AVX-512 tiles of filter rows (conv_direct_dw.go)
)

var convPathNames = [...]string{"im2col", "flat", "direct", "directT", "sparse", "narrow", "directDw", "directT512", "directDw512"}

func (p convPath) String() string { return convPathNames[p] }

// f32 returns s as a []float32, nil when T is float64 (or s is nil).
func f32[T float](s []T) []float32 {
	v, _ := any(s).([]float32)
	return v
}

// isF32 reports whether T is float32.
func isF32[T float]() bool {
	var z T
	_, ok := any(z).(float32)
	return ok
}

// convForwardPath is the forward's rule: stride-1 float32 convolutions on
// AVX2 run a direct kernel, transposed when there are more than 8 output
// channels (16 fill the lanes better than 6-channel panels), in its
// AVX-512 form where the level allows; other stride-1 ones run the flat
// grid, the rest im2col.
func convForwardPath[T float](g *ConvGeom) convPath {
	switch {
	case !flatOK(g):
		return pathIm2col
	case !isF32[T]() || !avx2():
		return pathFlat
	case g.out > 8 && avx512():
		return pathDirectT512
	case g.out > 8:
		return pathDirectT
	}
	return pathDirect
}

// ConvForward computes y = w ⊛ x + b for a convolution of geometry g: x
// (n, c, h, w), w (out, c, kh, kw), b (out) or nil, y (n, out, oh, ow).
func ConvForward[T float](g *ConvGeom, y, x, w, b []T) {
	switch p := convForwardPath[T](g); p {
	case pathDirectT, pathDirectT512:
		directTForward(g, f32(y), f32(x), f32(w), f32(b), p == pathDirectT512)
	case pathDirect:
		directForward(g, f32(y), f32(x), f32(w), f32(b))
	case pathFlat:
		flatForward(g, y, x, w, b)
	default:
		im2colForward(g, y, x, w, b)
	}
}

// convInputGradPath is the input gradient's rule: sparse when dy is
// mostly zeros (judged on its first samples) and the filters suit the
// sparse kernel; else the direct forward kernel on the "full" convolution
// of dy with the flipped filters, when w is finite; else the flat grid or
// im2col.
func convInputGradPath[T float](g *ConvGeom, w, dy []T) convPath {
	if !flatOK(g) {
		return pathIm2col
	}
	if !isF32[T]() || !avx2() {
		return pathFlat
	}
	w32, dy32 := f32(w), f32(dy)
	if sparseShapeOK(g, false) && g.out <= 64 && sparseOutGrad(g, dy32) && allFinite32(w32) && allFinite32(dy32) {
		return pathSparse
	}
	if t, ok := directDxGeom(g); ok && !nonFinite(w32) {
		switch {
		case t.out > 8 && avx512():
			return pathDirectT512
		case t.out > 8:
			return pathDirectT
		}
		return pathDirect
	}
	return pathFlat
}

// ConvInputGrad computes dx, the gradient of a convolution of geometry g
// with respect to its input, from the filters w and the output gradient dy.
func ConvInputGrad[T float](g *ConvGeom, dx, w, dy []T) {
	switch p := convInputGradPath(g, w, dy); p {
	case pathSparse:
		sparseInputGrad(g, f32(dx), f32(w), f32(dy))
	case pathDirect, pathDirectT, pathDirectT512:
		directInputGrad(g, f32(dx), f32(w), f32(dy), p != pathDirect, p == pathDirectT512)
	case pathFlat:
		flatInputGrad(g, dx, w, dy)
	default:
		im2colInputGrad(g, dx, w, dy)
	}
}

// convFilterGradPath is the filter gradient's rule: sparse when dy is
// mostly zeros, the filters suit the sparse kernel and x is finite; else
// on AVX2 the narrow dot products (at most 8 output channels) or the 6×16
// tap-window kernel; else the flat grid or im2col.
func convFilterGradPath[T float](g *ConvGeom, x, dy []T) convPath {
	switch {
	case !flatOK(g):
		return pathIm2col
	case !isF32[T]() || !avx2():
		return pathFlat
	case sparseShapeOK(g, true) && sparseOutGrad(g, f32(dy)) && allFinite32(f32(x)):
		return pathSparse
	case g.out <= 8:
		return pathNarrow
	case avx512() && g.kw <= dwMaxKW:
		return pathDirectDw512
	}
	return pathDirectDw
}

// ConvFilterGrad computes dw, the gradient of a convolution of geometry g
// with respect to its filters, from the input x and the output gradient
// dy. Every path sums the batch in fixed chunks added in chunk order, so
// the bits do not depend on the number of cores.
func ConvFilterGrad[T float](g *ConvGeom, dw, x, dy []T) {
	switch p := convFilterGradPath(g, x, dy); p {
	case pathSparse:
		sparseFilterGrad(g, f32(dw), f32(x), f32(dy))
	case pathNarrow:
		narrowFilterGrad(g, f32(dw), f32(x), f32(dy))
	case pathDirectDw, pathDirectDw512:
		directDwFilterGrad(g, f32(dw), f32(x), f32(dy), p == pathDirectDw512)
	case pathFlat:
		flatFilterGrad(g, dw, x, dy)
	default:
		im2colFilterGrad(g, dw, x, dy)
	}
}

// ConvBiasGrad computes db, the gradient of a convolution's bias: the sum
// of dy over the batch and the output positions.
func ConvBiasGrad[T float](g *ConvGeom, db, dy []T) { convBiasGrad(g, db, dy) }

// LocalForward, LocalInputGrad, LocalFilterGrad and LocalBiasGrad are the
// locally connected layer's passes (local.go): one implementation each,
// w (out, oh, ow, c, kh, kw) and b (out, oh, ow).
func LocalForward[T float](g *ConvGeom, y, x, w, b []T) { localForward(g, y, x, w, b) }

// LocalInputGrad computes the locally connected layer's dx.
func LocalInputGrad[T float](g *ConvGeom, dx, w, dy []T) { localInputGrad(g, dx, w, dy) }

// LocalFilterGrad computes the locally connected layer's dw.
func LocalFilterGrad[T float](g *ConvGeom, dw, x, dy []T) { localFilterGrad(g, dw, x, dy) }

// LocalBiasGrad computes the locally connected layer's db.
func LocalBiasGrad[T float](g *ConvGeom, db, dy []T) { localBiasGrad(g, db, dy) }

// convBiasGrad sums dy over the batch and the output positions, one
// channel per item of a parallel loop. It accumulates in float64 because
// a float32 sum of N·OH·OW terms loses digits, in four interleaved partial
// sums that the CPU adds in parallel; the order is fixed, so the bits
// depend on nothing but dy.
func convBiasGrad[T float](g *convGeom, db, dy []T) {
	j := getJob[convBiasJob[T]]()
	*j = convBiasJob[T]{g: *g, db: db, dy: dy}
	parallelRun(len(db), 1, j)
	putJob(j)
}

// convBiasJob is convBiasGrad's loop over channels [lo, hi).
type convBiasJob[T float] struct {
	g      convGeom
	db, dy []T
}

func (j *convBiasJob[T]) run(lo, hi int) {
	p, ys := j.g.p(), j.g.out*j.g.p()
	for o := lo; o < hi; o++ {
		var s float64
		for n := 0; n < j.g.n; n++ {
			s += sumTo64(j.dy[n*ys+o*p:][:p])
		}
		j.db[o] = T(s)
	}
}
