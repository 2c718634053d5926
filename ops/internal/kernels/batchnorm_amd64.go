package kernels

// The BatchNorm kernels below each cover one channel of a float32 tensor:
// runs runs of cnt values (cnt ≥ 1), the runs step values apart, starting
// at the pointer; every other pointer has the layout of x.

// bnSum32 returns Σ x accumulated in float64, in an order that depends on
// the geometry only.
//
//go:noescape
func bnSum32(x *float32, runs, cnt, step int) float64

// bnSqDev32 returns Σ (x - mean)² accumulated in float64, in an order that
// depends on the geometry only.
//
//go:noescape
func bnSqDev32(x *float32, runs, cnt, step int, mean float64) float64

// bnDotDev32 returns Σ dy·(x - mean) accumulated in float64, in an order
// that depends on the geometry only.
//
//go:noescape
func bnDotDev32(dy, x *float32, runs, cnt, step int, mean float64) float64

// bnAffine32 writes (x - m)·k + b into y.
//
//go:noescape
func bnAffine32(y, x *float32, runs, cnt, step int, m, k, b float32)

// bnGradX32 writes ((dy - gm) - (x - m)·k)·w into dx.
//
//go:noescape
func bnGradX32(dx, dy, x *float32, runs, cnt, step int, gm, m, k, w float32)

// bnScale32 writes x·k into y.
//
//go:noescape
func bnScale32(y, x *float32, runs, cnt, step int, k float32)
