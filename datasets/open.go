package datasets

import (
	"fmt"
	"os"
	"slices"

	"github.com/pkg/errors"
)

// Formats of data directories Load reads.
const (
	FormatIDX     = "idx"     // MNIST's four IDX files
	FormatCIFAR10 = "cifar10" // CIFAR-10's binary batches
	FormatFolder  = "folder"  // a folder of images, a folder per class
)

// Data is a training and a test set read from one place.
type Data struct {
	Train, Test *Set
	// Format is FormatIDX, FormatCIFAR10 or FormatFolder.
	Format string
	// Dir is the directory the data came from.
	Dir string
	// Layout says how the files were arranged, such as "train/ and test/
	// folders".
	Layout string
	// Skipped lists the images FolderOptions.SkipBad skipped, each as
	// "path: reason".
	Skipped []string
}

// FormatName names a format in messages.
func FormatName(format string) string {
	switch format {
	case FormatIDX:
		return "MNIST IDX files"
	case FormatCIFAR10:
		return "CIFAR-10 binary batches"
	case FormatFolder:
		return "an image folder"
	}
	return format
}

// Describe says in one line what was read, such as "MNIST IDX files in
// DIR: 60000 training and 10000 test images, 1x28x28, 10 classes".
func (d *Data) Describe() string {
	t := d.Train
	s := fmt.Sprintf("%s in %s: %d training and %d test images, %dx%dx%d, %d classes",
		FormatName(d.Format), d.Dir, t.N, d.Test.N, t.NumChannels(), t.Rows, t.Cols, t.NumClasses())
	if d.Format == FormatFolder {
		s += fmt.Sprintf(" (%s)", d.Layout)
	}
	return s
}

// DetectFormat says which format the directory dir holds: FormatIDX when
// it holds MNIST's four IDX files (gzipped or raw), FormatCIFAR10 when it
// or its cifar-10-batches-bin folder holds CIFAR-10's batches, and
// FormatFolder for any other directory. A directory holding some but not
// all of MNIST's files is an error naming the missing ones.
func DetectFormat(dir string) (string, error) {
	fi, err := os.Stat(dir)
	if err != nil {
		return "", errors.Errorf("data directory %s: %v", dir, cleanOSError(err))
	}
	if !fi.IsDir() {
		return "", errors.Errorf("data directory %s is not a directory", dir)
	}
	found := 0
	for _, base := range mnistFiles {
		if findFile(dir, base) != "" {
			found++
		}
	}
	switch {
	case found == len(mnistFiles):
		return FormatIDX, nil
	case found > 0:
		_, err := fromDir(dir, "data directory "+dir)
		return "", err
	case cifarDir(dir) != "":
		return FormatCIFAR10, nil
	}
	return FormatFolder, nil
}

// Load reads the data in dir, whatever its format (DetectFormat): MNIST
// when dir is "" (as LoadMNIST("") finds it). opt applies to image
// folders; for the other formats its size and channels, when set, must
// be the data's, and its classes the data's classes.
func Load(dir string, opt FolderOptions) (*Data, error) {
	format := FormatIDX
	if dir != "" {
		var err error
		if format, err = DetectFormat(dir); err != nil {
			return nil, err
		}
	}
	if opt.Progress != nil && dir != "" {
		fmt.Fprintf(opt.Progress, "%s holds %s\n", dir, FormatName(format))
	}
	var d *Data
	switch format {
	case FormatFolder:
		return LoadFolder(dir, opt)
	case FormatCIFAR10:
		var err error
		if d, err = LoadCIFAR10(dir); err != nil {
			return nil, err
		}
	default:
		m, err := (&MNISTLoader{Dir: dir, Progress: opt.Progress}).Load()
		if err != nil {
			return nil, err
		}
		d = &Data{Train: m.Train, Test: m.Test, Format: FormatIDX, Dir: m.Dir, Layout: "the four IDX files"}
	}
	return d, d.fits(opt)
}

// fits checks that data of a fixed format agrees with the options.
func (d *Data) fits(opt FolderOptions) error {
	t := d.Train
	if (opt.Channels != 0 && opt.Channels != t.NumChannels()) || (opt.Rows != 0 && opt.Rows != t.Rows) || (opt.Cols != 0 && opt.Cols != t.Cols) {
		return errors.Errorf("%s holds %dx%dx%d images, not %dx%dx%d: sizes and channels are chosen for image folders only",
			d.Dir, t.NumChannels(), t.Rows, t.Cols, max(opt.Channels, 1), opt.Rows, opt.Cols)
	}
	if opt.Classes != nil && !slices.Equal(opt.Classes, t.Names()) {
		return errors.Errorf("%s holds the classes %s, not %s", d.Dir, listNames(t.Names()), listNames(opt.Classes))
	}
	return nil
}
