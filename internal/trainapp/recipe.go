package trainapp

import (
	"flag"

	"github.com/pkg/errors"

	"github.com/featlearn/featlearn/graph"
	"github.com/featlearn/featlearn/internal/cli"
)

// recipeFlags maps each field of graph.Recipe, by its JSON name, to its
// flag and registers it.
var recipeFlags = []struct {
	field, flag string
	add         func(fs *flag.FlagSet, r *graph.Recipe, name string)
	copy        func(dst *graph.Recipe, src graph.Recipe)
}{
	{"epochs", "epochs", func(fs *flag.FlagSet, r *graph.Recipe, n string) {
		fs.IntVar(&r.Epochs, n, r.Epochs, "epochs to train (with -resume: the total to reach)")
	}, func(d *graph.Recipe, s graph.Recipe) { d.Epochs = s.Epochs }},
	{"batch", "batch", func(fs *flag.FlagSet, r *graph.Recipe, n string) {
		fs.IntVar(&r.Batch, n, r.Batch, "examples per optimizer step")
	}, func(d *graph.Recipe, s graph.Recipe) { d.Batch = s.Batch }},
	{"lr", "lr", func(fs *flag.FlagSet, r *graph.Recipe, n string) {
		fs.Float64Var(&r.LR, n, r.LR, "learning rate the schedule starts from")
	}, func(d *graph.Recipe, s graph.Recipe) { d.LR = s.LR }},
	{"optimizer", "optimizer", func(fs *flag.FlagSet, r *graph.Recipe, n string) {
		fs.StringVar(&r.Optimizer, n, r.Optimizer, "sgd (with -momentum), adam, adamw or rmsprop")
	}, func(d *graph.Recipe, s graph.Recipe) { d.Optimizer = s.Optimizer }},
	{"momentum", "momentum", func(fs *flag.FlagSet, r *graph.Recipe, n string) {
		fs.Float64Var(&r.Momentum, n, r.Momentum, "momentum of sgd and rmsprop")
	}, func(d *graph.Recipe, s graph.Recipe) { d.Momentum = s.Momentum }},
	{"weight_decay", "wd", func(fs *flag.FlagSet, r *graph.Recipe, n string) {
		fs.Float64Var(&r.WeightDecay, n, r.WeightDecay, "weight decay (L2 on weights, not biases; decoupled for adamw)")
	}, func(d *graph.Recipe, s graph.Recipe) { d.WeightDecay = s.WeightDecay }},
	{"schedule", "schedule", func(fs *flag.FlagSet, r *graph.Recipe, n string) {
		fs.StringVar(&r.Schedule, n, r.Schedule, "learning-rate schedule: constant, step, exp, cosine or plateau (default: step when -decay-every is set, else constant)")
	}, func(d *graph.Recipe, s graph.Recipe) { d.Schedule = s.Schedule }},
	{"decay_every", "decay-every", func(fs *flag.FlagSet, r *graph.Recipe, n string) {
		fs.IntVar(&r.DecayEvery, n, r.DecayEvery, "step schedule: multiply the rate by -decay-factor every this many epochs (plateau: the patience; 0: never)")
	}, func(d *graph.Recipe, s graph.Recipe) { d.DecayEvery = s.DecayEvery }},
	{"decay_factor", "decay-factor", func(fs *flag.FlagSet, r *graph.Recipe, n string) {
		fs.Float64Var(&r.DecayFactor, n, r.DecayFactor, "factor of the step, exp and plateau schedules")
	}, func(d *graph.Recipe, s graph.Recipe) { d.DecayFactor = s.DecayFactor }},
	{"warmup", "warmup", func(fs *flag.FlagSet, r *graph.Recipe, n string) {
		fs.IntVar(&r.Warmup, n, r.Warmup, "cosine schedule: steps of linear warm-up")
	}, func(d *graph.Recipe, s graph.Recipe) { d.Warmup = s.Warmup }},
	{"min_lr", "min-lr", func(fs *flag.FlagSet, r *graph.Recipe, n string) {
		fs.Float64Var(&r.MinLR, n, r.MinLR, "cosine schedule: the rate it ends at")
	}, func(d *graph.Recipe, s graph.Recipe) { d.MinLR = s.MinLR }},
	{"clip_norm", "clip", func(fs *flag.FlagSet, r *graph.Recipe, n string) {
		fs.Float64Var(&r.ClipNorm, n, r.ClipNorm, "clip the gradients' global norm to this (0: no clipping)")
	}, func(d *graph.Recipe, s graph.Recipe) { d.ClipNorm = s.ClipNorm }},
	{"patience", "patience", func(fs *flag.FlagSet, r *graph.Recipe, n string) {
		fs.IntVar(&r.Patience, n, r.Patience, "stop after this many epochs without a better validation loss, keeping the best weights (0: never)")
	}, func(d *graph.Recipe, s graph.Recipe) { d.Patience = s.Patience }},
	{"seed", "seed", func(fs *flag.FlagSet, r *graph.Recipe, n string) {
		fs.Uint64Var(&r.Seed, n, r.Seed, "seed of the initial weights, the dropout masks and the order of examples")
	}, func(d *graph.Recipe, s graph.Recipe) { d.Seed = s.Seed }},
}

// RecipeFlags registers a flag for every field of the recipe on fs, with
// r's values as defaults.
func RecipeFlags(fs *flag.FlagSet, r *graph.Recipe) {
	for _, f := range recipeFlags {
		f.add(fs, r, f.flag)
	}
}

// CheckRecipe checks a recipe made from flags and names the flag at fault
// in a usage error.
func CheckRecipe(r graph.Recipe) error {
	err := r.Check()
	var re *graph.RecipeError
	if !errors.As(err, &re) {
		return err
	}
	for _, f := range recipeFlags {
		if f.field == re.Field {
			return cli.Usagef("-%s: %v", f.flag, re.Err)
		}
	}
	return cli.UsageError{Err: err}
}

// overrideRecipe copies into r the recipe fields whose flags were given.
func overrideRecipe(r *graph.Recipe, given graph.Recipe, set map[string]bool) {
	for _, f := range recipeFlags {
		if set[f.flag] {
			f.copy(r, given)
		}
	}
}
