package datasets

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"

	"github.com/pkg/errors"
)

// Set is a labelled set of N images of Rows x Cols pixels, grayscale
// (MNIST's) or colour. Images holds the pixels as bytes, image after
// image; an image is Channels planes (planar CHW: all its red bytes, then
// green, then blue), each row-major. For digits 0 is background and 255
// is ink, as in MNIST. Labels holds one class in 0..NumClasses()-1 per
// image. Keeping bytes costs a quarter of float32's memory; the Float32s
// methods and Batcher convert on demand.
//
// The zero values of the last two fields describe MNIST: Channels 0 means
// one (grayscale) and ClassNames nil the ten digits, so Sets written
// before colour and named classes existed keep their meaning.
type Set struct {
	Images        []uint8
	Labels        []uint8
	N, Rows, Cols int
	// Channels is the number of planes of each image: 1 (or 0) for
	// grayscale, 3 for RGB.
	Channels int
	// ClassNames names the classes, label l being ClassNames[l]; nil
	// means the ten digits "0" to "9".
	ClassNames []string
}

// MaxClasses is the most classes a Set can hold: labels are bytes.
const MaxClasses = 256

// NewSet checks that images holds one rows x cols image per label and that
// every label is a class, and wraps them in a Set without copying.
func NewSet(images, labels []uint8, rows, cols int) (*Set, error) {
	if rows <= 0 || cols <= 0 {
		return nil, errors.Errorf("image size %dx%d, want positive rows and columns", rows, cols)
	}
	if len(images) != len(labels)*rows*cols {
		return nil, errors.Errorf("%d pixels for %d labels of %dx%d images, want %d",
			len(images), len(labels), rows, cols, len(labels)*rows*cols)
	}
	for i, l := range labels {
		if l >= Classes {
			return nil, errors.Errorf("label %d is %d, want 0..%d", i, l, Classes-1)
		}
	}
	return &Set{Images: images, Labels: labels, N: len(labels), Rows: rows, Cols: cols}, nil
}

// NewImageSet checks that images holds one image of channels planes of
// rows x cols bytes per label, that there are one to MaxClasses class
// names, all different, and that every label names one of them, and wraps
// them in a Set without copying.
func NewImageSet(images, labels []uint8, channels, rows, cols int, classes []string) (*Set, error) {
	if channels != 1 && channels != 3 {
		return nil, errors.Errorf("%d channels, want 1 (grayscale) or 3 (RGB)", channels)
	}
	if rows <= 0 || cols <= 0 {
		return nil, errors.Errorf("image size %dx%d, want positive rows and columns", rows, cols)
	}
	if err := checkClassNames(classes); err != nil {
		return nil, err
	}
	if size := channels * rows * cols; len(images) != len(labels)*size {
		return nil, errors.Errorf("%d bytes for %d labels of %dx%dx%d images, want %d",
			len(images), len(labels), channels, rows, cols, len(labels)*size)
	}
	for i, l := range labels {
		if int(l) >= len(classes) {
			return nil, errors.Errorf("label %d is %d, want 0..%d", i, l, len(classes)-1)
		}
	}
	return &Set{Images: images, Labels: labels, N: len(labels), Rows: rows, Cols: cols,
		Channels: channels, ClassNames: classes}, nil
}

// checkClassNames refuses an empty or oversized list of class names, an
// empty name and a name given twice.
func checkClassNames(classes []string) error {
	if len(classes) == 0 || len(classes) > MaxClasses {
		return errors.Errorf("%d classes, want 1..%d", len(classes), MaxClasses)
	}
	seen := make(map[string]bool, len(classes))
	for _, c := range classes {
		if c == "" || seen[c] {
			return errors.Errorf("class name %q is empty or given twice", c)
		}
		seen[c] = true
	}
	return nil
}

// Len returns the number of examples.
func (s *Set) Len() int { return s.N }

// NumChannels returns the number of planes of each image: 1 for
// grayscale, 3 for RGB.
func (s *Set) NumChannels() int { return max(s.Channels, 1) }

// NumClasses returns the number of classes: len(ClassNames), or 10 for
// the digits.
func (s *Set) NumClasses() int {
	if len(s.ClassNames) > 0 {
		return len(s.ClassNames)
	}
	return Classes
}

// Names returns the class names: ClassNames, or "0" to "9" for the
// digits. The slice is the caller's.
func (s *Set) Names() []string {
	if len(s.ClassNames) > 0 {
		return append([]string(nil), s.ClassNames...)
	}
	return DigitNames()
}

