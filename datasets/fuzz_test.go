package datasets

import (
	"bytes"
	"image"
	"image/color"
	"image/draw"
	"image/jpeg"
	"image/png"
	"io"
	"slices"
	"strings"
	"testing"
)

// FuzzReadIDX feeds arbitrary bytes, raw or gzip, with the size known or
// not, to both IDX readers. They must never panic, and whatever they
// accept must be self-consistent.
func FuzzReadIDX(f *testing.F) {
	img := idxBytes(imagesMagic, []uint32{2, 3, 4}, tinyImages(2, 3, 4))
	lab := idxBytes(labelsMagic, []uint32{5}, tinyLabels(5))
	for _, seed := range [][]byte{
		img, lab, gzipBytes(img), gzipBytes(lab),
		img[:len(img)-5], lab[:7], gzipBytes(img)[:20],
		idxBytes(imagesMagic, []uint32{0xffffff, 28, 28}, make([]byte, 64)),
		gzipBytes(idxBytes(imagesMagic, []uint32{0xffffff, 28, 28}, make([]byte, 64))),
		idxBytes(labelsMagic, []uint32{3}, []byte{1, 12, 3}),
		idxBytes(0x0c03, []uint32{1, 1, 1}, make([]byte, 4)),
		append(append([]byte(nil), img...), 9, 9),
		{}, {0x1f, 0x8b}, {0, 0, 8, 3},
	} {
		f.Add(seed, true)
		f.Add(seed, false)
	}
	f.Fuzz(func(t *testing.T, data []byte, sizeKnown bool) {
		size := int64(-1)
		if sizeKnown {
			size = int64(len(data))
		}
		imgs, err := ReadIDXImages(bytes.NewReader(data), "fuzz", size)
		if err == nil {
			if imgs.N <= 0 || imgs.Rows <= 0 || imgs.Cols <= 0 || len(imgs.Pixels) != imgs.N*imgs.Rows*imgs.Cols {
				t.Fatalf("accepted inconsistent images: %d of %dx%d with %d pixels",
					imgs.N, imgs.Rows, imgs.Cols, len(imgs.Pixels))
			}
		} else if !strings.HasPrefix(err.Error(), "fuzz: ") {
			t.Fatalf("error %q does not name the file", err)
		}
		// A reader that cannot seek takes the one-pass path, which must
		// end the same way as the measured one.
		once, errOnce := ReadIDXImages(struct{ io.Reader }{bytes.NewReader(data)}, "fuzz", size)
		switch {
		case (err == nil) != (errOnce == nil):
			t.Fatalf("seekable: %v; one pass: %v", err, errOnce)
		case err != nil && err.Error() != errOnce.Error():
			t.Fatalf("seekable: %v; one pass: %v", err, errOnce)
		case err == nil && !bytes.Equal(imgs.Pixels, once.Pixels):
			t.Fatal("the two paths read different pixels")
		}
		labels, err := ReadIDXLabels(bytes.NewReader(data), "fuzz", size)
		if err == nil {
			if len(labels) == 0 {
				t.Fatal("accepted an empty label file")
			}
			for i, l := range labels {
				if l >= Classes {
					t.Fatalf("accepted label %d = %d", i, l)
				}
			}
		}
	})
}

// fuzzMaxPixels and fuzzMaxBytes are the bounds the digit fuzz targets
// read under: smaller than ReadDigit's, so that a header the fuzzer grows
// costs milliseconds rather than a 128 MiB image per input.
const (
	fuzzMaxPixels = 256 * 256
	fuzzMaxBytes  = 1 << 20
)

// FuzzReadDigit feeds arbitrary bytes to the digit reader as a user's
// image file. It must never panic; what it accepts is a 28x28 digit, and
// its errors are one line.
func FuzzReadDigit(f *testing.F) {
	seedImgs := []image.Image{
		seven(color.White, color.Black), canvas(9, 11, color.White), canvas(1, 1, color.Black), faint(),
	}
	for name, img := range testImages() {
		if name == "gray" || name == "gray16" || name == "paletted" || name == "nrgba64" {
			seedImgs = append(seedImgs, img)
		}
	}
	for _, img := range seedImgs {
		small := shrink(img, 40)
		var p, j bytes.Buffer
		png.Encode(&p, small)
		jpeg.Encode(&j, small, &jpeg.Options{Quality: 75})
		f.Add(p.Bytes())
		f.Add(j.Bytes())
		f.Add(p.Bytes()[:p.Len()/2])
	}
	f.Add(pngOfSize(4096, 4096))
	f.Add(pngOfSize(0, 7))
	f.Add([]byte("GIF89a"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		px, err := readDigit(bytes.NewReader(data), fuzzMaxPixels, fuzzMaxBytes)
		if err != nil {
			if strings.ContainsAny(err.Error(), "\n\r") {
				t.Fatalf("error %q is not one line", err)
			}
			return
		}
		if len(px) != DigitSize*DigitSize {
			t.Fatalf("accepted an image as %d pixels", len(px))
		}
	})
}

