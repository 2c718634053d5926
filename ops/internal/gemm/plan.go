package gemm

import (
	"unsafe"

	"github.com/featlearn/featlearn/ops/internal/workers"
)

// The cost model that chooses how to split a problem across cores counts
// everything in flops.
const (
	// copyCost and gatherCost are the costs of packing one element,
	// against the 32 flops a Zen core does per cycle: about an eighth of a
	// cycle when packing copies rows of 16 (B, or a transposed A), and half
	// a cycle when it gathers across rows (a transposed B, or A).
	copyCost   = 4
	gatherCost = 16
	// syncCost is the cost of handing parts to workers and waiting for
	// them: a few microseconds.
	syncCost = 200_000
	// minSplitCost is the least work worth splitting at all. Below it the
	// caller computes the product alone: waking a parked worker costs a
	// futex call on each side and the worker may start several
	// microseconds late, which a product of a few microseconds (LeNet's
	// layers at batch 1) cannot hide.
	minSplitCost = 1 << 20
	// minKPart is the smallest k a part of a K split gets.
	minKPart = 128
	// maxKSplitMN bounds the C of a K split, whose private copies are
	// kept with the pooled job.
	maxKSplitMN = 64 << 10
)

// How a problem is split.
const (
	splitNone = iota
	splitM
	splitN
	splitK
)

// partCost estimates the cost of an mp×np×kp part, with the loop nest
// runPart would choose for it: the padded flops plus packing. It is a
// float64 so that large products cannot overflow a 32-bit int.
func partCost[T float](pr *problem[T], t *tiles[T], mp, np, kp int) float64 {
	m, n, k := float64(mp), float64(np), float64(kp)
	if useDot(pr, t, mp) {
		if mp == 1 && t.gemv != nil {
			// runGemv: no padding, and bound by the loads of B, which
			// cost about as much as the flops the FMAs could do.
			return 4 * k * float64((np+7)/8*8)
		}
		return 2 * k * float64((mp+2)/3*3) * float64((np+3)/4*4)
	}
	mr, nr := t.main.mr, t.main.nr
	cols := np / nr * nr
	if rem := np - cols; rem > 0 {
		cols += t.pick(rem).nr
	}
	flops := 2 * k * float64((mp+mr-1)/mr*mr) * float64(cols)
	aCost, bCost := float64(gatherCost), float64(copyCost)
	if pr.transA {
		aCost = copyCost
	}
	if pr.transB {
		bCost = gatherCost
	}
	reused := np > nr
	var cost float64
	switch {
	case mp <= smallPanels*mr:
		if reused && (pr.transA || !pr.directA) {
			cost += aCost * m * k
		}
		if pr.transB {
			cost += bCost * k * n
		}
	case !reused || pr.directA:
		cost += bCost * k * n
	default:
		cost += bCost*k*n + aCost*m*k
	}
	return flops + cost
}

// plan chooses the split of pr over at most threads parts.
func plan[T float](pr *problem[T], t *tiles[T], threads int) (split, parts int) {
	m, n, k := pr.m, pr.n, pr.k
	split, parts = splitNone, 1
	best := partCost(pr, t, m, n, k)
	if threads <= 1 || best < max(2*syncCost, minSplitCost) {
		return split, parts
	}
	// A later candidate must be better by 3%, beyond the model's error.
	try := func(s, p int, cost float64) {
		if p > 1 && cost+syncCost < best*(1-1.0/32) {
			split, parts, best = s, p, cost+syncCost
		}
	}
	// M first: on a tie it wins, because its parts write whole rows of C
	// and share no cache lines but at one boundary.
	mr, nr := t.main.mr, t.main.nr
	if tilesM := (m + mr - 1) / mr; tilesM > 1 {
		p := min(threads, tilesM)
		try(splitM, p, partCost(pr, t, min(m, (tilesM+p-1)/p*mr), n, k))
	}
	if tilesN := (n + nr - 1) / nr; tilesN > 1 {
		p := min(threads, tilesN)
		cost := partCost(pr, t, m, min(n, (tilesN+p-1)/p*nr), k)
		if pr.transA && n >= 2*m {
			// Weight gradients (Aᵀ·B, B wide) run 5-15 % faster split
			// along N than the model says, measured on the MLP's and
			// LeNet's dense layers at batch 64: each thread packs half
			// of B rather than all of it.
			cost *= 0.9
		}
		try(splitN, p, cost)
	}
	if p := min(threads, k/minKPart); p > 1 && int64(m)*int64(n) <= maxKSplitMN {
		// Each extra part writes a private m×n product that the caller
		// then adds into C on its own. A K split must also win by 10%:
		// it needs the extra memory and the serial reduction, which suffer
		// most when the other cores are busy.
		cost := partCost(pr, t, m, n, (k+p-1)/p) + 2*gatherCost*float64(m*n*(p-1))
		try(splitK, p, cost*1.1)
	}
	return split, parts
}

