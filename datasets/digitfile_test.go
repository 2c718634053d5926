package datasets

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/draw"
	"image/jpeg"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"testing"
)

// testImages returns the same drawing of a seven in every image type the
// decoders produce and PreprocessDigit reads directly, and a few others.
func testImages() map[string]image.Image {
	src := seven(color.White, color.Black)
	b := src.Bounds()
	out := map[string]image.Image{"nrgba": src}
	for name, dst := range map[string]draw.Image{
		"gray": image.NewGray(b), "gray16": image.NewGray16(b), "rgba": image.NewRGBA(b),
		"rgba64": image.NewRGBA64(b), "nrgba64": image.NewNRGBA64(b), "cmyk": image.NewCMYK(b),
		"alpha": image.NewAlpha(b), "paletted": image.NewPaletted(b, color.Palette{color.White, color.Black, color.Gray{128}}),
	} {
		draw.Draw(dst, b, src, b.Min, draw.Src)
		out[name] = dst
	}
	ycc := image.NewYCbCr(b, image.YCbCrSubsampleRatio420)
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			c := color.YCbCrModel.Convert(src.At(x, y)).(color.YCbCr)
			ycc.Y[ycc.YOffset(x, y)], ycc.Cb[ycc.COffset(x, y)], ycc.Cr[ycc.COffset(x, y)] = c.Y, c.Cb, c.Cr
		}
	}
	out["ycbcr"] = ycc
	out["sub-image"] = src.SubImage(image.Rect(150, 20, 390, 290))
	return out
}

// TestPreprocessMatchesReference checks the streaming preprocessing
// against the first implementation, which held the whole image in
// float32, bit for bit.
func TestPreprocessMatchesReference(t *testing.T) {
	imgs := testImages()
	bar := canvas(300, 400, color.White)
	stroke(bar, image.Pt(215, 50), image.Pt(215, 350), 30, color.Black)
	imgs["bar"], imgs["faint"], imgs["one pixel"] = bar, faint(), canvas(1, 1, color.Black)
	imgs["tall"] = canvas(1, 3000, color.Black)
	tall := imgs["tall"].(*image.NRGBA)
	stroke(tall, image.Pt(0, 100), image.Pt(0, 2000), 2, color.White)
	for name, img := range imgs {
		got, err := PreprocessDigit(img)
		want, wantErr := refPreprocess(img)
		if (err == nil) != (wantErr == nil) || (err != nil && err.Error() != wantErr.Error()) {
			t.Errorf("%s: error %v, reference %v", name, err, wantErr)
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s: differs from the reference by %.3f on average", name, meanAbsDiff(got, want))
		}
	}
}

