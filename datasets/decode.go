package datasets

import (
	"image"
	"image/color"
	_ "image/gif" // registers GIF for image folders
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/pkg/errors"
	"golang.org/x/image/draw"
)

// Interpolations an image folder can be resized with.
const (
	// ResizeCatmullRom is the Catmull-Rom cubic (x/image/draw.CatmullRom),
	// whose kernel widens when shrinking, so a large photo is averaged
	// rather than sampled: the default.
	ResizeCatmullRom = "catmullrom"
	// ResizeBilinear is x/image/draw.BiLinear, also area-aware.
	ResizeBilinear = "bilinear"
	// ResizeNearest is x/image/draw.NearestNeighbor: blocky but exact
	// for integer enlargements.
	ResizeNearest = "nearest"
)

// Limits on images, checked from an image's header before it is decoded,
// so a small file that declares a huge picture costs nothing.
const (
	// DefaultMaxPixels is the largest image, in pixels, read by default:
	// 64 mega-pixels, 256 MiB once decoded.
	DefaultMaxPixels = 64 << 20
	// MaxSide is the largest side of the size images are resized to.
	MaxSide = 4096
)

// imageExts are the file extensions of images in a folder, lower case.
var imageExts = map[string]bool{".png": true, ".jpg": true, ".jpeg": true, ".gif": true}

// isImageName says whether a file name has an image extension and is
// not hidden.
func isImageName(name string) bool {
	return !strings.HasPrefix(name, ".") && imageExts[strings.ToLower(filepath.Ext(name))]
}

// interpolator returns the x/image/draw interpolator of a name.
func interpolator(name string) (draw.Interpolator, error) {
	switch name {
	case "", ResizeCatmullRom:
		return draw.CatmullRom, nil
	case ResizeBilinear:
		return draw.BiLinear, nil
	case ResizeNearest:
		return draw.NearestNeighbor, nil
	}
	return nil, errors.Errorf("interpolation %q: want %s, %s or %s", name, ResizeCatmullRom, ResizeBilinear, ResizeNearest)
}

// imageHeader is what an image file's header says.
type imageHeader struct {
	width, height int
	gray          bool
	format        string
}

// maxFileBytes bounds the size of an image file read into memory.
const maxFileBytes = 1 << 28

// fileReader reads image files into a buffer it reuses: one per
// goroutine, so reading tens of thousands of small files allocates
// almost nothing of its own.
type fileReader struct {
	buf []byte
	r   peekReader
	png pngDecoder
}

// read returns the bytes of the file at path, valid until the next read.
func (f *fileReader) read(path string) ([]byte, error) {
	data, err := readWhole(path, f.buf)
	f.buf = data[:cap(data)]
	return data, err
}

