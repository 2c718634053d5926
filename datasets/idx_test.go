package datasets

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
)

func TestReadIDXValid(t *testing.T) {
	px := tinyImages(3, 4, 5)
	raw := idxBytes(imagesMagic, []uint32{3, 4, 5}, px)
	for name, data := range map[string][]byte{"raw": raw, "gz": gzipBytes(raw)} {
		for _, size := range []int64{int64(len(data)), -1} {
			imgs, err := ReadIDXImages(bytes.NewReader(data), name, size)
			if err != nil {
				t.Fatalf("%s size %d: %v", name, size, err)
			}
			if imgs.N != 3 || imgs.Rows != 4 || imgs.Cols != 5 || !bytes.Equal(imgs.Pixels, px) {
				t.Errorf("%s size %d: got %d %dx%d, want 3 4x5 and the same pixels", name, size, imgs.N, imgs.Rows, imgs.Cols)
			}
		}
	}
	labels := tinyLabels(12)
	got, err := ReadIDXLabels(bytes.NewReader(gzipBytes(idxBytes(labelsMagic, []uint32{12}, labels))), "l", -1)
	if err != nil || !bytes.Equal(got, labels) {
		t.Errorf("labels: %v %v, want %v", got, err, labels)
	}
}

// TestReadIDXMalformed feeds the readers every kind of broken file and
// checks each gives an error naming the file and the problem.
func TestReadIDXMalformed(t *testing.T) {
	img := idxBytes(imagesMagic, []uint32{2, 3, 3}, tinyImages(2, 3, 3))
	lab := idxBytes(labelsMagic, []uint32{4}, tinyLabels(4))
	gzImg := gzipBytes(img)
	badCRC := append([]byte(nil), gzImg...)
	badCRC[len(badCRC)-6] ^= 0xff
	cases := []struct {
		name   string
		labels bool
		data   []byte
		want   string
	}{
		{"empty", false, nil, "empty file"},
		{"short magic", false, []byte{0, 0, 8}, "ends inside the magic"},
		{"label file as images", false, lab, "is a label file, want an image file"},
		{"image file as labels", true, img, "is an image file, want a label file"},
		{"png", false, []byte("\x89PNG\r\n\x1a\n...."), "not IDX"},
		{"int32 images", false, idxBytes(0x0c03, []uint32{1, 1, 1}, make([]byte, 4)), "type byte 0x0c"},
		{"two dims", false, idxBytes(0x0802, []uint32{1, 1}, []byte{0}), "2 dimensions"},
		{"short header", false, idxBytes(imagesMagic, []uint32{2, 3}, nil), "ends inside the header (dimension 3 of 3)"},
		{"zero images", false, idxBytes(imagesMagic, []uint32{0, 3, 3}, nil), "image count) is zero"},
		{"zero rows", false, idxBytes(imagesMagic, []uint32{2, 0, 3}, nil), "rows) is zero"},
		{"zero labels", true, idxBytes(labelsMagic, []uint32{0}, nil), "label count) is zero"},
		{"truncated data", false, img[:len(img)-1], "truncated: header promises 2 images of 3x3 (18 bytes) but only 17"},
		{"trailing data", false, append(append([]byte(nil), img...), 0), "but 19 bytes of data follow"},
		{"lying count", false, idxBytes(imagesMagic, []uint32{0xffffff, 28, 28}, make([]byte, 100)), "truncated: header promises 16777215 images of 28x28 (13153336560 bytes) but only 100"},
		{"overflow", false, idxBytes(imagesMagic, []uint32{0xffffffff, 0xffffffff, 0xffffffff}, nil), "byte limit"},
		{"label 10", true, idxBytes(labelsMagic, []uint32{3}, []byte{1, 10, 2}), "label 1 is 10, want 0..9"},
		{"label 255", true, idxBytes(labelsMagic, []uint32{1}, []byte{255}), "label 0 is 255"},
		{"gz truncated data", false, gzipBytes(img[:len(img)-3]), "but only 15 bytes"},
		{"gz trailing data", false, gzipBytes(append(append([]byte(nil), img...), 1, 2)), "unexpected data after"},
		{"gz cut short", false, gzImg[:len(gzImg)-4], "gzip stream damaged after the data (truncated or corrupt): unexpected EOF"},
		{"gz bad checksum", false, badCRC, "checksum"},
		{"gz bad header", false, []byte{0x1f, 0x8b, 0, 0}, "bad gzip header"},
		{"gz garbage after stream", false, append(append([]byte(nil), gzImg...), "junk"...), "gzip stream damaged after the data"},
		{"gz lying count", false, gzipBytes(idxBytes(imagesMagic, []uint32{0xffffff, 28, 28}, make([]byte, 100))), "but only 100 bytes"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			name := "file-" + strings.ReplaceAll(c.name, " ", "-")
			var err error
			if c.labels {
				_, err = ReadIDXLabels(bytes.NewReader(c.data), name, int64(len(c.data)))
			} else {
				_, err = ReadIDXImages(bytes.NewReader(c.data), name, int64(len(c.data)))
			}
			if err == nil {
				t.Fatalf("no error, want %q", c.want)
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, name+": ") || !strings.Contains(msg, c.want) {
				t.Errorf("error %q, want it to start with %q and contain %q", msg, name+": ", c.want)
			}
		})
	}
}

