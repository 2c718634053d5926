package isa

import "testing"

func TestFromEnv(t *testing.T) {
	cases := []struct {
		v        string
		det      Level
		want     Level
		wantNote bool
	}{
		{"", AVX512, AVX512, false},
		{"avx2", AVX512, AVX2, false},
		{"AVX512", AVX512, AVX512, false},
		{" generic ", AVX2, Generic, false},
		{"avx512", AVX2, AVX2, true}, // never faster than the CPU
		{"avx512", Generic, Generic, true},
		{"sse", AVX2, AVX2, true},
	}
	for _, c := range cases {
		got, note := fromEnv(c.v, c.det)
		if got != c.want || (note != "") != c.wantNote {
			t.Errorf("fromEnv(%q, %v) = %v, %q; want %v, note %v", c.v, c.det, got, note, c.want, c.wantNote)
		}
	}
}

func TestSetNeverExceedsDetected(t *testing.T) {
	prev := Set(AVX512)
	defer Set(prev)
	if Current() > Detected() {
		t.Fatalf("Set(AVX512) gave %v on a CPU with %v", Current(), Detected())
	}
	Set(Generic)
	if Current() != Generic || Has(AVX2) {
		t.Fatalf("Set(Generic): Current %v, Has(AVX2) %v", Current(), Has(AVX2))
	}
	if ls := Available(); ls[0] != Generic || ls[len(ls)-1] != Detected() {
		t.Fatalf("Available() = %v with %v detected", ls, Detected())
	}
}

func TestParseNames(t *testing.T) {
	for _, l := range []Level{Generic, AVX2, AVX512} {
		if got, err := Parse(l.String()); err != nil || got != l {
			t.Errorf("Parse(%q) = %v, %v", l.String(), got, err)
		}
	}
}