// DigitNames returns the names of MNIST's classes, "0" to "9".
func DigitNames() []string {
	names := make([]string, Classes)
	for i := range names {
		names[i] = fmt.Sprint(i)
	}
	return names
}

// Size returns the number of bytes of one image: Channels x Rows x Cols.
func (s *Set) Size() int { return s.NumChannels() * s.Rows * s.Cols }

// like returns an empty Set of s's geometry and classes.
func (s *Set) like() *Set {
	return &Set{Rows: s.Rows, Cols: s.Cols, Channels: s.Channels, ClassNames: s.ClassNames}
}

// Pixels returns image i's bytes as a view into the Set. Like slice
// indexing it panics when i is out of range.
func (s *Set) Pixels(i int) []uint8 {
	size := s.Size()
	return s.Images[i*size : (i+1)*size : (i+1)*size]
}

// Label returns example i's class.
func (s *Set) Label(i int) int { return int(s.Labels[i]) }

// Float32s writes image i's pixels scaled to [0, 1] into dst, reusing it
// when it is large enough, and returns the filled slice.
func (s *Set) Float32s(i int, dst []float32) []float32 {
	return PixelsToFloat32(s.Pixels(i), dst)
}

// Float64s is Float32s for float64 users.
func (s *Set) Float64s(i int, dst []float64) []float64 {
	return PixelsToFloat64(s.Pixels(i), dst)
}

// Float32Batch writes the images at idx, one after another and scaled to
// [0, 1], into dst, reusing it when it is large enough: an (len(idx), 1,
// Rows, Cols) tensor. It panics, like Pixels, on an index out of range.
func (s *Set) Float32Batch(idx []int, dst []float32) []float32 {
	size := s.Size()
	dst = resize(dst, len(idx)*size)
	for j, i := range idx {
		PixelsToFloat32(s.Pixels(i), dst[j*size:(j+1)*size])
	}
	return dst
}

// Float64Batch is Float32Batch for float64 users.
func (s *Set) Float64Batch(idx []int, dst []float64) []float64 {
	size := s.Size()
	dst = resize(dst, len(idx)*size)
	for j, i := range idx {
		PixelsToFloat64(s.Pixels(i), dst[j*size:(j+1)*size])
	}
	return dst
}

// Subset returns a new Set holding copies of the examples at idx, in that
// order; an index may repeat.
func (s *Set) Subset(idx []int) (*Set, error) {
	size := s.Size()
	out := s.like()
	out.Images, out.Labels, out.N = make([]uint8, len(idx)*size), make([]uint8, len(idx)), len(idx)
	for j, i := range idx {
		if i < 0 || i >= s.N {
			return nil, errors.Errorf("subset index %d (position %d) is outside 0..%d", i, j, s.N-1)
		}
		copy(out.Images[j*size:], s.Pixels(i))
		out.Labels[j] = s.Labels[i]
	}
	return out, nil
}

// Slice returns examples from..to-1 as a Set sharing s's memory.
func (s *Set) Slice(from, to int) (*Set, error) {
	if from < 0 || to > s.N || from > to {
		return nil, errors.Errorf("slice %d:%d of a set of %d", from, to, s.N)
	}
	size := s.Size()
	out := s.like()
	out.Images, out.Labels, out.N = s.Images[from*size:to*size:to*size], s.Labels[from:to:to], to-from
	return out, nil
}

// First returns the first n examples as a Set sharing s's memory, or s
// itself when n is 0 or at least N: the one way quick runs and tests cut
// a set short.
func (s *Set) First(n int) *Set {
	if n <= 0 || n >= s.N {
		return s
	}
	f, _ := s.Slice(0, n)
	return f
}

// Limit keeps the first trainN training and testN test examples (0 keeps
// a whole set), so quick runs and tests can use a prefix of a data set.
func Limit(train, test *Set, trainN, testN int) (*Set, *Set, error) {
	if train == nil || test == nil || train.N == 0 || test.N == 0 {
		return nil, nil, errors.New("need non-empty training and test sets")
	}
	if trainN < 0 || testN < 0 {
		return nil, nil, errors.Errorf("limits %d and %d, want >= 0", trainN, testN)
	}
	return train.First(trainN), test.First(testN), nil
}

