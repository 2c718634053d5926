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
