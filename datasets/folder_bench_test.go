package datasets

import (
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"sync"
	"testing"
	"time"
)

var (
	benchFolderOnce sync.Once
	benchFolderDir  string
	benchFolderErr  error
)

// benchFolder writes MNIST's 60,000 training digits (and 10 test digits)
// as PNG files once per test binary, under FEATLEARN_BENCH_DIR when set
// (to keep the folder between runs), else a temporary folder.
func benchFolder(b *testing.B) string {
	b.Helper()
	benchFolderOnce.Do(func() {
		dir := os.Getenv("FEATLEARN_BENCH_DIR")
		if dir == "" {
			if dir, benchFolderErr = os.MkdirTemp("", "featlearn-folder-bench-"); benchFolderErr != nil {
				return
			}
		}
		benchFolderDir = filepath.Join(dir, "mnist-png")
		if _, err := os.Stat(benchFolderDir); err == nil {
			return
		}
		m := realMNIST(b)
		benchFolderErr = WriteFolder(benchFolderDir, m.Train, m.Test.First(10), WritePNGFiles)
	})
	if benchFolderErr != nil {
		b.Fatal(benchFolderErr)
	}
	return benchFolderDir
}

// peakHeap samples the bytes of live and not yet collected heap objects
// every millisecond until stop is closed, and returns the largest.
func peakHeap(stop <-chan struct{}) <-chan uint64 {
	out := make(chan uint64, 1)
	go func() {
		sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
		var peak uint64
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		for {
			metrics.Read(sample)
			peak = max(peak, sample[0].Value.Uint64())
			select {
			case <-stop:
				out <- peak
				return
			case <-tick.C:
			}
		}
	}()
	return out
}

// BenchmarkLoadFolder60k loads 60,000 28x28 PNG digits (and 10 test
// digits) from a folder on all cores. It reports the decoded bytes and
// the peak of the heap's objects during loading, both in MB, and fails
// when the peak exceeds twice the decoded bytes.
func BenchmarkLoadFolder60k(b *testing.B) {
	dir := benchFolder(b)
	var peak uint64
	var decoded int
	for b.Loop() {
		b.StopTimer()
		runtime.GC()
		stop := make(chan struct{})
		got := peakHeap(stop)
		b.StartTimer()
		d, err := LoadFolder(dir, FolderOptions{})
		b.StopTimer()
		close(stop)
		peak = max(peak, <-got)
		if err != nil {
			b.Fatal(err)
		}
		if d.Train.N != 60000 {
			b.Fatalf("%d training images", d.Train.N)
		}
		decoded = len(d.Train.Images) + len(d.Test.Images)
		b.StartTimer()
	}
	b.ReportMetric(float64(decoded)/1e6, "decoded-MB")
	b.ReportMetric(float64(peak)/1e6, "peak-heap-MB")
	if peak > 2*uint64(decoded) {
		b.Errorf("the heap peaked at %.1f MB, more than twice the %.1f MB of pixels", float64(peak)/1e6, float64(decoded)/1e6)
	}
}
