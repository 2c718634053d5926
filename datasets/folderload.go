package datasets

import (
	"fmt"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/pkg/errors"
)

// maxSetBytes bounds the bytes of a folder's Sets: 16 GiB.
const maxSetBytes = 16 << 30

// geometry is the size and channels images are stored at.
type geometry struct{ channels, rows, cols int }

// guess is what the first image suggests for the options left open, and
// how to tell whether another image agrees.
type guess struct {
	geometry
	keepSize  bool // the size is the first image's, kept as it is
	grayGuess bool // the channels are 1 because the first image is gray
}

// fits says whether an image of header h leaves the guess standing.
func (g guess) fits(h imageHeader) bool {
	if g.keepSize && (h.width != g.cols || h.height != g.rows) {
		return false
	}
	return !g.grayGuess || h.gray
}

// load reads both sets. When the options leave the size or the channels
// open, the first training image's header sets a guess, and one pass
// reads every file once, checks its header and decodes it. Should a
// header contradict the guess (a second size, a colour image after gray
// ones) the pass goes on reading headers only, and a second pass decodes
// everything at the geometry all the headers call for.
func (l *folderLoad) load() error {
	g, err := l.guess()
	if err != nil {
		return err
	}
	workers := make([]*folderWorker, runtime.GOMAXPROCS(0))
	for i := range workers {
		workers[i] = &folderWorker{}
	}
	var sets [2]*Set
	if sets, err = l.pass(g, workers); err != nil {
		return err
	}
	if sets[0] == nil { // the guess failed: the geometry is known now
		geo := l.settle()
		l.logf("the images differ in size or colour: reading them again")
		if sets, err = l.pass(guess{geometry: geo}, workers); err != nil {
			return err
		}
	}
	if len(l.data.Skipped) > 0 {
		l.logf("skipped %d unreadable images", len(l.data.Skipped))
	}
	if sets[0].N == 0 || sets[1].N == 0 {
		return errors.Errorf("%s: no readable training or test image", l.data.Dir)
	}
	if sets[0].Channels == 3 && l.autoChannels && allGray(sets[0]) && allGray(sets[1]) {
		l.logf("every image is gray: keeping one channel")
		sets[0], sets[1] = toGray(sets[0]), toGray(sets[1])
	}
	l.data.Train, l.data.Test = sets[0], sets[1]
	return l.checkClasses()
}

// guess settles the options given and guesses the others from the first
// readable training image.
func (l *folderLoad) guess() (guess, error) {
	o := l.opt
	g := guess{geometry: geometry{o.Channels, o.Rows, o.Cols}}
	if o.Rows != 0 && o.Channels != 0 {
		return g, nil
	}
	var f fileReader
	var h imageHeader
	var err error
	for _, file := range l.train {
		var data []byte
		if data, err = f.read(file.path); err == nil {
			if h, err = f.header(file.path, data, o.MaxPixels); err == nil {
				break
			}
		}
		if !o.SkipBad {
			return g, errors.Wrap(err, "use -skip-bad to skip unreadable images")
		}
	}
	if err != nil {
		return g, errors.Wrap(err, "no training image can be read")
	}
	if o.Rows == 0 {
		g.rows, g.cols = AutoSide, AutoSide
		if keepable(h.width, h.height) {
			g.rows, g.cols, g.keepSize = h.height, h.width, true
		}
	}
	if o.Channels == 0 {
		g.channels, g.grayGuess = 3, h.gray
		if h.gray {
			g.channels = 1
		}
	}
	return g, nil
}

// keepable says whether an image size can be kept as it is.
func keepable(w, h int) bool {
	return min(w, h) >= AutoMinSide && max(w, h) <= AutoMaxSide
}

// settle chooses the geometry from every header read, by the rules of
// FolderOptions.
func (l *folderLoad) settle() geometry {
	o := l.opt
	g := geometry{o.Channels, o.Rows, o.Cols}
	if g.rows == 0 {
		g.rows, g.cols = AutoSide, AutoSide
		first, same := l.headers[0], true
		for _, h := range l.headers {
			same = same && h.width == first.width && h.height == first.height
		}
		if same && keepable(first.width, first.height) {
			g.rows, g.cols = first.height, first.width
		}
	}
	if g.channels == 0 {
		g.channels = 1
		for _, h := range l.headers {
			if !h.gray {
				g.channels = 3
			}
		}
	}
	return g
}

// folderWorker is one goroutine's file buffer and converter.
type folderWorker struct {
	f    fileReader
	conv *converter
}