// run computes a validated problem.
func run[T float](ks *kernelSet[T], pr *problem[T]) {
	t := prepare(ks, pr)
	split, parts := plan(pr, &t, workers.Threads())
	runSplit(pr, t, split, parts)
}

// prepare chooses the kernels for pr and sets pr.directA.
func prepare[T float](ks *kernelSet[T], pr *problem[T]) tiles[T] {
	t := chooseTiles(ks, pr.n)
	// directA matters only where an A micro-panel is reused, which needs
	// N wider than a tile.
	var z T
	pr.directA = !pr.transA && (pr.n <= t.main.nr || aliasFree(pr.lda, int(unsafe.Sizeof(z)), t.main.mr, pr.k))
	return t
}

// runSplit computes a prepared problem split in parts as plan says.
func runSplit[T float](pr *problem[T], t tiles[T], split, parts int) {
	mr, nr := t.main.mr, t.main.nr
	// No part may be empty: an empty first part of a K split would not
	// apply beta, an empty later one would not clear its buffer.
	switch split {
	case splitM:
		parts = min(parts, (pr.m+mr-1)/mr)
	case splitN:
		parts = min(parts, (pr.n+nr-1)/nr)
	case splitK:
		parts = min(parts, pr.k)
	}
	if parts <= 1 || split == splitNone {
		ws := getWorkspaces()
		pt := part[T]{0, pr.m, 0, pr.n, 0, pr.k, pr.c, pr.ldc, pr.beta}
		runPart(wsOf[T](ws), pr, &t, &pt)
		putWorkspaces(ws)
		return
	}

	jobs := jobsOf[T]()
	j := jobs.Get()
	j.pr, j.t = *pr, t
	j.parts = j.parts[:0]
	mn := pr.m * pr.n
	if split == splitK {
		grow(&j.partial, (parts-1)*mn)
	}
	for i := 0; i < parts; i++ {
		pt := part[T]{0, pr.m, 0, pr.n, 0, pr.k, pr.c, pr.ldc, pr.beta}
		switch split {
		case splitM:
			tl := (pr.m + mr - 1) / mr
			pt.i0, pt.i1 = tl*i/parts*mr, min(pr.m, tl*(i+1)/parts*mr)
		case splitN:
			tl := (pr.n + nr - 1) / nr
			pt.j0, pt.j1 = tl*i/parts*nr, min(pr.n, tl*(i+1)/parts*nr)
		case splitK:
			pt.p0, pt.p1 = pr.k*i/parts, pr.k*(i+1)/parts
			if i > 0 {
				// Extra parts compute alpha·A·B alone; part 0 applies
				// beta to C.
				pt.c, pt.ldc, pt.beta = j.partial[(i-1)*mn:i*mn], pr.n, 0
			}
		}
		j.parts = append(j.parts, pt)
	}

	workers.Run(parts, j)

	if split == splitK {
		for i := 0; i < pr.m; i++ {
			row := pr.c[i*pr.ldc : i*pr.ldc+pr.n]
			for q := 0; q < parts-1; q++ {
				src := j.partial[q*mn+i*pr.n:][:pr.n]
				for jj, v := range src {
					row[jj] += v
				}
			}
		}
	}
	// Run returned, so every part has finished and no worker will touch
	// the job again: drop the references to the caller's matrices and
	// pool it.
	j.pr = problem[T]{}
	clear(j.parts)
	jobs.Put(j)
}

// job is a split problem shared by the threads working on it, as a
// workers.Job.
type job[T float] struct {
	pr      problem[T]
	t       tiles[T]
	parts   []part[T]
	partial []T // K split: the private products of parts 1 and up
}

// Part computes part i with pack buffers of its own.
func (j *job[T]) Part(i, _ int) {
	ws := getWorkspaces()
	runPart(wsOf[T](ws), &j.pr, &j.t, &j.parts[i])
	putWorkspaces(ws)
}

// workspace holds one thread's pack buffers.
type workspace[T float] struct {
	a, b []T
}

// workspaces holds a thread's buffers for both element types.
type workspaces struct {
	f32 workspace[float32]
	f64 workspace[float64]
}

func wsOf[T float](ws *workspaces) *workspace[T] {
	if w, ok := any(&ws.f32).(*workspace[T]); ok {
		return w
	}
	return any(&ws.f64).(*workspace[T])
}

var (
	// threadWS holds pack buffers; a part takes one while it runs.
	threadWS workers.FreeList[workspaces]
	jobs32   workers.FreeList[job[float32]]
	jobs64   workers.FreeList[job[float64]]
)

func getWorkspaces() *workspaces   { return threadWS.Get() }
func putWorkspaces(ws *workspaces) { threadWS.Put(ws) }

func jobsOf[T float]() *workers.FreeList[job[T]] {
	if f, ok := any(&jobs32).(*workers.FreeList[job[T]]); ok {
		return f
	}
	return any(&jobs64).(*workers.FreeList[job[T]])
}
