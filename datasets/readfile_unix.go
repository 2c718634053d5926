//go:build unix

package datasets

import (
	"syscall"

	"github.com/pkg/errors"
)

// readWhole reads the file at path into buf, grown as needed, with four
// system calls: open, fstat, read and close. os.Open would add two more
// (making the descriptor non-blocking for the poller), a third of the
// time of reading tens of thousands of small images.
func readWhole(path string, buf []byte) ([]byte, error) {
	var fd int
	err := retry(func() (err error) { fd, err = syscall.Open(path, syscall.O_RDONLY|syscall.O_CLOEXEC, 0); return err })
	if err != nil {
		return buf, errors.Errorf("%s: %v", path, err)
	}
	defer syscall.Close(fd)
	var st syscall.Stat_t
	if err := retry(func() error { return syscall.Fstat(fd, &st) }); err != nil {
		return buf, errors.Errorf("%s: %v", path, err)
	}
	if st.Mode&syscall.S_IFMT != syscall.S_IFREG {
		return buf, errors.Errorf("%s is not a regular file", path)
	}
	if st.Size > maxFileBytes {
		return buf, errors.Errorf("%s: %d MiB, want image files of at most %d MiB", path, st.Size>>20, maxFileBytes>>20)
	}
	buf = grow(buf, int(st.Size))
	for got := 0; got < len(buf); {
		var n int
		if err := retry(func() (err error) { n, err = syscall.Read(fd, buf[got:]); return err }); err != nil {
			return buf, errors.Errorf("%s: %v", path, err)
		}
		if n == 0 {
			return buf[:got], nil // the file shrank: the decoder will say what is missing
		}
		got += n
	}
	return buf, nil
}

// retry runs a system call again while a signal interrupts it.
func retry(call func() error) error {
	for {
		if err := call(); err != syscall.EINTR {
			return err
		}
	}
}
