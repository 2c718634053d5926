package mnistcli

import (
	"fmt"
	"image"
	"io"
	"path/filepath"

	"github.com/pkg/errors"

	"github.com/featlearn/featlearn/datasets"
	"github.com/featlearn/featlearn/models/mnisttrain"
	"github.com/featlearn/featlearn/viz"
)

// viz writes the pictures of a checkpoint: its first-layer filters, the
// feature maps of one digit and the training curves.
func (a *App) viz(args []string, stdout, stderr io.Writer) error {
	fs := a.flagSet("viz", stderr)
	ckpt, data := a.ckptFlag(fs), dataFlag(fs)
	imageFile := fs.String("image", "", "PNG or JPEG of a digit to show the feature maps of (default: a test image, see -index)")
	index := fs.Int("index", 0, "test image to show the feature maps of when -image is not given")
	out := fs.String("out", "", "directory for the PNGs (default: the checkpoint's directory)")
	cols := fs.Int("cols", 0, "filters per row (default: 6 for up to 12 filters, else 20)")
	limit := fs.Int("filters", 0, "draw only the first N first-layer filters (0: all)")
	if err := parse(fs, args); err != nil {
		return err
	}
	l, err := a.load(*ckpt)
	if err != nil {
		return err
	}
	if *out == "" {
		*out = filepath.Dir(*ckpt)
	}
	w := &pngWriter{dir: *out, prefix: a.Name + "-", stdout: stdout}
	if err := a.vizFilters(w, l, *cols, *limit); err != nil {
		return err
	}
	pixels, label, err := vizInput(*imageFile, *index, *data, stderr)
	if err != nil {
		return err
	}
	if err := vizMaps(w, l, pixels, label); err != nil {
		return err
	}
	return a.vizCurves(w, filepath.Dir(*ckpt), stderr)
}

// pngWriter saves pictures under one directory with a common prefix.
type pngWriter struct {
	dir, prefix string
	stdout      io.Writer
}

func (w *pngWriter) write(name string, img image.Image, what string) error {
	path := filepath.Join(w.dir, w.prefix+name+".png")
	if err := viz.WritePNG(path, img); err != nil {
		return err
	}
	b := img.Bounds()
	fmt.Fprintf(w.stdout, "wrote %s (%dx%d): %s\n", path, b.Dx(), b.Dy(), what)
	return nil
}

// vizFilters draws the first layer's filters.
func (a *App) vizFilters(w *pngWriter, l *loaded, cols, limit int) error {
	p := l.Model.Params()[0]
	if cols == 0 {
		cols = 20
		if p.Shape()[0] <= 12 {
			cols = 6
		}
	}
	img, err := mnisttrain.Filters(l.Model, cols, limit)
	if err != nil {
		return err
	}
	what := fmt.Sprintf("learned %s filters %v", p.Name, p.Shape())
	if limit > 0 && limit < p.Shape()[0] {
		what += fmt.Sprintf(", the first %d", limit)
	}
	return w.write("filters", img, what)
}

// vizInput reads the digit to show: a user's image file or a test image.
func vizInput(file string, index int, data string, stderr io.Writer) ([]uint8, string, error) {
	if file != "" {
		px, err := datasets.ReadDigitFile(file)
		return px, filepath.Base(file), err
	}
	m, err := loadMNIST(data, stderr)
	if err != nil {
		return nil, "", err
	}
	if index < 0 || index >= m.Test.N {
		return nil, "", usageError{errors.Errorf("-index %d: want 0..%d", index, m.Test.N-1)}
	}
	return m.Test.Pixels(index), fmt.Sprintf("test image %d (a %d)", index, m.Test.Label(index)), nil
}

// vizMaps draws the input digit and the feature maps of every convolution.
func vizMaps(w *pngWriter, l *loaded, pixels []uint8, label string) error {
	in, err := mnisttrain.Digit(pixels, datasets.DigitSize, datasets.DigitSize, 4)
	if err != nil {
		return err
	}
	if err := w.write("input", in, label); err != nil {
		return err
	}
	maps, err := mnisttrain.FeatureMaps(l.Model, pixels)
	if err != nil {
		return err
	}
	for _, m := range maps {
		if err := w.write("maps-"+m.Name, m.Image, m.Caption+", for "+label); err != nil {
			return err
		}
	}
	if len(maps) == 0 {
		fmt.Fprintln(w.stdout, "no convolution layers: no feature maps")
	}
	return nil
}

// vizCurves draws the training curves from the history next to the
// checkpoint.
func (a *App) vizCurves(w *pngWriter, dir string, stderr io.Writer) error {
	h, err := mnisttrain.ReadHistory(dir)
	if err != nil {
		fmt.Fprintf(stderr, "no training curves: %v\n", err)
		return nil
	}
	img, err := mnisttrain.Curves(a.Title, h)
	if err != nil {
		return err
	}
	return w.write("curves", img, fmt.Sprintf("loss and accuracy over %d epochs", len(h)))
}
