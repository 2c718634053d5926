package datasets

import (
	"math/rand/v2"

	"github.com/pkg/errors"
)

// Batch is one mini-batch in float32, ready to copy into a tensor. Its
// slices have room for a full batch; a partial last batch reslices them to
// N examples. Float64 models convert Index with Set.Float64Batch.
type Batch struct {
	// X holds N images of pixels in [0, 1], row-major: an (N, Channels,
	// Rows, Cols) tensor.
	X []float32
	// Labels holds each example's class.
	Labels []int
	// Y holds the same classes as float32 values, for losses that take
	// class indices as a tensor.
	Y []float32
	// OneHot holds an (N, classes) row-major one-hot encoding of Labels,
	// classes being the Set's NumClasses.
	OneHot []float32
	// Index holds each example's position in the Set.
	Index []int
	// N is the number of examples in the batch.
	N int
}

// NewBatch allocates a Batch with room for size images of rows x cols,
// for callers that own the buffers they hand to Batcher.NextInto.
func NewBatch(size, rows, cols int) *Batch {
	return &Batch{
		X:      make([]float32, size*rows*cols),
		Labels: make([]int, size),
		Y:      make([]float32, size),
		OneHot: make([]float32, size*Classes),
		Index:  make([]int, size),
	}
}

// Batcher walks a Set in mini-batches of a fixed size, epoch after epoch.
// A shuffling Batcher draws a new order at the start of every epoch from a
// PCG generator seeded once, so the same seed always yields the same
// batches. Next reuses one Batch, so a warm Batcher allocates nothing.
//
// Use it as
//
//	for epoch := 0; epoch < epochs; epoch++ {
//		for b.Next() {
//			batch := b.Batch()
//			...
//		}
//	}
type Batcher struct {
	set      *Set
	size     int
	seed     uint64
	shuffle  bool
	dropLast bool
	rng      *rand.Rand
	order    []int
	pos      int
	epoch    int
	batch    *Batch
}

// NewBatcher returns a Batcher over set that shuffles every epoch with the
// given seed. With dropLast a final batch smaller than size is skipped, so
// every batch is full; otherwise it is delivered with N < size.
func NewBatcher(set *Set, size int, seed uint64, dropLast bool) (*Batcher, error) {
	return newBatcher(set, size, seed, true, dropLast)
}

// NewSequentialBatcher returns a Batcher that walks set in order, ending
// with a partial batch when needed: the one to use for evaluation.
func NewSequentialBatcher(set *Set, size int) (*Batcher, error) {
	return newBatcher(set, size, 0, false, false)
}

func newBatcher(set *Set, size int, seed uint64, shuffle, dropLast bool) (*Batcher, error) {
	switch {
	case set == nil || set.N == 0:
		return nil, errors.New("batcher needs a non-empty set")
	case size <= 0:
		return nil, errors.Errorf("batch size %d, want a positive size", size)
	case dropLast && size > set.N:
		return nil, errors.Errorf("batch size %d with dropLast leaves no batch from %d examples", size, set.N)
	}
	b := &Batcher{set: set, size: size, seed: seed, shuffle: shuffle, dropLast: dropLast,
		order: make([]int, set.N), batch: NewBatch(size, set.Rows, set.Cols)}
	b.Reset()
	return b, nil
}

// Reset rewinds the Batcher to the start of its first epoch, reseeding
// the generator, so the batches repeat from the beginning.
func (b *Batcher) Reset() {
	b.rng = newRand(b.seed)
	for i := range b.order {
		b.order[i] = i
	}
	b.epoch = 0
	b.startEpoch()
}

// Next fills the Batcher's own Batch with the next batch and reports true,
// or reports false once the epoch is over; the call after that begins the
// next epoch in a fresh order.
func (b *Batcher) Next() bool { return b.NextInto(b.batch) }

// Batch returns the batch the last Next filled. It is overwritten by the
// next call.
func (b *Batcher) Batch() *Batch { return b.batch }

// NextInto is Next filling a caller-owned Batch; a Batch too small for the
// Batcher's size or image size is reallocated once.
func (b *Batcher) NextInto(dst *Batch) bool {
	if b.pos >= b.end() {
		b.epoch++
		b.startEpoch()
		return false
	}
	n := min(b.size, b.set.N-b.pos)
	b.fill(dst, b.order[b.pos:b.pos+n])
	b.pos += n
	return true
}

// Epoch returns the number of epochs completed so far.
func (b *Batcher) Epoch() int { return b.epoch }

// BatchesPerEpoch returns how many batches one epoch delivers.
func (b *Batcher) BatchesPerEpoch() int { return (b.end() + b.size - 1) / b.size }

// Size returns the batch size.
func (b *Batcher) Size() int { return b.size }

// end returns the position where the epoch stops: the set's end, or the
// last full batch's end with dropLast.
func (b *Batcher) end() int {
	if b.dropLast {
		return b.set.N - b.set.N%b.size
	}
	return b.set.N
}

// startEpoch rewinds to the epoch's first batch, shuffling in place: the
// order depends only on the seed and the number of epochs before.
func (b *Batcher) startEpoch() {
	b.pos = 0
	if !b.shuffle {
		return
	}
	// A hand-written Fisher-Yates keeps the shuffle free of closures and
	// thus of allocations.
	for i := len(b.order) - 1; i > 0; i-- {
		j := b.rng.IntN(i + 1)
		b.order[i], b.order[j] = b.order[j], b.order[i]
	}
}

// fill converts the examples at idx into dst.
func (b *Batcher) fill(dst *Batch, idx []int) {
	n, size := len(idx), b.set.Size()
	dst.N = n
	dst.X = resize(dst.X[:cap(dst.X)], b.size*size)[:n*size]
	dst.Labels = resize(dst.Labels[:cap(dst.Labels)], b.size)[:n]
	dst.Y = resize(dst.Y[:cap(dst.Y)], b.size)[:n]
	k := b.set.NumClasses()
	dst.OneHot = resize(dst.OneHot[:cap(dst.OneHot)], b.size*k)[:n*k]
	dst.Index = resize(dst.Index[:cap(dst.Index)], b.size)[:n]
	b.set.Float32Batch(idx, dst.X)
	clear(dst.OneHot)
	for j, i := range idx {
		l := b.set.Labels[i]
		dst.Labels[j], dst.Y[j], dst.Index[j] = int(l), float32(l), i
		dst.OneHot[j*k+int(l)] = 1
	}
}
