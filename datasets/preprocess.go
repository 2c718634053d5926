package datasets

import (
	"bytes"
	"image"
	_ "image/jpeg" // registers JPEG for ReadDigit
	_ "image/png"  // registers PNG for ReadDigit
	"io"
	"math"
	"os"
	"sort"

	"github.com/pkg/errors"
)

// MNIST's geometry: digits were scaled to fit a 20x20 box and centred by
// centre of mass in a 28x28 image.
const (
	DigitSize = 28
	digitBox  = 20
)

// Bounds on a digit image read by ReadDigit and ReadDigitFile. A PNG or
// JPEG declares its size in a few bytes, so both are checked before any
// pixel is decoded: the decoded image then takes at most MaxDigitPixels
// times 8 bytes (16-bit RGBA, the widest format), 128 MiB, and the
// preprocessing on top of it only memory proportional to its width plus
// its height.
const (
	// MaxDigitPixels is the most pixels a digit image may have, 4096x4096
	// (a 12-megapixel phone photo fits).
	MaxDigitPixels = 4096 * 4096
	// MaxDigitFileSize is the largest digit image file, in bytes.
	MaxDigitFileSize = 64 << 20
)

const (
	// minContrast is the least difference between ink and background, on
	// a 0..1 scale, that counts as a drawing rather than a blank page.
	minContrast = 0.15
	// inkThreshold is the ink level, relative to the darkest stroke,
	// above which a pixel belongs to the digit when cropping.
	inkThreshold = 0.25
)

// ReadDigitFile reads a PNG or JPEG file of a handwritten digit and
// preprocesses it with PreprocessDigit. It refuses anything but a regular
// file (a directory, device or pipe) and files over MaxDigitFileSize before
// reading a byte; errors name the path.
func ReadDigitFile(path string) ([]uint8, error) {
	// Stat before Open: opening a named pipe would wait for a writer.
	if err := checkDigitFile(path, os.Stat); err != nil {
		return nil, err
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, errors.WithStack(err)
	}
	defer f.Close()
	if err := checkDigitFile(path, func(string) (os.FileInfo, error) { return f.Stat() }); err != nil {
		return nil, err
	}
	px, err := readDigit(f, MaxDigitPixels, MaxDigitFileSize)
	return px, errors.Wrapf(err, "%s", path)
}

// checkDigitFile refuses what stat says is not a regular file of a
// plausible size.
func checkDigitFile(path string, stat func(string) (os.FileInfo, error)) error {
	fi, err := stat(path)
	if err != nil {
		return errors.WithStack(err)
	}
	if !fi.Mode().IsRegular() {
		return errors.Errorf("%s: not a regular file (%s), want a PNG or JPEG file", path, fileKind(fi.Mode()))
	}
	if fi.Size() > MaxDigitFileSize {
		return errors.Errorf("%s: %d bytes, more than the %d-byte limit of a digit image", path, fi.Size(), MaxDigitFileSize)
	}
	return nil
}

// fileKind names the type of a file that is not a regular one.
func fileKind(m os.FileMode) string {
	switch {
	case m.IsDir():
		return "a directory"
	case m&os.ModeNamedPipe != 0:
		return "a named pipe"
	case m&os.ModeSocket != 0:
		return "a socket"
	case m&os.ModeDevice != 0:
		return "a device"
	}
	return "mode " + m.String()
}

// ReadDigit decodes a PNG or JPEG image of a handwritten digit and
// preprocesses it with PreprocessDigit. It reads at most MaxDigitFileSize
// bytes, reads the image's size from its header before decoding it,
// refuses images over MaxDigitPixels, and streams the rest into the
// decoder, so its memory is the decoded image and little else.
func ReadDigit(r io.Reader) ([]uint8, error) {
	return readDigit(r, MaxDigitPixels, MaxDigitFileSize)
}

// readDigit is ReadDigit with its bounds as parameters.
func readDigit(r io.Reader, maxPixels int, maxBytes int64) ([]uint8, error) {
	img, err := decodeBounded(r, maxPixels, maxBytes)
	if err != nil {
		return nil, err
	}
	return PreprocessDigit(img)
}

// errTooLarge is what cappedReader returns past its limit.
var errTooLarge = errors.New("too large")

// cappedReader reads from r until left runs out, then fails, and records
// that something tried to read past the limit.
type cappedReader struct {
	r        io.Reader
	left     int64
	exceeded bool
}

func (c *cappedReader) Read(p []byte) (int, error) {
	if c.left <= 0 {
		c.exceeded = true
		return 0, errTooLarge
	}
	if int64(len(p)) > c.left {
		p = p[:c.left]
	}
	n, err := c.r.Read(p)
	c.left -= int64(n)
	return n, err
}

