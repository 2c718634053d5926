package datasets

import (
	"bufio"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/pkg/errors"
)

// CIFAR-10's binary format: each record is a label byte followed by a
// 32x32 colour image as three planes, red, green and blue, each row-major:
// planar CHW already, as a Set stores it.
const (
	cifarSide   = 32
	cifarImage  = 3 * cifarSide * cifarSide
	cifarRecord = 1 + cifarImage
	// cifarBatches is the number of training batch files of the release.
	cifarBatches = 5
	// CIFARTestFile is the test batch's file name.
	CIFARTestFile = "test_batch.bin"
	// cifarSubdir is the folder the release's archive unpacks into.
	cifarSubdir = "cifar-10-batches-bin"
)

// CIFAR10Classes names CIFAR-10's classes in label order, as the
// release's batches.meta.txt does.
var CIFAR10Classes = []string{"airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"}

// cifarTrainFile returns the name of training batch i (from 1).
func cifarTrainFile(i int) string { return "data_batch_" + string(rune('0'+i)) + ".bin" }

// cifarDir returns the directory holding CIFAR-10's batches: dir, or the
// cifar-10-batches-bin folder the archive unpacks into; "" when neither
// holds test_batch.bin or data_batch_1.bin.
func cifarDir(dir string) string {
	for _, d := range []string{dir, filepath.Join(dir, cifarSubdir)} {
		for _, f := range []string{CIFARTestFile, cifarTrainFile(1)} {
			if fi, err := os.Stat(filepath.Join(d, f)); err == nil && fi.Mode().IsRegular() {
				return d
			}
		}
	}
	return ""
}

// LoadCIFAR10 reads CIFAR-10's binary release from dir (or its
// cifar-10-batches-bin folder): the training batches data_batch_1.bin to
// data_batch_5.bin present, at least one, and test_batch.bin. Class names
// come from batches.meta.txt when it lists ten, else CIFAR10Classes. Each
// file's size must be a whole number of records and every label below 10;
// the pixels are read straight into the Sets.
func LoadCIFAR10(dir string) (*Data, error) {
	d := cifarDir(dir)
	if d == "" {
		return nil, errors.Errorf("%s: no CIFAR-10 batches (%s, %s ...) there", dir, CIFARTestFile, cifarTrainFile(1))
	}
	classes := cifarNames(filepath.Join(d, "batches.meta.txt"))
	var trainFiles []string
	for i := 1; i <= cifarBatches; i++ {
		p := filepath.Join(d, cifarTrainFile(i))
		if _, err := os.Stat(p); err == nil {
			trainFiles = append(trainFiles, p)
		}
	}
	if len(trainFiles) == 0 {
		return nil, errors.Errorf("%s: no training batch %s", d, cifarTrainFile(1))
	}
	train, err := readCIFARFiles(trainFiles, classes)
	if err != nil {
		return nil, err
	}
	test, err := readCIFARFiles([]string{filepath.Join(d, CIFARTestFile)}, classes)
	if err != nil {
		return nil, err
	}
	return &Data{Train: train, Test: test, Format: FormatCIFAR10, Dir: d,
		Layout: strings.Join(baseNames(trainFiles), ", ") + " and " + CIFARTestFile}, nil
}

// baseNames returns the file names of paths.
func baseNames(paths []string) []string {
	out := make([]string, len(paths))
	for i, p := range paths {
		out[i] = filepath.Base(p)
	}
	return out
}

// cifarNames reads batches.meta.txt's ten class names, or returns
// CIFAR10Classes.
func cifarNames(path string) []string {
	b, err := os.ReadFile(path)
	if err != nil || len(b) > 4096 {
		return append([]string(nil), CIFAR10Classes...)
	}
	var names []string
	for _, l := range strings.Split(string(b), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			names = append(names, l)
		}
	}
	if len(names) != len(CIFAR10Classes) || checkClassNames(names) != nil {
		return append([]string(nil), CIFAR10Classes...)
	}
	return names
}

// readCIFARFiles reads batch files one after another into one Set.
func readCIFARFiles(paths []string, classes []string) (*Set, error) {
	n := 0
	for _, p := range paths {
		fi, err := os.Stat(p)
		if err != nil {
			return nil, errors.Errorf("%s: %v", p, cleanOSError(err))
		}
		if fi.Size() == 0 || fi.Size()%cifarRecord != 0 {
			return nil, errors.Errorf("%s: %d bytes is not a whole number of %d-byte CIFAR-10 records", p, fi.Size(), cifarRecord)
		}
		n += int(fi.Size() / cifarRecord)
	}
	pix, labels := make([]uint8, n*cifarImage), make([]uint8, n)
	at := 0
	for _, p := range paths {
		k, err := readCIFARFile(p, pix[at*cifarImage:], labels[at:], len(classes))
		if err != nil {
			return nil, err
		}
		at += k
	}
	if at != n {
		return nil, errors.Errorf("CIFAR-10 files changed while being read: %d records, want %d", at, n)
	}
	return NewImageSet(pix, labels, 3, cifarSide, cifarSide, classes)
}

// readCIFARFile reads one batch file's records into pix and labels and
// returns their number.
func readCIFARFile(path string, pix, labels []uint8, classes int) (int, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, errors.Errorf("%s: %v", path, cleanOSError(err))
	}
	defer f.Close()
	r := bufio.NewReaderSize(f, 1<<16)
	for i := 0; ; i++ {
		label, err := r.ReadByte()
		if err == io.EOF {
			return i, nil
		}
		if err != nil {
			return i, errors.Errorf("%s: record %d: %v", path, i, err)
		}
		if i >= len(labels) {
			return i, errors.Errorf("%s grew while being read", path)
		}
		if int(label) >= classes {
			return i, errors.Errorf("%s: record %d has label %d, want 0..%d", path, i, label, classes-1)
		}
		labels[i] = label
		if _, err := io.ReadFull(r, pix[i*cifarImage:(i+1)*cifarImage]); err != nil {
			return i, errors.Errorf("%s: record %d is cut short: %v", path, i, err)
		}
	}
}
