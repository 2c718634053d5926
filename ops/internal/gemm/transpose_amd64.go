package gemm

// transpose8x8 writes the transpose of the 8×8 float32 block at src (rows
// lds bytes apart) into dst (rows ldd bytes apart).
//
//go:noescape
func transpose8x8(dst *float32, ldd int, src *float32, lds int)

func init() { transpose8x8AVX2, transpose16AVX512 = transpose8x8, transpose16 }
