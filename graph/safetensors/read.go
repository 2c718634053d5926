package safetensors

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strconv"
	"unicode/utf8"

	"github.com/pkg/errors"
)

// File is a safetensors file read into memory.
type File struct {
	// Tensors holds every tensor in the order of its data in the file.
	Tensors []Tensor
	// Metadata is the file's "__metadata__" map, nil when it has none.
	Metadata map[string]string
}

// Tensor returns the tensor with the given name and whether there is one.
func (f *File) Tensor(name string) (Tensor, bool) {
	for _, t := range f.Tensors {
		if t.Name == name {
			return t, true
		}
	}
	return Tensor{}, false
}

// entry is one tensor as the header describes it, before its data is read.
type entry struct {
	name, dtype string
	shape       []uint64
	begin, end  uint64
}

// Read reads a safetensors file of size bytes from r; size must be what r
// holds. It checks the whole header (lengths, JSON, names, dtypes, shapes,
// offsets, coverage of the data section, metadata values) before it
// allocates room for the data, so a damaged or hostile file costs at most
// its header to reject, and the data it accepts is exactly size-8-N bytes.
// The tensors' Data slices share one buffer, each capped at its own end.
func Read(r io.ReaderAt, size int64) (*File, error) {
	f, err := read(r, size)
	if err != nil {
		return nil, errors.Wrap(err, "safetensors")
	}
	return f, nil
}

// ReadFile reads the safetensors file at path; errors name the path.
func ReadFile(path string) (*File, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, errors.WithStack(err)
	}
	defer fh.Close()
	fi, err := fh.Stat()
	if err != nil {
		return nil, errors.WithStack(err)
	}
	if !fi.Mode().IsRegular() {
		return nil, errors.Errorf("%s: not a regular file", path)
	}
	f, err := read(fh, fi.Size())
	if err != nil {
		return nil, errors.Wrap(err, path)
	}
	return f, nil
}

// read parses and checks the header, then reads the data in one piece.
func read(r io.ReaderAt, size int64) (*File, error) {
	n, err := readHeaderLen(r, size)
	if err != nil {
		return nil, err
	}
	header := make([]byte, n)
	if err := readAt(r, header, 8); err != nil {
		return nil, errors.Wrap(err, "reading the header")
	}
	entries, meta, err := parseHeader(header)
	if err != nil {
		return nil, err
	}
	dataSize := size - 8 - n
	if err := checkLayout(entries, dataSize); err != nil {
		return nil, err
	}
	data := make([]byte, dataSize)
	if err := readAt(r, data, 8+n); err != nil {
		return nil, errors.Wrap(err, "reading the tensor data")
	}
	f := &File{Metadata: meta, Tensors: make([]Tensor, len(entries))}
	for i, e := range entries {
		shape := make([]int, len(e.shape))
		for j, d := range e.shape {
			shape[j] = int(d) // checkLayout bounded every dimension by MaxInt
		}
		f.Tensors[i] = Tensor{Name: e.name, DType: e.dtype, Shape: shape, Data: data[e.begin:e.end:e.end]}
	}
	return f, nil
}

// readAt fills p from r at off; a source shorter than promised is an
// unexpected EOF.
func readAt(r io.ReaderAt, p []byte, off int64) error {
	_, err := io.ReadFull(io.NewSectionReader(r, off, int64(len(p))), p)
	return errors.WithStack(err)
}

// readHeaderLen reads and checks the 8-byte header length.
func readHeaderLen(r io.ReaderAt, size int64) (int64, error) {
	if size < 8 {
		return 0, errors.Errorf("file of %d bytes is too short for the 8-byte header length", size)
	}
	var b [8]byte
	if err := readAt(r, b[:], 0); err != nil {
		return 0, errors.Wrap(err, "reading the header length")
	}
	n := binary.LittleEndian.Uint64(b[:])
	switch {
	case n < 2:
		return 0, errors.Errorf("header length %d is too small for a JSON object", n)
	case n > maxHeader:
		return 0, errors.Errorf("header length %d is over the %d-byte limit", n, maxHeader)
	case n > uint64(size-8):
		return 0, errors.Errorf("header length %d runs past the end of the %d-byte file", n, size)
	}
	if size-8-int64(n) > math.MaxInt {
		return 0, errors.Errorf("data section of %d bytes does not fit in memory", size-8-int64(n))
	}
	return int64(n), nil
}

