package datasets

import (
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/pkg/errors"
)

// Defaults of an image folder's loading.
const (
	// DefaultTestFraction is the share of each class a folder without
	// train/ and test/ holds out for testing.
	DefaultTestFraction = 0.2
	// AutoMinSide and AutoMaxSide bound the sides of a folder's common
	// image size for it to be kept as it is when FolderOptions gives no
	// size: from 12, the least LeNet-5 takes, to 64.
	AutoMinSide = 12
	AutoMaxSide = 64
	// AutoSide is the side images are resized to when FolderOptions gives
	// no size and they share none within those bounds.
	AutoSide = 32
)

// FolderOptions says how LoadFolder reads a folder of images.
type FolderOptions struct {
	// Rows and Cols are the size every image is resized to. Zero takes
	// the size all images share when its sides are from AutoMinSide to
	// AutoMaxSide, and AutoSide x AutoSide otherwise.
	Rows, Cols int
	// Channels is 1 (grayscale), 3 (RGB) or 0: 1 when every training and
	// test image is gray (by its header, or else by its pixels), else 3.
	Channels int
	// Resize names the interpolation used when an image's size differs:
	// ResizeCatmullRom (the default, for ""), ResizeBilinear or
	// ResizeNearest.
	Resize string
	// Classes, when set, fixes the classes and their order, as a trained
	// model's checkpoint does; every class folder must be one of them.
	// Nil takes the training folder's class folders in name order.
	Classes []string
	// TestFraction is the share of each class held out for testing when
	// the folder has no train/ and test/ (0: DefaultTestFraction); Seed
	// draws which images.
	TestFraction float64
	Seed         uint64
	// SkipBad skips images that cannot be read, listing them in
	// Data.Skipped, instead of failing on the first.
	SkipBad bool
	// MaxPixels refuses images of more pixels, from their headers
	// (0: DefaultMaxPixels).
	MaxPixels int
	// Progress, when set, hears a line per step.
	Progress io.Writer
}

// imageFile is one image of a folder.
type imageFile struct {
	path, name string
	class      int
}

// folderLayout finds the training and test folders under root: root/train
// and root/test, or root alone ("" for test) to be split.
func folderLayout(root string) (train, test string, err error) {
	fi, err := os.Stat(root)
	if err != nil {
		return "", "", errors.Errorf("data directory %s: %v", root, cleanOSError(err))
	}
	if !fi.IsDir() {
		return "", "", errors.Errorf("data directory %s is not a directory", root)
	}
	isDir := func(p string) bool { fi, err := os.Stat(p); return err == nil && fi.IsDir() }
	tr, te := filepath.Join(root, "train"), filepath.Join(root, "test")
	switch {
	case isDir(tr) && isDir(te):
		return tr, te, nil
	case isDir(tr):
		return tr, "", nil
	case isDir(te):
		return "", "", errors.Errorf("%s has test/ but no train/: put the training images in %s/<class>/", root, tr)
	}
	return root, "", nil
}

// classFolders lists the class folders of dir in name order, skipping
// hidden ones, and says how many image files sit in dir itself.
func classFolders(dir string) (classes []string, loose int, err error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, 0, errors.Errorf("%s: %v", dir, cleanOSError(err))
	}
	for _, e := range entries {
		switch {
		case strings.HasPrefix(e.Name(), "."):
		case e.IsDir():
			classes = append(classes, e.Name())
		case isImageName(e.Name()):
			loose++
		}
	}
	sort.Strings(classes)
	return classes, loose, nil
}

// listImages lists the images of every class folder of dir, the class
// being its index in classes, with the number of other files ignored.
func listImages(dir string, names, classes []string, role string) (files []imageFile, ignored int, err error) {
	index := make(map[string]int, len(classes))
	for i, c := range classes {
		index[c] = i
	}
	for _, name := range names {
		c, ok := index[name]
		if !ok {
			if role == "test" {
				return nil, 0, errors.Errorf("test class %q (%s) is not one of the %d training classes %s",
					name, filepath.Join(dir, name), len(classes), listNames(classes))
			}
			return nil, 0, errors.Errorf("class %q (%s) is not one of the model's %d classes %s",
				name, filepath.Join(dir, name), len(classes), listNames(classes))
		}
		sub := filepath.Join(dir, name)
		entries, err := os.ReadDir(sub)
		if err != nil {
			return nil, 0, errors.Errorf("%s: %v", sub, cleanOSError(err))
		}
		n := 0
		for _, e := range entries {
			if e.IsDir() || strings.HasPrefix(e.Name(), ".") {
				continue
			}
			if !isImageName(e.Name()) {
				ignored++
				continue
			}
			files = append(files, imageFile{path: filepath.Join(sub, e.Name()), name: e.Name(), class: c})
			n++
		}
		if n == 0 {
			return nil, 0, errors.Errorf("%s class %q (%s) has no PNG, JPEG or GIF images", role, name, sub)
		}
	}
	sortFiles(files)
	return files, ignored, nil
}

// sortFiles orders images by file name, then class: a data set written
// as numbered files, such as MNIST's 00000.png to 59999.png, comes back
// in its original order whatever the classes.
func sortFiles(files []imageFile) {
	slices.SortFunc(files, func(a, b imageFile) int {
		if c := strings.Compare(a.name, b.name); c != 0 {
			return c
		}
		return a.class - b.class
	})
}

// listNames writes up to eight names in brackets.
func listNames(names []string) string {
	if len(names) > 8 {
		return "[" + strings.Join(names[:8], " ") + " ...]"
	}
	return "[" + strings.Join(names, " ") + "]"
}

