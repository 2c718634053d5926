package main

import (
	"bytes"
	"flag"
	"strings"
	"testing"
)

// TestRunQuick trains both classifiers for one epoch without pictures.
func TestRunQuick(t *testing.T) {
	if testing.Short() {
		t.Skip("MNIST run skipped under -short")
	}
	var stdout, stderr bytes.Buffer
	if err := run([]string{"-epochs", "1", "-a", "4", "-b", "9", "-pictures=false"}, &stdout, &stderr); err != nil {
		t.Fatalf("%v\n%s", err, stderr.String())
	}
	for _, want := range []string{"linear 4 v 9", "softmax regression 784 -> 10"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("stdout lacks %q:\n%s", want, stdout.String())
		}
	}
}

func TestBadFlags(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if err := run([]string{"-a", "3", "-b", "3", "-pictures=false"}, &stdout, &stderr); err == nil {
		t.Error("the same digit twice: no error")
	}
	if err := run([]string{"-h"}, &stdout, &stderr); err != flag.ErrHelp {
		t.Errorf("-h: error %v, want flag.ErrHelp", err)
	}
}
