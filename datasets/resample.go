package datasets

// tap is one source sample's weight in an output sample.
type tap struct {
	src    int
	weight float32
}

// resample scales a w x h image to ow x oh by area averaging: each output
// pixel is the mean of the source area it covers, fractional pixels at
// its edges weighted by their overlap. Unlike point sampling it keeps
// thin strokes when shrinking a large photo to 20 pixels. The filter is
// separable, so it runs along rows and then along columns.
func resample(src []float32, w, h, ow, oh int) []float32 {
	cols, rows := areaTaps(w, ow), areaTaps(h, oh)
	tmp := make([]float32, ow*h)
	for y := 0; y < h; y++ {
		for ox, taps := range cols {
			tmp[y*ow+ox] = apply(taps, src[y*w:(y+1)*w], 1)
		}
	}
	out := make([]float32, ow*oh)
	for oy, taps := range rows {
		for x := 0; x < ow; x++ {
			out[oy*ow+x] = apply(taps, tmp[x:], ow)
		}
	}
	return out
}

// apply sums the taps over a line whose samples lie stride apart.
func apply(taps []tap, line []float32, stride int) float32 {
	var sum float32
	for _, t := range taps {
		sum += t.weight * line[t.src*stride]
	}
	return sum
}

// areaTaps returns, for each of m output samples along an axis of n
// source samples, the source samples it overlaps and their weights, which
// sum to one. Output sample o covers source interval [o*n/m, (o+1)*n/m).
func areaTaps(n, m int) [][]tap {
	taps := make([][]tap, m)
	step := float64(n) / float64(m)
	for o := range taps {
		lo, hi := float64(o)*step, float64(o+1)*step
		for s := int(lo); s < n && float64(s) < hi; s++ {
			overlap := min(hi, float64(s+1)) - max(lo, float64(s))
			if overlap > 0 {
				taps[o] = append(taps[o], tap{src: s, weight: float32(overlap / step)})
			}
		}
	}
	return taps
}
