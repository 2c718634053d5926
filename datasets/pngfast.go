package datasets

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"hash/crc32"
	"image"
	"io"
)

// pngDecoder decodes the PNG files data sets are made of, 8-bit gray,
// gray with alpha, RGB or RGBA, not interlaced, into images whose pixels
// it reuses from file to file, with one zlib reader reset for each. It
// gives the pixels image/png gives. Reading 60,000 MNIST digits with
// image/png costs 2.7 GB of short-lived decoder state (a 32 KiB window
// per file), which makes the heap swing to several times the decoded
// bytes; this decoder allocates nothing per file once warm. Anything else
// (palettes, transparency chunks, 16-bit or interlaced images, and any
// damage at all) it leaves to image/png.
type pngDecoder struct {
	zr        io.ReadCloser
	src       peekReader
	idat      []byte
	parts     [][]byte
	cur, prev []byte
	gray      image.Gray
	rgba      image.RGBA
	nrgba     image.NRGBA
}

var pngSignature = []byte("\x89PNG\r\n\x1a\n")

// PNG colour types the fast path decodes.
const (
	pngGray      = 0
	pngRGB       = 2
	pngGrayAlpha = 4
	pngRGBA      = 6
)

// pngChunks is what scanning a PNG file's chunks found.
type pngChunks struct {
	w, h, ctype int
	idat        [][]byte
}

// scan walks a PNG file's chunks, checking every CRC, up to IEND, and
// returns false for anything the fast path leaves to image/png.
func scanPNG(data []byte, maxPixels int, parts [][]byte) (pngChunks, bool) {
	c := pngChunks{idat: parts[:0]}
	if !bytes.HasPrefix(data, pngSignature) {
		return c, false
	}
	seenIHDR, idatDone := false, false
	for p := data[len(pngSignature):]; ; {
		if len(p) < 12 {
			return c, false
		}
		n := binary.BigEndian.Uint32(p)
		if n > uint32(len(p)-12) {
			return c, false
		}
		typ, body := [4]byte(p[4:8]), p[8:8+n]
		if crc32.ChecksumIEEE(p[4:8+n]) != binary.BigEndian.Uint32(p[8+n:]) {
			return c, false
		}
		p = p[12+n:]
		switch {
		case typ == chunkIHDR && !seenIHDR:
			if n != 13 || body[8] != 8 || body[10] != 0 || body[11] != 0 || body[12] != 0 {
				return c, false // not 8-bit, or another compression, filter or interlace method
			}
			c.w, c.h, c.ctype = int(binary.BigEndian.Uint32(body)), int(binary.BigEndian.Uint32(body[4:])), int(body[9])
			if c.w <= 0 || c.h <= 0 || c.w > 1<<24 || c.h > 1<<24 || int64(c.w)*int64(c.h) > int64(maxPixels) {
				return c, false
			}
			if c.ctype != pngGray && c.ctype != pngRGB && c.ctype != pngGrayAlpha && c.ctype != pngRGBA {
				return c, false
			}
			seenIHDR = true
		case !seenIHDR, typ == chunkIHDR, typ == chunkPLTE, typ == chunkTRNS:
			return c, false
		case typ == chunkIDAT:
			if idatDone {
				return c, false // image/png wants the IDAT chunks one after another
			}
			c.idat = append(c.idat, body)
		case typ == chunkIEND:
			return c, len(c.idat) > 0
		default:
			idatDone = len(c.idat) > 0
		}
	}
}

// The chunk types scanPNG knows.
var (
	chunkIHDR = [4]byte([]byte("IHDR"))
	chunkPLTE = [4]byte([]byte("PLTE"))
	chunkTRNS = [4]byte([]byte("tRNS"))
	chunkIDAT = [4]byte([]byte("IDAT"))
	chunkIEND = [4]byte([]byte("IEND"))
)

// header returns the header of a PNG the fast path decodes.
func (c pngChunks) header() imageHeader {
	return imageHeader{width: c.w, height: c.h, gray: c.ctype == pngGray, format: "png"}
}

// decode returns the image of a PNG file's bytes, valid until the next
// call, or false when image/png must decode it.
func (d *pngDecoder) decode(data []byte, maxPixels int) (image.Image, bool) {
	c, ok := scanPNG(data, maxPixels, d.parts)
	d.parts = c.idat[:0]
	if !ok {
		return nil, false
	}
	return d.pixels(c.idat, c.w, c.h, c.ctype)
}

