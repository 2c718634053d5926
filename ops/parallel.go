package ops

import (
	"github.com/featlearn/featlearn/ops/internal/isa"
	"github.com/featlearn/featlearn/ops/internal/kernels"
)

// Task is a loop body for Parallel: Run handles items [lo, hi), and calls
// on disjoint ranges must be safe to run at once.
type Task interface{ Run(lo, hi int) }

// Parallel runs t over [0, n) in contiguous chunks of at least minChunk
// items, one per core, on the worker pool the kernels use: the caller runs
// the first chunk. It suits work outside the graph that would otherwise
// leave a core idle between steps, such as converting a batch of images.
// Passing a pointer to a reused value keeps it free of allocations.
func Parallel(n, minChunk int, t Task) {
	kernels.Parallel(n, minChunk, t)
}

// ScalePixels writes 8-bit pixels scaled to [0, 1], pixel/255 rounded as
// Go's float32 division rounds it, into dst, and like copy converts
// min(len(dst), len(pixels)) of them and returns that count. It is
// datasets.PixelsToFloat32 with vector instructions, for the batches a
// training loop converts between steps.
func ScalePixels(dst []float32, pixels []uint8) int { return kernels.ScalePixels(dst, pixels) }

// KernelLevel returns the instruction set the kernels run at: "avx512",
// "avx2" or "generic", the best the CPU has unless FEATLEARN_CPU asks for
// a lower one; note explains a FEATLEARN_CPU value that was ignored or
// lowered, and is empty otherwise.
func KernelLevel() (level, note string) { return isa.Current().String(), isa.Note() }
