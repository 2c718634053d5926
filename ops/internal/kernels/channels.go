package kernels

import "gorgonia.org/tensor"

// planes returns the number of samples, channels and values per channel
// plane of an (N, C) or (N, C, H, W) shape.
func planes(s tensor.Shape) (n, c, hw int) {
	n, c, hw = s[0], s[1], 1
	if len(s) == 4 {
		hw = s[2] * s[3]
	}
	return n, c, hw
}

// ScaleChannels writes x·w[c] into y.
func ScaleChannels[T float](y, x, w []T, s tensor.Shape) {
	n, c, hw := planes(s)
	for i := 0; i < n; i++ {
		for k := 0; k < c; k++ {
			off, wk := (i*c+k)*hw, w[k]
			for j, v := range x[off : off+hw] {
				y[off+j] = v * wk
			}
		}
	}
}

// ChannelDot writes, for each channel, the sum of x·dy over every sample
// and position, accumulated in float64 in a fixed order.
func ChannelDot[T float](dw, x, dy []T, s tensor.Shape) {
	n, c, hw := planes(s)
	for k := 0; k < c; k++ {
		var sum float64
		for i := 0; i < n; i++ {
			off := (i*c + k) * hw
			for j := off; j < off+hw; j++ {
				sum += float64(x[j]) * float64(dy[j])
			}
		}
		dw[k] = T(sum)
	}
}
