package datasets

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// mnistPart returns the first n training and m test digits of MNIST.
func mnistPart(t testing.TB, n, m int) (*Set, *Set) {
	t.Helper()
	real := realMNIST(t)
	return real.Train.First(n), real.Test.First(m)
}

// writePNG writes img into path, making its folder.
func writePNGFile(t testing.TB, path string, img image.Image) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := WritePNG(path, img); err != nil {
		t.Fatal(err)
	}
}

func TestFolderReadsBackMNISTExactly(t *testing.T) {
	train, test := mnistPart(t, 300, 120)
	dir := t.TempDir()
	if err := WriteFolder(dir, train, test, WritePNGFiles); err != nil {
		t.Fatal(err)
	}
	var log bytes.Buffer
	d, err := Load(dir, FolderOptions{Progress: &log})
	if err != nil {
		t.Fatal(err)
	}
	if d.Format != FormatFolder || !strings.Contains(log.String(), "holds an image folder") || !strings.Contains(log.String(), "at their size, 28x28, gray") {
		t.Errorf("format %s, log:\n%s", d.Format, log.String())
	}
	for _, c := range []struct{ got, want *Set }{{d.Train, train}, {d.Test, test}} {
		if c.got.N != c.want.N || c.got.NumChannels() != 1 || c.got.Rows != 28 || c.got.Cols != 28 {
			t.Fatalf("read %d of %dx%dx%d, want %d of 1x28x28", c.got.N, c.got.NumChannels(), c.got.Rows, c.got.Cols, c.want.N)
		}
		if !bytes.Equal(c.got.Images, c.want.Images) || !bytes.Equal(c.got.Labels, c.want.Labels) {
			t.Error("the folder's pixels or labels differ from the set written")
		}
		if !slices.Equal(c.got.Names(), DigitNames()) {
			t.Errorf("classes %v", c.got.Names())
		}
	}
	if !strings.Contains(d.Describe(), "300 training and 120 test images, 1x28x28, 10 classes") {
		t.Errorf("describe: %s", d.Describe())
	}
}

