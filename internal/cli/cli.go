// Package cli is what featlearn's binaries share on the command line:
// exit statuses, usage errors, strict flag parsing, the -data flag,
// loading MNIST with progress, and Ctrl-C handling. A binary's main is
// flag parsing over library calls; only main exits.
package cli

import (
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"os/signal"
	"sync/atomic"
	"syscall"

	"github.com/pkg/errors"

	"github.com/featlearn/featlearn/datasets"
)

// Exit statuses of every featlearn binary.
const (
	ExitOK          = 0
	ExitError       = 1
	ExitUsage       = 2
	ExitInterrupted = 130 // as a shell reports a command killed by SIGINT
)

// ErrInterrupted reports work stopped by a signal after saving what it had.
var ErrInterrupted = errors.New("interrupted")

// UsageError marks a mistake in the command line: a bad flag value, a
// stray argument, an unknown command.
type UsageError struct{ Err error }

func (e UsageError) Error() string { return e.Err.Error() }

// Unwrap returns the underlying error.
func (e UsageError) Unwrap() error { return e.Err }

// Usagef returns a UsageError with a formatted message.
func Usagef(format string, args ...any) error {
	return UsageError{errors.Errorf(format, args...)}
}

// Exit prints err as one line "name: message" on stderr (nothing for nil
// or -h) and returns the exit status it calls for.
func Exit(name string, err error, stderr io.Writer) int {
	var ue UsageError
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return ExitOK
	case errors.Is(err, ErrInterrupted):
		return ExitInterrupted
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "%s: %v\n", name, err)
		return ExitUsage
	}
	fmt.Fprintf(stderr, "%s: %v\n", name, err)
	return ExitError
}

// NewFlagSet returns a flag set that reports errors instead of exiting,
// prints to stderr, and whose -h shows usage, a description and the flags.
func NewFlagSet(name, usage, doc string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: %s %s\n\n%s\n", name, usage, doc)
		n := 0
		fs.VisitAll(func(*flag.Flag) { n++ })
		if n > 0 {
			fmt.Fprintln(stderr, "\nflags:")
			fs.PrintDefaults()
		}
	}
	return fs
}

// Parse parses args and refuses positional arguments beyond maxArgs (-1:
// any number), so that a stray word can never silently stop the parsing
// of the flags after it. Every mistake is a UsageError.
//
// The flag package's own report of a bad flag (its message and the whole
// usage) is silenced: the error comes back as one line, and -h still
// prints the usage.
func Parse(fs *flag.FlagSet, args []string, maxArgs int) error {
	usage, out := fs.Usage, fs.Output()
	fs.Usage = func() {}
	fs.SetOutput(io.Discard)
	err := fs.Parse(args)
	fs.Usage = usage
	fs.SetOutput(out)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.Usage()
			return err
		}
		return Usagef("%v (%s -h lists the flags)", err, fs.Name())
	}
	if maxArgs >= 0 && fs.NArg() > maxArgs {
		extra := fs.Arg(maxArgs)
		hint := ""
		if maxArgs == 0 {
			hint = ": this command takes flags only"
		}
		if len(extra) > 0 && extra[0] != '-' && fs.NArg() > maxArgs+1 {
			hint += " (flags after it were not read)"
		}
		return Usagef("unexpected argument %q%s", extra, hint)
	}
	return nil
}

// SetFlags returns the names of the flags given on the command line.
func SetFlags(fs *flag.FlagSet) map[string]bool {
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	return set
}

// DataFlag registers -data, the directory of a data set.
func DataFlag(fs *flag.FlagSet) *string {
	return fs.String("data", "", "directory of the four MNIST IDX files (default: $FEATLEARN_DATA, then the Go module cache)")
}

// LoadMNIST loads MNIST from dir (see datasets.MNISTLoader), reporting its
// steps on stderr.
func LoadMNIST(dir string, stderr io.Writer) (*datasets.MNIST, error) {
	return (&datasets.MNISTLoader{Dir: dir, Progress: stderr}).Load()
}

// Interrupt records a Ctrl-C (SIGINT) or SIGTERM for a long loop to act on
// at its next step. A second signal kills the process as usual.
type Interrupt struct {
	ch  chan os.Signal
	got atomic.Bool
}

// CatchInterrupt starts listening for SIGINT and SIGTERM; Release stops.
func CatchInterrupt() *Interrupt {
	in := &Interrupt{ch: make(chan os.Signal, 1)}
	signal.Notify(in.ch, os.Interrupt, syscall.SIGTERM)
	go func() {
		if _, ok := <-in.ch; ok {
			in.got.Store(true)
			signal.Stop(in.ch) // the next Ctrl-C takes the default action
		}
	}()
	return in
}

// Requested says whether a signal has arrived.
func (in *Interrupt) Requested() bool { return in.got.Load() }

// Release stops listening.
func (in *Interrupt) Release() {
	signal.Stop(in.ch)
	close(in.ch)
}

// IntIn returns a usage error naming the flag unless lo <= v <= hi.
func IntIn(flag string, v, lo, hi int) error {
	if v < lo || v > hi {
		return Usagef("-%s %d: want %d..%d", flag, v, lo, hi)
	}
	return nil
}

// Positive returns a usage error naming the flag unless v is a finite
// number above 0.
func Positive(flag string, v float64) error {
	if !(v > 0) || math.IsInf(v, 0) {
		return Usagef("-%s %v: want a positive number", flag, v)
	}
	return nil
}

// FloatIn returns a usage error naming the flag unless v is a number with
// lo <= v <= hi (NaN never is).
func FloatIn(flag string, v, lo, hi float64) error {
	if !(v >= lo && v <= hi) {
		return Usagef("-%s %v: want %v..%v", flag, v, lo, hi)
	}
	return nil
}

// NonEmpty returns a usage error naming the flag when v is empty.
func NonEmpty(flag, v string) error {
	if v == "" {
		return Usagef("-%s is empty", flag)
	}
	return nil
}

// First returns the first error of errs that is not nil.
func First(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
