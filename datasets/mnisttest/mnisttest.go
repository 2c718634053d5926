// Package mnisttest gives tests the real MNIST, loaded once per test binary
// however many tests ask for it.
package mnisttest

import (
	"sync"
	"testing"

	"github.com/featlearn/featlearn/datasets"
)

var (
	once  sync.Once
	mnist *datasets.MNIST
	err   error
)

// MNIST returns the real MNIST (found as datasets.LoadMNIST("") finds it)
// and fails the test when it cannot be loaded.
func MNIST(tb testing.TB) *datasets.MNIST {
	tb.Helper()
	once.Do(func() { mnist, err = datasets.LoadMNIST("") })
	if err != nil {
		tb.Fatal(err)
	}
	return mnist
}
