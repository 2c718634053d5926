// Package atomicfile writes files so that a reader, a crash or a kill -9
// finds either the old file or the complete new one, never a torn one.
// It is featlearn's one way of writing a file atomically: checkpoints,
// histories and pictures all go through it.
package atomicfile

import (
	"bufio"
	"io"
	"os"
	"path/filepath"
	"syscall"

	"github.com/pkg/errors"
)

// Write runs write into a temporary file in path's directory (named
// ".<base>.tmp-*"), syncs it to disk, renames it over path and syncs the
// directory. On any error the temporary file is removed and path is as it
// was. The new file keeps the permissions of the file it replaces, or gets
// 0644.
func Write(path string, write func(io.Writer) error) (err error) {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return errors.Wrapf(err, "%s: creating the temporary file", path)
	}
	closed := false
	defer func() {
		if err != nil {
			if !closed {
				tmp.Close()
			}
			os.Remove(tmp.Name())
		}
	}()
	// CreateTemp makes the file private; keep the mode of the file being
	// replaced, or make a new one readable like os.Create would.
	if err = tmp.Chmod(targetMode(path)); err != nil {
		return errors.Wrapf(err, "%s: setting permissions", path)
	}
	bw := bufio.NewWriterSize(tmp, 1<<20)
	if err = write(bw); err == nil {
		err = bw.Flush()
	}
	if err != nil {
		return errors.Wrapf(err, "%s: writing", path)
	}
	if err = tmp.Sync(); err != nil {
		return errors.Wrapf(err, "%s: syncing", path)
	}
	closed = true
	if err = tmp.Close(); err != nil {
		return errors.Wrapf(err, "%s: closing", path)
	}
	if err = os.Rename(tmp.Name(), path); err != nil {
		return errors.Wrapf(err, "%s: renaming the temporary file", path)
	}
	return syncDir(dir, path)
}

// WriteBytes writes data to path atomically, as Write does.
func WriteBytes(path string, data []byte) error {
	return Write(path, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}

// targetMode returns the permissions the new file at path should have.
func targetMode(path string) os.FileMode {
	if fi, err := os.Stat(path); err == nil && fi.Mode().IsRegular() {
		return fi.Mode().Perm()
	}
	return 0o644
}

// syncDir makes the rename durable. Some file systems cannot sync a
// directory and say EINVAL; the rename has happened, so that is not an
// error worth failing a save for.
func syncDir(dir, path string) error {
	d, err := os.Open(dir)
	if err != nil {
		return errors.Wrapf(err, "%s: opening the directory to sync it", path)
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, syscall.EINVAL) {
		return errors.Wrapf(err, "%s: syncing the directory", path)
	}
	return nil
}

// RemoveStale removes the temporary files Write leaves in dir for the
// given base names when a process is killed mid-write, and returns how
// many it removed. Call it where no other process writes those files.
func RemoveStale(dir string, bases ...string) (int, error) {
	n := 0
	for _, base := range bases {
		matches, err := filepath.Glob(filepath.Join(dir, "."+globEscape(base)+".tmp-*"))
		if err != nil {
			return n, errors.WithStack(err)
		}
		for _, m := range matches {
			if fi, err := os.Lstat(m); err != nil || !fi.Mode().IsRegular() {
				continue
			}
			if err := os.Remove(m); err != nil && !os.IsNotExist(err) {
				return n, errors.WithStack(err)
			}
			n++
		}
	}
	return n, nil
}

// globEscape quotes the characters filepath.Match treats specially.
func globEscape(s string) string {
	var b []byte
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '*', '?', '[', '\\':
			b = append(b, '\\')
		}
		b = append(b, s[i])
	}
	return string(b)
}
