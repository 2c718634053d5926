package mlp_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/featlearn/featlearn/models/mlp"
)

// FuzzParseArch feeds arbitrary architecture strings, as a checkpoint's
// metadata may hold them, to ParseArch. It must never panic; what it
// accepts must be within the bounds, give one-line errors, and read back
// from its own String unchanged.
func FuzzParseArch(f *testing.F) {
	for _, s := range []string{
		"784-300-100-10 relu", "784-10 sigmoid", "784,64,10 tanh", "784-300-10 relu ",
		"", " ", "784", "784-10", "784-0-10 relu", "784--10 relu", "784-+5-10 relu",
		"784-1000000000-10 relu", "784-" + strings.Repeat("100000-", 50) + "10 relu",
		"784-32768-2047-10 relu", "784-32768-32768-10 relu", "784-9223372036854775807-10 relu",
		"784-" + strings.Repeat("1-", 40) + "10 relu", "784-300-10 relu\x00", "784-30\u0660-10 relu",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, err := mlp.ParseArch(s)
		if err != nil {
			if strings.ContainsAny(err.Error(), "\n\r") {
				t.Fatalf("error %q is not one line", err)
			}
			return
		}
		if len(a.Hidden) > mlp.MaxLayers {
			t.Fatalf("%q: accepted %d hidden layers", s, len(a.Hidden))
		}
		params, in := 0, mlp.Inputs
		for _, h := range append(slices.Clone(a.Hidden), mlp.Classes) {
			if h < 1 || h > mlp.MaxUnits {
				t.Fatalf("%q: accepted a layer of %d units", s, h)
			}
			params += (in + 1) * h
			in = h
		}
		if params > mlp.MaxParams {
			t.Fatalf("%q: accepted %d parameters", s, params)
		}
		b, err := mlp.ParseArch(a.String())
		if err != nil || !slices.Equal(a.Hidden, b.Hidden) || a.Activation != b.Activation {
			t.Fatalf("%q parsed as %q, which reads back as %q, %v", s, a, b, err)
		}
		if _, err := a.Net(); err != nil {
			t.Fatalf("%q accepted but Net refuses it: %v", s, err)
		}
	})
}
