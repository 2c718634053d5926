package kernels

// The AVX-512 convolution kernels by shape (kernels512_amd64.s, generated
// by asm/conv.go): dtFwd[v-1][p] is dtFwd{v}x{p}, dtDw[v-1][kw] is
// dtDw{v}x{kw}.
var (
	dtFwd = [2][fwdMaxP + 1]dtFwdFn{
		{nil, dtFwd1x1, dtFwd1x2, dtFwd1x3, dtFwd1x4, dtFwd1x5, dtFwd1x6, dtFwd1x7, dtFwd1x8, dtFwd1x9, dtFwd1x10, dtFwd1x11, dtFwd1x12, dtFwd1x13, dtFwd1x14},
		{nil, dtFwd2x1, dtFwd2x2, dtFwd2x3, dtFwd2x4, dtFwd2x5, dtFwd2x6, dtFwd2x7, dtFwd2x8, dtFwd2x9, dtFwd2x10, dtFwd2x11, dtFwd2x12, dtFwd2x13, dtFwd2x14},
	}
	dtDw = [2][dwMaxKW + 1]dtDwFn{
		{nil, dtDw1x1, dtDw1x2, dtDw1x3, dtDw1x4, dtDw1x5},
		{nil, dtDw2x1, dtDw2x2, dtDw2x3, dtDw2x4, dtDw2x5},
	}
)
