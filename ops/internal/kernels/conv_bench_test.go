package kernels

import (
	"fmt"
	"testing"
)

// resnetConvs are the convolutions of models/resnet at batch 64: the 5x5
// stem, block1's 3x3 16->16 on 14x14, conv2's 16->32 and block2's 32->32
// on 7x7; and LeNet-5's two.
var resnetConvs = []struct {
	name string
	c    convCase
}{
	{"stem", convCase{[4]int{64, 1, 28, 28}, [4]int{16, 1, 5, 5}, 1, 1, 2, 2}},
	{"block1", convCase{[4]int{64, 16, 14, 14}, [4]int{16, 16, 3, 3}, 1, 1, 1, 1}},
	{"conv2", convCase{[4]int{64, 16, 14, 14}, [4]int{32, 16, 3, 3}, 1, 1, 1, 1}},
	{"block2", convCase{[4]int{64, 32, 7, 7}, [4]int{32, 32, 3, 3}, 1, 1, 1, 1}},
	{"lenet1", convCase{[4]int{64, 1, 28, 28}, [4]int{6, 1, 5, 5}, 1, 1, 2, 2}},
	{"lenet2", convCase{[4]int{64, 6, 14, 14}, [4]int{16, 6, 5, 5}, 1, 1, 0, 0}},
}

// BenchmarkConv times each pass of resnetConvs at the level in force
// (FEATLEARN_CPU chooses it) on dense random operands, reporting
// GFLOP/s of the direct definition.
func BenchmarkConv(b *testing.B) {
	for _, rc := range resnetConvs {
		g := rc.c.geom()
		x, w := to32(randFloats(1, g.n*g.c*g.h*g.w)), to32(randFloats(2, g.out*g.k()))
		bias, dy := to32(randFloats(3, g.out)), to32(randFloats(4, g.n*g.out*g.p()))
		y, dx, dw := make([]float32, len(dy)), make([]float32, len(x)), make([]float32, len(w))
		flops := 2 * float64(g.n*g.out*g.p()*g.k())
		for _, pass := range []struct {
			name string
			run  func()
		}{
			{"fwd", func() { ConvForward(&g, y, x, w, bias) }},
			{"dx", func() { ConvInputGrad(&g, dx, w, dy) }},
			{"dw", func() { ConvFilterGrad(&g, dw, x, dy) }},
		} {
			b.Run(fmt.Sprintf("%s/%s", rc.name, pass.name), func(b *testing.B) {
				pass.run()
				cpu := cpuTime()
				for b.Loop() {
					pass.run()
				}
				reportCPU(b, cpu, flops)
			})
		}
	}
}
