// Package isa decides, once per process and in one place, which vector
// instruction set featlearn's kernels use.
//
// The level is the best the CPU and the operating system support, as
// golang.org/x/sys/cpu reports them:
//
//	AVX512   AVX-512 F, BW, VL and DQ, with the OS saving the ZMM and mask registers
//	AVX2     AVX2 and FMA, with the OS saving the YMM registers
//	Generic  anything else (other architectures included): pure Go
//
// The environment variable FEATLEARN_CPU=avx512|avx2|generic lowers it for
// the whole process, to measure or test a slower path; it never raises it
// above what the CPU has, so an AVX-512 kernel never runs on a CPU without
// AVX-512. Every kernel with an assembly path asks Has before taking it, and
// every path gives results that tests compare with naive references.
//
// Set changes the level at run time. It exists for tests, which run every
// level the machine has; it must not be called while kernels run.
package isa

import (
	"fmt"
	"os"
	"strings"
	"sync/atomic"

	"golang.org/x/sys/cpu"
)

// Level is an instruction-set level; higher levels include the lower ones.
type Level int32

// The levels, slowest first.
const (
	Generic Level = iota
	AVX2
	AVX512
)

var names = [...]string{Generic: "generic", AVX2: "avx2", AVX512: "avx512"}

// String returns the level's name as FEATLEARN_CPU spells it.
func (l Level) String() string {
	if l < Generic || l > AVX512 {
		return fmt.Sprintf("Level(%d)", int32(l))
	}
	return names[l]
}

// Parse returns the level named s (generic, avx2 or avx512, any case).
func Parse(s string) (Level, error) {
	for l, n := range names {
		if strings.EqualFold(strings.TrimSpace(s), n) {
			return Level(l), nil
		}
	}
	return Generic, fmt.Errorf("isa: unknown level %q (want generic, avx2 or avx512)", s)
}

// detect returns the best level the CPU and OS support.
func detect() Level {
	x := &cpu.X86
	switch {
	case x.HasAVX512F && x.HasAVX512BW && x.HasAVX512VL && x.HasAVX512DQ && x.HasAVX2 && x.HasFMA:
		return AVX512
	case x.HasAVX2 && x.HasFMA:
		return AVX2
	}
	return Generic
}

// EnvVar is the environment variable that lowers the level.
const EnvVar = "FEATLEARN_CPU"

var (
	detected = detect()
	current  atomic.Int32
	envNote  string
)

func init() {
	l, note := fromEnv(os.Getenv(EnvVar), detected)
	current.Store(int32(l))
	envNote = note
}

// fromEnv returns the level a FEATLEARN_CPU value asks for on a CPU with
// level det, and a note when the value is ignored or lowered.
func fromEnv(v string, det Level) (Level, string) {
	if v == "" {
		return det, ""
	}
	l, err := Parse(v)
	if err != nil {
		return det, fmt.Sprintf("%s=%q ignored: %v; using %v", EnvVar, v, err, det)
	}
	if l > det {
		return det, fmt.Sprintf("%s=%v asks for more than this CPU has; using %v", EnvVar, l, det)
	}
	return l, ""
}

// Detected returns the best level this CPU and OS support.
func Detected() Level { return detected }

// Current returns the level the kernels use.
func Current() Level { return Level(current.Load()) }

// Has reports whether the kernels may use level l.
func Has(l Level) bool { return Level(current.Load()) >= l }

// Note explains how FEATLEARN_CPU was read when it was ignored or lowered,
// and is empty otherwise.
func Note() string { return envNote }

// Set makes the kernels use level l, lowered to Detected if it is higher,
// and returns the level in force before. Tests use it to run every path;
// it must not be called while kernels run.
func Set(l Level) Level {
	l = max(Generic, min(l, detected))
	return Level(current.Swap(int32(l)))
}

// Available returns every level this machine can run, slowest first.
func Available() []Level {
	ls := make([]Level, 0, 3)
	for l := Generic; l <= detected; l++ {
		ls = append(ls, l)
	}
	return ls
}
