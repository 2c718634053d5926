package datasets

import (
	"bufio"
	"compress/gzip"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"os"
	"slices"

	"github.com/pkg/errors"
)

// IDX magic numbers: two zero bytes, the element type (0x08, unsigned
// byte) and the number of dimensions.
const (
	imagesMagic = 0x00000803
	labelsMagic = 0x00000801
)

// Classes is the number of digit classes; every label is in 0..Classes-1.
const Classes = 10

const (
	// maxIDXBytes caps the data size a header may promise. It exists only
	// to keep the size arithmetic far from overflow: the real guard against
	// lying headers is that allocation follows the bytes actually present.
	maxIDXBytes = min(1<<40, math.MaxInt)
	// firstChunk is the first allocation for data of unknown length (a
	// gzip stream); the buffer then doubles, so memory never exceeds twice
	// the data that really arrived.
	firstChunk = 1 << 20
)

var gzipMagic = []byte{0x1f, 0x8b}

// IDXImages is the content of an IDX image file: N images of Rows x Cols
// unsigned bytes, each stored row-major, one after another.
type IDXImages struct {
	Pixels        []uint8
	N, Rows, Cols int
}

// ReadIDXImagesFile reads an IDX image file (magic 0x00000803), gzipped or
// raw.
func ReadIDXImagesFile(path string) (*IDXImages, error) {
	var imgs *IDXImages
	err := withFile(path, func(r io.Reader, size int64) (err error) {
		imgs, err = ReadIDXImages(r, path, size)
		return err
	})
	return imgs, err
}

// ReadIDXLabelsFile reads an IDX label file (magic 0x00000801), gzipped or
// raw.
func ReadIDXLabelsFile(path string) ([]uint8, error) {
	var labels []uint8
	err := withFile(path, func(r io.Reader, size int64) (err error) {
		labels, err = ReadIDXLabels(r, path, size)
		return err
	})
	return labels, err
}

// ReadIDXImages reads IDX images from r. The name only labels errors. size
// is r's length in bytes, or -1 when unknown; a known size lets a raw file's
// header be checked before anything is allocated. A gzip stream is
// recognised by its magic bytes and decompressed, never past the size its
// header declares.
func ReadIDXImages(r io.Reader, name string, size int64) (*IDXImages, error) {
	s, err := openIDX(r, name, size, imagesMagic)
	if err != nil {
		return nil, err
	}
	return s.images()
}

// ReadIDXLabels reads IDX labels from r, as ReadIDXImages reads images,
// and checks that every label is a digit class.
func ReadIDXLabels(r io.Reader, name string, size int64) ([]uint8, error) {
	s, err := openIDX(r, name, size, labelsMagic)
	if err != nil {
		return nil, err
	}
	return s.labels()
}

