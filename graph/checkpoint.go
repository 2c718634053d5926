package graph

import (
	"fmt"
	"maps"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"

	"github.com/pkg/errors"

	"github.com/featlearn/featlearn/graph/safetensors"
)

// CheckpointFormat is the "format" metadata of the checkpoints
// SaveCheckpoint writes; LoadCheckpoint refuses files of any other format.
const CheckpointFormat = "featlearn-checkpoint-v1"

// Name prefixes of the tensors and metadata keys of a checkpoint.
const (
	optimizerPrefix = "optimizer/" // optimizer state tensors: "optimizer/<slot>/<param>"
	extraPrefix     = "extra/"     // CheckpointMeta.Extra entries
	fitPrefix       = "fit/"       // Fit's own state: position, history, schedule
)

// CheckpointMeta describes a checkpoint: what model it holds, how far
// training had got and how to rebuild the rest.
//
// Seed, ModelSeed and Step are the whole random state of training. Fit
// draws each epoch's order of examples from EpochOrder(n, Seed, epoch) and
// every dropout mask from ModelSeed and the step, and nothing else at
// random, so a resumed run (FitConfig.Resume) continues exactly as if it
// had never stopped. That is why no generator state is stored.
type CheckpointMeta struct {
	// Model names the model, such as "lenet".
	Model string
	// Config is the model's configuration as JSON, chosen by the caller,
	// so a program can rebuild the model before loading its weights.
	Config string
	// Epoch is the last finished epoch and Step the optimizer steps taken.
	Epoch, Step int
	// Seed is FitConfig.Seed of the run.
	Seed uint64
	// ModelSeed is the seed the model was built with (NewModel), filled
	// in by SaveCheckpoint.
	ModelSeed uint64
	// Optimizer is "sgd", "adam", "adamw" or "rmsprop" for the optimizers
	// of this package, filled in by SaveCheckpoint from its optimizer, the
	// caller's name for any other; it is empty for a checkpoint of weights
	// only.
	Optimizer string
	// Extra holds any other strings the caller wants kept.
	Extra map[string]string

	fit    map[string]string // Fit's state, under fitPrefix
	layout []tensorLayout    // the file's tensors, when read from a file
}

// SaveCheckpoint writes m's parameters and buffers, opt's state (when opt
// is not nil) and meta to path as a safetensors file that Python's safetensors can
// read too. Each parameter is a tensor named after it, with its dtype (F32
// or F64) and shape (PyTorch layouts). Each entry of opt.State() is a
// tensor "optimizer/<key>", such as "optimizer/velocity/conv1.weight",
// shaped like its parameter. The metadata records each tensor's CRC-32C,
// so that a load finds any damage. The write is atomic: a failed or
// interrupted save leaves the previous file at path as it was.
func SaveCheckpoint(path string, m *Model, opt Optimizer, meta CheckpointMeta) (err error) {
	defer recoverTo(&err) // a caller's Optimizer may panic in State
	tensors, md, err := checkpointContents(m, opt, meta)
	if err != nil {
		return errors.Wrapf(err, "save checkpoint %s", path)
	}
	return errors.Wrap(safetensors.WriteFile(path, tensors, md), "save checkpoint")
}

// checkpointContents returns the tensors and metadata of a checkpoint.
func checkpointContents(m *Model, opt Optimizer, meta CheckpointMeta) ([]safetensors.Tensor, map[string]string, error) {
	if m == nil {
		return nil, nil, errors.New("no model")
	}
	kind, err := optimizerName(opt, meta.Optimizer)
	if err != nil {
		return nil, nil, err
	}
	meta.Optimizer = kind
	meta.ModelSeed = m.seed
	md, err := encodeMeta(meta)
	if err != nil {
		return nil, nil, err
	}
	tensors, err := checkpointTensors(m, opt)
	if err != nil {
		return nil, nil, err
	}
	md[checksumKey] = tensorChecksums(tensors)
	return tensors, md, nil
}

// optimizerName returns the name to record for opt: its kind for the
// optimizers of this package, the caller's name for others, "" for none.
func optimizerName(opt Optimizer, given string) (string, error) {
	kind := optimizerKind(opt)
	switch {
	case opt == nil && given != "":
		return "", errors.Errorf("meta names optimizer %q but none was given", given)
	case opt == nil:
		return "", nil
	case kind == "" && given == "":
		return "", errors.Errorf("optimizer %T: set CheckpointMeta.Optimizer to name it", opt)
	case kind != "" && given != "" && given != kind:
		return "", errors.Errorf("meta names optimizer %q but the optimizer is %s", given, kind)
	case kind == "":
		return given, nil
	}
	return kind, nil
}

