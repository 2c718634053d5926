package arch

import (
	"strings"
	"testing"
)

// FuzzParse feeds the SPEC grammar any line: Parse either refuses it with
// an *Error or accepts it, and then what String writes parses back to the
// same string, and Check, under small limits, either refuses it or gives
// counts within them. Nothing panics.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"conv6@5x5pad2-relu-pool2-conv16@5x5-relu-pool2-fc120-relu-fc84-relu-fc10",
		"fc300-relu-fc100-relu-fc10",
		"conv16@5x5pad2nobias-bn-relu-pool2-res16-conv32@3x3pad1nobias-bn-relu-pool2-res32-gap-drop0.2-fc10",
		"conv8@3x3pad1-relu-[conv8@3x3pad1-bn-relu-conv8@3x3pad1-bn]-relu-pool2-fc10",
		"conv8@3x3pad1-[conv16@3x3pad1s2-relu|conv16@1x1s2]-relu-gap-fc10",
		"{conv4@1x1|conv4@3x3pad1|conv4@5x5pad2}-relu-pool2-fc10",
		"lc4@5x5s2-relu-fc10", "avgpool2s1pad1exclpad-lrelu0.2-flatten-fc", "conv16@5x", "[[[[", "fc-", "",
	} {
		f.Add(s)
	}
	lim := Limits{MaxParams: 1 << 20, MaxLayers: 64, MaxWidth: 512, MaxValues: 1 << 22}
	f.Fuzz(func(t *testing.T, spec string) {
		a, err := Parse(spec)
		if err != nil {
			if _, ok := err.(*Error); !ok {
				t.Fatalf("Parse(%q): error %T %v, want an *Error", spec, err, err)
			}
			return
		}
		text := a.String()
		b, err := Parse(text)
		if err != nil || b.String() != text {
			t.Fatalf("Parse(%q) wrote %q, which reads back as %v, %v", spec, text, b, err)
		}
		for _, in := range [][]int{{1, 28, 28}, {3, 16, 16}, {20}} {
			info, err := a.Check(in, 10, lim)
			if err != nil {
				if !strings.Contains(err.Error(), "arch") && !strings.Contains(err.Error(), "layer") {
					t.Fatalf("Check(%q, %v): error %q names neither the SPEC nor a layer", spec, in, err)
				}
				continue
			}
			if info.Params > lim.MaxParams {
				t.Fatalf("Check(%q, %v) let %d parameters through a limit of %d", spec, in, info.Params, lim.MaxParams)
			}
		}
	})
}