// withFile opens path and hands its contents and size to fn.
func withFile(path string, fn func(r io.Reader, size int64) error) error {
	f, size, err := openFile(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return fn(f, size)
}

// openFile opens path for reading and returns its size, refusing
// anything but a regular file: a directory, a device such as /dev/zero or
// a named pipe.
func openFile(path string) (*os.File, int64, error) {
	// Stat before Open: opening a named pipe would wait for a writer.
	st, err := os.Stat(path)
	if err != nil {
		return nil, 0, errors.WithStack(err)
	}
	if st.IsDir() {
		return nil, 0, errors.Errorf("%s: is a directory, want an IDX file", path)
	}
	if !st.Mode().IsRegular() {
		return nil, 0, errors.Errorf("%s: not a regular file (mode %s), want an IDX file", path, st.Mode())
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, errors.WithStack(err)
	}
	if st, err = f.Stat(); err != nil || !st.Mode().IsRegular() {
		f.Close()
		return nil, 0, errors.Errorf("%s: not a regular file, want an IDX file", path)
	}
	return f, st.Size(), nil
}

// idxStream is an IDX file whose header has been read and checked and
// whose data has not.
type idxStream struct {
	r         io.Reader
	name      string
	gz        bool
	dims      []int
	want      int64 // data bytes the header declares
	sizeKnown bool  // the data's length was checked against the file size, or measured
	magic     uint32
	src       io.ReadSeeker // the file under a gzip stream, when it can seek
	start     int64         // where the file started in src
}

// openIDX reads and checks the header of an IDX file of unsigned bytes
// whose magic must be magic.
func openIDX(r io.Reader, name string, size int64, magic uint32) (*idxStream, error) {
	src, start := seekable(r)
	r, gz, err := maybeGunzip(r, name)
	if err != nil {
		return nil, err
	}
	dims, err := readHeader(r, name, magic)
	if err != nil {
		return nil, err
	}
	want, err := dataSize(dims, name)
	if err != nil {
		return nil, err
	}
	if gz {
		// The stored size says nothing about the decompressed size.
		size = -1
	}
	headerLen := int64(4 + 4*len(dims))
	if size >= 0 && size-headerLen != want {
		return nil, sizeError(name, dims, want, size-headerLen)
	}
	return &idxStream{r: r, name: name, gz: gz, dims: dims, want: want, sizeKnown: size >= 0,
		magic: magic, src: src, start: start}, nil
}

// seekable returns r as an io.ReadSeeker and its position, or nil.
func seekable(r io.Reader) (io.ReadSeeker, int64) {
	rs, ok := r.(io.ReadSeeker)
	if !ok {
		return nil, 0
	}
	start, err := rs.Seek(0, io.SeekCurrent)
	if err != nil {
		return nil, 0
	}
	return rs, start
}

// measure decompresses a seekable gzip stream once without keeping
// anything, one byte past the declared size at most, and when it holds
// exactly the data its header declares, starts the stream over with that
// size known. Knowing it lets the data be read into one buffer of its
// size instead of a doubling one, whose discarded halves would double the
// memory a data set takes to load. Anything else (too little or too much
// data, a damaged stream) leaves the size unknown, for the reading pass to
// report as it reads.
func (s *idxStream) measure() error {
	rewind := func() (io.Reader, error) {
		if _, err := s.src.Seek(s.start, io.SeekStart); err != nil {
			return nil, errors.Errorf("%s: rewinding to measure the data: %v", s.name, err)
		}
		z, _, err := maybeGunzip(s.src, s.name)
		if err != nil {
			return nil, err
		}
		dims, err := readHeader(z, s.name, s.magic)
		if err == nil && !slices.Equal(dims, s.dims) {
			err = errors.Errorf("%s: the header changed while the file was read", s.name)
		}
		return z, err
	}
	// The stream as read so far has passed the header; measuring reads
	// the file from its start again, so the stream restarts either way.
	z, err := rewind()
	if err != nil {
		return err
	}
	n, err := io.CopyN(io.Discard, z, s.want+1)
	exact := n == s.want && err == io.EOF
	if s.r, err = rewind(); err != nil {
		return err
	}
	s.sizeKnown = exact
	return nil
}

// data reads exactly the data the header declares and checks nothing
// follows it: a gzip stream is decompressed one byte past the declared
// size, no further.
func (s *idxStream) data() ([]uint8, error) {
	if s.gz && !s.sizeKnown && s.src != nil {
		if err := s.measure(); err != nil {
			return nil, err
		}
	}
	data, err := readData(s.r, s.name, s.dims, s.want, s.sizeKnown)
	if err != nil {
		return nil, err
	}
	return data, expectEOF(s.r, s.name, s.gz)
}

// images reads the data of an image file.
func (s *idxStream) images() (*IDXImages, error) {
	data, err := s.data()
	if err != nil {
		return nil, err
	}
	return &IDXImages{Pixels: data, N: s.dims[0], Rows: s.dims[1], Cols: s.dims[2]}, nil
}

// labels reads the data of a label file and checks every label is a
// digit class.
func (s *idxStream) labels() ([]uint8, error) {
	labels, err := s.data()
	if err != nil {
		return nil, err
	}
	for i, l := range labels {
		if l >= Classes {
			return nil, errors.Errorf("%s: label %d is %d, want 0..%d", s.name, i, l, Classes-1)
		}
	}
	return labels, nil
}

// maybeGunzip returns a reader of the decompressed stream and true when r
// starts with gzip's magic bytes, and r itself and false otherwise.
func maybeGunzip(r io.Reader, name string) (io.Reader, bool, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	head, err := br.Peek(2)
	if len(head) == 0 {
		if err == nil || err == io.EOF {
			return nil, false, errors.Errorf("%s: empty file", name)
		}
		return nil, false, errors.Errorf("%s: %v", name, err)
	}
	if len(head) < 2 || head[0] != gzipMagic[0] || head[1] != gzipMagic[1] {
		return br, false, nil
	}
	z, err := gzip.NewReader(br)
	if err != nil {
		return nil, false, errors.Errorf("%s: bad gzip header: %v", name, err)
	}
	return z, true, nil
}

// readHeader reads and checks the magic number, then reads the dimensions
// the magic announces.
func readHeader(r io.Reader, name string, magic uint32) ([]int, error) {
	var word [4]byte
	if _, err := io.ReadFull(r, word[:]); err != nil {
		return nil, readError(name, "magic number", err)
	}
	if got := binary.BigEndian.Uint32(word[:]); got != magic {
		return nil, magicError(name, got, magic)
	}
	dims := make([]int, magic&0xff)
	for i := range dims {
		if _, err := io.ReadFull(r, word[:]); err != nil {
			return nil, readError(name, fmt.Sprintf("header (dimension %d of %d)", i+1, len(dims)), err)
		}
		d := binary.BigEndian.Uint32(word[:])
		switch {
		case d == 0:
			return nil, errors.Errorf("%s: dimension %d (%s) is zero", name, i+1, dimNames(len(dims))[i])
		case uint64(d) > maxIDXBytes:
			// Only reachable where int has 32 bits, but it keeps the
			// conversion below from turning negative there.
			return nil, errors.Errorf("%s: dimension %d (%s) is %d, more than the %d-byte limit",
				name, i+1, dimNames(len(dims))[i], d, int64(maxIDXBytes))
		}
		dims[i] = int(d)
	}
	return dims, nil
}

// dataSize returns the number of data bytes the dimensions promise,
// refusing sizes beyond maxIDXBytes before they can overflow.
func dataSize(dims []int, name string) (int64, error) {
	total := int64(1)
	for _, d := range dims {
		if total > maxIDXBytes/int64(d) {
			return 0, errors.Errorf("%s: header promises %s, more than the %d-byte limit",
				name, describe(dims), int64(maxIDXBytes))
		}
		total *= int64(d)
	}
	return total, nil
}

// readData reads exactly want bytes. With the size known and already
// checked it allocates once; otherwise it starts small and doubles, so a
// header promising gigabytes costs only what the stream really holds.
func readData(r io.Reader, name string, dims []int, want int64, sizeKnown bool) ([]uint8, error) {
	capacity := want
	if !sizeKnown {
		capacity = min(want, firstChunk)
	}
	buf := make([]uint8, 0, capacity)
	for {
		n, err := io.ReadFull(r, buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return nil, sizeError(name, dims, want, int64(len(buf)))
		}
		if err != nil {
			return nil, errors.Errorf("%s: reading data: %v", name, err)
		}
		if int64(len(buf)) == want {
			return buf, nil
		}
		grown := make([]uint8, len(buf), min(2*int64(cap(buf)), want))
		copy(grown, buf)
		buf = grown
	}
}

// expectEOF checks that nothing follows the data. For a gzip stream this
// read also reaches the trailer, whose checksum gzip verifies only there.
func expectEOF(r io.Reader, name string, gz bool) error {
	var b [1]byte
	n, err := io.ReadFull(r, b[:])
	switch {
	case n > 0:
		return errors.Errorf("%s: unexpected data after the last item the header describes", name)
	case err == io.EOF:
		return nil
	case gz:
		return errors.Errorf("%s: gzip stream damaged after the data (truncated or corrupt): %v", name, err)
	default:
		return errors.Errorf("%s: reading past the data: %v", name, err)
	}
}

// readError describes a failure to read part of the header.
func readError(name, what string, err error) error {
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		return errors.Errorf("%s: truncated: the file ends inside the %s", name, what)
	}
	return errors.Errorf("%s: reading the %s: %v", name, what, err)
}

