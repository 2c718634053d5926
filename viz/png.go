package viz

import (
	"fmt"
	"image"
	"image/png"
	"io"
	"os"
	"path/filepath"

	"github.com/pkg/errors"

	"github.com/featlearn/featlearn/internal/atomicfile"
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
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return errors.Wrap(err, "write png")
	}
	return errors.Wrap(atomicfile.Write(path, func(w io.Writer) error { return png.Encode(w, img) }), "write png")
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
