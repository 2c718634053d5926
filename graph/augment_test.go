package graph

import (
	"math"
	"slices"
	"testing"

	"github.com/featlearn/featlearn/datasets"
)

// gatherAll gathers the examples idx of d, in one batch, for an epoch (0:
// Gather).
func gatherAll(t *testing.T, d SizedDataset, epoch int, idx []int) []float32 {
	t.Helper()
	in, _ := d.ExampleSizes()
	x, y := make([]float32, len(idx)*in), make([]float32, len(idx))
	var err error
	if epoch == 0 {
		err = d.Gather(idx, x, y)
	} else {
		err = d.(EpochGatherer).GatherEpoch(epoch, idx, x, y)
	}
	if err != nil {
		t.Fatal(err)
	}
	return x
}

func TestImageDataWithoutOptionsIsImageData(t *testing.T) {
	train, _ := subset(t, 200, 1)
	plain := ImageData(train)
	with, err := ImageDataWith(train, ImageOptions{Seed: 5})
	if err != nil {
		t.Fatal(err)
	}
	idx := []int{3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8, 9, 7, 9, 3, 2, 3, 8, 4}
	want := gatherAll(t, plain, 0, idx)
	for _, epoch := range []int{0, 1, 7} {
		for _, d := range []SizedDataset{plain, with} {
			if got := gatherAll(t, d, epoch, idx); !sameFloat32Bits(got, want) {
				t.Errorf("epoch %d: %T differs from ImageData's pixel/255", epoch, d)
			}
		}
	}
}

// sameFloat32Bits says whether two float32 slices hold the same bits.
func sameFloat32Bits(a, b []float32) bool {
	return slices.EqualFunc(a, b, func(x, y float32) bool { return math.Float32bits(x) == math.Float32bits(y) })
}