// colourSet returns n 3-channel images of rows x cols whose colour
// depends on the class, one of three.
func colourSet(t testing.TB, n, rows, cols int) *Set {
	t.Helper()
	size := 3 * rows * cols
	pix, labels := make([]uint8, n*size), make([]uint8, n)
	for i := range n {
		labels[i] = uint8(i % 3)
		for k := range size {
			pix[i*size+k] = uint8(k*5 + i*11 + int(labels[i])*40)
		}
	}
	s, err := NewImageSet(pix, labels, 3, rows, cols, []string{"red", "green", "blue"})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestFolderColourAndOneFolderSplit(t *testing.T) {
	s := colourSet(t, 60, 6, 5)
	dir := t.TempDir()
	if err := WriteFolder(dir, s, s.First(3), WritePNGFiles); err != nil {
		t.Fatal(err)
	}
	// Load the training folder alone: one folder per class, split by seed.
	one := filepath.Join(dir, "train")
	a, err := LoadFolder(one, FolderOptions{TestFraction: 0.25, Seed: 7, Rows: 6, Cols: 5})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := LoadFolder(one, FolderOptions{TestFraction: 0.25, Seed: 7, Rows: 6, Cols: 5})
	c, _ := LoadFolder(one, FolderOptions{TestFraction: 0.25, Seed: 8, Rows: 6, Cols: 5})
	if a.Train.N != 45 || a.Test.N != 15 || a.Train.NumChannels() != 3 || a.Train.Rows != 6 || a.Train.Cols != 5 {
		t.Fatalf("split %d/%d of %dx%dx%d", a.Train.N, a.Test.N, a.Train.NumChannels(), a.Train.Rows, a.Train.Cols)
	}
	if counts := a.Test.LabelCounts(); !slices.Equal(counts, []int{5, 5, 5}) {
		t.Errorf("test counts %v, want 5 of each class", counts)
	}
	if !slices.Equal(a.Train.Names(), []string{"blue", "green", "red"}) {
		t.Errorf("classes %v, want them sorted by name", a.Train.Names())
	}
	if !bytes.Equal(a.Test.Images, b.Test.Images) || bytes.Equal(a.Test.Images, c.Test.Images) {
		t.Error("the split should follow the seed, and only the seed")
	}
	// Every image comes back whole: find each test image among the originals.
	orig := map[uint32]bool{}
	for i := range s.N {
		orig[crc32.ChecksumIEEE(s.Pixels(i))] = true
	}
	for i := range a.Test.N {
		if !orig[crc32.ChecksumIEEE(a.Test.Pixels(i))] {
			t.Fatalf("test image %d is not one of the images written", i)
		}
	}
	if !strings.Contains(a.Layout, "25% of each held out") {
		t.Errorf("layout %q", a.Layout)
	}
}

func TestFolderResizeAndGrayDetection(t *testing.T) {
	dir := t.TempDir()
	// A 2x2 checkerboard of gray levels, enlarged 8 times, saved as RGBA
	// PNGs: the pixels are gray though the files are colour.
	levels := []uint8{20, 200, 120, 60}
	for i, class := range []string{"a", "b"} {
		img := image.NewRGBA(image.Rect(0, 0, 16, 16))
		for y := range 16 {
			for x := range 16 {
				v := levels[(y/8)*2+x/8] + uint8(i)
				img.Set(x, y, color.RGBA{v, v, v, 255})
			}
		}
		writePNGFile(t, filepath.Join(dir, "train", class, "x.png"), img)
		writePNGFile(t, filepath.Join(dir, "test", class, "y.png"), img)
	}
	for _, interp := range []string{ResizeNearest, ResizeBilinear, ResizeCatmullRom} {
		d, err := LoadFolder(dir, FolderOptions{Rows: 2, Cols: 2, Resize: interp})
		if err != nil {
			t.Fatal(err)
		}
		if d.Train.NumChannels() != 1 {
			t.Errorf("%s: %d channels, want 1 for gray pixels", interp, d.Train.NumChannels())
		}
		// Each 8x8 block of one level shrinks to one pixel: of that level
		// when sampled, mixed with its neighbours when averaged by a
		// widened kernel, but still in the same order.
		got := d.Train.Pixels(0)
		if interp == ResizeNearest && !slices.Equal(got, levels) {
			t.Errorf("%s: 16x16 to 2x2 gave %v, want %v", interp, got, levels)
		}
		if !(got[1] > got[2] && got[2] > got[3] && got[3] > got[0]) {
			t.Errorf("%s: 16x16 to 2x2 gave %v, want the order of %v", interp, got, levels)
		}
	}
	d, err := LoadFolder(dir, FolderOptions{Channels: 3})
	if err != nil {
		t.Fatal(err)
	}
	if d.Train.NumChannels() != 3 || d.Train.Rows != 16 {
		t.Errorf("forced RGB: %dx%dx%d", d.Train.NumChannels(), d.Train.Rows, d.Train.Cols)
	}
}

// pngHeaderOnly returns the first bytes of a PNG that declares w x h.
func pngHeaderOnly(w, h uint32) []byte {
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], w)
	binary.BigEndian.PutUint32(ihdr[4:], h)
	ihdr[8], ihdr[9] = 8, 0 // 8-bit gray
	binary.Write(&b, binary.BigEndian, uint32(13))
	chunk := append([]byte("IHDR"), ihdr...)
	b.Write(chunk)
	binary.Write(&b, binary.BigEndian, crc32.ChecksumIEEE(chunk))
	return b.Bytes()
}

