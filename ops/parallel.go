package ops

import (
	"reflect"
	"runtime"
	"sync"
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
// items, one per core, and runs t on them: chunk 0 on the calling goroutine,
// the others on persistent workers. Small n runs inline so tiny ops pay no
// synchronisation. Each item lands in exactly one chunk, so kernels whose
// items write disjoint outputs give the same bits on any number of cores.
func parallelRun(n, minChunk int, t task) {
	workers := runtime.GOMAXPROCS(0)
	if minChunk < 1 {
		minChunk = 1
	}
	if most := n / minChunk; most < workers {
		workers = most
	}
	if workers <= 1 {
		if n > 0 {
			t.run(0, n)
		}
		return
	}
	chunk := (n + workers - 1) / workers
	workerSet.start(workers - 1)
	b := batchPool.Get().(*batch)
	for lo := chunk; lo < n; lo += chunk {
		b.wg.Add(1)
		workerSet.chunks <- chunkJob{t: t, lo: lo, hi: min(lo+chunk, n), wg: &b.wg}
	}
	t.run(0, min(chunk, n))
	b.wg.Wait()
	batchPool.Put(b)
}

// chunkJob is one chunk of a parallelFor call, sent to a worker by value so
// that sending allocates nothing.
type chunkJob struct {
	t      task
	lo, hi int
	wg     *sync.WaitGroup
}

// batch holds the WaitGroup of one parallelFor call. It is pooled rather
// than declared on the caller's stack because the workers keep a pointer
// to it, which would make a stack variable escape on every call.
type batch struct{ wg sync.WaitGroup }

var batchPool = sync.Pool{New: func() any { return new(batch) }}

// workerSet is the set of persistent workers. They live as long as the program,
// because starting goroutines per call allocates and costs microseconds
// that the small LeNet kernels cannot hide.
var workerSet workerPool

type workerPool struct {
	sync.Mutex
	n      int
	chunks chan chunkJob
}

// start makes sure that at least n workers exist.
func (p *workerPool) start(n int) {
	p.Lock()
	if p.chunks == nil {
		p.chunks = make(chan chunkJob, 64)
	}
	for ; p.n < n; p.n++ {
		go worker(p.chunks)
	}
	p.Unlock()
}

func worker(chunks <-chan chunkJob) {
	for c := range chunks {
		c.t.run(c.lo, c.hi)
		c.wg.Done()
	}
}

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
