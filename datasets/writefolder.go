package datasets

import (
	"bufio"
	"fmt"
	"image"
	"image/jpeg"
	"image/png"
	"os"
	"path/filepath"
	"strings"

	"github.com/pkg/errors"
)

// Image file formats WriteFolder writes.
const (
	WritePNGFiles  = "png"
	WriteJPEGFiles = "jpeg"
)

// WriteFolder writes a training and a test set as the image folder
// LoadFolder reads: root/train/<class>/ and root/test/<class>/, one file
// per example named by its index, zero-padded (00000.png ...), so that
// LoadFolder returns the examples in their original order. format is
// WritePNGFiles (lossless: the folder reads back byte for byte) or
// WriteJPEGFiles (quality 95). Files are encoded on every core; root's
// train and test folders must not exist yet.
func WriteFolder(root string, train, test *Set, format string) error {
	if format != WritePNGFiles && format != WriteJPEGFiles {
		return errors.Errorf("image format %q: want %s or %s", format, WritePNGFiles, WriteJPEGFiles)
	}
	for _, part := range []struct {
		name string
		set  *Set
	}{{"train", train}, {"test", test}} {
		if part.set == nil || part.set.N == 0 {
			return errors.Errorf("write folder: empty %s set", part.name)
		}
		if err := writeSetFolder(filepath.Join(root, part.name), part.set, format); err != nil {
			return err
		}
	}
	return nil
}

// writeSetFolder writes one set's images under dir/<class>/.
func writeSetFolder(dir string, s *Set, format string) error {
	if _, err := os.Stat(dir); err == nil {
		return errors.Errorf("%s exists already: write into a new folder", dir)
	}
	names := s.Names()
	for _, n := range names {
		if n == "." || n == ".." || strings.ContainsAny(n, `/\`) || strings.HasPrefix(n, ".") {
			return errors.Errorf("class name %q cannot be a folder name", n)
		}
	}
	counts := s.LabelCounts()
	for c, n := range names {
		if counts[c] == 0 {
			continue
		}
		if err := os.MkdirAll(filepath.Join(dir, n), 0o755); err != nil {
			return errors.WithStack(err)
		}
	}
	width := len(fmt.Sprint(max(s.N-1, 1)))
	ext := map[string]string{WritePNGFiles: ".png", WriteJPEGFiles: ".jpg"}[format]
	errs := forEach(s.N, true, func(_, i int) error {
		path := filepath.Join(dir, names[s.Label(i)], fmt.Sprintf("%0*d%s", width, i, ext))
		return writeImageFile(path, s.Image(i), format)
	})
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// writeImageFile writes img as PNG or JPEG into a new file. Tens of
// thousands of files go into a new folder, so unlike checkpoints they are
// not written atomically, which would sync each to disk.
func writeImageFile(path string, img image.Image, format string) error {
	f, err := os.Create(path)
	if err != nil {
		return errors.WithStack(err)
	}
	w := bufio.NewWriter(f)
	if format == WriteJPEGFiles {
		err = jpeg.Encode(w, img, &jpeg.Options{Quality: 95})
	} else {
		err = (&png.Encoder{CompressionLevel: png.BestSpeed}).Encode(w, img)
	}
	if err == nil {
		err = w.Flush()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return errors.Wrap(err, path)
}
