package graph

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"math"
	"slices"
	"strings"

	"github.com/pkg/errors"
	"gorgonia.org/tensor"

	"github.com/featlearn/featlearn/graph/safetensors"
)

// LoadOption changes what LoadCheckpoint and LoadModel accept.
type LoadOption func(*loadConfig)

type loadConfig struct {
	allowNonFinite bool
}

// AllowNonFinite lets tensors holding NaN or infinite values load, for
// forensics: to evaluate or draw a model whose training diverged. Without
// it such a tensor is an error naming it. The checksums must match either
// way: a file damaged after it was written never loads.
func AllowNonFinite() LoadOption { return func(c *loadConfig) { c.allowNonFinite = true } }

func loadConfigOf(opts []LoadOption) loadConfig {
	var c loadConfig
	for _, o := range opts {
		o(&c)
	}
	return c
}

// checksumKey is the metadata entry in which SaveCheckpoint records the
// CRC-32C (Castagnoli) of every tensor's bytes, as a JSON object of 8 hex
// digits by tensor name, so a flipped bit is found when the file is read.
// A file without it (written by another tool, or edited and the entry
// dropped) loads unverified.
const checksumKey = "tensor_crc32c"

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// tensorChecksums returns the checksumKey entry for ts.
func tensorChecksums(ts []safetensors.Tensor) string {
	sums := make(map[string]string, len(ts))
	for _, t := range ts {
		sums[t.Name] = fmt.Sprintf("%08x", crc32.Checksum(t.Data, castagnoli))
	}
	b, _ := json.Marshal(sums)
	return string(b)
}

// verifyChecksums checks every tensor of f against the checksums its
// metadata records, if it records any.
func verifyChecksums(f *safetensors.File) error {
	text, ok := f.Metadata[checksumKey]
	if !ok {
		return nil
	}
	var sums map[string]string
	if err := decodeStrict([]byte(text), &sums); err != nil {
		return &metaError{key: checksumKey, err: err}
	}
	if len(sums) != len(f.Tensors) {
		return metaErr(checksumKey, "%d checksums for %d tensors", len(sums), len(f.Tensors))
	}
	for _, t := range f.Tensors {
		want, ok := sums[t.Name]
		if !ok {
			return metaErr(checksumKey, "no checksum for tensor %s", t.Name)
		}
		if got := fmt.Sprintf("%08x", crc32.Checksum(t.Data, castagnoli)); got != want {
			return errors.Errorf("tensor %s is damaged: its bytes have checksum %s, the file recorded %s", t.Name, got, want)
		}
	}
	return nil
}

// tensorLayout is what a checkpoint says of one tensor.
type tensorLayout struct {
	name, dtype string
	shape       []int
}

// readCheckpoint reads the checkpoint at path once and checks all of it:
// the safetensors layout, the metadata (decodeMeta) and the checksums. The
// metadata it returns knows the file's tensor layout, for CheckLayout.
// Errors name the path.
func readCheckpoint(path string) (*safetensors.File, CheckpointMeta, error) {
	f, err := safetensors.ReadFile(path)
	if err != nil {
		return nil, CheckpointMeta{}, errors.Wrap(err, "checkpoint")
	}
	meta, err := checkFile(f)
	if err != nil {
		return nil, CheckpointMeta{}, errors.Wrapf(err, "checkpoint %s", path)
	}
	return f, meta, nil
}

// checkFile checks the metadata and checksums of a safetensors file read
// whole and returns its metadata, with the file's layout.
func checkFile(f *safetensors.File) (CheckpointMeta, error) {
	meta, err := decodeMeta(f.Metadata)
	if err == nil {
		err = verifyChecksums(f)
	}
	if err != nil {
		return CheckpointMeta{}, err
	}
	meta.layout = make([]tensorLayout, len(f.Tensors))
	for i, t := range f.Tensors {
		meta.layout[i] = tensorLayout{t.Name, t.DType, t.Shape}
	}
	return meta, nil
}

// dtypeName returns the safetensors dtype of a model's tensors.
func dtypeName(dt tensor.Dtype) string {
	if dt == tensor.Float64 {
		return "F64"
	}
	return "F32"
}

