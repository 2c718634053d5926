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

const (
	// maxDigitPixels refuses decompression bombs: a PNG may declare any
	// size in a few bytes, so the size is checked before decoding.
	maxDigitPixels = 64 << 20
	// minContrast is the least difference between ink and background, on
	// a 0..1 scale, that counts as a drawing rather than a blank page.
	minContrast = 0.15
	// inkThreshold is the ink level, relative to the darkest stroke,
	// above which a pixel belongs to the digit when cropping.
	inkThreshold = 0.25
)

// ReadDigitFile reads a PNG or JPEG file of a handwritten digit and
// preprocesses it with PreprocessDigit.
func ReadDigitFile(path string) ([]uint8, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, errors.WithStack(err)
	}
	defer f.Close()
	px, err := ReadDigit(f)
	return px, errors.Wrapf(err, "%s", path)
}

// ReadDigit decodes a PNG or JPEG image of a handwritten digit and
// preprocesses it with PreprocessDigit.
func ReadDigit(r io.Reader) ([]uint8, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, errors.Wrap(err, "reading image")
	}
	cfg, format, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return nil, errors.Errorf("not a readable PNG or JPEG image: %v", err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || cfg.Width*cfg.Height > maxDigitPixels {
		return nil, errors.Errorf("%s image of %dx%d pixels, want at most %d pixels",
			format, cfg.Width, cfg.Height, maxDigitPixels)
	}
	img, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, errors.Errorf("decoding %s image: %v", format, err)
	}
	return PreprocessDigit(img)
}

// PreprocessDigit turns an image of one handwritten digit, of any size,
// into DigitSize x DigitSize bytes prepared the way MNIST's were: made
// grayscale (transparent parts count as white paper), inverted when the
// ink is darker than the paper so that ink is bright, stretched so paper
// is 0 and the strongest ink 255, cropped to the ink, scaled by area
// averaging to fit a 20x20 box keeping the aspect ratio, and placed in
// the 28x28 frame with its centre of mass at the centre.
func PreprocessDigit(img image.Image) ([]uint8, error) {
	b := img.Bounds()
	if b.Empty() {
		return nil, errors.New("empty image (no pixels)")
	}
	g := grayscale(img)
	w, h := b.Dx(), b.Dy()
	if err := toInk(g, w, h); err != nil {
		return nil, err
	}
	box := inkBox(g, w, h)
	crop := cropTo(g, w, box)
	sw, sh := fitBox(box.Dx(), box.Dy())
	scaled := resample(crop, box.Dx(), box.Dy(), sw, sh)
	return centre(scaled, sw, sh), nil
}

// grayscale returns img's luminance in [0, 1], row by row, with any
// transparency composited over white paper.
func grayscale(img image.Image) []float32 {
	b := img.Bounds()
	g := make([]float32, 0, b.Dx()*b.Dy())
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, gr, bl, a := img.At(x, y).RGBA()
			// RGBA is alpha-premultiplied: adding the missing alpha as
			// white composites the pixel over paper.
			paper := float32(0xffff - a)
			lum := 0.299*(float32(r)+paper) + 0.587*(float32(gr)+paper) + 0.114*(float32(bl)+paper)
			g = append(g, lum/0xffff)
		}
	}
	return g
}

// toInk rewrites luminance in place as ink in [0, 1]: the border's median
// is taken as the paper, the image is inverted if the paper is light, and
// levels are stretched so the paper is 0 and the strongest ink 1.
func toInk(g []float32, w, h int) error {
	paper := median(border(g, w, h))
	if paper > 0.5 {
		for i, v := range g {
			g[i] = 1 - v
		}
		paper = 1 - paper
	}
	peak := float32(0)
	for _, v := range g {
		peak = max(peak, v)
	}
	if peak-paper < minContrast {
		return errors.Errorf("no digit found: the image is blank (ink contrast %.2f, want at least %.2f)",
			peak-paper, minContrast)
	}
	for i, v := range g {
		g[i] = min(max((v-paper)/(peak-paper), 0), 1)
	}
	return nil
}

// border returns the pixels on the image's outer frame, where paper
// dominates in any sensible photo of a digit.
func border(g []float32, w, h int) []float32 {
	var out []float32
	for x := 0; x < w; x++ {
		out = append(out, g[x], g[(h-1)*w+x])
	}
	for y := 1; y < h-1; y++ {
		out = append(out, g[y*w], g[y*w+w-1])
	}
	return out
}

func median(v []float32) float32 {
	sort.Slice(v, func(i, j int) bool { return v[i] < v[j] })
	return v[len(v)/2]
}

// inkBox returns the smallest rectangle holding every pixel above
// inkThreshold; toInk guarantees there is one.
func inkBox(g []float32, w, h int) image.Rectangle {
	// image.Rect would swap an inverted box; this one starts empty on purpose.
	box := image.Rectangle{Min: image.Pt(w, h)}
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			if g[y*w+x] > inkThreshold {
				box.Min.X, box.Min.Y = min(box.Min.X, x), min(box.Min.Y, y)
				box.Max.X, box.Max.Y = max(box.Max.X, x+1), max(box.Max.Y, y+1)
			}
		}
	}
	return box
}

// cropTo copies the box out of a w-wide image.
func cropTo(g []float32, w int, box image.Rectangle) []float32 {
	out := make([]float32, 0, box.Dx()*box.Dy())
	for y := box.Min.Y; y < box.Max.Y; y++ {
		out = append(out, g[y*w+box.Min.X:y*w+box.Max.X]...)
	}
	return out
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
