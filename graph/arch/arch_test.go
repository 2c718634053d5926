package arch_test

import (
	"errors"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/featlearn/featlearn/graph"
	"github.com/featlearn/featlearn/graph/arch"
	"github.com/featlearn/featlearn/models/lenet"
)

func TestLeNetSpecBuildsLeNet(t *testing.T) {
	a, err := arch.Parse(lenet.Arch)
	if err != nil {
		t.Fatal(err)
	}
	if a.String() != lenet.Arch {
		t.Errorf("canonical form %q, want %q", a.String(), lenet.Arch)
	}
	for _, seed := range []uint64{1, 42} {
		got, err := a.Build(lenet.Name, lenet.InputShape, 10, seed, arch.DefaultLimits)
		if err != nil {
			t.Fatal(err)
		}
		want, _ := lenet.New(seed)
		gs, _ := got.Summary()
		ws, _ := want.Summary()
		if len(gs) != len(ws) {
			t.Fatalf("%d layers, LeNet-5 has %d", len(gs), len(ws))
		}
		for i := range ws {
			g, w := gs[i], ws[i]
			if g.Path != w.Path || g.Kind != w.Kind || g.Output.String() != w.Output.String() || g.Params != w.Params || g.Fused != w.Fused {
				t.Errorf("layer %d: %+v, LeNet-5's %+v", i, g, w)
			}
		}
		gp, wp := got.Params(), want.Params()
		for i := range wp {
			if gp[i].Name != wp[i].Name || !slices.Equal(gp[i].Float64s(), wp[i].Float64s()) {
				t.Fatalf("seed %d: parameter %s differs from LeNet-5's %s", seed, gp[i].Name, wp[i].Name)
			}
		}
	}
}

func TestSpecsBuildWhatTheySay(t *testing.T) {
	cases := []struct {
		spec  string
		in    []int
		out   int
		names []string // some parameter names
	}{
		{"fc300-relu-fc100-relu-fc10", []int{1, 28, 28}, 10, []string{"fc1.weight", "fc3.bias"}},
		{"conv32@3x3pad1-bn-relu-pool2-conv64@3x3pad1-bn-relu-pool2-fc128-relu-drop0.5-fc", []int{3, 32, 32}, 10,
			[]string{"conv2.weight", "bn2.weight", "bn1.running_var", "fc2.weight"}},
		{"conv16@3x3pad1nobias-bn-relu-res16-res32s2-res64s2-gap-fc10", []int{3, 32, 32}, 10,
			[]string{"res1.conv1.weight", "res2.proj.weight", "res3.bn2.bias"}},
		{"conv8@3x3pad1-relu-[conv8@3x3pad1-bn-relu-conv8@3x3pad1-bn]-relu-pool2-fc10", []int{1, 28, 28}, 10,
			[]string{"block1.conv1.weight", "block1.conv2.weight", "block1.bn2.bias"}},
		{"conv8@3x3pad1-[conv16@3x3pad1s2-relu|conv16@1x1s2]-relu-gap-fc5", []int{3, 16, 16}, 5,
			[]string{"block1.conv1.weight", "block1.conv2.weight"}},
		{"{conv4@1x1|conv4@3x3pad1-relu|conv4@5x5pad2}-relu-avgpool2s2exclpad-fc10", []int{1, 12, 12}, 10,
			[]string{"concat1.branch1.conv1.weight", "concat1.branch3.conv1.bias"}},
		{"lc4@5x5s2-lrelu0.2-flatten-fc10nobias", []int{1, 28, 28}, 10, []string{"lc1.weight", "fc1.weight"}},
		{"conv6@5x5-sigmoid-avgpool2-conv16@5x5-tanh-avgpool2pad1-fc3", []int{1, 32, 32}, 3, []string{"conv2.bias"}},
	}
	for _, c := range cases {
		a, err := arch.Parse(c.spec)
		if err != nil {
			t.Fatalf("%s: %v", c.spec, err)
		}
		info, err := a.Check(c.in, c.out, arch.DefaultLimits)
		if err != nil {
			t.Fatalf("%s: %v", c.spec, err)
		}
		m, err := a.Build("net", c.in, c.out, 3, arch.DefaultLimits)
		if err != nil {
			t.Fatalf("%s: %v", c.spec, err)
		}
		if info.Params != m.NumParams() || !slices.Equal(info.Output, m.OutputShape()) {
			t.Errorf("%s: Check counts %d parameters and output %v, the model has %d and %v",
				c.spec, info.Params, info.Output, m.NumParams(), m.OutputShape())
		}
		for _, n := range c.names {
			if m.Param(n) == nil {
				t.Errorf("%s: no parameter %s", c.spec, n)
			}
		}
		x := make([]float32, 2*graph.Shape(c.in).Size())
		if out, err := m.Predict(x, 2, 2); err != nil || len(out) != 2*c.out {
			t.Errorf("%s: predict gave %d outputs, %v", c.spec, len(out), err)
		}
		again, err := arch.Parse(a.WithClasses(c.out).String())
		if err != nil || again.String() != a.WithClasses(c.out).String() {
			t.Errorf("%s: canonical form %q does not read back: %v", c.spec, a.String(), err)
		}
	}
}

