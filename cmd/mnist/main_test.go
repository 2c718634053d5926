package main

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/featlearn/featlearn/internal/cli/clitest"
)

// writeIDX writes a gzipped IDX file of unsigned bytes.
func writeIDX(t *testing.T, path string, magic uint32, dims []uint32, data []byte) {
	var raw bytes.Buffer
	binary.Write(&raw, binary.BigEndian, magic)
	binary.Write(&raw, binary.BigEndian, dims)
	raw.Write(data)
	var gz bytes.Buffer
	z := gzip.NewWriter(&gz)
	z.Write(raw.Bytes())
	z.Close()
	if err := os.WriteFile(path, gz.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// tinyData writes a dataset of 4 training and 3 test images, all ink.
func tinyData(t *testing.T) string {
	dir := t.TempDir()
	for _, set := range []struct {
		prefix string
		n      int
	}{{"train", 4}, {"t10k", 3}} {
		writeIDX(t, filepath.Join(dir, set.prefix+"-images-idx3-ubyte.gz"), 0x803,
			[]uint32{uint32(set.n), 28, 28}, bytes.Repeat([]byte{255}, set.n*784))
		writeIDX(t, filepath.Join(dir, set.prefix+"-labels-idx1-ubyte.gz"), 0x801,
			[]uint32{uint32(set.n)}, []byte{1, 2, 3, 4}[:set.n])
	}
	return dir
}

func TestRun(t *testing.T) {
	data := tinyData(t)
	out := filepath.Join(t.TempDir(), "g.png")
	var stdout, stderr bytes.Buffer
	statsGrid := filepath.Join(t.TempDir(), "out", "stats.png")
	if err := run([]string{"stats", "-data", data, "-grid", statsGrid}, &stdout, &stderr); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(statsGrid); err != nil || !strings.Contains(stdout.String(), "wrote "+statsGrid) {
		t.Errorf("stats grid: %v, output %q", err, stdout.String())
	}
	for _, want := range []string{"images:       4 of 28x28", "images:       3 of 28x28", "pixel mean:   1.0000", "1:1 2:1 3:1 4:1"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("stats output lacks %q:\n%s", want, stdout.String())
		}
	}
	if !strings.Contains(stderr.String(), "reading training set") {
		t.Errorf("no progress on stderr: %q", stderr.String())
	}
	stdout.Reset()
	if err := run([]string{"grid", "-data", data, "-out", out, "-set", "train", "-n", "9", "-cols", "2"}, &stdout, &stderr); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(out); err != nil || !strings.Contains(stdout.String(), "4 train digits") {
		t.Errorf("grid: %v, output %q", err, stdout.String())
	}
}

// TestStrayArgumentIsUsageError is defect 3 for mnist, with defect 4:
// every flag is checked before any work (the data directory does not
// exist, so any work would fail with status 1), and the error is one line
// naming the flag, with status 2.
func TestStrayArgumentIsUsageError(t *testing.T) {
	none := filepath.Join(t.TempDir(), "none")
	clitest.Check(t, clitest.WithArgs(mainCode, "-data", none), []clitest.Case{
		{[]string{"stats", "extra"}, 2, `unexpected argument "extra"`},
		{[]string{"grid", "extra", "-n", "4"}, 2, `unexpected argument "extra"`},
		{[]string{"grid", "-n", "0"}, 2, "-n"},
		{[]string{"grid", "-n", "1000000000"}, 2, "-n"},
		{[]string{"grid", "-cols", "0"}, 2, "-cols"},
		{[]string{"grid", "-cols", "-2"}, 2, "-cols"},
		{[]string{"grid", "-scale", "0"}, 2, "-scale"},
		{[]string{"grid", "-scale", "1000000"}, 2, "-scale"},
		{[]string{"grid", "-n", "10000", "-cols", "100", "-scale", "32"}, 2, "over the limit"},
		{[]string{"grid", "-set", "dev"}, 2, "-set"},
		{[]string{"grid", "-out", ""}, 2, "-out"},
		{[]string{"stats", "-bogus"}, 2, "-bogus"},
		{[]string{"frobnicate"}, 2, `unknown command "frobnicate"`},
		{[]string{"stats"}, 1, none},
		{[]string{"grid"}, 1, none},
	})
	clitest.Check(t, mainCode, []clitest.Case{
		{nil, 2, "usage: mnist"},
		{[]string{"-h"}, 0, "usage: mnist"},
		{[]string{"grid", "-h"}, 0, "usage: mnist"},
	})
}

func TestRunErrors(t *testing.T) {
	data := tinyData(t)
	for _, args := range [][]string{
		nil, {"frobnicate"}, {"stats", "-bogus"}, {"grid", "-data", data, "-set", "dev"},
		{"stats", "-data", t.TempDir()},
	} {
		var stdout, stderr bytes.Buffer
		if err := run(args, &stdout, &stderr); err == nil {
			t.Errorf("run %q: no error", args)
		}
	}
}