// parseHeader decodes the JSON header token by token, so duplicate keys,
// unknown fields and wrong types are errors rather than silently dropped.
func parseHeader(h []byte) ([]entry, map[string]string, error) {
	if !utf8.Valid(h) {
		return nil, nil, errors.New("header is not valid UTF-8")
	}
	if h[0] != '{' {
		return nil, nil, errors.Errorf("header starts with %q, not a JSON object", h[0])
	}
	dec := json.NewDecoder(bytes.NewReader(h))
	dec.UseNumber()
	var entries []entry
	var meta map[string]string
	seen := map[string]bool{}
	err := eachKey(dec, "header", func(key string) error {
		if seen[key] {
			return errors.Errorf("header has %q twice", key)
		}
		seen[key] = true
		if key == metadataKey {
			var err error
			meta, err = parseMetadata(dec)
			return err
		}
		if err := checkName(key); err != nil {
			return err
		}
		e, err := parseEntry(dec, key)
		entries = append(entries, e)
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	if rest := bytes.TrimLeft(h[dec.InputOffset():], " \t\r\n"); len(rest) > 0 {
		return nil, nil, errors.Errorf("header has %d bytes of trailing data after its JSON object", len(rest))
	}
	return entries, meta, nil
}

// eachKey reads a JSON object from dec, calling f at each key with dec
// positioned at the key's value, which f must consume.
func eachKey(dec *json.Decoder, what string, f func(key string) error) error {
	if err := expectDelim(dec, '{', what); err != nil {
		return err
	}
	return members(dec, what, f)
}

// members is eachKey after the opening brace.
func members(dec *json.Decoder, what string, f func(key string) error) error {
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return jsonError(err, what)
		}
		key, ok := tok.(string)
		if !ok {
			return errors.Errorf("%s: got %s where a key belongs", what, describe(tok))
		}
		if err := f(key); err != nil {
			return err
		}
	}
	return expectDelim(dec, '}', what)
}

// expectDelim reads one token and checks it is the delimiter d.
func expectDelim(dec *json.Decoder, d json.Delim, what string) error {
	tok, err := dec.Token()
	if err != nil {
		return jsonError(err, what)
	}
	if tok != d {
		return errors.Errorf("%s: got %s where %q belongs", what, describe(tok), string(d))
	}
	return nil
}

// jsonError explains a syntax error of the header at what.
func jsonError(err error, what string) error {
	if err == io.EOF {
		return errors.Errorf("%s: the header ends in the middle of the JSON", what)
	}
	return errors.Wrapf(err, "%s is not valid JSON", what)
}

// describe names a JSON token in an error message.
func describe(tok json.Token) string {
	switch v := tok.(type) {
	case nil:
		return "null"
	case json.Delim:
		switch v {
		case '[':
			return "an array"
		case '{':
			return "an object"
		}
		return strconv.Quote(v.String())
	case string:
		return strconv.Quote(v)
	}
	return fmt.Sprint(tok)
}

// parseMetadata reads the "__metadata__" object, whose values must all be
// strings; JSON null stands for no metadata, as in the reference.
func parseMetadata(dec *json.Decoder) (map[string]string, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, jsonError(err, "metadata")
	}
	if tok == nil {
		return nil, nil
	}
	if tok != json.Delim('{') {
		return nil, errors.Errorf("metadata is %s, not an object of strings", describe(tok))
	}
	meta := map[string]string{}
	err = members(dec, "metadata", func(key string) error {
		if _, dup := meta[key]; dup {
			return errors.Errorf("metadata has %q twice", key)
		}
		tok, err := dec.Token()
		if err != nil {
			return jsonError(err, "metadata")
		}
		v, ok := tok.(string)
		if !ok {
			return errors.Errorf("metadata %q is %s, not a string", key, describe(tok))
		}
		meta[key] = v
		return nil
	})
	return meta, err
}

// parseEntry reads one tensor's {"dtype", "shape", "data_offsets"} object.
func parseEntry(dec *json.Decoder, name string) (entry, error) {
	e := entry{name: name}
	what := strconv.Quote(name)
	var has [3]bool
	err := eachKey(dec, "tensor "+what, func(key string) error {
		i := slices.Index([]string{"dtype", "shape", "data_offsets"}, key)
		if i < 0 {
			return errors.Errorf("tensor %s: unknown field %q", what, key)
		}
		if has[i] {
			return errors.Errorf("tensor %s: %q twice", what, key)
		}
		has[i] = true
		return parseField(dec, &e, key)
	})
	if err != nil {
		return e, err
	}
	for i, key := range []string{"dtype", "shape", "data_offsets"} {
		if !has[i] {
			return e, errors.Errorf("tensor %s has no %q", what, key)
		}
	}
	return e, nil
}