// rgbSet returns n RGB images of 5x6 with every byte value somewhere.
func rgbSet(t *testing.T, n int) *datasets.Set {
	t.Helper()
	size := 3 * 5 * 6
	pix, labels := make([]uint8, n*size), make([]uint8, n)
	for i := range pix {
		pix[i] = uint8(i*37 + i/size)
	}
	s, err := datasets.NewImageSet(pix, labels, 3, 5, 6, []string{"x", "y"})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestImageDataNormalisesEachChannel(t *testing.T) {
	s := rgbSet(t, 8)
	mean, std := []float64{0.1, 0.5, 0.9}, []float64{0.2, 0.25, 0.5}
	d, err := ImageDataWith(s, ImageOptions{Mean: mean, Std: std})
	if err != nil {
		t.Fatal(err)
	}
	if in, _ := d.ExampleSizes(); in != 90 {
		t.Fatalf("%d inputs per example, want 3x5x6", in)
	}
	x := gatherAll(t, d, 0, []int{6, 2})
	for k, i := range []int{6, 2} {
		for n, p := range s.Pixels(i) {
			c := n / 30
			want := (float64(p)/255 - mean[c]) / std[c]
			if got := float64(x[k*90+n]); math.Abs(got-want) > 1e-6 {
				t.Fatalf("example %d value %d (channel %d): %v, want %v", i, n, c, got, want)
			}
		}
	}
	for _, o := range []ImageOptions{
		{Mean: []float64{0.1}, Std: []float64{1}},
		{Mean: mean, Std: []float64{1, 0, 1}},
		{Mean: []float64{math.NaN(), 0, 0}, Std: std},
		{Augment: Augment{Rotate: 400}},
		{Augment: Augment{Shift: -1}},
	} {
		if _, err := ImageDataWith(s, o); err == nil {
			t.Errorf("%+v: no error", o)
		}
	}
}

func TestAugmentIsAPureFunctionOfSeedEpochAndIndex(t *testing.T) {
	train, _ := subset(t, 300, 1)
	aug := Augment{Shift: 2, Rotate: 10, Scale: 0.1, Shear: 10}
	d, err := ImageDataWith(train, ImageOptions{Augment: aug, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	idx := make([]int, 200) // enough for ops.Parallel to use both cores
	for i := range idx {
		idx[i] = (i * 7) % 300
	}
	batch := gatherAll(t, d, 2, idx)
	alone := gatherAll(t, d, 2, []int{idx[150]})
	if !sameFloat32Bits(batch[150*784:151*784], alone) {
		t.Error("an example's distortion depends on its batch")
	}
	if again := gatherAll(t, d, 2, idx); !sameFloat32Bits(batch, again) {
		t.Error("the same epoch gave other distortions")
	}
	if other := gatherAll(t, d, 3, idx); sameFloat32Bits(batch, other) {
		t.Error("another epoch gave the same distortions")
	}
	d2, _ := ImageDataWith(train, ImageOptions{Augment: aug, Seed: 4})
	if other := gatherAll(t, d2, 2, idx); sameFloat32Bits(batch, other) {
		t.Error("another seed gave the same distortions")
	}
	if clean := gatherAll(t, d, 0, idx); !sameFloat32Bits(clean, gatherAll(t, ImageData(train), 0, idx)) {
		t.Error("Gather distorted the examples")
	}
	// Distortions move ink about but keep most of it.
	for k := range 20 {
		var before, after float64
		for n := range 784 {
			before += float64(train.Pixels(idx[k])[n]) / 255
			after += float64(batch[k*784+n])
		}
		if after < 0.6*before || after > 1.4*before {
			t.Errorf("example %d: ink %.1f became %.1f", idx[k], before, after)
		}
	}
}

func TestShiftAndFlipMovePixelsExactly(t *testing.T) {
	s := rgbSet(t, 40)
	d, err := ImageDataWith(s, ImageOptions{Augment: Augment{Shift: 1, Flip: true}, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	idx := make([]int, 40)
	for i := range idx {
		idx[i] = i
	}
	x := gatherAll(t, d, 1, idx)
	flips, shifts := 0, map[[2]int]int{}
	for _, i := range idx {
		got, src := x[i*90:(i+1)*90], s.Pixels(i)
		found := false
		for dy := -1; dy <= 1 && !found; dy++ {
			for dx := -1; dx <= 1 && !found; dx++ {
				for _, flip := range []bool{false, true} {
					if matchesShift(got, src, dx, dy, flip) {
						found = true
						shifts[[2]int{dx, dy}]++
						if flip {
							flips++
						}
						break
					}
				}
			}
		}
		if !found {
			t.Fatalf("example %d is no whole-pixel shift or flip of its image", i)
		}
	}
	if flips < 8 || flips > 32 || len(shifts) < 6 {
		t.Errorf("%d of 40 flipped, %d different shifts: not random enough", flips, len(shifts))
	}
}

// matchesShift says whether got is src (3x5x6) mirrored (when flip) and
// shifted by dx, dy, with zeros coming in at the edges.
func matchesShift(got []float32, src []uint8, dx, dy int, flip bool) bool {
	for c := range 3 {
		for y := range 5 {
			for x := range 6 {
				sx, sy := x-dx, y-dy
				if flip {
					sx = 5 - sx
				}
				want := float32(0)
				if sx >= 0 && sx < 6 && sy >= 0 && sy < 5 {
					want = float32(src[c*30+sy*6+sx]) / 255
				}
				if got[c*30+y*6+x] != want {
					return false
				}
			}
		}
	}
	return true
}

func TestDistortRotatesAboutTheCentre(t *testing.T) {
	// A 4x4 image with one bright pixel at (x 3, y 0), the top right.
	src := make([]uint8, 16)
	src[3] = 255
	none := []normalise{{none: true}}
	lut := make([][256]float32, 1)
	for v := range lut[0] {
		lut[0][v] = none[0].apply(float64(v))
	}
	// A quarter turn: the source of output offset (u, v) is (v, -u)
	// for a clockwise turn on screen (y points down).
	quarter := distortion{a: 0, b: 1, c: -1, d: 0}
	dst := make([]float32, 16)
	distort(dst, src, 1, 4, 4, quarter, true, lut, none)
	for i, v := range dst {
		want := float32(0)
		if i == 15 { // the bright pixel moves to the bottom right
			want = 1
		}
		if math.Abs(float64(v-want)) > 1e-6 {
			t.Fatalf("pixel %d: %v, want %v (%v)", i, v, want, dst)
		}
	}
	// The identity through the interpolating path is the copying path.
	for i := range src {
		src[i] = uint8(10 * i)
	}
	for _, flip := range []bool{false, true} {
		id := distortion{a: 1, d: 1, dx: 1, dy: -1, flip: flip}
		a, b := make([]float32, 16), make([]float32, 16)
		distort(a, src, 1, 4, 4, id, true, lut, none)
		distort(b, src, 1, 4, 4, id, false, lut, none)
		if !sameFloat32Bits(a, b) {
			t.Errorf("flip %v: an identity map interpolated %v, copied %v", flip, a, b)
		}
	}
}

// epochRecorder is a Dataset that records the epochs Fit gathers for.
type epochRecorder struct {
	SizedDataset
	epochs []int
}

func (e *epochRecorder) GatherEpoch(epoch int, idx []int, x, y []float32) error {
	e.epochs = append(e.epochs, epoch)
	return e.Gather(idx, x, y)
}

func TestFitGathersWithTheEpoch(t *testing.T) {
	train, _ := subset(t, 64, 1)
	rec := &epochRecorder{SizedDataset: ImageData(train)}
	r := recipe()
	if _, err := r.Fit(smallMLP(t, 1), CrossEntropy{}, rec, FitConfig{}); err != nil {
		t.Fatal(err)
	}
	if want := []int{1, 1, 2, 2}; !slices.Equal(rec.epochs, want) {
		t.Errorf("gathered for epochs %v, want %v", rec.epochs, want)
	}
}

// TestResumeWithAugmentationIsBitIdentical stops a run that distorts its
// images in the middle of an epoch and resumes it: the weights must be
// those of the uninterrupted run.
func TestResumeWithAugmentationIsBitIdentical(t *testing.T) {
	train, val := subset(t, 600, 100)
	r := recipe()
	opts := ImageOptions{Augment: Augment{Shift: 2, Rotate: 8, Scale: 0.1, Shear: 5}, Seed: r.Seed,
		Mean: []float64{0.13}, Std: []float64{0.31}}
	data, err := ImageDataWith(train, opts)
	if err != nil {
		t.Fatal(err)
	}
	valData, _ := ImageDataWith(val, ImageOptions{Mean: opts.Mean, Std: opts.Std})
	fitWith := func(m *Model, cfg FitConfig) *FitResult {
		cfg.Val, cfg.Meta.Model = valData, m.Name()
		res, err := r.Fit(m, CrossEntropy{}, data, cfg)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	whole := smallCNN(t, 5)
	wholeRes := fitWith(whole, FitConfig{})
	plain := smallCNN(t, 5)
	if _, err := r.FitImages(plain, train, val, FitConfig{}); err != nil {
		t.Fatal(err)
	}
	if slices.Equal(whole.Params()[0].Float64s(), plain.Params()[0].Float64s()) {
		t.Fatal("augmentation changed nothing: the test checks nothing")
	}
	dir := t.TempDir()
	cut := fitWith(smallCNN(t, 5), FitConfig{Dir: dir, OnStep: func(s StepInfo) error {
		if s.Step == 25 {
			return ErrStop
		}
		return nil
	}})
	if !cut.Interrupted {
		t.Fatal("the run was not interrupted")
	}
	resumed := smallCNN(t, 5)
	res := fitWith(resumed, FitConfig{Dir: dir, Resume: true})
	sameTensors(t, whole, resumed)
	sameHistory(t, wholeRes.History, res.History)
}
