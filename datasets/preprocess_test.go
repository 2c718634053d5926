package datasets

import (
	"bytes"
	"hash/crc32"
	"image"
	"image/color"
	"image/draw"
	"image/jpeg"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// canvas returns a w x h image filled with paper.
func canvas(w, h int, paper color.Color) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	draw.Draw(img, img.Bounds(), image.NewUniform(paper), image.Point{}, draw.Src)
	return img
}

// stroke paints every pixel within width/2 of the segment from a to b.
func stroke(img *image.NRGBA, a, b image.Point, width float64, ink color.Color) {
	ax, ay, bx, by := float64(a.X), float64(a.Y), float64(b.X), float64(b.Y)
	for y := img.Rect.Min.Y; y < img.Rect.Max.Y; y++ {
		for x := img.Rect.Min.X; x < img.Rect.Max.X; x++ {
			px, py := float64(x)+0.5, float64(y)+0.5
			t := ((px-ax)*(bx-ax) + (py-ay)*(by-ay)) / ((bx-ax)*(bx-ax) + (by-ay)*(by-ay))
			t = min(max(t, 0), 1)
			if math.Hypot(px-ax-t*(bx-ax), py-ay-t*(by-ay)) <= width/2 {
				img.Set(x, y, ink)
			}
		}
	}
}

// seven draws a 7, well off the centre of a large page.
func seven(paper, ink color.Color) *image.NRGBA {
	img := canvas(400, 300, paper)
	stroke(img, image.Pt(220, 40), image.Pt(340, 40), 14, ink)
	stroke(img, image.Pt(340, 40), image.Pt(260, 250), 14, ink)
	return img
}

// extent returns the ink's bounding box and centre of mass, in pixel
// index coordinates, of a preprocessed digit.
func extent(t *testing.T, px []uint8) (box image.Rectangle, cx, cy float64) {
	t.Helper()
	if len(px) != DigitSize*DigitSize {
		t.Fatalf("%d pixels, want %d", len(px), DigitSize*DigitSize)
	}
	box = image.Rectangle{}
	var mass float64
	for i, v := range px {
		if v == 0 {
			continue
		}
		x, y := i%DigitSize, i/DigitSize
		box = box.Union(image.Rect(x, y, x+1, y+1))
		mass += float64(v)
		cx += float64(v) * float64(x)
		cy += float64(v) * float64(y)
	}
	return box, cx / mass, cy / mass
}

func TestPreprocessSeven(t *testing.T) {
	px, err := PreprocessDigit(seven(color.White, color.Black))
	if err != nil {
		t.Fatal(err)
	}
	box, cx, cy := extent(t, px)
	// The ink spans about 134 x 224 page pixels: 20 rows and 12 columns.
	if box.Dy() != 20 || box.Dx() != 12 {
		t.Errorf("ink box %v, want 12 wide and 20 tall", box)
	}
	if math.Abs(cx-14) > 0.5 || math.Abs(cy-14) > 0.5 {
		t.Errorf("centre of mass (%.2f, %.2f), want (14, 14)", cx, cy)
	}
	if peak := maxByte(px); peak != 255 {
		t.Errorf("strongest ink %d, want 255", peak)
	}
	// Light ink on dark paper and a transparent page give the same digit.
	for name, img := range map[string]image.Image{
		"inverted":    seven(color.Black, color.White),
		"transparent": seven(color.Transparent, color.Black),
		"gray paper":  seven(color.Gray{200}, color.Gray{40}),
	} {
		other, err := PreprocessDigit(img)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if d := meanAbsDiff(px, other); d > 1 {
			t.Errorf("%s: differs by %.2f on average", name, d)
		}
	}
}

func TestPreprocessBarAndTinyDigit(t *testing.T) {
	bar := canvas(300, 400, color.White)
	stroke(bar, image.Pt(215, 50), image.Pt(215, 350), 30, color.Black)
	px, err := PreprocessDigit(bar)
	if err != nil {
		t.Fatal(err)
	}
	if box, _, _ := extent(t, px); box.Dy() != 20 || box.Dx() != 2 {
		t.Errorf("bar box %v, want 2 x 20", box)
	}
	// A 5 x 7 digit is scaled up to 20 rows.
	tiny := canvas(9, 11, color.White)
	drawGlyph(tiny, image.Pt(2, 2), 3, 1, color.Black)
	px, err = PreprocessDigit(tiny)
	if err != nil {
		t.Fatal(err)
	}
	if box, _, _ := extent(t, px); box.Dy() != 20 || box.Dx() != 14 {
		t.Errorf("tiny digit box %v, want 14 x 20", box)
	}
}

func TestReadDigitFormats(t *testing.T) {
	img := seven(color.White, color.Black)
	want, _ := PreprocessDigit(img)
	var pngBuf, jpgBuf bytes.Buffer
	png.Encode(&pngBuf, img)
	jpeg.Encode(&jpgBuf, img, &jpeg.Options{Quality: 85})
	path := filepath.Join(t.TempDir(), "seven.jpg")
	os.WriteFile(path, jpgBuf.Bytes(), 0o644)
	fromPNG, err := ReadDigit(bytes.NewReader(pngBuf.Bytes()))
	if err != nil || meanAbsDiff(fromPNG, want) != 0 {
		t.Errorf("PNG: %v", err)
	}
	fromJPEG, err := ReadDigitFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if d := meanAbsDiff(fromJPEG, want); d > 3 {
		t.Errorf("JPEG differs from PNG by %.2f on average", d)
	}
}

