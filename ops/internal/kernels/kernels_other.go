//go:build !amd64

package kernels

// Off amd64 isa.Current is Generic, so nothing calls the stubs below.

func addTo32(dst, src *float32, n int)     { panic("ops: no vector kernels on this architecture") }
func relu32(y, x *float32, n int)          { panic("ops: no vector kernels on this architecture") }
func reluGrad32(dx, y, dy *float32, n int) { panic("ops: no vector kernels on this architecture") }

func pool2x2Grad32(d0, d1, r0, r1, y, dy *float32, n int) {
	panic("ops: no vector kernels on this architecture")
}

func pool2x2Max32(y, r0, r1 *float32, n int) { panic("ops: no vector kernels on this architecture") }

func copyRows32(dst, src *float32, rows, n, ldd, lds int, b float32, bias bool) {
	panic("ops: no vector kernels on this architecture")
}

func directConv6x16(k int, w, x *float32, offs *int, y *float32, ldy int) {
	panic("ops: no vector kernels on this architecture")
}

func sgdMomentum32(w, grad, v *float32, n int, lr, mom, wd float32) {
	panic("ops: no vector kernels on this architecture")
}

func directDw6x16(rows, cols int, x *float32, offs *int, bump int, dyt *float32, ldd int, c *float32, ldc int) {
	panic("ops: no vector kernels on this architecture")
}

func directDwDot6x2(n int, dy *float32, ldd int, x0, x1 *float32, out *float32) {
	panic("ops: no vector kernels on this architecture")
}

func sum32To64(x *float32, n int) float64 { panic("ops: no vector kernels on this architecture") }

func directConvT6x16(k int, w *float32, offs *int, x *float32, pos *int, y *float32, ldy int, b *float32) {
	panic("ops: no vector kernels on this architecture")
}

func pool2x2Max4(y, x *float32, pairs, w, n int) {
	panic("ops: no vector kernels on this architecture")
}

func pool2x2Grad4(dx, x, y, dy *float32, pairs, w, n int, relu bool) {
	panic("ops: no vector kernels on this architecture")
}

func gather6x16(n int, offs *int, a *float32, rows *int, b *float32, c *float32, crows *int, acc bool) {
	panic("ops: no vector kernels on this architecture")
}

func nonzeroMask32(x *float32, n int, mask *uint8) {
	panic("ops: no vector kernels on this architecture")
}

func finite32(x *float32, n int) bool { panic("ops: no vector kernels on this architecture") }

func sparseDw5x2(n int, offs *int, vals *float32, x *float32, plane, row int, acc *float32) {
	panic("ops: no vector kernels on this architecture")
}

func scalePixels32(dst *float32, src *uint8, n int) {
	panic("ops: no vector kernels on this architecture")
}

func sparseDw5x1(n int, offs *int, vals *float32, x *float32, row int, acc *float32) {
	panic("ops: no vector kernels on this architecture")
}

func compressNonzero32(x *float32, pos *int32, n int, base int, lut *[256][8]int32, vals *float32, offs *int) int {
	panic("ops: no vector kernels on this architecture")
}

func sparseDx5x3m(n int, wins *int, dy *float32, w *float32, dx *float32, plane, row, dyPlane, filters int) {
	panic("ops: no vector kernels on this architecture")
}

func leakyScale32(out, x, a *float32, n int, slope float32) {
	panic("ops: no vector kernels on this architecture")
}