// decodeBounded decodes a PNG or JPEG image from at most maxBytes of r
// whose header declares at most maxPixels pixels. The bytes the header
// took are kept and replayed to the decoder, so r is read once.
func decodeBounded(r io.Reader, maxPixels int, maxBytes int64) (image.Image, error) {
	capped := &cappedReader{r: r, left: maxBytes}
	readErr := func(err error) error {
		if errors.Is(err, errTooLarge) || capped.exceeded {
			return errors.Errorf("more than the %d-byte limit of a digit image", maxBytes)
		}
		return nil
	}
	var head bytes.Buffer
	cfg, format, err := image.DecodeConfig(io.TeeReader(capped, &head))
	if err != nil {
		if e := readErr(err); e != nil {
			return nil, e
		}
		return nil, errors.Errorf("not a readable PNG or JPEG image: %v", err)
	}
	if format != "png" && format != "jpeg" {
		return nil, errors.Errorf("%s image: want PNG or JPEG", format)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || int64(cfg.Width)*int64(cfg.Height) > int64(maxPixels) {
		return nil, errors.Errorf("%s image of %dx%d pixels, want at most %d pixels",
			format, cfg.Width, cfg.Height, maxPixels)
	}
	img, _, err := image.Decode(io.MultiReader(&head, capped))
	if err != nil {
		if e := readErr(err); e != nil {
			return nil, e
		}
		return nil, errors.Errorf("decoding %s image: %v", format, err)
	}
	return img, nil
}

// PreprocessDigit turns an image of one handwritten digit, of any size,
// into DigitSize x DigitSize bytes prepared the way MNIST's were: made
// grayscale (transparent parts count as white paper), inverted when the
// ink is darker than the paper so that ink is bright, stretched so paper
// is 0 and the strongest ink 255, cropped to the ink, scaled by area
// averaging to fit a 20x20 box keeping the aspect ratio, and placed in
// the 28x28 frame with its centre of mass at the centre. It reads the
// image's pixels where they are, a few times over, and allocates only
// memory proportional to the image's width plus its height.
func PreprocessDigit(img image.Image) (_ []uint8, err error) {
	defer func() {
		// An image.Image of the caller's may panic in At, as a Paletted
		// with an index past its palette does.
		if r := recover(); r != nil {
			err = errors.Errorf("reading the image's pixels: %v", r)
		}
	}()
	b := img.Bounds()
	if b.Empty() {
		return nil, errors.New("empty image (no pixels)")
	}
	lum := luminance(img)
	w, h := b.Dx(), b.Dy()
	ink, err := toInk(lum, w, h)
	if err != nil {
		return nil, err
	}
	box := inkBox(ink, w, h)
	if box.Empty() { // toInk promises a pixel of ink 1; this is a safety net
		return nil, errors.New("no digit found: no pixel stands out from the paper")
	}
	sw, sh := fitBox(box.Dx(), box.Dy())
	scaled := resampleFunc(func(x, y int) float32 { return ink(box.Min.X+x, box.Min.Y+y) }, box.Dx(), box.Dy(), sw, sh)
	return centre(scaled, sw, sh), nil
}

// pixelFunc returns a value of the pixel at column x and row y, counted
// from the image's top-left corner.
type pixelFunc func(x, y int) float32

// luminance returns a function giving img's luminance in [0, 1], with any
// transparency composited over white paper. The common image types are
// read directly; others through At.
func luminance(img image.Image) pixelFunc {
	o := img.Bounds().Min
	var rgba func(x, y int) (r, g, b, a uint32)
	switch m := img.(type) {
	case *image.Gray:
		rgba = func(x, y int) (uint32, uint32, uint32, uint32) { return m.GrayAt(x, y).RGBA() }
	case *image.Gray16:
		rgba = func(x, y int) (uint32, uint32, uint32, uint32) { return m.Gray16At(x, y).RGBA() }
	case *image.RGBA:
		rgba = func(x, y int) (uint32, uint32, uint32, uint32) { return m.RGBAAt(x, y).RGBA() }
	case *image.NRGBA:
		rgba = func(x, y int) (uint32, uint32, uint32, uint32) { return m.NRGBAAt(x, y).RGBA() }
	case *image.RGBA64:
		rgba = func(x, y int) (uint32, uint32, uint32, uint32) { return m.RGBA64At(x, y).RGBA() }
	case *image.NRGBA64:
		rgba = func(x, y int) (uint32, uint32, uint32, uint32) { return m.NRGBA64At(x, y).RGBA() }
	case *image.YCbCr:
		rgba = func(x, y int) (uint32, uint32, uint32, uint32) { return m.YCbCrAt(x, y).RGBA() }
	case *image.CMYK:
		rgba = func(x, y int) (uint32, uint32, uint32, uint32) { return m.CMYKAt(x, y).RGBA() }
	default:
		rgba = func(x, y int) (uint32, uint32, uint32, uint32) { return img.At(x, y).RGBA() }
	}
	return func(x, y int) float32 {
		r, gr, bl, a := rgba(o.X+x, o.Y+y)
		// RGBA is alpha-premultiplied: adding the missing alpha as white
		// composites the pixel over paper.
		paper := float32(0xffff - a)
		lum := 0.299*(float32(r)+paper) + 0.587*(float32(gr)+paper) + 0.114*(float32(bl)+paper)
		return lum / 0xffff
	}
}

// toInk returns a function giving the ink in [0, 1] of each pixel of a
// w x h image of luminance lum: the border's median is taken as the paper,
// the image is inverted if the paper is light, and levels are stretched so
// the paper is 0 and the strongest ink 1.
func toInk(lum pixelFunc, w, h int) (pixelFunc, error) {
	paper := median(border(lum, w, h))
	invert := paper > 0.5
	level := func(x, y int) float32 {
		v := lum(x, y)
		if invert {
			v = 1 - v
		}
		return v
	}
	if invert {
		paper = 1 - paper
	}
	// The peak starts below any value: an image whose luminance is above
	// 1 everywhere (an image.RGBA whose colour exceeds its alpha, which
	// premultiplied colours never do) must not find a contrast with 0.
	peak := float32(math.Inf(-1))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			peak = max(peak, level(x, y))
		}
	}
	if peak-paper < minContrast {
		return nil, errors.Errorf("no digit found: the image is blank (ink contrast %.2f, want at least %.2f)",
			peak-paper, minContrast)
	}
	return func(x, y int) float32 {
		return min(max((level(x, y)-paper)/(peak-paper), 0), 1)
	}, nil
}

