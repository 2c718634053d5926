package cli

import (
	"bytes"
	"errors"
	"flag"
	"math"
	"strings"
	"testing"
)

// TestParse checks the strict parsing every binary shares: a stray word
// or a bad flag is one usage error line, -h prints the usage.
func TestParse(t *testing.T) {
	cases := []struct {
		args  []string
		max   int
		usage bool
		want  string
	}{
		{[]string{"-n", "3"}, 0, false, ""},
		{[]string{"extra", "-n", "3"}, 0, true, `unexpected argument "extra": this command takes flags only (flags after it were not read)`},
		{[]string{"a.png", "b.png"}, 1, true, `unexpected argument "b.png"`},
		{[]string{"a.png", "b.png"}, -1, false, ""},
		{[]string{"-bogus"}, 0, true, "flag provided but not defined: -bogus (tool cmd -h lists the flags)"},
		{[]string{"-n", "x"}, 0, true, `invalid value "x" for flag -n`},
	}
	for _, c := range cases {
		var stderr bytes.Buffer
		fs := NewFlagSet("tool cmd", "[flags]", "does things.", &stderr)
		fs.Int("n", 1, "a number")
		err := Parse(fs, c.args, c.max)
		var ue UsageError
		if errors.As(err, &ue) != c.usage || (c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want))) {
			t.Errorf("%q: %v, want usage error %v with %q", c.args, err, c.usage, c.want)
		}
		if stderr.Len() != 0 {
			t.Errorf("%q: Parse wrote %q; only Exit reports errors", c.args, stderr.String())
		}
		if code := Exit("tool", err, &stderr); (code == ExitUsage) != c.usage || strings.Count(stderr.String(), "\n") > 1 {
			t.Errorf("%q: exit %d, stderr %q", c.args, code, stderr.String())
		}
	}
	var stderr bytes.Buffer
	fs := NewFlagSet("tool", "[flags]", "does things.", &stderr)
	fs.Int("n", 1, "a number")
	if err := Parse(fs, []string{"-h"}, 0); !errors.Is(err, flag.ErrHelp) || !strings.Contains(stderr.String(), "usage: tool [flags]") || !strings.Contains(stderr.String(), "-n int") {
		t.Errorf("-h: %v\n%s", err, stderr.String())
	}
	if code := Exit("tool", ErrInterrupted, &stderr); code != ExitInterrupted {
		t.Errorf("interrupted: exit %d", code)
	}
}

func TestFlagChecks(t *testing.T) {
	for _, c := range []struct {
		err  error
		want string
	}{
		{IntIn("k", 0, 1, 9), "-k 0: want 1..9"},
		{IntIn("k", 10, 1, 9), "-k 10: want 1..9"},
		{Positive("lr", 0), "-lr 0: want a positive number"},
		{Positive("lr", math.NaN()), "-lr NaN"},
		{Positive("lr", math.Inf(1)), "-lr +Inf"},
		{FloatIn("decay", math.NaN(), 0, 1), "-decay NaN: want 0..1"},
		{FloatIn("decay", -0.5, 0, 1), "-decay -0.5"},
		{NonEmpty("out", ""), "-out is empty"},
		{First(nil, IntIn("a", 5, 0, 1), IntIn("b", 5, 0, 1)), "-a 5"},
	} {
		var ue UsageError
		if !errors.As(c.err, &ue) || !strings.Contains(c.err.Error(), c.want) {
			t.Errorf("%v, want a usage error %q", c.err, c.want)
		}
	}
	if err := First(IntIn("k", 3, 1, 9), Positive("lr", 0.1), FloatIn("d", 1, 0, 1), NonEmpty("o", "x")); err != nil {
		t.Errorf("good values: %v", err)
	}
}
