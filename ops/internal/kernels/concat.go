package kernels

// Concat copies x, outer blocks of size elements, into the blocks at
// offset off of y's outer rows of row elements, or with back set copies
// those blocks of y into x. Large copies are spread over the cores by
// rows.
func Concat[T float](y, x []T, outer, row, off, size int, back bool) {
	j := getJob[concatJob[T]]()
	*j = concatJob[T]{y: y, x: x, row: row, off: off, size: size, back: back}
	parallelRun(outer, max(1, reluSplit/max(1, size)), j)
	putJob(j)
}

// concatJob is Concat over outer rows [lo, hi).
type concatJob[T float] struct {
	y, x           []T
	row, off, size int
	back           bool
}

func (j *concatJob[T]) run(lo, hi int) {
	for o := lo; o < hi; o++ {
		ys, xs := j.y[o*j.row+j.off:][:j.size], j.x[o*j.size:][:j.size]
		if j.back {
			copy(xs, ys)
		} else {
			copy(ys, xs)
		}
	}
}
