package viz

import (
	"fmt"
	"image"
	"image/png"
	"io"
	"os"
	"path/filepath"

	"github.com/pkg/errors"
)

// WritePNG writes img to path as a PNG, creating missing parent directories.
// The write is atomic: the picture goes to a temporary file in the same
// directory, is synced, and is renamed over path, so that a reader (a
// documentation build, a notebook refreshing its figure) never sees half a
// file and a crash leaves either the old picture or the new one. The file is
// readable by everyone (0644), like any other generated document.
func WritePNG(path string, img image.Image) error {
	if err := checkImage("write png: image", img); err != nil {
		return err
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return errors.Wrap(err, "write png")
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return errors.Wrap(err, "write png")
	}
	if err := writeSync(tmp, img); err != nil {
		os.Remove(tmp.Name())
		return errors.Wrapf(err, "write png %s", path)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		os.Remove(tmp.Name())
		return errors.Wrap(err, "write png")
	}
	syncDir(dir)
	return nil
}

// writeSync encodes img into f, makes it world-readable, syncs and closes it;
// f is closed whatever happens.
func writeSync(f *os.File, img image.Image) error {
	err := png.Encode(f, img)
	if err == nil {
		// CreateTemp makes 0600 files; a picture is no secret.
		err = f.Chmod(0o644)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// syncDir makes the rename durable where the platform allows; failure only
// weakens durability after a crash, not the atomicity, so it is ignored.
func syncDir(dir string) {
	d, err := os.Open(dir)
	if err != nil {
		return
	}
	_ = d.Sync()
	_ = d.Close()
}

// Figure is a named picture; Name is its file name.
type Figure struct {
	Name  string
	Image image.Image
}

// WriteFigures writes every figure as a PNG file in dir and names each file
// it wrote on progress (which may be nil).
func WriteFigures(dir string, figs []Figure, progress io.Writer) error {
	for _, f := range figs {
		path := filepath.Join(dir, f.Name)
		if err := WritePNG(path, f.Image); err != nil {
			return err
		}
		if progress != nil {
			fmt.Fprintln(progress, "wrote", path)
		}
	}
	return nil
}
