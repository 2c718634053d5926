package safetensors

import (
	"bytes"
	"encoding/binary"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/pkg/errors"

	"github.com/featlearn/featlearn/internal/atomicfile"
)

// maxHeader is the reference's limit on the JSON header, 100 MB.
const maxHeader = 100_000_000

// Write writes tensors and metadata to w as one safetensors file. It checks
// every tensor (unique non-empty names, known dtypes, data that fits the
// shape) before writing a byte. The data is laid out as the Python library
// lays it out (see the package comment), not in the order of tensors.
// A nil metadata map writes no "__metadata__" entry; an empty non-nil map
// writes an empty one, as Python does for {}.
func Write(w io.Writer, tensors []Tensor, metadata map[string]string) error {
	order, header, err := prepare(tensors, metadata)
	if err != nil {
		return err
	}
	return writeFile(w, order, header)
}

// prepare validates the tensors and returns them in file order with the
// padded header that describes them.
func prepare(tensors []Tensor, metadata map[string]string) ([]Tensor, []byte, error) {
	seen := make(map[string]bool, len(tensors))
	for _, t := range tensors {
		if err := t.check(); err != nil {
			return nil, nil, err
		}
		if seen[t.Name] {
			return nil, nil, errors.Errorf("two tensors are named %q", t.Name)
		}
		seen[t.Name] = true
	}
	for k, v := range metadata {
		if !utf8.ValidString(k) || !utf8.ValidString(v) {
			return nil, nil, errors.Errorf("metadata %q is not valid UTF-8", k)
		}
	}
	order := slices.Clone(tensors)
	// The reference sorts by descending alignment so that, after a header
	// padded to 8 bytes, every tensor starts at a multiple of its size.
	slices.SortStableFunc(order, func(a, b Tensor) int {
		if ra, rb := dtypes[a.DType].rank, dtypes[b.DType].rank; ra != rb {
			return rb - ra
		}
		return strings.Compare(a.Name, b.Name)
	})
	header := encodeHeader(order, metadata)
	if len(header) > maxHeader {
		return nil, nil, errors.Errorf("header of %d bytes is over the %d-byte limit", len(header), maxHeader)
	}
	return order, header, nil
}

// encodeHeader writes the JSON header as serde_json does (no spaces,
// dtype/shape/data_offsets in that order) and pads it with spaces.
func encodeHeader(order []Tensor, metadata map[string]string) []byte {
	var b bytes.Buffer
	b.WriteByte('{')
	if metadata != nil {
		b.WriteString(`"` + metadataKey + `":{`)
		for i, k := range slices.Sorted(maps.Keys(metadata)) {
			if i > 0 {
				b.WriteByte(',')
			}
			writeString(&b, k)
			b.WriteByte(':')
			writeString(&b, metadata[k])
		}
		b.WriteByte('}')
	}
	offset := 0
	for i, t := range order {
		if i > 0 || metadata != nil {
			b.WriteByte(',')
		}
		writeString(&b, t.Name)
		b.WriteString(`:{"dtype":"` + t.DType + `","shape":[`)
		for j, d := range t.Shape {
			if j > 0 {
				b.WriteByte(',')
			}
			b.WriteString(strconv.Itoa(d))
		}
		end := offset + len(t.Data)
		b.WriteString(`],"data_offsets":[` + strconv.Itoa(offset) + `,` + strconv.Itoa(end) + `]}`)
		offset = end
	}
	b.WriteByte('}')
	for b.Len()%8 != 0 {
		b.WriteByte(' ')
	}
	return b.Bytes()
}

// writeString writes s as a JSON string the way serde_json does: only
// quote, backslash and control characters escaped, control characters
// without a short form as \u00xx in lower case, everything else raw
// UTF-8. encoding/json would also escape <, > and &, which would break
// byte-identity with Python's files.
func writeString(b *bytes.Buffer, s string) {
	const hex = "0123456789abcdef"
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c == '\b':
			b.WriteString(`\b`)
		case c == '\f':
			b.WriteString(`\f`)
		case c == '\n':
			b.WriteString(`\n`)
		case c == '\r':
			b.WriteString(`\r`)
		case c == '\t':
			b.WriteString(`\t`)
		case c < 0x20:
			b.WriteString(`\u00`)
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&0xf])
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
}

// writeFile writes the length, the header and the data of tensors in order.
func writeFile(w io.Writer, order []Tensor, header []byte) error {
	var n [8]byte
	binary.LittleEndian.PutUint64(n[:], uint64(len(header)))
	if _, err := w.Write(n[:]); err != nil {
		return errors.Wrap(err, "writing the header length")
	}
	if _, err := w.Write(header); err != nil {
		return errors.Wrap(err, "writing the header")
	}
	for _, t := range order {
		if _, err := w.Write(t.Data); err != nil {
			return errors.Wrapf(err, "writing tensor %q", t.Name)
		}
	}
	return nil
}

// testHookWriter, when set by a test, wraps the temporary file's writer so
// the test can make the write fail halfway.
var testHookWriter func(io.Writer) io.Writer

// WriteFile writes a safetensors file to path atomically: it writes a
// temporary file in the same directory, syncs it to disk, renames it over
// path and syncs the directory. A crash or error at any point leaves
// either the old file or the complete new one at path, never a torn one,
// and an error removes the temporary file. Everything is validated before
// the temporary file is created.
func WriteFile(path string, tensors []Tensor, metadata map[string]string) error {
	order, header, err := prepare(tensors, metadata)
	if err != nil {
		return errors.Wrap(err, path)
	}
	return atomicfile.Write(path, func(w io.Writer) error {
		if testHookWriter != nil {
			w = testHookWriter(w)
		}
		return writeFile(w, order, header)
	})
}