// splitFiles holds out a seeded share of each class for testing; both
// parts keep the name order.
func splitFiles(files []imageFile, classes int, frac float64, seed uint64) (train, test []imageFile) {
	perClass := make([][]int, classes)
	for i, f := range files {
		perClass[f.class] = append(perClass[f.class], i)
	}
	held := make([]bool, len(files))
	rng := newRand(seed)
	for _, idx := range perClass {
		k := min(int(math.Round(frac*float64(len(idx)))), len(idx)-1)
		for _, j := range rng.Perm(len(idx))[:max(k, 0)] {
			held[idx[j]] = true
		}
	}
	for i, f := range files {
		if held[i] {
			test = append(test, f)
		} else {
			train = append(train, f)
		}
	}
	return train, test
}

// LoadFolder reads a folder of images into a training and a test Set.
// The folder holds root/train/<class>/ and root/test/<class>/, or
// root/<class>/ alone, of which a seeded share of each class is held out
// for testing (FolderOptions.TestFraction); root/train/ without test/ is
// split the same way. Class folders sorted by name are the classes;
// images are PNG, JPEG or GIF files, other files are ignored. Every
// image's header is read first: one larger than MaxPixels, or one that
// cannot be read, is an error naming the file (or skipped with SkipBad)
// before any pixel is decoded. Then the images are decoded on every core,
// resized and stored as bytes, one allocation per Set. An empty folder, a
// class without images and a test class the training set lacks are
// errors.
func LoadFolder(root string, opt FolderOptions) (*Data, error) {
	if opt.TestFraction == 0 {
		opt.TestFraction = DefaultTestFraction
	}
	if !(opt.TestFraction > 0 && opt.TestFraction < 1) {
		return nil, errors.Errorf("test fraction %v: want a number between 0 and 1", opt.TestFraction)
	}
	if opt.MaxPixels <= 0 {
		opt.MaxPixels = DefaultMaxPixels
	}
	if _, err := interpolator(opt.Resize); err != nil {
		return nil, err
	}
	if err := checkGeometry(opt.Channels, opt.Rows, opt.Cols); err != nil {
		return nil, err
	}
	trainDir, testDir, err := folderLayout(root)
	if err != nil {
		return nil, err
	}
	l := &folderLoad{opt: opt, data: &Data{Format: FormatFolder, Dir: root}, autoChannels: opt.Channels == 0}
	if err := l.list(trainDir, testDir); err != nil {
		return nil, err
	}
	if err := l.load(); err != nil {
		return nil, err
	}
	return l.data, nil
}

// folderLoad is one LoadFolder call.
type folderLoad struct {
	opt         FolderOptions
	data        *Data
	classes     []string
	train, test []imageFile
	headers     []imageHeader // of every image read, in the last pass
	// autoChannels says the caller left the channels to the images.
	autoChannels bool
}

// checkGeometry refuses channels other than 0, 1 and 3 and sizes out of
// range; rows and cols 0 leave the size to the images.
func checkGeometry(channels, rows, cols int) error {
	if channels != 0 && channels != 1 && channels != 3 {
		return errors.Errorf("%d channels, want 1 (grayscale), 3 (RGB) or 0 (as the images are)", channels)
	}
	if (rows == 0) != (cols == 0) || rows < 0 || cols < 0 || rows > MaxSide || cols > MaxSide {
		return errors.Errorf("image size %dx%d: want both sides 1 to %d, or both 0 (as the images are)", cols, rows, MaxSide)
	}
	return nil
}

// logf reports a step to Progress.
func (l *folderLoad) logf(format string, args ...any) {
	if l.opt.Progress != nil {
		fmt.Fprintf(l.opt.Progress, format+"\n", args...)
	}
}

// list finds the classes and the images of both sets.
func (l *folderLoad) list(trainDir, testDir string) error {
	names, loose, err := classFolders(trainDir)
	if err != nil {
		return err
	}
	if len(names) == 0 {
		if loose > 0 {
			return errors.Errorf("%s holds %d images but no class folders: put each class's images in a folder of its own, %s/<class>/",
				trainDir, loose, trainDir)
		}
		return errors.Errorf("%s is empty: want a folder per class of PNG, JPEG or GIF images, %s/<class>/", trainDir, trainDir)
	}
	l.classes = names
	if l.opt.Classes != nil {
		if err := checkClassNames(l.opt.Classes); err != nil {
			return err
		}
		l.classes = l.opt.Classes
	} else if len(names) > MaxClasses {
		return errors.Errorf("%s has %d class folders, want at most %d", trainDir, len(names), MaxClasses)
	}
	files, ignored, err := listImages(trainDir, names, l.classes, "training")
	if err != nil {
		return err
	}
	if testDir == "" {
		l.train, l.test = splitFiles(files, len(l.classes), l.opt.TestFraction, l.opt.Seed)
		l.data.Layout = fmt.Sprintf("one folder per class, %.0f%% of each held out for testing by seed %d",
			100*l.opt.TestFraction, l.opt.Seed)
	} else {
		tnames, _, err := classFolders(testDir)
		if err != nil {
			return err
		}
		if len(tnames) == 0 {
			return errors.Errorf("%s has no class folders: want %s/<class>/ for some of the training classes", testDir, testDir)
		}
		l.train = files
		var more int
		if l.test, more, err = listImages(testDir, tnames, l.classes, "test"); err != nil {
			return err
		}
		ignored += more
		l.data.Layout = "train/ and test/ folders"
	}
	if len(l.test) == 0 {
		return errors.Errorf("%s: no image is left for testing: add a test/ folder or more images per class", l.data.Dir)
	}
	l.logf("found %d training and %d test images of %d classes in %s (%s)", len(l.train), len(l.test), len(l.classes), l.data.Dir, l.data.Layout)
	if ignored > 0 {
		l.logf("ignored %d files that are not PNG, JPEG or GIF images", ignored)
	}
	return nil
}