// pass reads every training and test file once on all cores, each into
// its place in the Sets. It returns nil Sets when a header contradicts the
// guess, having read every header into l.headers.
func (l *folderLoad) pass(g guess, workers []*folderWorker) ([2]*Set, error) {
	o := l.opt
	size := g.channels * g.rows * g.cols
	if total := int64(size) * int64(len(l.train)+len(l.test)); total > maxSetBytes {
		return [2]*Set{}, errors.Errorf("%d images of %dx%dx%d would take %d MiB, more than %d MiB",
			len(l.train)+len(l.test), g.channels, g.rows, g.cols, total>>20, int64(maxSetBytes)>>20)
	}
	how := fmt.Sprintf("as %dx%d (resized with %s where they differ)", g.cols, g.rows, l.resizeName())
	if g.keepSize {
		how = fmt.Sprintf("at their size, %dx%d", g.cols, g.rows)
	}
	colour := "RGB"
	if g.channels == 1 {
		colour = "gray"
	}
	l.logf("reading %d images %s, %s, on %d cores", len(l.train)+len(l.test), how, colour, len(workers))
	for _, w := range workers {
		var err error
		if w.conv, err = newConverter(g.channels, g.rows, g.cols, o.Resize, o.MaxPixels); err != nil {
			return [2]*Set{}, err
		}
	}
	var sets [2]*Set
	var missed atomic.Bool
	l.headers = l.headers[:0]
	skipped := l.data.Skipped
	for s, files := range [][]imageFile{l.train, l.test} {
		pix, labels := make([]uint8, len(files)*size), make([]uint8, len(files))
		headers := make([]imageHeader, len(files))
		errs := forEach(len(files), !o.SkipBad, func(wi, i int) error {
			w := workers[wi]
			data, err := w.f.read(files[i].path)
			if err != nil {
				return err
			}
			if headers[i], err = w.f.header(files[i].path, data, o.MaxPixels); err != nil {
				return err
			}
			if !g.fits(headers[i]) {
				missed.Store(true)
			}
			if missed.Load() {
				return nil
			}
			img, err := w.f.decode(files[i].path, data, o.MaxPixels)
			if err != nil {
				return err
			}
			labels[i] = uint8(files[i].class)
			w.conv.convert(img, pix[i*size:(i+1)*size])
			return nil
		})
		for i, err := range errs {
			if err == nil {
				l.headers = append(l.headers, headers[i])
			}
		}
		if err := l.skip(files, errs); err != nil {
			return [2]*Set{}, err
		}
		if missed.Load() {
			continue
		}
		n := compact(pix, labels, errs, size)
		set, err := NewImageSet(pix[:n*size:n*size], labels[:n:n], g.channels, g.rows, g.cols, l.classes)
		if err != nil {
			return [2]*Set{}, err
		}
		sets[s] = set
	}
	if missed.Load() {
		l.data.Skipped = skipped // the next pass skips them again
		return [2]*Set{}, nil
	}
	return sets, nil
}

// skip records the files whose reading failed, or returns the first
// failure when bad files are not skipped.
func (l *folderLoad) skip(files []imageFile, errs []error) error {
	for _, err := range errs {
		if err == nil {
			continue
		}
		if !l.opt.SkipBad {
			return errors.Wrap(err, "use -skip-bad to skip unreadable images")
		}
		l.data.Skipped = append(l.data.Skipped, err.Error())
	}
	return nil
}

// checkClasses refuses training classes left without readable images,
// unless the classes are a trained model's.
func (l *folderLoad) checkClasses() error {
	if l.opt.Classes != nil {
		return nil
	}
	counts := l.data.Train.LabelCounts()
	for c, n := range counts {
		if n == 0 {
			return errors.Errorf("training class %q has no readable images", l.classes[c])
		}
	}
	return nil
}

// compact moves the examples read without error to the front and returns
// their number.
func compact(pix, labels []uint8, errs []error, size int) int {
	n := 0
	for i, err := range errs {
		if err != nil {
			continue
		}
		if n != i {
			copy(pix[n*size:(n+1)*size], pix[i*size:(i+1)*size])
			labels[n] = labels[i]
		}
		n++
	}
	return n
}

// allGray says whether every pixel of an RGB Set has equal red, green
// and blue.
func allGray(s *Set) bool {
	plane := s.Rows * s.Cols
	for i := 0; i < s.N; i++ {
		p := s.Pixels(i)
		r, g, b := p[:plane], p[plane:2*plane], p[2*plane:]
		if !slices.Equal(r, g) || !slices.Equal(r, b) {
			return false
		}
	}
	return true
}

// toGray keeps the red plane of an RGB Set whose planes are equal.
func toGray(s *Set) *Set {
	plane := s.Rows * s.Cols
	out := s.like()
	out.Channels, out.N, out.Labels = 1, s.N, s.Labels
	out.Images = make([]uint8, s.N*plane)
	for i := 0; i < s.N; i++ {
		copy(out.Images[i*plane:], s.Pixels(i)[:plane])
	}
	return out
}

// forEach runs fn(w, i) for every i in [0, n) on GOMAXPROCS goroutines,
// w being the goroutine's number, and returns each i's error. With stop,
// the first error ends the work early: items not yet run keep a nil error.
func forEach(n int, stop bool, fn func(w, i int) error) []error {
	errs := make([]error, n)
	var next atomic.Int64
	var failed atomic.Bool
	const chunk = 16
	var wg sync.WaitGroup
	for w := range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				lo := int(next.Add(chunk)) - chunk
				if lo >= n || (stop && failed.Load()) {
					return
				}
				for i := lo; i < min(lo+chunk, n); i++ {
					if errs[i] = fn(w, i); errs[i] != nil {
						failed.Store(true)
					}
				}
			}
		}()
	}
	wg.Wait()
	return errs
}

// resizeName names the interpolation in use.
func (l *folderLoad) resizeName() string {
	if l.opt.Resize == "" {
		return ResizeCatmullRom
	}
	return l.opt.Resize
}