func TestFolderErrors(t *testing.T) {
	gray := image.NewGray(image.Rect(0, 0, 4, 4))
	mk := func(t *testing.T, files map[string]any) string {
		dir := t.TempDir()
		for name, v := range files {
			p := filepath.Join(dir, name)
			if img, ok := v.(image.Image); ok {
				writePNGFile(t, p, img)
				continue
			}
			os.MkdirAll(filepath.Dir(p), 0o755)
			if err := os.WriteFile(p, v.([]byte), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		return dir
	}
	cases := []struct {
		name  string
		files map[string]any
		want  string
	}{
		{"empty", map[string]any{}, "is empty"},
		{"loose images", map[string]any{"a.png": gray}, "no class folders"},
		{"class without images", map[string]any{"train/a/1.png": gray, "train/b/notes.txt": []byte("hi"), "test/a/1.png": gray}, `training class "b"`},
		{"unreadable image", map[string]any{"train/a/1.png": gray, "train/a/2.png": []byte("not a png"), "test/a/1.png": gray}, "2.png: not a readable"},
		{"huge image", map[string]any{"train/a/1.png": gray, "train/a/big.png": pngHeaderOnly(1<<20, 1<<20), "test/a/1.png": gray}, "big.png: png image of 1048576x1048576 pixels"},
		{"test class not in training", map[string]any{"train/a/1.png": gray, "test/a/1.png": gray, "test/z/1.png": gray}, `test class "z"`},
		{"test without train", map[string]any{"test/a/1.png": gray}, "no train/"},
		{"nothing to test", map[string]any{"a/1.png": gray, "b/1.png": gray}, "no image is left for testing"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Load(mk(t, c.files), FolderOptions{})
			if err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
				t.Errorf("error %v, want one line with %q", err, c.want)
			}
		})
	}
	// With SkipBad the damaged image is skipped and listed.
	dir := mk(t, map[string]any{"train/a/1.png": gray, "train/a/2.png": []byte("junk"), "train/b/1.png": gray, "test/a/1.png": gray})
	d, err := LoadFolder(dir, FolderOptions{SkipBad: true})
	if err != nil {
		t.Fatal(err)
	}
	if d.Train.N != 2 || len(d.Skipped) != 1 || !strings.Contains(d.Skipped[0], "2.png") {
		t.Errorf("skip-bad: %d training images, skipped %v", d.Train.N, d.Skipped)
	}
	// A model's classes fix the labels: b is class 0 here.
	d, err = LoadFolder(dir, FolderOptions{SkipBad: true, Classes: []string{"b", "a", "c"}})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(d.Test.Labels, []uint8{1}) || d.Train.NumClasses() != 3 {
		t.Errorf("with fixed classes: test labels %v, %d classes", d.Test.Labels, d.Train.NumClasses())
	}
	if _, err := LoadFolder(dir, FolderOptions{SkipBad: true, Classes: []string{"a"}}); err == nil || !strings.Contains(err.Error(), `class "b"`) {
		t.Errorf("a class the model lacks: %v", err)
	}
	for _, o := range []FolderOptions{{Channels: 2}, {Rows: 5}, {Rows: 9000, Cols: 9000}, {Resize: "lanczos"}, {TestFraction: 1}} {
		if _, err := LoadFolder(dir, o); err == nil {
			t.Errorf("%+v: no error", o)
		}
	}
}

// cifarBytes returns n CIFAR-10 records of label i%10 and pixels
// counting up.
func cifarBytes(n int) []byte {
	b := make([]byte, n*cifarRecord)
	for i := range n {
		b[i*cifarRecord] = byte(i % 10)
		for k := 1; k < cifarRecord; k++ {
			b[i*cifarRecord+k] = byte(i + k + k/1024*50)
		}
	}
	return b
}

