package datasets

import (
	"bytes"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"testing"
)

// FuzzReadImage feeds the image folders' decoding any bytes as a file:
// the header check, the fast PNG decoder, the standard decoders and the
// conversion to a model's input, gray and RGB. Nothing panics, nothing
// decodes to pixels outside what its header says, and whatever the fast PNG
// decoder accepts it decodes to the very pixels image/png gives.
func FuzzReadImage(f *testing.F) {
	for _, img := range fuzzImages() {
		var b bytes.Buffer
		_ = png.Encode(&b, img)
		f.Add(b.Bytes())
		b.Reset()
		_ = jpeg.Encode(&b, img, nil)
		f.Add(b.Bytes())
		b.Reset()
		_ = gif.Encode(&b, img, nil)
		f.Add(b.Bytes())
	}
	f.Add([]byte("\x89PNG\r\n\x1a\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		const maxPixels = 1 << 16
		var fr fileReader
		h, err := fr.header("x", data, maxPixels)
		if err != nil {
			return
		}
		if h.width < 1 || h.height < 1 || h.width*h.height > maxPixels {
			t.Fatalf("header %dx%d passed a cap of %d pixels", h.width, h.height, maxPixels)
		}
		img, err := fr.decode("x", data, maxPixels)
		if err != nil {
			return
		}
		// A GIF's first frame may be smaller than its screen, the size its
		// header gives, and sit anywhere on it; it never exceeds it.
		if b := img.Bounds(); !b.In(image.Rect(0, 0, h.width, h.height)) || b.Empty() {
			t.Fatalf("header says %dx%d, the image is %v", h.width, h.height, b)
		}
		var fast pngDecoder
		if got, ok := fast.decode(data, maxPixels); ok {
			want, err := png.Decode(bytes.NewReader(data))
			if err != nil {
				t.Fatalf("the fast decoder accepted a PNG image/png refuses: %v", err)
			}
			samePixels(t, "fuzz", got, want)
		}
		for _, channels := range []int{1, 3} {
			c, err := newConverter(channels, 8, 8, ResizeCatmullRom, maxPixels)
			if err != nil {
				t.Fatal(err)
			}
			c.convert(img, make([]uint8, channels*64))
		}
	})
}

// fuzzImages returns small gray, RGBA and NRGBA images with gradients.
func fuzzImages() []image.Image {
	gray := image.NewGray(image.Rect(0, 0, 5, 3))
	rgba := image.NewRGBA(image.Rect(0, 0, 4, 4))
	nrgba := image.NewNRGBA(image.Rect(0, 0, 3, 2))
	for i := range gray.Pix {
		gray.Pix[i] = uint8(37 * i)
	}
	for y := 0; y < 4; y++ {
		for x := 0; x < 4; x++ {
			rgba.Set(x, y, color.RGBA{uint8(60 * x), uint8(60 * y), 90, 255})
		}
	}
	for i := range nrgba.Pix {
		nrgba.Pix[i] = uint8(23 * i)
	}
	return []image.Image{gray, rgba, nrgba}
}
