package datasets

import (
	"fmt"
	"io"

	"github.com/pkg/errors"
)

// ValidationSize is the customary MNIST validation set: the last 5,000
// training images.
const ValidationSize = 5000

// MNIST holds the training and test sets and the directory they came
// from.
type MNIST struct {
	Train, Test *Set
	Dir         string
}

// TrainVal splits the training set into the first 55,000 images for
// training and the last ValidationSize for validation, without copying.
func (m *MNIST) TrainVal() (train, val *Set, err error) {
	return m.Train.SplitLast(ValidationSize)
}

// MNISTLoader loads MNIST, reporting slow steps to Progress when it is
// not nil. Its zero value loads like LoadMNIST("").
type MNISTLoader struct {
	// Dir holds the four IDX files; "" means FEATLEARN_DATA, then the Go
	// module cache.
	Dir string
	// Progress receives a line per step, for command-line tools.
	Progress io.Writer
}

// LoadMNIST loads MNIST's training and test sets from dir, which holds the
// four standard files gzipped or raw. With dir "" it uses the directory in
// FEATLEARN_DATA, or else the original files in the Go module cache,
// downloading the module with the go command if needed and checking the
// files' SHA-256 sums. When nothing is found the error says what to do.
func LoadMNIST(dir string) (*MNIST, error) {
	return (&MNISTLoader{Dir: dir}).Load()
}

// Load finds and loads MNIST as LoadMNIST does.
func (l *MNISTLoader) Load() (*MNIST, error) {
	src, err := locate(l.Dir, l.Progress)
	if err != nil {
		return nil, err
	}
	if src.verify {
		l.logf("verifying %s", src.dir)
		if err := verifyFiles(src); err != nil {
			return nil, err
		}
	}
	m := &MNIST{Dir: src.dir}
	l.logf("reading training set from %s", src.dir)
	if m.Train, err = LoadIDXFiles(src.paths[0], src.paths[1]); err != nil {
		return nil, err
	}
	l.logf("reading test set from %s", src.dir)
	if m.Test, err = LoadIDXFiles(src.paths[2], src.paths[3]); err != nil {
		return nil, err
	}
	return m, nil
}

// FindMNIST returns the directory LoadMNIST(dir) would read, without
// reading it.
func FindMNIST(dir string) (string, error) {
	src, err := locate(dir, nil)
	if err != nil {
		return "", err
	}
	return src.dir, nil
}

func (l *MNISTLoader) logf(format string, args ...any) {
	if l.Progress != nil {
		fmt.Fprintf(l.Progress, format+"\n", args...)
	}
}

// LoadIDXFiles reads an IDX image file and its IDX label file into a Set.
// It reads both headers first and checks that they declare the same
// number of examples before it reads any data, so a mismatched or hostile
// pair costs two headers to refuse.
func LoadIDXFiles(imagesPath, labelsPath string) (*Set, error) {
	fi, size, err := openFile(imagesPath)
	if err != nil {
		return nil, err
	}
	defer fi.Close()
	imgs, err := openIDX(fi, imagesPath, size, imagesMagic)
	if err != nil {
		return nil, err
	}
	fl, size, err := openFile(labelsPath)
	if err != nil {
		return nil, err
	}
	defer fl.Close()
	labs, err := openIDX(fl, labelsPath, size, labelsMagic)
	if err != nil {
		return nil, err
	}
	if labs.dims[0] != imgs.dims[0] {
		return nil, errors.Errorf("%s holds %d images but %s holds %d labels",
			imagesPath, imgs.dims[0], labelsPath, labs.dims[0])
	}
	labels, err := labs.labels()
	if err != nil {
		return nil, err
	}
	images, err := imgs.images()
	if err != nil {
		return nil, err
	}
	return NewSet(images.Pixels, labels, images.Rows, images.Cols)
}