// shrink returns the top-left corner of img, at most n pixels square, as
// an NRGBA image, to keep seeds small.
func shrink(img image.Image, n int) image.Image {
	b := img.Bounds()
	r := image.Rect(0, 0, min(n, b.Dx()), min(n, b.Dy()))
	out := image.NewNRGBA(r)
	draw.Draw(out, r, img, b.Min.Add(image.Pt(max(0, b.Dx()/2-n/2), 0)), draw.Src)
	return out
}

// FuzzPreprocessDigit builds images of every type the decoders produce,
// of any size up to 64x64 and any origin, from arbitrary pixel bytes, and
// checks the streaming preprocessing against the reference
// implementation: the same digit bit for bit, or the same error.
func FuzzPreprocessDigit(f *testing.F) {
	f.Add(uint8(0), uint8(28), uint8(28), int8(0), int8(0), []byte{0, 255, 0, 255, 255, 0})
	f.Add(uint8(3), uint8(5), uint8(40), int8(-3), int8(7), []byte{255, 255, 255, 0, 0, 0, 128})
	f.Add(uint8(7), uint8(64), uint8(1), int8(9), int8(-9), []byte("a long run of pixels that make up some picture"))
	f.Add(uint8(9), uint8(1), uint8(1), int8(0), int8(0), []byte{1})
	f.Add(uint8(10), uint8(33), uint8(17), int8(100), int8(-100), []byte{0, 0, 0, 0, 200, 10, 255})
	f.Fuzz(func(t *testing.T, kind, w, h uint8, x0, y0 int8, pix []byte) {
		img := fuzzImage(kind, int(w%65), int(h%65), int(x0), int(y0), pix)
		got, err := PreprocessDigit(img)
		want, wantErr := refPreprocess(img)
		if (err == nil) != (wantErr == nil) {
			t.Fatalf("error %v, reference %v", err, wantErr)
		}
		if err != nil {
			// An image that panics in At (image.YCbCr does, at some odd
			// negative origins) may do so at another pixel first.
			const pixels = "reading the image's pixels: "
			if err.Error() != wantErr.Error() && !(strings.HasPrefix(err.Error(), pixels) && strings.HasPrefix(wantErr.Error(), pixels)) {
				t.Fatalf("error %q, reference %q", err, wantErr)
			}
			return
		}
		if len(got) != DigitSize*DigitSize || !slices.Equal(got, want) {
			t.Fatalf("%T %v: differs from the reference", img, img.Bounds())
		}
	})
}

// fuzzImage returns a w x h image of the kind'th type at origin (x0, y0),
// its pixel bytes taken from pix over and over.
func fuzzImage(kind uint8, w, h, x0, y0 int, pix []byte) image.Image {
	r := image.Rect(x0, y0, x0+w, y0+h)
	fill := func(dst []byte) {
		if len(pix) == 0 {
			return
		}
		for i := range dst {
			dst[i] = pix[i%len(pix)]
		}
	}
	var img image.Image
	switch kind % 11 {
	case 0:
		m := image.NewGray(r)
		fill(m.Pix)
		img = m
	case 1:
		m := image.NewGray16(r)
		fill(m.Pix)
		img = m
	case 2:
		m := image.NewRGBA(r)
		fill(m.Pix)
		img = m
	case 3:
		m := image.NewNRGBA(r)
		fill(m.Pix)
		img = m
	case 4:
		m := image.NewRGBA64(r)
		fill(m.Pix)
		img = m
	case 5:
		m := image.NewNRGBA64(r)
		fill(m.Pix)
		img = m
	case 6:
		m := image.NewCMYK(r)
		fill(m.Pix)
		img = m
	case 7:
		m := image.NewYCbCr(r, image.YCbCrSubsampleRatio(int(kind/11)%6+1))
		fill(m.Y)
		fill(m.Cb)
		fill(m.Cr)
		img = m
	case 8:
		m := image.NewPaletted(r, color.Palette{color.White, color.Black, color.Gray{100}, color.RGBA{200, 10, 10, 128}})
		fill(m.Pix)
		for i := range m.Pix {
			m.Pix[i] %= uint8(len(m.Palette))
		}
		img = m
	case 9:
		m := image.NewAlpha(r)
		fill(m.Pix)
		img = m
	default:
		m := image.NewNRGBA(image.Rect(0, 0, w+3, h+2))
		fill(m.Pix)
		img = m.SubImage(image.Rect(2, 1, 2+w, 1+h))
	}
	return img
}
