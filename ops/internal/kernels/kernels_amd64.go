package kernels

// addTo32 adds src[i] to dst[i] for i < n, n a multiple of 8.
//
//go:noescape
func addTo32(dst, src *float32, n int)

// relu32 writes max(x[i], 0) into y[i] for i < n, n a multiple of 8.
//
//go:noescape
func relu32(y, x *float32, n int)

// reluGrad32 writes dy[i] where y[i] > 0, else 0, into dx[i] for i < n,
// n a multiple of 8.
//
//go:noescape
func reluGrad32(dx, y, dy *float32, n int)

// pool2x2Grad32 routes the gradients dy of n 2x2 windows (n a multiple of
// 8) over input rows r0 and r1, with maxima y, to the winners in the
// gradient rows d0 and d1, writing zero elsewhere.
//
//go:noescape
func pool2x2Grad32(d0, d1, r0, r1, y, dy *float32, n int)

// pool2x2Max32 writes the maxima of n 2x2 windows (n a multiple of 8) over
// the input rows r0 and r1 into y, with the semantics of Go's max.
//
//go:noescape
func pool2x2Max32(y, r0, r1 *float32, n int)

// copyRows32 copies rows rows of n values (n ≥ 8) from src, rows lds
// apart, to dst, rows ldd apart, adding b when bias is set.
//
//go:noescape
func copyRows32(dst, src *float32, rows, n, ldd, lds int, b float32, bias bool)

// directConv6x16 writes a 6×16 tile of a stride-1 convolution's virtual
// output into y (rows ldy apart): y[o][j] = Σₜ w[6t+o]·x[offs[t]/4 + j]
// over k steps t, offs in bytes. k must be at least 1.
//
//go:noescape
func directConv6x16(k int, w, x *float32, offs *int, y *float32, ldy int)

// sgdMomentum32 applies SGD with momentum to n weights (n a multiple of 8):
// v = mom·v + (g + wd·w), w -= lr·v, rounding after every operation.
//
//go:noescape
func sgdMomentum32(w, grad, v *float32, n int, lr, mom, wd float32)

// directDw6x16 adds to a 6×16 tile of the filter gradient (taps by output
// channels, rows ldc bytes apart) the products of six tap windows of the
// padded sample x, at byte offsets offs, with the transposed output
// gradient dyt (a row of ldd bytes per real output position), over rows ×
// cols positions; the windows skip bump bytes after each row. rows and
// cols must be at least 1.
//
//go:noescape
func directDw6x16(rows, cols int, x *float32, offs *int, bump int, dyt *float32, ldd int, c *float32, ldc int)

// directDwDot6x2 writes into out[2·o+t] the dot product, over 8n
// positions, of row o of dy (rows ldd bytes apart, o < 6) with the window
// xt of filter tap t (t < 2) in a padded sample. n must be at least 1.
//
//go:noescape
func directDwDot6x2(n int, dy *float32, ldd int, x0, x1 *float32, out *float32)

// sum32To64 returns the sum of x[0:n] accumulated in float64, n a
// multiple of 16.
//
//go:noescape
func sum32To64(x *float32, n int) float64

// directConvT6x16 writes six output positions by 16 output channels of a
// stride-1 convolution into y (rows ldy bytes apart): y[i][o] = Σₜ
// w[16t+o]·x[(pos[i]+offs[t])/4] + b[o] over k taps, pos and offs in
// bytes. k must be at least 1.
//
//go:noescape
func directConvT6x16(k int, w *float32, offs *int, x *float32, pos *int, y *float32, ldy int, b *float32)

// pool2x2Max4 writes the 2x2 maxima of pairs row pairs of x (rows of w
// values, 2n ≤ w, n ≥ 4) into y, n per pair, reading the rows in place.
//
//go:noescape
func pool2x2Max4(y, x *float32, pairs, w, n int)

// pool2x2Grad4 is pool2x2Max4's backward: dy routed to each window's
// winner in dx, 0 elsewhere in the windows; with relu, only through the
// windows whose y is positive.
//
//go:noescape
func pool2x2Grad4(dx, x, y, dy *float32, pairs, w, n int, relu bool)

// gather6x16 computes a 6×16 tile Σₜ a[(rows[r]+offs[2t])/4]·
// b[offs[2t+1]/4 + j] over n steps t and adds it to (acc) or writes it
// into c[crows[r]/4 + j]; every offset is in bytes.
//
//go:noescape
func gather6x16(n int, offs *int, a *float32, rows *int, b *float32, c *float32, crows *int, acc bool)

// nonzeroMask32 writes a bit per value of x (n a multiple of 8), one byte
// per eight values, set where the value is not zero or is NaN.
//
//go:noescape
func nonzeroMask32(x *float32, n int, mask *uint8)

// finite32 reports whether the n values of x (n a multiple of 8) are all
// finite.
//
//go:noescape
func finite32(x *float32, n int) bool

// sparseDw5x2 adds vals[t]·(five rows of eight values of two channels of
// x at byte offset offs[t]) to the 2×5×8 accumulators acc, for t < n; the
// channels are plane bytes apart, the rows row bytes.
//
//go:noescape
func sparseDw5x2(n int, offs *int, vals *float32, x *float32, plane, row int, acc *float32)

// scalePixels32 writes src[i]/255 into dst[i] for i < n, n a multiple of 8.
//
//go:noescape
func scalePixels32(dst *float32, src *uint8, n int)

// sparseDw5x1 is sparseDw5x2 for one input channel: acc holds 5×8
// accumulators.
//
//go:noescape
func sparseDw5x1(n int, offs *int, vals *float32, x *float32, row int, acc *float32)

// compressNonzero32 appends the nonzero values of x (NaN included) to vals
// and base + pos[i] for each to offs, for n values (a multiple of 8), and
// returns how many; both outputs need room for 7 entries more.
//
//go:noescape
func compressNonzero32(x *float32, pos *int32, n int, base int, lut *[256][8]int32, vals *float32, offs *int) int

// sparseDx5x3m adds to n windows of three channels of dx (five rows of
// eight) their positions' nonzero output-gradient values times those
// channels' filters: wins holds per window its byte offset in dx, its
// position's byte offset in dy's first output channel and the mask of
// output channels with a nonzero value there (never zero).
//
//go:noescape
func sparseDx5x3m(n int, wins *int, dy *float32, w *float32, dx *float32, plane, row, dyPlane, filters int)

// leakyScale32 writes a[i] where 0 < x[i], else a[i]·slope, into out[i]
// for i < n, n a multiple of 8.
//
//go:noescape
func leakyScale32(out, x, a *float32, n int, slope float32)
