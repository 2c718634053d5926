package graph

import (
	"encoding/json"
	"math"
	"strings"

	"github.com/pkg/errors"
)

// Optimizer names a Recipe accepts.
const (
	OptSGD     = "sgd"
	OptAdam    = "adam"
	OptAdamW   = "adamw"
	OptRMSprop = "rmsprop"
)

// Schedule names a Recipe accepts.
const (
	SchedConstant = "constant"
	SchedStep     = "step"
	SchedExp      = "exp"
	SchedCosine   = "cosine"
	SchedPlateau  = "plateau"
)

// Recipe is a training recipe as a command line or a notebook states it:
// the optimizer, the schedule and the loop's settings, as plain values
// that a checkpoint stores as JSON, so a resumed run follows the same
// recipe. Its Fit makes the optimizer and schedule it names and trains.
type Recipe struct {
	// Epochs is the number of epochs to reach; a resumed run trains only
	// the epochs it still lacks.
	Epochs int `json:"epochs"`
	// Batch is the number of examples per optimizer step.
	Batch int `json:"batch"`
	// LR is the learning rate the schedule starts from.
	LR float64 `json:"lr"`
	// Optimizer is OptSGD (with Momentum), OptAdam, OptAdamW or OptRMSprop.
	Optimizer string `json:"optimizer"`
	// Momentum is SGD's and RMSprop's momentum; the Adams ignore it.
	Momentum float64 `json:"momentum"`
	// WeightDecay is an L2 penalty on weights (not biases), decoupled
	// from the gradient for AdamW.
	WeightDecay float64 `json:"weight_decay"`
	// Schedule is SchedConstant, SchedStep (multiply by DecayFactor every
	// DecayEvery epochs), SchedExp (by DecayFactor every epoch),
	// SchedCosine (Warmup steps of linear warm-up, then cosine to MinLR)
	// or SchedPlateau (by DecayFactor when the validation loss stalls for
	// DecayEvery epochs). Empty means SchedStep when DecayEvery is set,
	// else SchedConstant.
	Schedule    string  `json:"schedule,omitempty"`
	DecayEvery  int     `json:"decay_every"`
	DecayFactor float64 `json:"decay_factor"`
	Warmup      int     `json:"warmup,omitempty"`
	MinLR       float64 `json:"min_lr,omitempty"`
	// ClipNorm, when positive, clips the gradients' global norm.
	ClipNorm float64 `json:"clip_norm,omitempty"`
	// Patience, when positive, stops training after that many epochs
	// without a better validation loss, and restores the best weights.
	Patience int `json:"patience,omitempty"`
	// Seed fixes the initial weights, the dropout masks and the order of
	// examples in every epoch: the same seed gives the same final weights.
	Seed uint64 `json:"seed"`
}

// RecipeError says which field of a Recipe cannot work, by its JSON name
// (such as "decay_every"), so a command line can name its flag.
type RecipeError struct {
	Field string
	Err   error
}

func (e *RecipeError) Error() string { return e.Err.Error() }

// Unwrap returns the underlying error.
func (e *RecipeError) Unwrap() error { return e.Err }

func recipeErr(field, format string, args ...any) error {
	return &RecipeError{Field: field, Err: errors.Errorf(format, args...)}
}

// Check names the first field of the recipe that cannot work, as a
// *RecipeError.
func (r Recipe) Check() error {
	bad := func(v float64) bool { return math.IsNaN(v) || math.IsInf(v, 0) }
	switch {
	case r.Epochs < 1:
		return recipeErr("epochs", "epochs %d: want at least 1", r.Epochs)
	case r.Batch < 1:
		return recipeErr("batch", "batch size %d: want at least 1", r.Batch)
	case !(r.LR > 0) || bad(r.LR):
		return recipeErr("lr", "learning rate %v: want a positive number", r.LR)
	case !validOptimizer(r.Optimizer):
		return recipeErr("optimizer", "optimizer %q: want %s, %s, %s or %s", r.Optimizer, OptSGD, OptAdam, OptAdamW, OptRMSprop)
	case !(r.Momentum >= 0 && r.Momentum < 1):
		return recipeErr("momentum", "momentum %v: want 0 <= momentum < 1", r.Momentum)
	case !(r.WeightDecay >= 0) || bad(r.WeightDecay):
		return recipeErr("weight_decay", "weight decay %v: want a number >= 0", r.WeightDecay)
	case r.DecayEvery < 0:
		return recipeErr("decay_every", "decay every %d epochs: want >= 0 (0: never)", r.DecayEvery)
	case !(r.DecayFactor >= 0) || bad(r.DecayFactor) || (r.DecayEvery > 0 && r.DecayFactor == 0):
		return recipeErr("decay_factor", "decay factor %v: want a positive number", r.DecayFactor)
	case r.Warmup < 0:
		return recipeErr("warmup", "warm-up %d steps: want >= 0", r.Warmup)
	case !(r.MinLR >= 0) || bad(r.MinLR):
		return recipeErr("min_lr", "minimum learning rate %v: want a number >= 0", r.MinLR)
	case !(r.ClipNorm >= 0) || bad(r.ClipNorm):
		return recipeErr("clip_norm", "clip norm %v: want a number >= 0 (0: no clipping)", r.ClipNorm)
	case r.Patience < 0:
		return recipeErr("patience", "patience %d: want >= 0 (0: no early stopping)", r.Patience)
	}
	if _, err := r.NewSchedule(); err != nil {
		return &RecipeError{Field: "schedule", Err: err}
	}
	return nil
}