// grayPNG encodes a w x h grayscale picture of a bar.
func grayPNG(t *testing.T, w, h int) []byte {
	img := image.NewGray(image.Rect(0, 0, w, h))
	for i := range img.Pix {
		img.Pix[i] = 255
	}
	for y := h / 4; y < 3*h/4; y++ {
		for x := w/2 - w/20; x < w/2+w/20; x++ {
			img.Pix[y*w+x] = 0
		}
	}
	var b bytes.Buffer
	if err := (&png.Encoder{CompressionLevel: png.BestSpeed}).Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestLargeDigitImageMemoryIsBounded is defect 8 for user images: reading
// a large PNG costs at most twice its decoded pixels, not copies of the
// file and a float32 copy of the image.
func TestLargeDigitImageMemoryIsBounded(t *testing.T) {
	const w, h = 4096, 2048
	data := grayPNG(t, w, h)
	path := filepath.Join(t.TempDir(), "big.png")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	px, err := ReadDigitFile(path)
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	if box, _, _ := extent(t, px); box.Dy() != 20 {
		t.Errorf("bar box %v, want 20 rows", box)
	}
	decoded := uint64(w * h) // bytes of an 8-bit gray image
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 2*decoded {
		t.Errorf("reading a %dx%d gray PNG allocated %d bytes, want at most %d (twice the decoded image)", w, h, alloc, 2*decoded)
	}
}

// pngOfSize returns a valid PNG whose header declares w x h pixels.
func pngOfSize(w, h uint32) []byte {
	data := encodePNG(canvas(1, 1, color.White))
	binary.BigEndian.PutUint32(data[16:], w)
	binary.BigEndian.PutUint32(data[20:], h)
	binary.BigEndian.PutUint32(data[29:], crc32.ChecksumIEEE(data[12:29]))
	return data
}

// TestDigitImageBounds checks the pixel cap of 4096x4096 against headers
// on either side of it and the byte cap against an endless stream.
func TestDigitImageBounds(t *testing.T) {
	for _, c := range []struct {
		w, h uint32
		ok   bool
	}{{4096, 4096, true}, {4097, 4096, false}, {1, MaxDigitPixels + 1, false}, {1 << 16, 1 << 16, false}} {
		_, err := ReadDigit(bytes.NewReader(pngOfSize(c.w, c.h)))
		refused := err != nil && strings.Contains(err.Error(), "want at most")
		if refused == c.ok {
			t.Errorf("%dx%d: error %v", c.w, c.h, err)
		}
	}
	// A PNG without IEND followed by an endless ancillary chunk: the
	// decoder keeps reading until the byte cap stops it.
	img := encodePNG(seven(color.White, color.Black))
	endless := io.MultiReader(bytes.NewReader(img[:len(img)-12]),
		bytes.NewReader([]byte{0x7f, 0xff, 0xff, 0xff, 'z', 'z', 'z', 'z'}), zeros{})
	if _, err := readDigit(endless, MaxDigitPixels, 1<<20); err == nil || !strings.Contains(err.Error(), "1048576-byte limit") {
		t.Errorf("endless stream: %v", err)
	}
	if _, err := ReadDigit(bytes.NewReader(gifBytes(t))); err == nil || !strings.Contains(err.Error(), "PNG or JPEG") {
		t.Errorf("GIF: %v", err)
	}
}

// zeros reads as an endless run of zero bytes.
type zeros struct{}

func (zeros) Read(p []byte) (int, error) { clear(p); return len(p), nil }

// gifBytes returns a tiny GIF, which ReadDigit must refuse even when a
// GIF decoder is registered.
func gifBytes(t *testing.T) []byte {
	return []byte("GIF89a\x01\x00\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;")
}

// TestReadDigitFileRefusesSpecialFiles is defect 1 at the datasets level:
// devices, pipes, directories and files over the size cap are refused
// before a byte is read.
func TestReadDigitFileRefusesSpecialFiles(t *testing.T) {
	dir := t.TempDir()
	big := filepath.Join(dir, "big.png")
	if err := os.WriteFile(big, pngOfSize(28, 28), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(big, 3<<30); err != nil { // sparse: no disk used
		t.Fatal(err)
	}
	fifo := filepath.Join(dir, "fifo.png")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]string{
		"/dev/zero": "not a regular file (a device)", dir: "not a regular file (a directory)",
		fifo: "not a regular file (a named pipe)", big: "more than the 67108864-byte limit",
	} {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		_, err := ReadDigitFile(path)
		runtime.ReadMemStats(&after)
		if err == nil || !strings.Contains(err.Error(), want) || !strings.HasPrefix(err.Error(), path+": ") {
			t.Errorf("%s: error %v, want %q naming the file", path, err, want)
		}
		if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 1<<20 {
			t.Errorf("%s: allocated %d bytes to refuse it", path, alloc)
		}
	}
}

// TestJPEGDigitStillReads checks the streaming decoder on a JPEG, whose
// header is longer than a PNG's.
func TestJPEGDigitStillReads(t *testing.T) {
	var b bytes.Buffer
	if err := jpeg.Encode(&b, seven(color.White, color.Black), &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	px, err := ReadDigit(&b)
	if err != nil {
		t.Fatal(err)
	}
	if box, _, _ := extent(t, px); box.Dy() != 20 {
		t.Errorf("JPEG seven box %v", box)
	}
}

// TestPreprocessRecoversFromBadImages checks that an image whose At
// panics is an error, not a panic out of PreprocessDigit.
func TestPreprocessRecoversFromBadImages(t *testing.T) {
	img := image.NewPaletted(image.Rect(0, 0, 4, 4), color.Palette{color.White})
	img.Pix[5] = 3
	if _, err := PreprocessDigit(img); err == nil || !strings.Contains(err.Error(), "reading the image's pixels") {
		t.Errorf("palette index out of range: %v", err)
	}
}

// TestDigitOfExactlyTheByteCap checks that a file as long as the cap is
// judged on its content, not reported as over the cap.
func TestDigitOfExactlyTheByteCap(t *testing.T) {
	img := encodePNG(seven(color.White, color.Black))
	if _, err := readDigit(bytes.NewReader(img), MaxDigitPixels, int64(len(img))); err != nil {
		t.Errorf("a PNG of exactly the cap: %v", err)
	}
	bad := append(img[:len(img)-30:len(img)-30], make([]byte, 30)...)
	if _, err := readDigit(bytes.NewReader(bad), MaxDigitPixels, int64(len(bad))); err == nil || strings.Contains(err.Error(), "limit") {
		t.Errorf("a damaged PNG of exactly the cap: %v", err)
	}
}

// TestInvalidColoursAreBlank: an image.RGBA whose colour exceeds its
// alpha has luminance above 1; a uniform one is a blank page, not a
// digit found against a paper of 0.
func TestInvalidColoursAreBlank(t *testing.T) {
	img := image.NewRGBA(image.Rect(0, 0, 39, 4))
	for i := range img.Pix {
		img.Pix[i] = []byte{0xfb, 0x30}[i%2]
	}
	if px, err := PreprocessDigit(img); err == nil || !strings.Contains(err.Error(), "blank") {
		t.Errorf("uniform invalid colours: %d pixels, %v", len(px), err)
	}
}
