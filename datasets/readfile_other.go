//go:build !unix

package datasets

import (
	"io"
	"os"

	"github.com/pkg/errors"
)

// readWhole reads the file at path into buf, grown as needed.
func readWhole(path string, buf []byte) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return buf, errors.Errorf("%s: %v", path, cleanOSError(err))
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return buf, errors.Errorf("%s: %v", path, cleanOSError(err))
	}
	if !fi.Mode().IsRegular() {
		return buf, errors.Errorf("%s is not a regular file", path)
	}
	if fi.Size() > maxFileBytes {
		return buf, errors.Errorf("%s: %d MiB, want image files of at most %d MiB", path, fi.Size()>>20, maxFileBytes>>20)
	}
	buf = grow(buf, int(fi.Size()))
	n, err := io.ReadFull(f, buf)
	if err != nil && err != io.ErrUnexpectedEOF {
		return buf, errors.Errorf("%s: %v", path, cleanOSError(err))
	}
	return buf[:n], nil
}