// layoutProblems lists how a file's tensors differ from the parameters
// and buffers of a model of dtype dt: missing tensors, wrong dtypes or
// shapes, and tensors the model does not know. Optimizer state is not
// compared.
func layoutProblems(file []tensorLayout, params []*Param, dt tensor.Dtype) []string {
	var problems []string
	byName := make(map[string]tensorLayout, len(file))
	for _, t := range file {
		byName[t.name] = t
	}
	want, dtype := map[string]bool{}, dtypeName(dt)
	for _, p := range params {
		want[p.Name] = true
		t, ok := byName[p.Name]
		switch {
		case !ok:
			problems = append(problems, fmt.Sprintf("missing tensor %s", p.Name))
		case t.dtype != dtype:
			problems = append(problems, fmt.Sprintf("tensor %s is %s, the model's is %s", t.name, t.dtype, dtype))
		case !slices.Equal(t.shape, p.Shape()):
			problems = append(problems, fmt.Sprintf("tensor %s has shape %v, the model's %s has %v", t.name, t.shape, p.Name, p.Shape()))
		}
	}
	for _, t := range file {
		if !want[t.name] && !strings.HasPrefix(t.name, optimizerPrefix) {
			problems = append(problems, fmt.Sprintf("unknown tensor %s", t.name))
		}
	}
	return problems
}

// layoutError turns problems into one error, nil for none.
func layoutError(problems []string, meta CheckpointMeta) error {
	if len(problems) == 0 {
		return nil
	}
	if len(problems) > maxProblems {
		problems = append(problems[:maxProblems], fmt.Sprintf("and %d more", len(problems)-maxProblems))
	}
	return errors.Errorf("does not fit the model (checkpoint of %q): %s", meta.Model, strings.Join(problems, "; "))
}

// CheckLayout checks, without allocating a single weight, that the
// checkpoint meta was read from holds every parameter and buffer that a
// model of layer for examples of the given input shape (and opts) would
// have, each with the model's dtype and its shape, and no other tensor but
// optimizer state. A build function of LoadModel calls it before it builds
// the model, so that a small damaged or hostile file whose metadata asks
// for a huge architecture is refused before that architecture costs any
// memory: the model it then builds is no larger than the file's tensors.
// It sets the layer up as NewModel does but draws no initial weights, so a
// layer whose Setup reads its own parameters' values cannot be checked.
func CheckLayout(meta CheckpointMeta, layer Layer, input []int, opts ...ModelOption) (err error) {
	defer recoverTo(&err)
	if meta.layout == nil {
		return errors.New("check layout: the metadata was not read from a checkpoint file")
	}
	if layer == nil {
		return errors.New("check layout: nil layer")
	}
	m := &Model{layer: layer, input: append(Shape(nil), input...), dtype: tensor.Float32,
		byName: map[string]*Param{}, layoutOnly: true, setupShapes: map[string][]Shape{}}
	for _, opt := range opts {
		opt(m)
	}
	for _, d := range input {
		if d < 1 {
			return errors.Errorf("check layout: input shape %v has a dimension below 1", input)
		}
	}
	if err := checkName(layer.Name()); err != nil {
		return layerErr(layer.Name(), err)
	}
	if _, err := layer.Setup(&Scope{m: m, own: layer.Name()}, m.InputShape()); err != nil {
		return layerErr(layer.Name(), err)
	}
	return layoutError(layoutProblems(meta.layout, m.tensors(), m.dtype), meta)
}

// checkFinite returns an error naming t when one of its values is NaN or
// infinite; t's dtype is F32 or F64.
func checkFinite(t safetensors.Tensor) error {
	bad := func(i int, v float64) error {
		return errors.Errorf("tensor %s holds %v at index %d: the model diverged or the file is damaged", t.Name, v, i)
	}
	if t.DType == "F32" {
		for i := 0; i+4 <= len(t.Data); i += 4 {
			// Exponent all ones: an infinity or a NaN.
			if bits := binary.LittleEndian.Uint32(t.Data[i:]); bits&0x7f800000 == 0x7f800000 {
				return bad(i/4, float64(math.Float32frombits(bits)))
			}
		}
		return nil
	}
	for i := 0; i+8 <= len(t.Data); i += 8 {
		if bits := binary.LittleEndian.Uint64(t.Data[i:]); bits&0x7ff0000000000000 == 0x7ff0000000000000 {
			return bad(i/8, math.Float64frombits(bits))
		}
	}
	return nil
}

// copyTensor decodes t's bytes into dst, whose dtype and size match.
func copyTensor(dst *tensor.Dense, t safetensors.Tensor) {
	if dst.Dtype() == tensor.Float64 {
		d := dst.Float64s()
		for i := range d {
			d[i] = math.Float64frombits(binary.LittleEndian.Uint64(t.Data[8*i:]))
		}
		return
	}
	d := dst.Float32s()
	for i := range d {
		d[i] = math.Float32frombits(binary.LittleEndian.Uint32(t.Data[4*i:]))
	}
}