// border returns the pixels on the image's outer frame, where paper
// dominates in any sensible photo of a digit.
func border(lum pixelFunc, w, h int) []float32 {
	out := make([]float32, 0, 2*(w+h))
	for x := 0; x < w; x++ {
		out = append(out, lum(x, 0), lum(x, h-1))
	}
	for y := 1; y < h-1; y++ {
		out = append(out, lum(0, y), lum(w-1, y))
	}
	return out
}

func median(v []float32) float32 {
	sort.Slice(v, func(i, j int) bool { return v[i] < v[j] })
	return v[len(v)/2]
}

// inkBox returns the smallest rectangle holding every pixel above
// inkThreshold; toInk guarantees there is one.
func inkBox(ink pixelFunc, w, h int) image.Rectangle {
	// image.Rect would swap an inverted box; this one starts empty on purpose.
	box := image.Rectangle{Min: image.Pt(w, h)}
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			if ink(x, y) > inkThreshold {
				box.Min.X, box.Min.Y = min(box.Min.X, x), min(box.Min.Y, y)
				box.Max.X, box.Max.Y = max(box.Max.X, x+1), max(box.Max.Y, y+1)
			}
		}
	}
	return box
}

// fitBox returns the size of a w x h image scaled so its longer side is
// digitBox, keeping the aspect ratio.
func fitBox(w, h int) (int, int) {
	scale := float64(digitBox) / float64(max(w, h))
	fit := func(n int) int { return min(max(int(math.Round(float64(n)*scale)), 1), digitBox) }
	return fit(w), fit(h)
}

// centre places a w x h ink image in a DigitSize frame with its centre of
// mass on pixel (14, 14), as far as the frame allows, and quantises it to
// bytes. The centre of mass is taken in pixel index coordinates, as MNIST
// did: its training digits' centres average (14.0, 14.0) that way.
func centre(g []float32, w, h int) []uint8 {
	var mass, mx, my float64
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			v := float64(g[y*w+x])
			mass += v
			mx += v * float64(x)
			my += v * float64(y)
		}
	}
	offset := func(com float64, n int) int {
		return min(max(int(math.Round(DigitSize/2-com)), 0), DigitSize-n)
	}
	dx, dy := offset(mx/mass, w), offset(my/mass, h)
	out := make([]uint8, DigitSize*DigitSize)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			out[(y+dy)*DigitSize+x+dx] = uint8(math.Round(float64(g[y*w+x]) * 255))
		}
	}
	return out
}
