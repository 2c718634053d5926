package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/featlearn/featlearn/internal/cli"
)

func TestShortLoadRun(t *testing.T) {
	var stdout, stderr bytes.Buffer
	err := run([]string{"-clients", "4", "-duration", "1s", "-think", "20ms", "-max-p99", "30s"}, &stdout, &stderr)
	if err != nil {
		t.Fatalf("%v\n%s%s", err, stdout.String(), stderr.String())
	}
	for _, want := range []string{"errors 0", "client latency: p50", "peak RSS", "load average before"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, stdout.String())
		}
	}
}

func TestOnlyLoopback(t *testing.T) {
	for _, args := range [][]string{
		{"-url", "http://10.0.0.1:8080"}, {"-url", "http://example.com"}, {"-clients", "0"}, {"-duration", "1h"},
	} {
		var stdout, stderr bytes.Buffer
		if code := cli.Exit("labload", run(args, &stdout, &stderr), &stderr); code != cli.ExitUsage {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
	}
}