// TestReadIDXLyingHeaderAllocation checks that a header promising 3 GB
// costs no more memory than the data present, for raw and gzip files.
func TestReadIDXLyingHeaderAllocation(t *testing.T) {
	raw := idxBytes(imagesMagic, []uint32{4_000_000, 28, 28}, make([]byte, 3<<20))
	for name, data := range map[string][]byte{"raw": raw, "gz": gzipBytes(raw)} {
		for _, size := range []int64{int64(len(data)), -1} {
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			_, err := ReadIDXImages(bytes.NewReader(data), name, size)
			runtime.ReadMemStats(&after)
			if err == nil || !strings.Contains(err.Error(), "truncated") {
				t.Errorf("%s size %d: error %v, want truncated", name, size, err)
			}
			if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 32<<20 {
				t.Errorf("%s size %d: allocated %d bytes for 3 MB of data", name, size, alloc)
			}
		}
	}
}

func TestReadIDXFiles(t *testing.T) {
	dir := t.TempDir()
	if _, err := ReadIDXImagesFile(filepath.Join(dir, "missing")); err == nil || !strings.Contains(err.Error(), "missing") {
		t.Errorf("missing file: %v", err)
	}
	if _, err := ReadIDXLabelsFile(dir); err == nil || !strings.Contains(err.Error(), "is a directory") {
		t.Errorf("directory: %v", err)
	}
	writeTinyMNIST(t, dir, 5, 3, true)
	train := filepath.Join(dir, "train-images-idx3-ubyte.gz")
	s, err := LoadIDXFiles(train, filepath.Join(dir, "train-labels-idx1-ubyte.gz"))
	if err != nil || s.N != 5 || s.Rows != 28 || s.Cols != 28 {
		t.Fatalf("LoadIDXFiles: %+v %v", s, err)
	}
	_, err = LoadIDXFiles(train, filepath.Join(dir, "t10k-labels-idx1-ubyte.gz"))
	if err == nil || !strings.Contains(err.Error(), "holds 5 images but") || !strings.Contains(err.Error(), "holds 3 labels") {
		t.Errorf("count mismatch: %v", err)
	}
	_, err = LoadIDXFiles(filepath.Join(dir, "train-labels-idx1-ubyte.gz"), train)
	if err == nil || !strings.Contains(err.Error(), "is a label file") {
		t.Errorf("swapped files: %v", err)
	}
	if err := os.WriteFile(train, []byte("not gzip, not idx"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadMNIST(dir); err == nil || !strings.Contains(err.Error(), train) {
		t.Errorf("corrupt file in -data dir: %v, want an error naming %s", err, train)
	}
}

// zeroMembers returns n gzip members of 64 MiB of zero bytes each: 64 KiB
// of file per 64 MiB of data, which gzip readers read as one stream.
func zeroMembers(t *testing.T, n int) []byte {
	t.Helper()
	var member bytes.Buffer
	z, _ := gzip.NewWriterLevel(&member, gzip.BestCompression)
	chunk := make([]byte, 1<<20)
	for range 64 {
		z.Write(chunk)
	}
	if err := z.Close(); err != nil {
		t.Fatal(err)
	}
	return bytes.Repeat(member.Bytes(), n)
}

// TestGzipBombStopsAtDeclaredSize is defect 8: a gzip file of about a
// megabyte that expands to a gigabyte. Decompression stops one byte past
// the size the header declares, and a pair whose image and label counts
// differ is refused from the headers alone, before any data is read.
func TestGzipBombStopsAtDeclaredSize(t *testing.T) {
	bomb := zeroMembers(t, 16) // 1 GiB of zeros
	small := append(gzipBytes(idxBytes(imagesMagic, []uint32{10, 28, 28}, make([]byte, 10*784))), bomb...)
	if len(small) > 2<<20 {
		t.Fatalf("the bomb takes %d bytes", len(small))
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := ReadIDXImages(bytes.NewReader(small), "bomb", int64(len(small)))
	runtime.ReadMemStats(&after)
	if err == nil || !strings.Contains(err.Error(), "unexpected data after") {
		t.Errorf("10 images followed by a gigabyte: %v", err)
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 4<<20 {
		t.Errorf("refusing data past the declared size allocated %d bytes", alloc)
	}

	// 256 MiB of images declared and present, with 60,000 labels.
	dir := t.TempDir()
	n := uint32(256 << 20 / 784)
	head := make([]byte, 16)
	binary.BigEndian.PutUint32(head, imagesMagic)
	binary.BigEndian.PutUint32(head[4:], n)
	binary.BigEndian.PutUint32(head[8:], 28)
	binary.BigEndian.PutUint32(head[12:], 28)
	imgs := append(gzipBytes(head), zeroMembers(t, 4)...)
	imagesPath, labelsPath := filepath.Join(dir, "images.gz"), filepath.Join(dir, "labels.gz")
	if err := os.WriteFile(imagesPath, imgs, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(labelsPath, gzipBytes(idxBytes(labelsMagic, []uint32{60000}, make([]byte, 60000))), 0o644); err != nil {
		t.Fatal(err)
	}
	runtime.ReadMemStats(&before)
	_, err = LoadIDXFiles(imagesPath, labelsPath)
	runtime.ReadMemStats(&after)
	if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("holds %d images but", n)) {
		t.Errorf("mismatched counts: %v", err)
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 4<<20 {
		t.Errorf("refusing mismatched counts allocated %d bytes", alloc)
	}
}

// TestIDXRefusesSpecialFiles checks that a device or a pipe named as an
// IDX file is refused before it is read.
func TestIDXRefusesSpecialFiles(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/dev/zero", fifo} {
		if _, err := ReadIDXImagesFile(path); err == nil || !strings.Contains(err.Error(), path+": not a regular file") {
			t.Errorf("%s: %v", path, err)
		}
	}
}

// TestGzipFileLoadsIntoOneBuffer: a gzipped IDX file that can be seeked
// is measured first, so its data is read into one buffer of its size, not
// a doubling one whose discarded halves would double the memory a data
// set takes to load (the MNIST training images took 121 MiB of RSS for
// 47 MB of pixels).
func TestGzipFileLoadsIntoOneBuffer(t *testing.T) {
	const n, data = 10_000, 10_000 * 784 // 7.5 MiB of pixels
	pix := make([]byte, data)
	for i := range pix {
		pix[i] = byte(i * 7 % 251)
	}
	path := filepath.Join(t.TempDir(), "images.gz")
	if err := os.WriteFile(path, gzipBytes(idxBytes(imagesMagic, []uint32{n, 28, 28}, pix)), 0o644); err != nil {
		t.Fatal(err)
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	imgs, err := ReadIDXImagesFile(path)
	runtime.ReadMemStats(&after)
	if err != nil || !bytes.Equal(imgs.Pixels, pix) {
		t.Fatalf("read back: %v", err)
	}
	// One buffer of the data's size, plus the readers' own buffers; a
	// doubling buffer allocates 1+2+4+7.5 MiB.
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > data+1<<20 {
		t.Errorf("reading %d bytes of data allocated %d bytes", data, alloc)
	}
	// The same through a plain reader, which cannot be read twice.
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := ReadIDXImages(struct{ io.Reader }{bytes.NewReader(raw)}, "pipe", -1); err != nil || !bytes.Equal(got.Pixels, pix) {
		t.Errorf("through a reader: %v", err)
	}
}
