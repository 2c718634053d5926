//go:build !amd64

package kernels

// Off amd64 there are no AVX-512 kernels; isa.Current is Generic there, so
// nothing looks them up.
var (
	dtFwd [2][fwdMaxP + 1]dtFwdFn
	dtDw  [2][dwMaxKW + 1]dtDwFn
)

func copyRows512(dst, src *float32, rows, n, ldd, lds int) {
	panic("kernels: no AVX-512 kernels on this architecture")
}

func bnSum512(x *float32, runs, cnt, step int) float64 {
	panic("kernels: no AVX-512 kernels on this architecture")
}

func bnSqDev512(x *float32, runs, cnt, step int, mean float64) float64 {
	panic("kernels: no AVX-512 kernels on this architecture")
}

func bnDotSum512(dy, x *float32, runs, cnt, step int, mean float64) (dot, sum float64) {
	panic("kernels: no AVX-512 kernels on this architecture")
}

func bnAffine512(y, x *float32, runs, cnt, step int, m, k, b float32) {
	panic("kernels: no AVX-512 kernels on this architecture")
}

func bnGradX512(y, dy, x *float32, runs, cnt, step int, gm, m, k, w float32) {
	panic("kernels: no AVX-512 kernels on this architecture")
}

func bnScale512(y, x *float32, runs, cnt, step int, k float32) {
	panic("kernels: no AVX-512 kernels on this architecture")
}

func gather6x32(n int, offs *int, a *float32, rows *int, b, b2 *float32, c *float32, crows *int, acc bool) {
	panic("kernels: no AVX-512 kernels on this architecture")
}

func compressNonzero512(x *float32, pos *int32, n int, base int, vals *float32, offs *int) int {
	panic("kernels: no AVX-512 kernels on this architecture")
}

func pool2x2Max8(y, x *float32, pairs, w, n int) {
	panic("kernels: no AVX-512 kernels on this architecture")
}

func pool2x2Grad8(dx, x, y, dy *float32, pairs, w, n int, relu bool) {
	panic("kernels: no AVX-512 kernels on this architecture")
}

func adam512(w, grad, m, v *float32, n int, shrink, wd, b1, c1, b2, c2 float32, lr, corr2, eps float64) {
	panic("kernels: no AVX-512 kernels on this architecture")
}
