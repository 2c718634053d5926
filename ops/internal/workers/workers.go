// Package workers runs the parts of a parallel job on the calling goroutine
// and on persistent worker goroutines, one per extra core.
//
// Both the NN kernels and the SGEMM use this one pool. A training step is a
// few dozen parallel sections of tens to hundreds of microseconds with short
// serial stretches in between. Waking a parked goroutine costs a futex call
// on each side and often 15-100 µs before it runs, so workers that parked
// after every section left one core idle for a third of a LeNet-5 step.
// Here a worker that finishes a part keeps polling for the next job for a
// short while (SpinFor), yielding to any other goroutine that wants its
// core, and parks only when the program has gone quiet. Two pools that
// spun separately would take the core from each other, hence one pool.
//
// Parts are claimed, not assigned: the caller works through unclaimed parts
// itself instead of waiting for a worker the scheduler has not run yet, and
// then waits only for parts already under way. So a job never waits on a
// busy worker, and a part may itself run a job (nested jobs cannot
// deadlock).
package workers

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// Job is work split into numbered parts that can run in any order and on
// any thread.
type Job interface {
	// Part runs part i. worker is 0 on the goroutine that called Run and
	// 1, 2, ... on the pool's workers, so that a job can keep scratch
	// memory per worker; the caller's number 0 is shared by every
	// concurrent caller, so scratch for it must not be kept by number.
	Part(i, worker int)
}

// SpinFor is how long an idle worker polls for a new job before it parks.
// It is longer than the serial stretches of a training step and short
// enough that a program that stops using the pool gets its core back at
// once to the eye.
const SpinFor = 100 * time.Microsecond

// Threads returns the number of threads a job can use: the caller and the
// workers, one per core that Go may use.
func Threads() int { return runtime.GOMAXPROCS(0) }

// Run runs j's parts 0 to parts-1 and returns when all have finished.
// Every part runs exactly once. If a part panics, on whichever goroutine,
// Run waits for the parts under way and then panics on the caller's
// goroutine with that value, so that the caller's recover sees it and no
// worker dies with the program.
func Run(parts int, j Job) {
	if parts <= 1 {
		if parts == 1 {
			j.Part(0, 0)
		}
		return
	}
	helpers := min(parts, Threads()) - 1
	r := runs.Get()
	r.job, r.parts = j, int32(parts)
	r.next.Store(0)
	r.done.Store(0)
	r.refs.Store(1)
	r.failed.Store(nil)
	if helpers > 0 {
		pool.start(helpers)
		for k := 0; k < helpers; k++ {
			r.refs.Add(1)
			select {
			case pool.queue <- r:
			default:
				// The queue is full of stale runs: the caller does the
				// parts this worker would have taken.
				r.refs.Add(-1)
			}
		}
	}
	r.work(0)
	r.wait()
	failed := r.failed.Load()
	r.release()
	if failed != nil {
		panic(*failed)
	}
}

// run is one call of Run, shared by the caller and the workers that
// received it.
type run struct {
	job   Job
	parts int32
	next  atomic.Int32 // the next part to claim
	done  atomic.Int32 // the parts finished
	refs  atomic.Int32 // the caller and the workers yet to let go

	failed atomic.Pointer[any] // the first part's panic value, if any
}

// work claims and runs parts until none is left.
func (r *run) work(worker int) {
	for {
		i := r.next.Add(1) - 1
		if i >= r.parts {
			return
		}
		r.part(int(i), worker)
		r.done.Add(1)
	}
}

// part runs one part and keeps the first panic of the run for Run to
// raise on the caller's goroutine.
func (r *run) part(i, worker int) {
	defer func() {
		if p := recover(); p != nil {
			r.fail(p)
		}
	}()
	r.job.Part(i, worker)
}

// fail records p unless an earlier part failed first. It is its own
// function so that only a panic, not every part, puts a value on the heap.
func (r *run) fail(p any) { r.failed.CompareAndSwap(nil, &p) }

// wait returns when every part has finished. The parts still running were
// claimed by workers that are running them, so the wait is short; it
// yields the core now and then in case one of them needs it.
func (r *run) wait() {
	for spins := 0; r.done.Load() < r.parts; spins++ {
		if spins%64 == 63 {
			runtime.Gosched()
		}
	}
}

// release drops one reference; the last one recycles the run. A worker may
// take a run from the queue long after the caller returned, so a run cannot
// be reused before every worker it was sent to has let go.
func (r *run) release() {
	if r.refs.Add(-1) == 0 {
		r.job = nil
		runs.Put(r)
	}
}

// pool is the set of persistent workers, shared by every job.
var pool = workerPool{queue: make(chan *run, 256)}

type workerPool struct {
	mu    sync.Mutex
	n     int
	queue chan *run
}

// start makes sure that at least n workers exist.
func (p *workerPool) start(n int) {
	if int(started.Load()) >= n {
		return
	}
	p.mu.Lock()
	for ; p.n < n; p.n++ {
		go p.worker(p.n + 1)
	}
	started.Store(int32(p.n))
	p.mu.Unlock()
}

var started atomic.Int32

// worker runs the parts of every run it receives and polls for the next
// for SpinFor before it parks.
func (p *workerPool) worker(id int) {
	for {
		r, ok := p.poll()
		if !ok {
			r = <-p.queue
		}
		r.work(id)
		r.release()
	}
}

// poll looks for a run in the queue for up to SpinFor, yielding the core
// between looks to any goroutine that is ready to run.
func (p *workerPool) poll() (*run, bool) {
	deadline := time.Now().Add(SpinFor)
	for {
		for k := 0; k < 32; k++ {
			select {
			case r := <-p.queue:
				return r, true
			default:
			}
		}
		if time.Now().After(deadline) {
			return nil, false
		}
		runtime.Gosched()
	}
}

// FreeList is a pool that, unlike sync.Pool, the garbage collector does not
// empty, so that warm objects (runs here, pack buffers and jobs in the
// SGEMM) are not reallocated after every collection. The zero value is an
// empty list.
type FreeList[E any] struct {
	mu    sync.Mutex
	items []*E
}

// Get returns a pooled *E, or a new zero one.
func (f *FreeList[E]) Get() *E {
	f.mu.Lock()
	defer f.mu.Unlock()
	if n := len(f.items); n > 0 {
		e := f.items[n-1]
		f.items = f.items[:n-1]
		return e
	}
	return new(E)
}

// Put returns e to the list.
func (f *FreeList[E]) Put(e *E) {
	f.mu.Lock()
	f.items = append(f.items, e)
	f.mu.Unlock()
}

var runs FreeList[run]