func TestCIFAR10(t *testing.T) {
	dir := t.TempDir()
	sub := filepath.Join(dir, cifarSubdir)
	os.MkdirAll(sub, 0o755)
	os.WriteFile(filepath.Join(sub, cifarTrainFile(1)), cifarBytes(7), 0o644)
	os.WriteFile(filepath.Join(sub, cifarTrainFile(2)), cifarBytes(5), 0o644)
	os.WriteFile(filepath.Join(sub, CIFARTestFile), cifarBytes(4), 0o644)
	if f, err := DetectFormat(dir); err != nil || f != FormatCIFAR10 {
		t.Fatalf("detect: %s, %v", f, err)
	}
	d, err := Load(dir, FolderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if d.Train.N != 12 || d.Test.N != 4 || d.Train.NumChannels() != 3 || d.Train.Rows != 32 || d.Train.Names()[9] != "truck" {
		t.Fatalf("read %d+%d of %dx%d, classes %v", d.Train.N, d.Test.N, d.Train.NumChannels(), d.Train.Rows, d.Train.Names())
	}
	// Record 8 is the second file's record 1: label 1, red plane first.
	want := cifarBytes(5)[cifarRecord+1 : 2*cifarRecord]
	if d.Train.Label(8) != 1 || !bytes.Equal(d.Train.Pixels(8), want) {
		t.Errorf("record 8: label %d, pixels %v", d.Train.Label(8), d.Train.Pixels(8)[:2])
	}
	if img := d.Train.Image(8).(*image.RGBA); img.Pix[0] != want[0] || img.Pix[1] != want[1024] || img.Pix[2] != want[2048] {
		t.Errorf("record 8 as an image: %v", img.Pix[:4])
	}
	os.WriteFile(filepath.Join(sub, CIFARTestFile), cifarBytes(4)[:100], 0o644)
	if _, err := Load(dir, FolderOptions{}); err == nil || !strings.Contains(err.Error(), "whole number") {
		t.Errorf("cut file: %v", err)
	}
	bad := cifarBytes(4)
	bad[cifarRecord] = 10
	os.WriteFile(filepath.Join(sub, CIFARTestFile), bad, 0o644)
	if _, err := Load(dir, FolderOptions{}); err == nil || !strings.Contains(err.Error(), "record 1 has label 10") {
		t.Errorf("bad label: %v", err)
	}
	if _, err := Load(dir, FolderOptions{Rows: 28, Cols: 28}); err == nil {
		t.Error("a size for CIFAR-10: no error")
	}
}

func TestDetectFormat(t *testing.T) {
	idx := writeTinyMNIST(t, t.TempDir(), 3, 2, true)
	if f, err := DetectFormat(idx); err != nil || f != FormatIDX {
		t.Errorf("IDX: %s, %v", f, err)
	}
	os.Remove(filepath.Join(idx, "t10k-labels-idx1-ubyte.gz"))
	if _, err := DetectFormat(idx); err == nil || !strings.Contains(err.Error(), "t10k-labels") {
		t.Errorf("three IDX files: %v", err)
	}
	if f, err := DetectFormat(t.TempDir()); err != nil || f != FormatFolder {
		t.Errorf("folder: %s, %v", f, err)
	}
	if _, err := DetectFormat(filepath.Join(idx, "nope")); err == nil {
		t.Error("missing directory: no error")
	}
}

func TestChannelStatsAndPlanarImage(t *testing.T) {
	s := colourSet(t, 4, 2, 2)
	mean, std := s.ChannelStats()
	if len(mean) != 3 || len(std) != 3 {
		t.Fatalf("stats of %d channels", len(mean))
	}
	for c := range 3 {
		var sum, sq float64
		for i := range s.N {
			for _, p := range s.Pixels(i)[c*4 : (c+1)*4] {
				sum += float64(p) / 255
				sq += (float64(p) / 255) * (float64(p) / 255)
			}
		}
		m := sum / 16
		if d := mean[c] - m; d*d > 1e-20 || std[c]*std[c]-(sq/16-m*m) > 1e-12 {
			t.Errorf("channel %d: mean %v std %v, want %v", c, mean[c], std[c], m)
		}
	}
	gray, _ := mnistPart(t, 100, 1)
	m1, s1 := gray.PixelStats()
	if mean, std := gray.ChannelStats(); mean[0] != m1 || std[0] != s1 {
		t.Errorf("gray channel stats %v %v, pixel stats %v %v", mean, std, m1, s1)
	}
	var buf bytes.Buffer
	img, _ := s.Grid([]int{0, 1}, 2, 2)
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
}

func TestFolderSecondPassAndOtherFormats(t *testing.T) {
	dir := t.TempDir()
	gray := func(w, h int, v uint8) image.Image {
		img := image.NewGray(image.Rect(0, 0, w, h))
		for i := range img.Pix {
			img.Pix[i] = v
		}
		return img
	}
	// Sorted by name, the first image is a gray 8x8: a guess that the
	// 12x10 colour JPEG and the GIF later overturn.
	writePNGFile(t, filepath.Join(dir, "train", "a", "1.png"), gray(8, 8, 90))
	writePNGFile(t, filepath.Join(dir, "train", "b", "2.png"), gray(8, 8, 30))
	colour := image.NewRGBA(image.Rect(0, 0, 12, 10))
	for i := range colour.Pix {
		colour.Pix[i] = []uint8{250, 10, 10, 255}[i%4]
	}
	var jb bytes.Buffer
	if err := jpeg.Encode(&jb, colour, &jpeg.Options{Quality: 100}); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "train", "b", "3.JPG"), jb.Bytes(), 0o644)
	var gb bytes.Buffer
	gif.Encode(&gb, gray(8, 8, 255), nil)
	os.MkdirAll(filepath.Join(dir, "test", "a"), 0o755)
	os.WriteFile(filepath.Join(dir, "test", "a", "4.gif"), gb.Bytes(), 0o644)
	var log bytes.Buffer
	d, err := LoadFolder(dir, FolderOptions{Progress: &log})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(log.String(), "reading them again") {
		t.Errorf("log:\n%s", log.String())
	}
	if d.Train.N != 3 || d.Test.N != 1 || d.Train.NumChannels() != 3 || d.Train.Rows != AutoSide || d.Train.Cols != AutoSide {
		t.Fatalf("read %d+%d of %dx%dx%d, want 3+1 of 3x%dx%d", d.Train.N, d.Test.N, d.Train.NumChannels(), d.Train.Rows, d.Train.Cols, AutoSide, AutoSide)
	}
	plane := AutoSide * AutoSide
	red := d.Train.Pixels(2) // 3.JPG sorts after 1.png and 2.png
	if red[plane/2] < 230 || red[plane+plane/2] > 30 || d.Train.Label(2) != 1 {
		t.Errorf("the JPEG's centre: red %d green %d, label %d", red[plane/2], red[plane+plane/2], d.Train.Label(2))
	}
	if p := d.Test.Pixels(0); p[0] != 255 || p[plane] != 255 {
		t.Errorf("the GIF reads %d %d, want 255", p[0], p[plane])
	}
	// Given a size and channels, one pass does it all.
	log.Reset()
	d, err = LoadFolder(dir, FolderOptions{Rows: 5, Cols: 6, Channels: 1, Progress: &log})
	if err != nil || d.Train.Rows != 5 || d.Train.Cols != 6 || d.Train.NumChannels() != 1 || strings.Contains(log.String(), "again") {
		t.Errorf("fixed geometry: %v\n%s", err, log.String())
	}
}

func TestReadImageFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.png")
	img := image.NewNRGBA(image.Rect(0, 0, 2, 1))
	copy(img.Pix, []uint8{255, 0, 0, 255, 0, 0, 255, 0}) // red, and transparent blue
	writePNGFile(t, path, img)
	px, err := ReadImageFile(path, 3, 1, 2, "")
	if err != nil {
		t.Fatal(err)
	}
	if want := []uint8{255, 0, 0, 0, 0, 0}; !slices.Equal(px, want) {
		t.Errorf("planes %v, want %v (transparent reads black)", px, want)
	}
	px, _ = ReadImageFile(path, 1, 1, 2, "")
	if want := []uint8{76, 0}; !slices.Equal(px, want) {
		t.Errorf("gray %v, want %v", px, want)
	}
	if _, err := ReadImageFile(filepath.Join(t.TempDir(), "none.png"), 1, 28, 28, ""); err == nil || !strings.Contains(err.Error(), "none.png") {
		t.Errorf("missing file: %v", err)
	}
}

func TestBatcherOfManyClasses(t *testing.T) {
	names := make([]string, 40)
	for i := range names {
		names[i] = fmt.Sprint("c", i)
	}
	labels := []uint8{39, 0, 17}
	s, err := NewImageSet(make([]uint8, 3*3*2*2), labels, 3, 2, 2, names)
	if err != nil {
		t.Fatal(err)
	}
	b, err := NewSequentialBatcher(s, 3)
	if err != nil {
		t.Fatal(err)
	}
	if !b.Next() {
		t.Fatal("no batch")
	}
	got := b.Batch()
	if len(got.X) != 36 || len(got.OneHot) != 120 || got.OneHot[39] != 1 || got.OneHot[40] != 1 || got.OneHot[80+17] != 1 {
		t.Errorf("batch of 40 classes: %d inputs, one-hot %d long", len(got.X), len(got.OneHot))
	}
}