func TestCanonicalForm(t *testing.T) {
	for in, want := range map[string]string{
		" conv8@3x3s1pad0-pool2s2-lrelu0.01-drop0.50-fc ": "conv8@3x3-pool2-lrelu-drop0.5-fc",
		"conv8@3x3s2pad1nobias-avgpool3pad1s1":            "conv8@3x3pad1s2nobias-avgpool3pad1s1",
		"[relu|bn]-{gap|gap}":                             "[relu|bn]-{gap|gap}",
	} {
		a, err := arch.Parse(in)
		if err != nil {
			t.Fatalf("%q: %v", in, err)
		}
		if a.String() != want {
			t.Errorf("%q reads as %q, want %q", in, a.String(), want)
		}
	}
	if got := mustParse(t, "fc300-relu-fc").WithClasses(3).String(); got != "fc300-relu-fc3" {
		t.Errorf("bare fc for 3 classes: %q", got)
	}
}

func TestErrorsNameTheToken(t *testing.T) {
	exact := `arch: token 3 "conv16@5x": want conv<N>@<K>x<K>[pad<P>][s<S>][nobias]`
	if _, err := arch.Parse("conv6@5x5pad2-relu-conv16@5x-relu"); err == nil || err.Error() != exact {
		t.Errorf("got %v, want %s", err, exact)
	}
	cases := []struct{ spec, want string }{
		{"", "empty SPEC"},
		{"conv6@5x3", `token 1 "conv6@5x3": want a square kernel`},
		{"conv0@3x3", `token 1 "conv0@3x3": 0: want a number of at least 1`},
		{"conv99999999999999@3x3", "too large a number"},
		{"conv6@5x5pad2pad1", "pad given twice"},
		{"conv6@5x5-relu--fc10", `token 3 "": want a layer`},
		{"relu-convolution", `token 2 "convolution": want conv<N>`},
		{"fc10-bogus", `token 2 "bogus": want a layer`},
		{"pool2exclpad", `want pool<K>[s<S>][pad<P>]`},
		{"drop1.5", `token 1 "drop1.5": want a dropout rate`},
		{"lrelu2", "want a slope"},
		{"fc10-softmax", "applies the softmax itself"},
		{"[conv8@3x3", "never closed"},
		{"{conv8@1x1}", "one branch"},
		{"[relu|relu|relu]", "has 3 parts"},
		{"relu]", `unexpected ']'`},
	}
	for _, c := range cases {
		_, err := arch.Parse(c.spec)
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), "arch: ") {
			t.Errorf("%q: %v, want %q", c.spec, err, c.want)
		}
	}
	shapes := []struct {
		spec    string
		classes int
		want    string
	}{
		{"fc120-pool2-fc10", 10, `token 2 "pool2": needs a [channels height width] input, gets [120]`},
		{"conv6@5x5-pool30-fc10", 10, `token 2 "pool30": a 30x30 window does not fit a 6x24x24 input`},
		{"pool4pad3-fc10", 10, "padding 3 is more than half"},
		{"fc-relu-fc10", 10, `token 1 "fc": want fc<N>: only the last layer`},
		{"relu-fc", 0, `token 2 "fc": a bare fc needs the number of classes`},
		{"conv8@3x3pad1s2-[conv8@3x3pad1s2]-fc10", 10, "the body gives [8 7 7] but the shortcut [8 14 14]: add a shortcut"},
		{"{conv4@3x3|conv4@3x3pad1}-fc10", 10, "branch 2 gives [4 28 28], branch 1 [4 26 26]"},
		{"conv6@5x5pad2-relu-pool2-fc10", 3, "ends with output [10] but there are 3 classes: end it with fc3"},
		{"conv6@5x5-gap", 3, "ends with output [6] but there are 3 classes"},
	}
	for _, c := range shapes {
		_, err := mustParse(t, c.spec).Check([]int{1, 28, 28}, c.classes, arch.DefaultLimits)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: %v, want %q", c.spec, err, c.want)
		}
	}
}

func TestLimitsRefuseBeforeAllocating(t *testing.T) {
	cases := []struct{ spec, limit string }{
		{"fc60000-relu-fc60000-fc10", arch.LimitParams},
		{"fc70000-fc10", arch.LimitWidth},
		{strings.Repeat("relu-", 600) + "fc10", arch.LimitLayers},
		{"conv4096@3x3pad300-fc10", arch.LimitValues},
	}
	for _, c := range cases {
		a := mustParse(t, c.spec)
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		_, err := a.Build("big", []int{1, 28, 28}, 10, 1, arch.DefaultLimits)
		runtime.ReadMemStats(&after)
		var le *arch.LimitError
		if !errors.As(err, &le) || le.Limit != c.limit {
			t.Errorf("%.40s: %v, want the %s limit", c.spec, err, c.limit)
		}
		if grown := after.TotalAlloc - before.TotalAlloc; grown > 1<<20 {
			t.Errorf("%.40s: %d bytes allocated before refusing", c.spec, grown)
		}
	}
	small := arch.Limits{MaxParams: 1000}
	if _, err := mustParse(t, lenet.Arch).Check(lenet.InputShape, 10, small); err == nil || !strings.Contains(err.Error(), `token 4 "conv16@5x5": makes 2572 parameters so far, more than the limit of 1000`) {
		t.Errorf("LeNet-5 under 1,000 parameters: %v", err)
	}
}

// mustParse parses a SPEC the test knows to be good.
func mustParse(t *testing.T, spec string) *arch.Arch {
	t.Helper()
	a, err := arch.Parse(spec)
	if err != nil {
		t.Fatal(err)
	}
	return a
}
