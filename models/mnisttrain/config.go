package mnisttrain

import (
	"encoding/json"
	"math"

	"github.com/pkg/errors"

	"github.com/featlearn/featlearn/graph"
)

// Optimizer names accepted by Config.Optimizer.
const (
	SGD  = "sgd"
	Adam = "adam"
)

// Config is a training recipe. A checkpoint stores it, so a resumed run
// follows the same recipe.
type Config struct {
	// Epochs is the number of epochs to reach; a resumed run trains only
	// the epochs it still lacks.
	Epochs int `json:"epochs"`
	// Batch is the number of examples per optimizer step.
	Batch int `json:"batch"`
	// LR is the learning rate of the first epoch.
	LR float64 `json:"lr"`
	// Optimizer is SGD (with Momentum) or Adam.
	Optimizer string `json:"optimizer"`
	// Momentum is SGD's momentum; Adam ignores it.
	Momentum float64 `json:"momentum"`
	// WeightDecay is an L2 penalty on weights (not biases).
	WeightDecay float64 `json:"weight_decay"`
	// DecayEvery and DecayFactor make a step schedule: the learning rate
	// is multiplied by DecayFactor after every DecayEvery epochs. Zero
	// DecayEvery keeps it constant.
	DecayEvery  int     `json:"decay_every"`
	DecayFactor float64 `json:"decay_factor"`
	// Seed fixes the initial weights and the order of examples in every
	// epoch: the same seed gives the same final weights.
	Seed uint64 `json:"seed"`
	// MaxSteps stops training after that many optimizer steps in all, in
	// the middle of an epoch if need be (0: no limit). Notebooks use it
	// as a time budget.
	MaxSteps int `json:"-"`
	// Out is the directory that receives checkpoint.safetensors and the
	// history files after every epoch; "" saves nothing.
	Out string `json:"-"`
	// Resume continues from Out's checkpoint instead of starting afresh.
	Resume bool `json:"-"`
}

// check reports the first field that cannot work.
func (c Config) check() error {
	switch {
	case c.Epochs < 1:
		return errors.Errorf("epochs %d: want at least 1", c.Epochs)
	case c.Batch < 1:
		return errors.Errorf("batch size %d: want at least 1", c.Batch)
	case !(c.LR > 0) || math.IsInf(c.LR, 0):
		return errors.Errorf("learning rate %v: want a positive number", c.LR)
	case c.Optimizer != SGD && c.Optimizer != Adam:
		return errors.Errorf("optimizer %q: want %s or %s", c.Optimizer, SGD, Adam)
	case c.Momentum < 0 || c.Momentum >= 1:
		return errors.Errorf("momentum %v: want 0 <= momentum < 1", c.Momentum)
	case c.WeightDecay < 0:
		return errors.Errorf("weight decay %v: want >= 0", c.WeightDecay)
	case c.DecayEvery < 0 || (c.DecayEvery > 0 && !(c.DecayFactor > 0)):
		return errors.Errorf("decay every %d epochs by %v: want a positive factor", c.DecayEvery, c.DecayFactor)
	case c.MaxSteps < 0:
		return errors.Errorf("max steps %d: want >= 0", c.MaxSteps)
	case c.Resume && c.Out == "":
		return errors.New("resume needs the directory of the checkpoint (Out)")
	}
	return nil
}

// LRAt returns the learning rate of an epoch (counted from 1) under the
// step schedule.
func (c Config) LRAt(epoch int) float64 {
	if c.DecayEvery <= 0 {
		return c.LR
	}
	return c.LR * math.Pow(c.DecayFactor, float64((epoch-1)/c.DecayEvery))
}

// newOptimizer makes the optimizer the recipe names.
func (c Config) newOptimizer() graph.Optimizer {
	if c.Optimizer == Adam {
		return &graph.Adam{LR: c.LR, WeightDecay: c.WeightDecay}
	}
	return &graph.SGD{LR: c.LR, Momentum: c.Momentum, WeightDecay: c.WeightDecay}
}

// setLR changes the learning rate of an optimizer newOptimizer made.
func setLR(opt graph.Optimizer, lr float64) {
	switch o := opt.(type) {
	case *graph.SGD:
		o.LR = lr
	case *graph.Adam:
		o.LR = lr
	}
}

// recipe returns the recipe as JSON, as checkpoints store it.
func (c Config) recipe() string {
	b, _ := json.Marshal(c)
	return string(b)
}

// sameRecipe says whether a resumed run can continue a saved recipe: all
// must match but the number of epochs, which a resumed run may raise.
func (c Config) sameRecipe(saved Config) bool {
	c.Epochs, saved.Epochs = 0, 0
	c.MaxSteps, c.Out, c.Resume = 0, "", false // not part of a recipe
	return c == saved
}

// RecipeOf returns the recipe stored in a checkpoint's Extra, Epochs being
// the number of epochs that run was asked for. Command-line tools start a
// resumed run's flags from it.
func RecipeOf(meta graph.CheckpointMeta) (Config, error) {
	var c Config
	if err := json.Unmarshal([]byte(meta.Extra[keyRecipe]), &c); err != nil {
		return c, errors.Wrap(err, "checkpoint has no readable training recipe")
	}
	return c, nil
}
