//go:build race

package kernels

// raceEnabled is set under the race detector, whose sync.Pool drops a
// share of the buffers it is given, so allocation counts mean nothing.
const raceEnabled = true