// optimizerKind names the optimizers of this package, and "" any other.
func optimizerKind(opt Optimizer) string {
	switch opt.(type) {
	case *SGD:
		return "sgd"
	case *Adam:
		return "adam"
	case *AdamW:
		return "adamw"
	case *RMSprop:
		return "rmsprop"
	}
	return ""
}

// checkpointTensors returns the parameters followed by the optimizer state.
func checkpointTensors(m *Model, opt Optimizer) ([]safetensors.Tensor, error) {
	var out []safetensors.Tensor
	for _, p := range m.tensors() {
		if strings.HasPrefix(p.Name, optimizerPrefix) {
			return nil, errors.Errorf("parameter %s: names starting %q are kept for optimizer state", p.Name, optimizerPrefix)
		}
		out = append(out, paramTensor(p.Name, p, p.Float64s()))
	}
	if opt == nil {
		return out, nil
	}
	state := opt.State()
	for _, key := range slices.Sorted(maps.Keys(state)) {
		t, err := stateTensor(m, key, state[key])
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, nil
}

// paramTensor stores vals under name in p's dtype and shape. Converting
// float64 back to float32 is exact here: the values came from float32.
func paramTensor(name string, p *Param, vals []float64) safetensors.Tensor {
	if _, ok := p.value.Data().([]float32); ok {
		v := make([]float32, len(vals))
		for i, x := range vals {
			v[i] = float32(x)
		}
		return safetensors.F32(name, p.Shape(), v)
	}
	return safetensors.F64(name, p.Shape(), vals)
}

// stateTensor stores one optimizer state entry. Per-parameter slots
// ("<slot>/<param>") take their parameter's dtype and shape, so Python
// sees them as tensors like the weights; anything else, such as Adam's
// step count "t", is a flat F64 vector.
func stateTensor(m *Model, key string, vals []float64) (safetensors.Tensor, error) {
	name := optimizerPrefix + key
	_, param, isSlot := strings.Cut(key, "/")
	if !isSlot {
		return safetensors.F64(name, []int{len(vals)}, vals), nil
	}
	p := m.Param(param)
	if p == nil || p.buffer {
		return safetensors.Tensor{}, errors.Errorf("optimizer state %q is for no parameter of the model", key)
	}
	if len(vals) != p.Size() {
		return safetensors.Tensor{}, errors.Errorf("optimizer state %q has %d values, parameter %s has %d", key, len(vals), p.Name, p.Size())
	}
	return paramTensor(name, p, vals), nil
}

// encodeMeta turns meta into the file's string metadata.
func encodeMeta(meta CheckpointMeta) (map[string]string, error) {
	if meta.Epoch < 0 || meta.Step < 0 || meta.Epoch > maxMetaEpoch || meta.Step > maxMetaStep {
		return nil, errors.Errorf("epoch %d, step %d: want 0..%d and 0..%d", meta.Epoch, meta.Step, maxMetaEpoch, maxMetaStep)
	}
	md := map[string]string{
		"format":            CheckpointFormat,
		"featlearn_version": featlearnVersion(),
		"model":             meta.Model,
		"config":            meta.Config,
		"epoch":             strconv.Itoa(meta.Epoch),
		"step":              strconv.Itoa(meta.Step),
		"seed":              strconv.FormatUint(meta.Seed, 10),
		"model_seed":        strconv.FormatUint(meta.ModelSeed, 10),
		"optimizer":         meta.Optimizer,
		// For readers outside featlearn: the shuffle is a pure function of
		// seed and epoch, so these two numbers are the generator state.
		"rng": fmt.Sprintf("EpochOrder(n, seed=%d, epoch); resume at epoch %d", meta.Seed, meta.Epoch+1),
	}
	for k, v := range meta.Extra {
		md[extraPrefix+k] = v
	}
	for k, v := range meta.fit {
		md[fitPrefix+k] = v
	}
	return md, nil
}

// featlearnVersion returns the module version of featlearn in the running
// binary, "(devel)" when built from a work tree.
func featlearnVersion() string {
	const module = "github.com/featlearn/featlearn"
	if info, ok := debug.ReadBuildInfo(); ok {
		if info.Main.Path == module && info.Main.Version != "" {
			return info.Main.Version
		}
		for _, d := range info.Deps {
			if d.Path == module {
				return d.Version
			}
		}
	}
	return "(devel)"
}

// ReadCheckpointMeta reads the metadata of the checkpoint at path, so a
// program can rebuild the model from Config before LoadCheckpoint. It
// checks the whole file, not only its metadata: the layout, every
// metadata entry (counters, recipe, Fit's state) and the checksums.
func ReadCheckpointMeta(path string) (CheckpointMeta, error) {
	_, meta, err := readCheckpoint(path)
	return meta, err
}

// LoadCheckpoint restores m's parameters and buffers and, unless opt is
// nil, opt's state from the checkpoint at path, and returns its metadata.
// Every parameter and buffer of m must be in the file with m's dtype and
// its shape, and the file may hold nothing else but optimizer state; opt
// must be of the kind that was saved. Every value must be finite, unless
// opts allow otherwise (AllowNonFinite). Everything is checked before
// anything changes, so on error m and opt are as they were. The weights are
// copied into the tensors m already has, so every program of m, and a
// Trainer made before the load, sees them at once.
//
// To resume training, use Fit with FitConfig.Resume, which loads the
// checkpoint Fit wrote together with its position inside the epoch.
func LoadCheckpoint(path string, m *Model, opt Optimizer, opts ...LoadOption) (_ CheckpointMeta, err error) {
	defer recoverTo(&err) // a caller's Optimizer may panic in SetState
	if m == nil {
		return CheckpointMeta{}, errors.New("load checkpoint: no model")
	}
	f, meta, err := readCheckpoint(path)
	if err != nil {
		return CheckpointMeta{}, err
	}
	if err := restore(f, meta, m, opt, loadConfigOf(opts)); err != nil {
		return CheckpointMeta{}, errors.Wrapf(err, "checkpoint %s", path)
	}
	return meta, nil
}

// restore checks f against m and opt, then restores both.
func restore(f *safetensors.File, meta CheckpointMeta, m *Model, opt Optimizer, cfg loadConfig) error {
	all := m.tensors()
	if err := layoutError(layoutProblems(meta.layout, all, m.dtype), meta); err != nil {
		return err
	}
	weights := make([]safetensors.Tensor, len(all))
	for i, p := range all {
		weights[i], _ = f.Tensor(p.Name) // layoutProblems found them all
		if !cfg.allowNonFinite {
			if err := checkFinite(weights[i]); err != nil {
				return err
			}
		}
	}
	if opt != nil {
		state, err := optimizerState(f, m, opt, meta, cfg)
		if err != nil {
			return err
		}
		// SetState goes before the weights as the only step left that can
		// fail; an optimizer may fail halfway, so give it back what it had.
		prev := opt.State()
		if err := opt.SetState(state); err != nil {
			_ = opt.SetState(prev)
			return errors.Wrap(err, "restoring the optimizer")
		}
	}
	for i, p := range all {
		copyTensor(p.value, weights[i])
	}
	return nil
}

// maxProblems caps how many mismatches an error lists.
const maxProblems = 6

// fitsParam checks a saved tensor has p's dtype and shape.
func fitsParam(t safetensors.Tensor, p *Param) error {
	dtype := "F64"
	if _, ok := p.value.Data().([]float32); ok {
		dtype = "F32"
	}
	if t.DType != dtype {
		return errors.Errorf("tensor %s is %s, the model's is %s", t.Name, t.DType, dtype)
	}
	if !slices.Equal(t.Shape, p.Shape()) {
		return errors.Errorf("tensor %s has shape %v, the model's %s has %v", t.Name, t.Shape, p.Name, p.Shape())
	}
	return nil
}

// optimizerState collects the "optimizer/" tensors into the map
// Optimizer.SetState takes, after checking they belong to opt and m.
func optimizerState(f *safetensors.File, m *Model, opt Optimizer, meta CheckpointMeta, cfg loadConfig) (map[string][]float64, error) {
	if meta.Optimizer == "" {
		return nil, errors.New("holds no optimizer state; load with a nil optimizer for the weights only")
	}
	if kind := optimizerKind(opt); kind != "" && kind != meta.Optimizer {
		return nil, errors.Errorf("holds %s optimizer state, the optimizer is %s", meta.Optimizer, kind)
	}
	state := map[string][]float64{}
	for _, t := range f.Tensors {
		key, ok := strings.CutPrefix(t.Name, optimizerPrefix)
		if !ok {
			continue
		}
		if _, param, isSlot := strings.Cut(key, "/"); isSlot {
			p := m.Param(param)
			if p == nil || p.buffer {
				return nil, errors.Errorf("optimizer state %s is for no parameter of the model", t.Name)
			}
			if err := fitsParam(t, p); err != nil {
				return nil, err
			}
		}
		v, err := t.Float64s()
		if err != nil {
			return nil, errors.Wrap(err, "optimizer state")
		}
		if !cfg.allowNonFinite {
			if err := checkFinite(t); err != nil {
				return nil, err
			}
		}
		state[key] = v
	}
	return state, nil
}

// tensors returns the model's parameters followed by its buffers: what a
// checkpoint holds of the model.
func (m *Model) tensors() []*Param {
	return append(append([]*Param(nil), m.params...), m.buffers...)
}

// TrainExamples returns the number of training examples of the run that
// Fit checkpointed (0 when the checkpoint does not say); a resumed run
// needs the same.
func (meta CheckpointMeta) TrainExamples() int {
	n, _ := strconv.Atoi(meta.fit[keyTrainN])
	return n
}