func validOptimizer(name string) bool {
	switch name {
	case OptSGD, OptAdam, OptAdamW, OptRMSprop:
		return true
	}
	return false
}

// NewOptimizer makes the optimizer the recipe names.
func (r Recipe) NewOptimizer() (Optimizer, error) {
	switch r.Optimizer {
	case OptSGD:
		return &SGD{LR: r.LR, Momentum: r.Momentum, WeightDecay: r.WeightDecay}, nil
	case OptAdam:
		return &Adam{LR: r.LR, WeightDecay: r.WeightDecay}, nil
	case OptAdamW:
		return &AdamW{LR: r.LR, WeightDecay: r.WeightDecay}, nil
	case OptRMSprop:
		return &RMSprop{LR: r.LR, Momentum: r.Momentum, WeightDecay: r.WeightDecay}, nil
	}
	return nil, errors.Errorf("optimizer %q: want %s, %s, %s or %s", r.Optimizer, OptSGD, OptAdam, OptAdamW, OptRMSprop)
}

// NewSchedule makes the schedule the recipe names; nil for a constant rate.
func (r Recipe) NewSchedule() (Schedule, error) {
	name := r.Schedule
	if name == "" {
		name = SchedConstant
		if r.DecayEvery > 0 {
			name = SchedStep
		}
	}
	var s Schedule
	switch name {
	case SchedConstant:
		return nil, nil
	case SchedStep:
		s = StepLR{Every: r.DecayEvery, Factor: r.DecayFactor}
	case SchedExp:
		s = ExponentialLR{Gamma: r.DecayFactor}
	case SchedCosine:
		s = CosineLR{WarmupSteps: r.Warmup, MinLR: r.MinLR}
	case SchedPlateau:
		s = &ReduceOnPlateau{Monitor: ValLoss, Factor: r.DecayFactor, Patience: r.DecayEvery}
	default:
		return nil, errors.Errorf("schedule %q: want %s", r.Schedule,
			strings.Join([]string{SchedConstant, SchedStep, SchedExp, SchedCosine, SchedPlateau}, ", "))
	}
	if err := CheckSchedule(s); err != nil {
		return nil, errors.Wrapf(err, "schedule %s", name)
	}
	return s, nil
}

// JSON returns the recipe as checkpoints store it.
func (r Recipe) JSON() string {
	b, _ := json.Marshal(r)
	return string(b)
}

// keyRecipe is the checkpoint Extra entry that holds the recipe.
const keyRecipe = "recipe"

// RecipeOf returns the recipe a checkpoint written by Recipe.Fit stores,
// Epochs being the number of epochs that run was asked for. A recipe that
// cannot be read or fails Recipe.Check is an error.
func RecipeOf(meta CheckpointMeta) (Recipe, error) {
	text, ok := meta.Extra[keyRecipe]
	if !ok {
		return Recipe{}, errors.New("checkpoint has no training recipe")
	}
	r, err := parseRecipe(text)
	return r, errors.Wrap(err, "checkpoint's training recipe")
}

// parseRecipe reads a recipe's JSON and checks it.
func parseRecipe(text string) (Recipe, error) {
	var r Recipe
	if err := json.Unmarshal([]byte(text), &r); err != nil {
		return r, errors.Wrap(err, "unreadable JSON")
	}
	return r, r.Check()
}

