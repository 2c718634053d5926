package mnisttrain

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"

	"github.com/pkg/errors"

	"github.com/featlearn/featlearn/graph"
)

// CheckpointFile is the checkpoint's name inside Config.Out.
const CheckpointFile = "checkpoint.safetensors"

// Keys of what a checkpoint's Extra holds besides graph's own fields.
const (
	keyRecipe   = "recipe"   // Config.recipe()
	keyHistory  = "history"  // completed epochs, JSON
	keyPosition = "position" // the position inside the next epoch, JSON
	keyTrainN   = "train_n"  // training examples, which fix the batches
)

// CheckpointPath returns the checkpoint's path inside an output directory.
func CheckpointPath(dir string) string { return filepath.Join(dir, CheckpointFile) }

// save writes the checkpoint of the current position and the history of
// completed epochs into Out; without Out it does nothing.
func (r *run) save() error {
	if r.cfg.Out == "" {
		return nil
	}
	if err := os.MkdirAll(r.cfg.Out, 0o755); err != nil {
		return errors.WithStack(err)
	}
	hist, err := json.Marshal(r.history)
	if err != nil {
		return errors.Wrap(err, "encoding history")
	}
	pos, _ := json.Marshal(r.pos)
	meta := graph.CheckpointMeta{
		Model: r.spec.Name, Config: r.spec.Arch,
		Epoch: len(r.history), Step: r.tr.Steps(), Seed: r.cfg.Seed, Optimizer: r.cfg.Optimizer,
		Extra: map[string]string{
			keyRecipe: r.cfg.recipe(), keyHistory: string(hist), keyPosition: string(pos),
			keyTrainN: strconv.Itoa(r.train.Len()),
		},
	}
	path := CheckpointPath(r.cfg.Out)
	if err := graph.SaveCheckpoint(path, r.model, r.opt, meta); err != nil {
		return errors.Wrapf(err, "saving %s", path)
	}
	r.res.Checkpoint = path
	return WriteHistory(r.cfg.Out, r.history)
}

// resume loads Out's checkpoint into the run after checking that it was
// written by the same model, recipe and training set.
func (r *run) resume() error {
	path := CheckpointPath(r.cfg.Out)
	meta, err := graph.ReadCheckpointMeta(path)
	if err != nil {
		return errors.Wrap(err, "resume")
	}
	if err := r.compatible(meta); err != nil {
		return errors.Wrapf(err, "resume from %s", path)
	}
	if err := json.Unmarshal([]byte(meta.Extra[keyHistory]), &r.history); err != nil {
		return errors.Wrapf(err, "resume from %s: history", path)
	}
	if err := json.Unmarshal([]byte(meta.Extra[keyPosition]), &r.pos); err != nil || r.pos.Epoch < 1 {
		return errors.Errorf("resume from %s: unreadable position %q", path, meta.Extra[keyPosition])
	}
	if _, err := graph.LoadCheckpoint(path, r.model, r.opt); err != nil {
		return errors.Wrap(err, "resume")
	}
	r.tr.SetSteps(meta.Step)
	r.res.ResumedEpoch, r.res.ResumedStep = len(r.history), meta.Step
	return nil
}

// compatible explains why a checkpoint cannot continue this run, if it
// cannot.
func (r *run) compatible(meta graph.CheckpointMeta) error {
	if meta.Model != r.spec.Name || meta.Config != r.spec.Arch {
		return errors.Errorf("checkpoint holds %s %s, this run trains %s %s", meta.Model, meta.Config, r.spec.Name, r.spec.Arch)
	}
	saved, err := RecipeOf(meta)
	if err != nil {
		return err
	}
	if !r.cfg.sameRecipe(saved) {
		return errors.Errorf("checkpoint's recipe %s differs from this run's %s", saved.recipe(), r.cfg.recipe())
	}
	if got := meta.Extra[keyTrainN]; got != strconv.Itoa(r.train.Len()) {
		return errors.Errorf("checkpoint was trained on %s examples, this run has %d", got, r.train.Len())
	}
	return nil
}

// TrainedOn returns the number of training examples a checkpoint's run
// used (0 when it does not say); a resumed run needs the same.
func TrainedOn(meta graph.CheckpointMeta) int {
	n, _ := strconv.Atoi(meta.Extra[keyTrainN])
	return n
}

// Load builds the model a checkpoint holds, with spec from specFor (which
// maps a checkpoint's model name and architecture to a Spec), and loads
// its weights. It returns the model and the checkpoint's metadata.
func Load(path string, specFor func(name, arch string) (Spec, error)) (*graph.Model, graph.CheckpointMeta, error) {
	meta, err := graph.ReadCheckpointMeta(path)
	if err != nil {
		return nil, meta, err
	}
	spec, err := specFor(meta.Model, meta.Config)
	if err != nil {
		return nil, meta, errors.Wrap(err, path)
	}
	m, err := spec.Build(meta.Seed)
	if err != nil {
		return nil, meta, err
	}
	if _, err := graph.LoadCheckpoint(path, m, nil); err != nil {
		return nil, meta, err
	}
	return m, meta, nil
}
