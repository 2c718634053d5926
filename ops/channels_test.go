package ops

import (
	"strings"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

func scaleCh(xs ...*G.Node) (*G.Node, error) { return ScaleChannels(xs[0], xs[1]) }

// naiveScaleChannels multiplies every value of channel c by w[c].
func naiveScaleChannels(x, w *tensor.Dense) *tensor.Dense {
	s := x.Shape()
	hw := x.Size() / (s[0] * s[1])
	out := x.Clone().(*tensor.Dense)
	for i, v := range x.Float64s() {
		out.Float64s()[i] = v * w.Float64s()[i/hw%s[1]]
	}
	return out
}

func TestScaleChannelsForward(t *testing.T) {
	x, w := t64([]float64{1, 2, 3, 4, 5, 6}, 2, 3), t64([]float64{10, -1, 0.5}, 3)
	checkForward(t, scaleCh, t64([]float64{10, -2, 1.5, 40, -5, 3}, 2, 3), x, w)
	x4, w4 := randT(1, 3, 4, 5, 2), randT(2, 4)
	checkForward(t, scaleCh, naiveScaleChannels(x4, w4), x4, w4)
}

func TestScaleChannelsGrad(t *testing.T) {
	checkGrad(t, scaleCh, randT(1, 2, 3, 4, 5), randT(2, 3))
	checkGrad(t, scaleCh, randT(3, 4, 6), randT(4, 6))
}

func TestScaleChannelsErrors(t *testing.T) {
	for _, shapes := range [][2][]int{{{2, 3}, {2}}, {{2, 3, 4}, {3}}, {{2, 3}, {3, 1}}} {
		_, err := compile(t, scaleCh, tensor.Float64, randT(1, shapes[0]...), randT(2, shapes[1]...))
		if err == nil || !strings.Contains(err.Error(), "scale channels") {
			t.Errorf("shapes %v: error %v, want one naming both shapes", shapes, err)
		}
	}
}