// magicError explains a wrong magic number, naming the common mix-ups.
func magicError(name string, got, want uint32) error {
	kind := map[uint32]string{imagesMagic: "an image file", labelsMagic: "a label file"}
	switch {
	case kind[got] != "":
		return errors.Errorf("%s: is %s, want %s", name, kind[got], kind[want])
	case got>>16 != 0:
		return errors.Errorf("%s: magic number 0x%08x is not IDX (want 0x%08x for %s)",
			name, got, want, kind[want])
	default:
		return errors.Errorf("%s: IDX type byte 0x%02x with %d dimensions, want 0x%08x (unsigned bytes, %s)",
			name, (got>>8)&0xff, got&0xff, want, kind[want])
	}
}

// sizeError reports data of the wrong length: truncated or with extra
// bytes.
func sizeError(name string, dims []int, want, got int64) error {
	if got < want {
		return errors.Errorf("%s: truncated: header promises %s (%d bytes) but only %d bytes of data follow",
			name, describe(dims), want, max(got, 0))
	}
	return errors.Errorf("%s: header promises %s (%d bytes) but %d bytes of data follow",
		name, describe(dims), want, got)
}

// describe renders dimensions for error messages, e.g. "60000 images of
// 28x28".
func describe(dims []int) string {
	if len(dims) == 3 {
		return fmt.Sprintf("%d images of %dx%d", dims[0], dims[1], dims[2])
	}
	return fmt.Sprintf("%d labels", dims[0])
}

// dimNames names the header's dimensions for error messages.
func dimNames(n int) []string {
	if n == 3 {
		return []string{"image count", "rows", "columns"}
	}
	return []string{"label count"}
}
