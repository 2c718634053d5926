package datasets

import (
	"bytes"
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
		if imgs, err := ReadIDXImages(bytes.NewReader(data), "fuzz", size); err == nil {
			if imgs.N <= 0 || imgs.Rows <= 0 || imgs.Cols <= 0 || len(imgs.Pixels) != imgs.N*imgs.Rows*imgs.Cols {
				t.Fatalf("accepted inconsistent images: %d of %dx%d with %d pixels",
					imgs.N, imgs.Rows, imgs.Cols, len(imgs.Pixels))
			}
		} else if !strings.HasPrefix(err.Error(), "fuzz: ") {
			t.Fatalf("error %q does not name the file", err)
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
