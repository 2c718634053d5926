package kernels

// Add writes a + b into y, over the cores for large tensors. Each
// element is one addition, so the split does not change the bits.
func Add[T float](y, a, b []T) {
	if len(a) < reluSplit {
		addInto(y, a, b)
		return
	}
	j := getJob[addJob[T]]()
	*j = addJob[T]{y: y, a: a, b: b}
	parallelRun(len(a), reluSplit/2, j)
	putJob(j)
}

// addInto writes a + b into y with the vector addTo.
func addInto[T float](y, a, b []T) {
	copy(y[:len(a)], a)
	addTo(y, b[:len(a)])
}

// addJob is Add over elements [lo, hi).
type addJob[T float] struct{ y, a, b []T }

func (j *addJob[T]) run(lo, hi int) { addInto(j.y[lo:hi], j.a[lo:hi], j.b[lo:hi]) }
