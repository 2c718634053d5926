//go:build !amd64

package kernels

func bnSum32(x *float32, runs, cnt, step int) float64 {
	panic("ops: no vector kernels on this architecture")
}

func bnSqDev32(x *float32, runs, cnt, step int, mean float64) float64 {
	panic("ops: no vector kernels on this architecture")
}

func bnDotDev32(dy, x *float32, runs, cnt, step int, mean float64) float64 {
	panic("ops: no vector kernels on this architecture")
}

func bnAffine32(y, x *float32, runs, cnt, step int, m, k, b float32) {
	panic("ops: no vector kernels on this architecture")
}

func bnGradX32(dx, dy, x *float32, runs, cnt, step int, gm, m, k, w float32) {
	panic("ops: no vector kernels on this architecture")
}

func bnScale32(y, x *float32, runs, cnt, step int, k float32) {
	panic("ops: no vector kernels on this architecture")
}