// pixels inflates and unfilters the image data.
func (d *pngDecoder) pixels(idat [][]byte, w, h, ctype int) (image.Image, bool) {
	stream := idat[0]
	if len(idat) > 1 {
		d.idat = d.idat[:0]
		for _, c := range idat {
			d.idat = append(d.idat, c...)
		}
		stream = d.idat
	}
	d.src = peekReader{b: stream}
	if d.zr == nil {
		zr, err := zlib.NewReader(&d.src)
		if err != nil {
			return nil, false
		}
		d.zr = zr
	} else if err := d.zr.(zlib.Resetter).Reset(&d.src, nil); err != nil {
		d.zr = nil
		return nil, false
	}
	bpp := bytesPerPixel(ctype)
	rowLen := w * bpp
	d.cur, d.prev = grow(d.cur, rowLen+1), grow(d.prev, rowLen+1)
	clear(d.prev)
	img := d.target(w, h, ctype)
	for y := range h {
		if _, err := io.ReadFull(d.zr, d.cur); err != nil {
			return nil, false
		}
		if !unfilter(d.cur[0], d.cur[1:], d.prev[1:], bpp) {
			return nil, false
		}
		d.store(y, w, ctype, d.cur[1:])
		d.cur, d.prev = d.prev, d.cur
	}
	// The stream must end here, its checksum verified, with no data left.
	var one [1]byte
	if n, err := d.zr.Read(one[:]); n != 0 || err != io.EOF || d.src.off != len(d.src.b) {
		return nil, false
	}
	return img, true
}

// bytesPerPixel returns the bytes of a pixel of an 8-bit colour type.
func bytesPerPixel(ctype int) int {
	switch ctype {
	case pngGray:
		return 1
	case pngGrayAlpha:
		return 2
	case pngRGB:
		return 3
	}
	return 4
}

// grow returns b with length n, reallocating only when it is too short.
func grow(b []byte, n int) []byte {
	if cap(b) < n {
		return make([]byte, n)
	}
	return b[:n]
}

// target readies the reused image of a colour type and size.
func (d *pngDecoder) target(w, h, ctype int) image.Image {
	r := image.Rect(0, 0, w, h)
	switch ctype {
	case pngGray:
		d.gray = image.Gray{Pix: grow(d.gray.Pix, w*h), Stride: w, Rect: r}
		return &d.gray
	case pngRGB:
		d.rgba = image.RGBA{Pix: grow(d.rgba.Pix, 4*w*h), Stride: 4 * w, Rect: r}
		return &d.rgba
	}
	d.nrgba = image.NRGBA{Pix: grow(d.nrgba.Pix, 4*w*h), Stride: 4 * w, Rect: r}
	return &d.nrgba
}

// store copies an unfiltered row into the image, as image/png lays it out.
func (d *pngDecoder) store(y, w, ctype int, row []byte) {
	switch ctype {
	case pngGray:
		copy(d.gray.Pix[y*w:], row)
	case pngRGB:
		dst := d.rgba.Pix[4*y*w : 4*(y+1)*w]
		for x := range w {
			dst[4*x], dst[4*x+1], dst[4*x+2], dst[4*x+3] = row[3*x], row[3*x+1], row[3*x+2], 0xff
		}
	case pngGrayAlpha:
		dst := d.nrgba.Pix[4*y*w : 4*(y+1)*w]
		for x := range w {
			v := row[2*x]
			dst[4*x], dst[4*x+1], dst[4*x+2], dst[4*x+3] = v, v, v, row[2*x+1]
		}
	default:
		copy(d.nrgba.Pix[4*y*w:], row)
	}
}

// unfilter undoes a row's PNG filter in place; false for an unknown one.
func unfilter(filter byte, cur, prev []byte, bpp int) bool {
	switch filter {
	case 0:
	case 1:
		for i := bpp; i < len(cur); i++ {
			cur[i] += cur[i-bpp]
		}
	case 2:
		for i, p := range prev {
			cur[i] += p
		}
	case 3:
		for i := range bpp {
			cur[i] += prev[i] / 2
		}
		for i := bpp; i < len(cur); i++ {
			cur[i] += uint8((int(cur[i-bpp]) + int(prev[i])) / 2)
		}
	case 4:
		for i := range cur {
			var a, c uint8
			if i >= bpp {
				a, c = cur[i-bpp], prev[i-bpp]
			}
			cur[i] += paeth(a, prev[i], c)
		}
	default:
		return false
	}
	return true
}

// paeth is the PNG specification's Paeth predictor.
func paeth(a, b, c uint8) uint8 {
	p := int(a) + int(b) - int(c)
	pa, pb, pc := abs(p-int(a)), abs(p-int(b)), abs(p-int(c))
	switch {
	case pa <= pb && pa <= pc:
		return a
	case pb <= pc:
		return b
	}
	return c
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}
