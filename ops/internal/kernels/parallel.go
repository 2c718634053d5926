package kernels

import (
	"reflect"
	"sync"

	"github.com/featlearn/featlearn/ops/internal/workers"
)

// task is a kernel's parallel loop body: run handles items [lo, hi).
//
// Kernels pass a pointer to a job struct taken from getJob rather than a
// closure: a closure handed to another goroutine escapes, so it would be
// allocated on every call, while a pooled job is allocated once.
type task interface{ run(lo, hi int) }

// parallelFor runs fn over [0, n) as parallelRun does. The closure escapes
// to the workers, so a caller that captures variables allocates it on
// every call; allocation-free kernels use parallelRun with a pooled job.
func parallelFor(n, minChunk int, fn func(lo, hi int)) {
	parallelRun(n, minChunk, funcTask(fn))
}

// funcTask adapts a plain function to task.
type funcTask func(lo, hi int)

func (f funcTask) run(lo, hi int) { f(lo, hi) }

// parallelRun splits [0, n) into contiguous chunks of at least minChunk
// items, one per core, and runs t on them on the shared worker pool (the
// caller takes part). Small n runs inline so tiny ops pay no
// synchronisation. Each item lands in exactly one chunk, so kernels whose
// items write disjoint outputs give the same bits on any number of cores.
func parallelRun(n, minChunk int, t task) {
	parts := workers.Threads()
	if minChunk < 1 {
		minChunk = 1
	}
	if most := n / minChunk; most < parts {
		parts = most
	}
	if parts <= 1 {
		if n > 0 {
			t.run(0, n)
		}
		return
	}
	c := chunkPool.Get().(*chunks)
	c.t, c.n, c.size = t, n, (n+parts-1)/parts
	workers.Run((n+c.size-1)/c.size, c)
	c.t = nil
	chunkPool.Put(c)
}

// chunks is one parallelRun call as a workers.Job. It is pooled because a
// job handed to other goroutines escapes to the heap.
type chunks struct {
	t       task
	n, size int
}

func (c *chunks) Part(i, _ int) { c.t.run(i*c.size, min((i+1)*c.size, c.n)) }

var chunkPool = sync.Pool{New: func() any { return new(chunks) }}

// jobPools maps a job type to the sync.Pool of its values. Go has no
// generic package variables, so getJob finds the pool of its type here.
var jobPools sync.Map // reflect.Type -> *sync.Pool

// getJob returns a reusable *J with arbitrary contents; the caller fills
// every field and hands it back with putJob.
func getJob[J any]() *J {
	p := jobPoolOf[J]()
	if j, ok := p.Get().(*J); ok {
		return j
	}
	return new(J)
}

// putJob zeroes j, so that the pool does not keep the caller's slices
// alive, and returns it to its pool.
func putJob[J any](j *J) {
	var zero J
	*j = zero
	jobPoolOf[J]().Put(j)
}

func jobPoolOf[J any]() *sync.Pool {
	key := reflect.TypeFor[J]()
	if p, ok := jobPools.Load(key); ok {
		return p.(*sync.Pool)
	}
	p, _ := jobPools.LoadOrStore(key, new(sync.Pool))
	return p.(*sync.Pool)
}

// Task is a loop body for Parallel: Run handles items [lo, hi), and calls
// on disjoint ranges must be safe to run at once.
type Task interface{ Run(lo, hi int) }

// Parallel runs t over [0, n) in contiguous chunks of at least minChunk
// items, one per core, on the worker pool the kernels use (ops.Parallel).
func Parallel(n, minChunk int, t Task) {
	if t == nil || n <= 0 {
		return
	}
	j := getJob[publicTask]()
	j.t = t
	parallelRun(n, minChunk, j)
	putJob(j)
}

// publicTask adapts a Task to the kernels' task.
type publicTask struct{ t Task }

func (p *publicTask) run(lo, hi int) { p.t.Run(lo, hi) }