// SplitLast keeps the last n examples for validation, the usual MNIST
// split (n = ValidationSize). Both halves share s's memory.
func (s *Set) SplitLast(n int) (train, val *Set, err error) {
	if n < 0 || n > s.N {
		return nil, nil, errors.Errorf("validation size %d, want 0..%d", n, s.N)
	}
	train, _ = s.Slice(0, s.N-n)
	val, _ = s.Slice(s.N-n, s.N)
	return train, val, nil
}

// SplitRandom draws n examples for validation with a PCG generator seeded
// by seed; the same seed gives the same split. Both halves are copies that
// keep the original order.
func (s *Set) SplitRandom(n int, seed uint64) (train, val *Set, err error) {
	if n < 0 || n > s.N {
		return nil, nil, errors.Errorf("validation size %d, want 0..%d", n, s.N)
	}
	perm := newRand(seed).Perm(s.N)
	inVal := make([]bool, s.N)
	for _, i := range perm[:n] {
		inVal[i] = true
	}
	var trainIdx, valIdx []int
	for i, v := range inVal {
		if v {
			valIdx = append(valIdx, i)
		} else {
			trainIdx = append(trainIdx, i)
		}
	}
	if train, err = s.Subset(trainIdx); err != nil {
		return nil, nil, err
	}
	val, err = s.Subset(valIdx)
	return train, val, err
}

// LabelCounts returns how many examples each class has.
func (s *Set) LabelCounts() []int {
	counts := make([]int, max(s.NumClasses(), MaxClasses))
	for _, l := range s.Labels {
		counts[l]++
	}
	counts = counts[:s.NumClasses()]
	return counts
}

// PixelStats returns the mean and the standard deviation of all pixels,
// scaled to [0, 1].
func (s *Set) PixelStats() (mean, std float64) {
	var hist [256]int
	for _, p := range s.Images {
		hist[p]++
	}
	// A histogram makes the two passes over 47 MB one pass plus 256 steps.
	n := float64(len(s.Images))
	if n == 0 {
		return 0, 0
	}
	for v, c := range hist {
		mean += float64(c) * float64(v) / 255
	}
	mean /= n
	for v, c := range hist {
		d := float64(v)/255 - mean
		std += float64(c) * d * d
	}
	return mean, math.Sqrt(std / n)
}

// Stats summarises a Set.
type Stats struct {
	N, Rows, Cols int
	LabelCounts   []int
	Mean, Std     float64
}

// Stats computes the Set's summary statistics.
func (s *Set) Stats() Stats {
	mean, std := s.PixelStats()
	return Stats{N: s.N, Rows: s.Rows, Cols: s.Cols, LabelCounts: s.LabelCounts(), Mean: mean, Std: std}
}

// String renders the statistics on a few lines.
func (st Stats) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "images:       %d of %dx%d\n", st.N, st.Rows, st.Cols)
	fmt.Fprintf(&b, "pixel mean:   %.4f\npixel std:    %.4f\nlabel counts:", st.Mean, st.Std)
	for c, n := range st.LabelCounts {
		fmt.Fprintf(&b, " %d:%d", c, n)
	}
	return b.String() + "\n"
}

// PixelsToFloat32 writes pixels scaled to [0, 1] into dst, reusing dst
// when it is large enough, and returns the filled slice.
func PixelsToFloat32(pixels []uint8, dst []float32) []float32 {
	dst = resize(dst, len(pixels))
	for i, p := range pixels {
		dst[i] = scale32[p]
	}
	return dst
}

// PixelsToFloat64 is PixelsToFloat32 for float64 users.
func PixelsToFloat64(pixels []uint8, dst []float64) []float64 {
	dst = resize(dst, len(pixels))
	for i, p := range pixels {
		dst[i] = float64(p) / 255
	}
	return dst
}

// scale32 maps a byte to byte/255 by lookup, which is faster than dividing
// and gives exactly the same values every time.
var scale32 = func() (t [256]float32) {
	for i := range t {
		t[i] = float32(i) / 255
	}
	return t
}()

// resize returns dst with length n, reallocating only when it is too
// small.
func resize[T any](dst []T, n int) []T {
	if cap(dst) < n {
		return make([]T, n)
	}
	return dst[:n]
}

// newRand returns a PCG generator seeded explicitly by seed; the second
// PCG word is a fixed odd constant so that seed alone fixes the stream.
func newRand(seed uint64) *rand.Rand {
	return rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))
}
