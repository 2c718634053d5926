package datasets

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/png"
	"math/rand/v2"
	"runtime"
	"testing"
)

// pngChunk appends one chunk with its CRC.
func pngChunk(b *bytes.Buffer, typ string, data []byte) {
	binary.Write(b, binary.BigEndian, uint32(len(data)))
	c := append([]byte(typ), data...)
	b.Write(c)
	binary.Write(b, binary.BigEndian, crc32.ChecksumIEEE(c))
}

// craftPNG encodes raw rows of an 8-bit image of a colour type with the
// given filter on each row (cycling), its IDAT split in parts, and a
// text chunk before the data, the way other encoders than Go's may.
func craftPNG(w, h, ctype int, raw []byte, filters []byte, parts int) []byte {
	bpp := map[int]int{0: 1, 2: 3, 4: 2, 6: 4}[ctype]
	rowLen := w * bpp
	var filtered bytes.Buffer
	prev := make([]byte, rowLen)
	for y := range h {
		cur := raw[y*rowLen : (y+1)*rowLen]
		f := filters[y%len(filters)]
		out := make([]byte, rowLen)
		for i := range cur {
			var a, c uint8
			if i >= bpp {
				a, c = cur[i-bpp], prev[i-bpp]
			}
			b := prev[i]
			switch f {
			case 0:
				out[i] = cur[i]
			case 1:
				out[i] = cur[i] - a
			case 2:
				out[i] = cur[i] - b
			case 3:
				out[i] = cur[i] - uint8((int(a)+int(b))/2)
			case 4:
				out[i] = cur[i] - paeth(a, b, c)
			}
		}
		filtered.WriteByte(f)
		filtered.Write(out)
		prev = cur
	}
	var z bytes.Buffer
	zw := zlib.NewWriter(&z)
	zw.Write(filtered.Bytes())
	zw.Close()
	var b bytes.Buffer
	b.Write(pngSignature)
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr, uint32(w))
	binary.BigEndian.PutUint32(ihdr[4:], uint32(h))
	ihdr[8], ihdr[9] = 8, byte(ctype)
	pngChunk(&b, "IHDR", ihdr)
	pngChunk(&b, "tEXt", []byte("Comment\x00made by a test"))
	data := z.Bytes()
	for i := range parts {
		pngChunk(&b, "IDAT", data[i*len(data)/parts:(i+1)*len(data)/parts])
	}
	pngChunk(&b, "IEND", nil)
	return b.Bytes()
}

// samePixels compares two images pixel by pixel through their RGBA colours.
func samePixels(t *testing.T, what string, got, want image.Image) {
	t.Helper()
	if got.Bounds() != want.Bounds() {
		t.Fatalf("%s: bounds %v, want %v", what, got.Bounds(), want.Bounds())
	}
	b := want.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if got.At(x, y) != want.At(x, y) {
				t.Fatalf("%s: pixel (%d,%d) is %v, image/png gives %v", what, x, y, got.At(x, y), want.At(x, y))
			}
		}
	}
}

func TestPNGFastPathAgreesWithImagePNG(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var d pngDecoder
	for _, ctype := range []int{pngGray, pngRGB, pngGrayAlpha, pngRGBA} {
		for _, parts := range []int{1, 3} {
			w, h := 1+rng.IntN(40), 1+rng.IntN(30)
			bpp := map[int]int{0: 1, 2: 3, 4: 2, 6: 4}[ctype]
			raw := make([]byte, w*h*bpp)
			for i := range raw {
				raw[i] = uint8(rng.IntN(256))
			}
			file := craftPNG(w, h, ctype, raw, []byte{0, 1, 2, 3, 4}, parts)
			want, err := png.Decode(bytes.NewReader(file))
			if err != nil {
				t.Fatalf("colour type %d: image/png: %v", ctype, err)
			}
			got, ok := d.decode(file, DefaultMaxPixels)
			if !ok {
				t.Fatalf("colour type %d in %d parts: the fast path refused it", ctype, parts)
			}
			samePixels(t, "crafted", got, want)
			// The same bytes through the loader's converter agree too.
			var f fileReader
			for _, ch := range []int{1, 3} {
				c, _ := newConverter(ch, h, w, "", DefaultMaxPixels)
				fast, slow := make([]uint8, ch*w*h), make([]uint8, ch*w*h)
				img, err := f.decode("x.png", file, DefaultMaxPixels)
				if err != nil {
					t.Fatal(err)
				}
				c.convert(img, fast)
				c.convert(want, slow)
				if !bytes.Equal(fast, slow) {
					t.Errorf("colour type %d, %d channels: converted pixels differ", ctype, ch)
				}
			}
			// Damage anywhere leaves the file to image/png.
			for _, at := range []int{len(file) / 2, len(file) - 20, 30} {
				bad := append([]byte(nil), file...)
				bad[at] ^= 0x40
				if _, ok := d.decode(bad, DefaultMaxPixels); ok {
					if _, err := png.Decode(bytes.NewReader(bad)); err != nil {
						t.Errorf("colour type %d: byte %d damaged: the fast path decoded what image/png refuses (%v)", ctype, at, err)
					}
				}
			}
		}
	}
	// Go's own encoder, on MNIST digits, colour and translucent images.
	m := realMNIST(t)
	imgs := []image.Image{m.Train.Digit(0), m.Train.Digit(1), m.Test.Digit(7)}
	rgba := image.NewRGBA(image.Rect(0, 0, 9, 7))
	nrgba := image.NewNRGBA(image.Rect(0, 0, 9, 7))
	for i := range rgba.Pix {
		rgba.Pix[i] = uint8(rng.IntN(256)) | 0
		nrgba.Pix[i] = uint8(rng.IntN(256))
	}
	for i := 3; i < len(rgba.Pix); i += 4 {
		rgba.Pix[i] = 0xff
	}
	imgs = append(imgs, rgba, nrgba)
	for i, img := range imgs {
		var b bytes.Buffer
		if err := png.Encode(&b, img); err != nil {
			t.Fatal(err)
		}
		want, _ := png.Decode(bytes.NewReader(b.Bytes()))
		got, ok := d.decode(b.Bytes(), DefaultMaxPixels)
		if !ok {
			t.Fatalf("image %d: the fast path refused Go's PNG", i)
		}
		samePixels(t, "encoded by Go", got, want)
	}
	// Palettes and transparency go to image/png.
	pal := image.NewPaletted(image.Rect(0, 0, 4, 4), color.Palette{color.Black, color.White})
	var b bytes.Buffer
	png.Encode(&b, pal)
	if _, ok := d.decode(b.Bytes(), DefaultMaxPixels); ok {
		t.Error("a paletted PNG took the fast path")
	}
}

func TestPNGFastPathAllocatesLittle(t *testing.T) {
	m := realMNIST(t)
	var b bytes.Buffer
	png.Encode(&b, m.Train.Digit(3))
	var d pngDecoder
	d.decode(b.Bytes(), DefaultMaxPixels)
	perDecode := func(f func()) uint64 {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		for range 100 {
			f()
		}
		runtime.ReadMemStats(&after)
		return (after.TotalAlloc - before.TotalAlloc) / 100
	}
	fast := perDecode(func() { d.decode(b.Bytes(), DefaultMaxPixels) })
	slow := perDecode(func() { png.Decode(bytes.NewReader(b.Bytes())) })
	// compress/flate still allocates its Huffman tables' long-code links.
	if fast > 8<<10 || slow < 32<<10 {
		t.Errorf("%d bytes allocated per warm decode (image/png: %d), want under 8 KiB", fast, slow)
	}
}