// header decodes the header of an image file's bytes and refuses images
// of more than maxPixels.
func (f *fileReader) header(path string, data []byte, maxPixels int) (imageHeader, error) {
	if c, ok := scanPNG(data, maxPixels, f.png.parts); ok {
		f.png.parts = c.idat[:0]
		return c.header(), nil
	}
	f.r = peekReader{b: data}
	cfg, format, err := image.DecodeConfig(&f.r)
	if err != nil {
		return imageHeader{}, errors.Errorf("%s: not a readable PNG, JPEG or GIF image (%v)", path, err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || int64(cfg.Width)*int64(cfg.Height) > int64(maxPixels) {
		return imageHeader{}, errors.Errorf("%s: %s image of %dx%d pixels, want 1 to %d pixels",
			path, format, cfg.Width, cfg.Height, maxPixels)
	}
	return imageHeader{width: cfg.Width, height: cfg.Height, gray: grayModel(cfg.ColorModel), format: format}, nil
}

// decode decodes an image file's bytes whose header was checked. The
// image may be one the reader reuses: it is valid until the next decode.
func (f *fileReader) decode(path string, data []byte, maxPixels int) (image.Image, error) {
	if img, ok := f.png.decode(data, maxPixels); ok {
		return img, nil
	}
	f.r = peekReader{b: data}
	img, format, err := image.Decode(&f.r)
	if err != nil {
		return nil, errors.Errorf("%s: decoding %s image: %v", path, format, err)
	}
	return img, nil
}

// peekReader reads a byte slice. Its Peek keeps image.Decode from
// wrapping it in a bufio.Reader of its own.
type peekReader struct {
	b   []byte
	off int
}

func (r *peekReader) Read(p []byte) (int, error) {
	if r.off >= len(r.b) {
		return 0, io.EOF
	}
	n := copy(p, r.b[r.off:])
	r.off += n
	return n, nil
}

func (r *peekReader) ReadByte() (byte, error) {
	if r.off >= len(r.b) {
		return 0, io.EOF
	}
	r.off++
	return r.b[r.off-1], nil
}

func (r *peekReader) Peek(n int) ([]byte, error) {
	rest := r.b[r.off:]
	if n > len(rest) {
		return rest, io.EOF
	}
	return rest[:n], nil
}

// grayModel says whether every colour of a model is a gray.
func grayModel(m color.Model) bool {
	switch m {
	case color.GrayModel, color.Gray16Model:
		return true
	}
	p, ok := m.(color.Palette)
	if !ok {
		return false
	}
	for _, c := range p {
		r, g, b, _ := c.RGBA()
		if r != g || g != b {
			return false
		}
	}
	return true
}

// cleanOSError drops the operation and path os errors repeat.
func cleanOSError(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// converter turns decoded images into planar bytes of one size; each
// goroutine owns one, with its scratch image.
type converter struct {
	channels, rows, cols int
	interp               draw.Interpolator
	maxPixels            int
	scratch              *image.RGBA
}

func newConverter(channels, rows, cols int, interp string, maxPixels int) (*converter, error) {
	q, err := interpolator(interp)
	if err != nil {
		return nil, err
	}
	if channels != 1 && channels != 3 {
		return nil, errors.Errorf("%d channels, want 1 (grayscale) or 3 (RGB)", channels)
	}
	if rows < 1 || cols < 1 || rows > MaxSide || cols > MaxSide {
		return nil, errors.Errorf("image size %dx%d, want 1 to %d pixels a side", cols, rows, MaxSide)
	}
	if maxPixels <= 0 {
		maxPixels = DefaultMaxPixels
	}
	return &converter{channels: channels, rows: rows, cols: cols, interp: q, maxPixels: maxPixels}, nil
}

// readFile decodes the image file at path into dst, channels x rows x
// cols bytes, checking its header first.
func (c *converter) readFile(f *fileReader, path string, dst []uint8) error {
	data, err := f.read(path)
	if err != nil {
		return err
	}
	if _, err := f.header(path, data, c.maxPixels); err != nil {
		return err
	}
	img, err := f.decode(path, data, c.maxPixels)
	if err != nil {
		return err
	}
	c.convert(img, dst)
	return nil
}

// convert writes img, resized when its size differs, into dst.
func (c *converter) convert(img image.Image, dst []uint8) {
	b := img.Bounds()
	if b.Dx() != c.cols || b.Dy() != c.rows {
		if c.scratch == nil {
			c.scratch = image.NewRGBA(image.Rect(0, 0, c.cols, c.rows))
		}
		c.interp.Scale(c.scratch, c.scratch.Bounds(), img, b, draw.Src, nil)
		img, b = c.scratch, c.scratch.Bounds()
	}
	plane := c.rows * c.cols
	switch src := img.(type) {
	case *image.Gray:
		for y := range c.rows {
			row := src.Pix[src.PixOffset(b.Min.X, b.Min.Y+y):][:c.cols]
			for ch := range c.channels {
				copy(dst[ch*plane+y*c.cols:], row)
			}
		}
	case *image.RGBA:
		for y := range c.rows {
			row := src.Pix[src.PixOffset(b.Min.X, b.Min.Y+y):][:4*c.cols]
			for x := range c.cols {
				p := row[4*x : 4*x+3 : 4*x+3]
				c.put(dst, y*c.cols+x, plane, uint32(p[0])*0x101, uint32(p[1])*0x101, uint32(p[2])*0x101)
			}
		}
	case *image.NRGBA:
		for y := range c.rows {
			row := src.Pix[src.PixOffset(b.Min.X, b.Min.Y+y):][:4*c.cols]
			for x := range c.cols {
				p := row[4*x : 4*x+4 : 4*x+4]
				a := uint32(p[3])
				// color.NRGBA's RGBA method, inlined.
				r, g, bl := uint32(p[0])*0x101*a/0xff, uint32(p[1])*0x101*a/0xff, uint32(p[2])*0x101*a/0xff
				c.put(dst, y*c.cols+x, plane, r, g, bl)
			}
		}
	default:
		for y := range c.rows {
			for x := range c.cols {
				r, g, bl, _ := img.At(b.Min.X+x, b.Min.Y+y).RGBA()
				c.put(dst, y*c.cols+x, plane, r, g, bl)
			}
		}
	}
}

// put stores one pixel of 16-bit alpha-premultiplied colour at k: gray
// by color.GrayModel's weights, or its three bytes in their planes.
func (c *converter) put(dst []uint8, k, plane int, r, g, b uint32) {
	if c.channels == 1 {
		dst[k] = uint8((19595*r + 38470*g + 7471*b + 1<<15) >> 24)
		return
	}
	dst[k], dst[plane+k], dst[2*plane+k] = uint8(r>>8), uint8(g>>8), uint8(b>>8)
}

// ReadImageFile reads a PNG, JPEG or GIF file as a folder loader reads
// it: resized to rows x cols with the interpolation interp (when its size
// differs; "" is ResizeCatmullRom), as channels planes (1: gray by
// color.GrayModel's weights, 3: red, green, blue). Transparent pixels
// read as black, Go's alpha-premultiplied colours. Images of more than
// DefaultMaxPixels are refused from their header.
func ReadImageFile(path string, channels, rows, cols int, interp string) ([]uint8, error) {
	c, err := newConverter(channels, rows, cols, interp, DefaultMaxPixels)
	if err != nil {
		return nil, err
	}
	dst := make([]uint8, channels*rows*cols)
	if err := c.readFile(new(fileReader), path, dst); err != nil {
		return nil, err
	}
	return dst, nil
}
