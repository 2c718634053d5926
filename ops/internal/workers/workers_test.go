package workers

import (
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// counts records how often each part ran and on which workers.
type counts struct {
	ran     []atomic.Int32
	workers sync.Map
	inner   func(i int) // run inside part i, if set
}

func newCounts(parts int) *counts { return &counts{ran: make([]atomic.Int32, parts)} }

func (c *counts) Part(i, worker int) {
	c.ran[i].Add(1)
	c.workers.Store(worker, true)
	if c.inner != nil {
		c.inner(i)
	}
}

func (c *counts) check(t *testing.T) {
	t.Helper()
	for i := range c.ran {
		if n := c.ran[i].Load(); n != 1 {
			t.Fatalf("part %d ran %d times", i, n)
		}
	}
}

func TestEveryPartOnce(t *testing.T) {
	for _, parts := range []int{0, 1, 2, 3, 17, 1000} {
		c := newCounts(parts)
		Run(parts, c)
		c.check(t)
	}
}

func TestWorkersTakeParts(t *testing.T) {
	if Threads() < 2 {
		t.Skip("one thread")
	}
	// Parts that take a while give the worker time to claim some.
	for try := 0; try < 100; try++ {
		c := newCounts(64)
		c.inner = func(int) { time.Sleep(20 * time.Microsecond) }
		Run(64, c)
		c.check(t)
		if _, ok := c.workers.Load(1); ok {
			return
		}
	}
	t.Fatal("no part ran on a worker in 100 runs")
}

func TestNestedJobs(t *testing.T) {
	outer := newCounts(8)
	inners := make([]*counts, 8)
	for i := range inners {
		inners[i] = newCounts(5)
	}
	outer.inner = func(i int) { Run(5, inners[i]) }
	Run(8, outer)
	outer.check(t)
	for _, c := range inners {
		c.check(t)
	}
}

func TestConcurrentCallers(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(4))
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := 0; k < 500; k++ {
				c := newCounts(1 + k%7)
				Run(len(c.ran), c)
				for i := range c.ran {
					if c.ran[i].Load() != 1 {
						t.Errorf("part %d of %d ran %d times", i, len(c.ran), c.ran[i].Load())
						return
					}
				}
			}
		}()
	}
	wg.Wait()
}

// TestWorkersPark checks that idle workers stop spinning: after the pool
// has been quiet for a while the process uses next to no CPU.
func TestWorkersPark(t *testing.T) {
	Run(4, newCounts(4))
	time.Sleep(10 * SpinFor)
	start := cpuTime(t)
	time.Sleep(100 * time.Millisecond)
	if used := cpuTime(t) - start; used > 20*time.Millisecond {
		t.Fatalf("%v of CPU in 100 ms of quiet", used)
	}
}

func BenchmarkRunTwoParts(b *testing.B) {
	c := &empty{}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		Run(2, c)
	}
}

type empty struct{}

func (empty) Part(int, int) {}

// panicky panics in part bad and counts the parts that ran.
type panicky struct {
	bad int
	ran atomic.Int32
}

func (p *panicky) Part(i, _ int) {
	p.ran.Add(1)
	if i == p.bad {
		panic("part failed")
	}
}

// TestPanicReachesCaller checks that a part's panic, on a worker or on the
// caller, comes out of Run on the caller's goroutine after every part has
// run, and that the pool still works afterwards.
func TestPanicReachesCaller(t *testing.T) {
	for _, bad := range []int{0, 5, 9} {
		j := &panicky{bad: bad}
		func() {
			defer func() {
				if p := recover(); p != "part failed" {
					t.Fatalf("part %d: recovered %v", bad, p)
				}
			}()
			Run(10, j)
			t.Fatalf("part %d: Run returned", bad)
		}()
		if n := j.ran.Load(); n != 10 {
			t.Fatalf("part %d: %d parts ran, want all 10", bad, n)
		}
	}
	c := newCounts(20)
	Run(20, c)
	c.check(t)
}