// sameAs says whether a resumed run can continue a saved recipe: all must
// match but the number of epochs, which a resumed run may raise.
func (r Recipe) sameAs(saved Recipe) bool {
	r.Epochs, saved.Epochs = 0, 0
	return r == saved
}

// Fit trains model by the recipe: it makes the optimizer and schedule the
// recipe names, and fills cfg's Epochs, BatchSize, Seed, Schedule,
// ClipNorm and early stopping (with the best weights restored) from it;
// the rest of cfg (validation data, Dir, Resume, hooks, Meta) is the
// caller's. The recipe goes into the checkpoint, and a resumed run must
// follow the same one, but for a larger number of epochs.
func (r Recipe) Fit(model *Model, loss Loss, train Dataset, cfg FitConfig) (*FitResult, error) {
	if err := r.Check(); err != nil {
		return nil, err
	}
	if model == nil {
		return nil, errors.New("fit: no model")
	}
	opt, err := r.NewOptimizer()
	if err != nil {
		return nil, err
	}
	if cfg.Schedule, err = r.NewSchedule(); err != nil {
		return nil, err
	}
	cfg.Epochs, cfg.BatchSize, cfg.Seed, cfg.ClipNorm = r.Epochs, r.Batch, r.Seed, r.ClipNorm
	if r.Patience > 0 {
		cfg.EarlyStopping, cfg.RestoreBest = &EarlyStopping{Monitor: ValLoss, Patience: r.Patience}, true
	}
	if cfg.Resume {
		if err := r.resumable(cfg.Dir); err != nil {
			return nil, err
		}
	}
	extra := map[string]string{keyRecipe: r.JSON()}
	for k, v := range cfg.Meta.Extra {
		extra[k] = v
	}
	cfg.Meta.Extra = extra
	tr, err := NewTrainer(model, loss, opt)
	if err != nil {
		return nil, err
	}
	return tr.Fit(train, cfg)
}

// resumable explains why the checkpoint in dir cannot continue r.
func (r Recipe) resumable(dir string) error {
	path := CheckpointPath(dir)
	meta, err := ReadCheckpointMeta(path)
	if err != nil {
		return errors.Wrap(err, "resume")
	}
	saved, err := RecipeOf(meta)
	if err != nil {
		return errors.Wrapf(err, "resume from %s", path)
	}
	if !r.sameAs(saved) {
		return errors.Errorf("resume from %s: its recipe %s differs from this run's %s", path, saved.JSON(), r.JSON())
	}
	return nil
}

// LoadModel reads the checkpoint at path, builds the model it holds with
// build (which sees the checkpoint's metadata: model name, architecture,
// seeds) and loads its weights and buffers into it, checking them as
// LoadCheckpoint does (opts as there). It reads the file once. The file is
// checked whole before build runs, but build allocates the model its
// metadata describes: a build function that takes the architecture from
// the metadata should call CheckLayout first, so that a small file cannot
// ask for a huge model.
func LoadModel(path string, build func(meta CheckpointMeta) (*Model, error), opts ...LoadOption) (*Model, CheckpointMeta, error) {
	f, meta, err := readCheckpoint(path)
	if err != nil {
		return nil, meta, err
	}
	m, err := build(meta)
	if err != nil {
		return nil, meta, errors.Wrap(err, path)
	}
	if m == nil {
		return nil, meta, errors.Errorf("%s: build returned no model", path)
	}
	if err := restore(f, meta, m, nil, loadConfigOf(opts)); err != nil {
		return nil, meta, errors.Wrapf(err, "checkpoint %s", path)
	}
	return m, meta, nil
}

// LoadNamed reads a checkpoint of the model family name and architecture
// arch, refusing any other, checks that the file holds the tensors of the
// model net() makes for inputs of shape in before allocating any weight
// (CheckLayout), builds that model with the checkpoint's model seed and
// loads its weights and buffers. It is what a model package's Load is.
func LoadNamed(path, name, arch string, net func() Layer, in []int, opts ...LoadOption) (*Model, CheckpointMeta, error) {
	return LoadModel(path, func(meta CheckpointMeta) (*Model, error) {
		if meta.Model != name || meta.Config != arch {
			return nil, errors.Errorf("checkpoint holds %s %q, not %s %q", meta.Model, meta.Config, name, arch)
		}
		if err := CheckLayout(meta, net(), in); err != nil {
			return nil, err
		}
		return NewModel(net(), in, meta.ModelSeed)
	}, opts...)
}
