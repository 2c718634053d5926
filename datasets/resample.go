package datasets

// areaAxis maps n source samples onto m output samples along one axis for
// area averaging: output sample o covers the source interval
// [o*n/m, (o+1)*n/m), and each source sample weighs by its overlap with
// it. Weights are computed when needed, never stored, so a 16-megapixel
// row costs no memory.
type areaAxis struct {
	n, m int
	step float64
}

func newAreaAxis(n, m int) areaAxis { return areaAxis{n: n, m: m, step: float64(n) / float64(m)} }

// span returns the source samples [lo, hi) that output sample o overlaps.
func (a areaAxis) span(o int) (lo, hi int) {
	start, end := float64(o)*a.step, float64(o+1)*a.step
	lo = int(start)
	for hi = lo; hi < a.n && float64(hi) < end; hi++ {
	}
	return lo, hi
}

// weight returns source sample s's weight in output sample o, 0 when they
// do not overlap; the weights of an output sample sum to one.
func (a areaAxis) weight(o, s int) float32 {
	start, end := float64(o)*a.step, float64(o+1)*a.step
	overlap := min(end, float64(s+1)) - max(start, float64(s))
	if overlap <= 0 {
		return 0
	}
	return float32(overlap / a.step)
}

// resampleFunc scales a w x h image whose pixels src gives to ow x oh by
// area averaging: each output pixel is the mean of the source area it
// covers, fractional pixels at its edges weighted by their overlap. Unlike
// point sampling it keeps thin strokes when shrinking a large photo to 20
// pixels. The filter is separable: each source row is averaged along the
// row into ow values, which are added into the output rows that row
// overlaps, so only ow values per row are held at a time.
func resampleFunc(src pixelFunc, w, h, ow, oh int) []float32 {
	cols, rows := newAreaAxis(w, ow), newAreaAxis(h, oh)
	line := make([]float32, ow)
	out := make([]float32, ow*oh)
	for y := 0; y < h; y++ {
		for ox := range line {
			var sum float32
			lo, hi := cols.span(ox)
			for x := lo; x < hi; x++ {
				if wt := cols.weight(ox, x); wt > 0 {
					sum += wt * src(x, y)
				}
			}
			line[ox] = sum
		}
		for oy := 0; oy < oh; oy++ {
			wt := rows.weight(oy, y)
			if wt <= 0 {
				continue
			}
			for ox, v := range line {
				out[oy*ow+ox] += wt * v
			}
		}
	}
	return out
}
