package datasets

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

// idxBytes builds an IDX file from a magic number, dimensions and data.
func idxBytes(magic uint32, dims []uint32, data []byte) []byte {
	var b bytes.Buffer
	binary.Write(&b, binary.BigEndian, magic)
	binary.Write(&b, binary.BigEndian, dims)
	b.Write(data)
	return b.Bytes()
}

// gzipBytes compresses b.
func gzipBytes(b []byte) []byte {
	var out bytes.Buffer
	z := gzip.NewWriter(&out)
	z.Write(b)
	z.Close()
	return out.Bytes()
}

// tinyImages returns n images of rows x cols whose pixels count up.
func tinyImages(n, rows, cols int) []byte {
	px := make([]byte, n*rows*cols)
	for i := range px {
		px[i] = byte(i * 7)
	}
	return px
}

// tinyLabels returns n labels cycling through the classes.
func tinyLabels(n int) []byte {
	l := make([]byte, n)
	for i := range l {
		l[i] = byte(i % Classes)
	}
	return l
}

// tinySet returns a Set of n 3x2 images labelled i%10.
func tinySet(t testing.TB, n int) *Set {
	t.Helper()
	s, err := NewSet(tinyImages(n, 3, 2), tinyLabels(n), 3, 2)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// writeTinyMNIST writes the four MNIST files for small sets into dir,
// gzipped or raw, and returns dir.
func writeTinyMNIST(t testing.TB, dir string, nTrain, nTest int, gz bool) string {
	t.Helper()
	files := map[string][]byte{
		"train-images-idx3-ubyte": idxBytes(imagesMagic, []uint32{uint32(nTrain), 28, 28}, tinyImages(nTrain, 28, 28)),
		"train-labels-idx1-ubyte": idxBytes(labelsMagic, []uint32{uint32(nTrain)}, tinyLabels(nTrain)),
		"t10k-images-idx3-ubyte":  idxBytes(imagesMagic, []uint32{uint32(nTest), 28, 28}, tinyImages(nTest, 28, 28)),
		"t10k-labels-idx1-ubyte":  idxBytes(labelsMagic, []uint32{uint32(nTest)}, tinyLabels(nTest)),
	}
	for name, data := range files {
		if gz {
			name, data = name+".gz", gzipBytes(data)
		}
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

var (
	realOnce sync.Once
	realSet  *MNIST
	realErr  error
)

// realMNIST loads the real MNIST once for all tests, the way a user
// would: with no directory, so FEATLEARN_DATA or the module cache.
func realMNIST(t testing.TB) *MNIST {
	t.Helper()
	realOnce.Do(func() { realSet, realErr = LoadMNIST("") })
	if realErr != nil {
		t.Fatal(realErr)
	}
	return realSet
}