// TestPreprocessMNISTDigit checks that a real MNIST digit, enlarged and
// drawn dark on light paper, comes back close to the original.
func TestPreprocessMNISTDigit(t *testing.T) {
	s := realMNIST(t).Test
	var sum float64
	for i := range 20 {
		page := canvas(28*6, 28*6, color.White)
		for p, v := range s.Pixels(i) {
			if v > 0 {
				r := image.Rect(p%28*6, p/28*6, p%28*6+6, p/28*6+6)
				draw.Draw(page, r, image.NewUniform(color.Gray{255 - v}), image.Point{}, draw.Src)
			}
		}
		px, err := PreprocessDigit(page)
		if err != nil {
			t.Fatal(err)
		}
		c := correlation(px, s.Pixels(i))
		if c < 0.7 {
			t.Errorf("test digit %d comes back with correlation %.2f", i, c)
		}
		sum += c
	}
	// Most come back nearly identical; a faint stroke end can move the
	// crop by a pixel.
	if sum/20 < 0.97 {
		t.Errorf("mean correlation %.3f, want at least 0.97", sum/20)
	}
}

func TestPreprocessErrors(t *testing.T) {
	cases := map[string]struct {
		data []byte
		want string
	}{
		"white page": {encodePNG(canvas(50, 50, color.White)), "blank"},
		"gray page":  {encodePNG(canvas(50, 50, color.Gray{128})), "blank"},
		"faint mark": {encodePNG(faint()), "blank"},
		"one pixel":  {encodePNG(canvas(1, 1, color.Black)), "blank"},
		"garbage":    {[]byte("definitely not an image"), "not a readable PNG or JPEG"},
		"empty file": {nil, "not a readable PNG or JPEG"},
		"truncated":  {encodePNG(seven(color.White, color.Black))[:200], "decoding png"},
		"huge":       {hugePNG(t), "at most"},
	}
	for name, c := range cases {
		if _, err := ReadDigit(bytes.NewReader(c.data)); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want %q", name, err, c.want)
		}
	}
	if _, err := PreprocessDigit(image.NewGray(image.Rect(0, 0, 0, 0))); err == nil || !strings.Contains(err.Error(), "empty image") {
		t.Errorf("0x0 image: %v", err)
	}
	if _, err := ReadDigitFile(filepath.Join(t.TempDir(), "none.png")); err == nil {
		t.Error("missing file gave no error")
	}
}

func TestResample(t *testing.T) {
	src := []float32{1, 1, 0, 0, 1, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1}
	if got := resample(src, 4, 4, 2, 2); !equalish(got, []float32{1, 0, 0, 0.5}) {
		t.Errorf("4x4 to 2x2: %v", got)
	}
	if got := resample([]float32{0, 1, 1}, 3, 1, 2, 1); !equalish(got, []float32{1.0 / 3, 1}) {
		t.Errorf("3 to 2: %v", got)
	}
	if got := resample([]float32{0, 1}, 2, 1, 4, 1); !equalish(got, []float32{0, 0, 1, 1}) {
		t.Errorf("2 to 4: %v", got)
	}
}

func equalish(a, b []float32) bool {
	for i := range a {
		if math.Abs(float64(a[i]-b[i])) > 1e-6 {
			return false
		}
	}
	return len(a) == len(b)
}

// faint draws a mark too faint to count as ink.
func faint() *image.NRGBA {
	img := canvas(50, 50, color.Gray{200})
	stroke(img, image.Pt(10, 10), image.Pt(40, 40), 5, color.Gray{190})
	return img
}

func encodePNG(img image.Image) []byte {
	var b bytes.Buffer
	png.Encode(&b, img)
	return b.Bytes()
}

// hugePNG returns a valid PNG header declaring 100000 x 100000 pixels.
func hugePNG(t *testing.T) []byte {
	data := encodePNG(canvas(1, 1, color.White))
	// IHDR's width and height follow the 8-byte signature and the chunk's
	// length and type; its CRC follows its 13 data bytes.
	copy(data[16:], []byte{0, 1, 0x86, 0xa0, 0, 1, 0x86, 0xa0})
	crc := crc32.ChecksumIEEE(data[12:29])
	copy(data[29:], []byte{byte(crc >> 24), byte(crc >> 16), byte(crc >> 8), byte(crc)})
	return data
}

func maxByte(px []uint8) uint8 {
	var m uint8
	for _, v := range px {
		m = max(m, v)
	}
	return m
}

func meanAbsDiff(a, b []uint8) float64 {
	var sum float64
	for i := range a {
		sum += math.Abs(float64(a[i]) - float64(b[i]))
	}
	return sum / float64(len(a))
}

func correlation(a, b []uint8) float64 {
	var sa, sb, saa, sbb, sab float64
	for i := range a {
		x, y := float64(a[i]), float64(b[i])
		sa, sb, saa, sbb, sab = sa+x, sb+y, saa+x*x, sbb+y*y, sab+x*y
	}
	n := float64(len(a))
	return (sab - sa*sb/n) / math.Sqrt((saa-sa*sa/n)*(sbb-sb*sb/n))
}