// parseField reads the value of one field of a tensor entry into e.
func parseField(dec *json.Decoder, e *entry, key string) error {
	switch key {
	case "dtype":
		tok, err := dec.Token()
		if err != nil {
			return jsonError(err, "tensor "+strconv.Quote(e.name)+" dtype")
		}
		s, ok := tok.(string)
		if _, known := dtypes[s]; !ok || !known {
			return errors.Errorf("tensor %q: unknown dtype %s", e.name, describe(tok))
		}
		e.dtype = s
		return nil
	case "shape":
		var err error
		e.shape, err = parseUints(dec, e.name, key)
		return err
	}
	offsets, err := parseUints(dec, e.name, key)
	if err == nil && len(offsets) != 2 {
		err = errors.Errorf("tensor %q: data_offsets has %d numbers, want [begin, end]", e.name, len(offsets))
	}
	if err == nil {
		e.begin, e.end = offsets[0], offsets[1]
	}
	return err
}

// parseUints reads a JSON array of non-negative integers.
func parseUints(dec *json.Decoder, name, field string) ([]uint64, error) {
	if err := expectDelim(dec, '[', "tensor "+strconv.Quote(name)+" "+field); err != nil {
		return nil, err
	}
	out := []uint64{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, jsonError(err, "tensor "+strconv.Quote(name)+" "+field)
		}
		num, _ := tok.(json.Number)
		v, err := strconv.ParseUint(string(num), 10, 64)
		if err != nil {
			return nil, errors.Errorf("tensor %q: %s holds %s, not a non-negative integer", name, field, describe(tok))
		}
		out = append(out, v)
	}
	return out, expectDelim(dec, ']', "tensor "+strconv.Quote(name)+" "+field)
}

// checkLayout checks each tensor's offsets against its dtype and shape and
// that the tensors tile the data section exactly, as the format demands:
// sorted by offset, each starts where the previous ended and the last ends
// at the end of the file. It sorts entries into that order.
func checkLayout(entries []entry, dataSize int64) error {
	for _, e := range entries {
		size, err := byteSize(dtypes[e.dtype], e.shape)
		if err != nil {
			return errors.Wrapf(err, "tensor %q: shape %v", e.name, e.shape)
		}
		if e.end < e.begin {
			return errors.Errorf("tensor %q: data_offsets [%d, %d] end before they begin", e.name, e.begin, e.end)
		}
		if e.end > uint64(dataSize) {
			return errors.Errorf("tensor %q: data_offsets [%d, %d] run past the %d-byte data section (truncated file?)", e.name, e.begin, e.end, dataSize)
		}
		if e.end-e.begin != size {
			return errors.Errorf("tensor %q: %s shape %v needs %d bytes, data_offsets [%d, %d] hold %d", e.name, e.dtype, e.shape, size, e.begin, e.end, e.end-e.begin)
		}
	}
	slices.SortFunc(entries, func(a, b entry) int {
		return cmp.Or(cmp.Compare(a.begin, b.begin), cmp.Compare(a.end, b.end), cmp.Compare(a.name, b.name))
	})
	return checkCoverage(entries, dataSize)
}

// checkCoverage checks sorted entries leave no gap and no overlap and end
// exactly at the end of the data section.
func checkCoverage(entries []entry, dataSize int64) error {
	pos, prev := uint64(0), ""
	for _, e := range entries {
		if e.begin < pos {
			return errors.Errorf("tensor %q: data_offsets [%d, %d] overlap tensor %q, which ends at %d", e.name, e.begin, e.end, prev, pos)
		}
		if e.begin > pos {
			return errors.Errorf("tensor %q: data_offsets [%d, %d] leave a gap of %d bytes before it", e.name, e.begin, e.end, e.begin-pos)
		}
		pos, prev = e.end, e.name
	}
	if pos != uint64(dataSize) {
		return errors.Errorf("tensors cover %d bytes of the %d-byte data section; the rest is unaccounted for", pos, dataSize)
	}
	return nil
}
