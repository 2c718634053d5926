package lab

import (
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/pkg/errors"

	"github.com/featlearn/featlearn/graph"
	"github.com/featlearn/featlearn/models/lenet"
	"github.com/featlearn/featlearn/models/mlp"
	"github.com/featlearn/featlearn/models/resnet"
	"github.com/featlearn/featlearn/models/templates"
)

// ckptPrefix starts the id of a model read from a checkpoint under -out:
// "ckpt:lenet/checkpoint.safetensors".
const ckptPrefix = "ckpt:"

// Limits on what the lab reads from -out.
const (
	maxCheckpoints = 200 // files listed
	maxWalkDepth   = 6   // folders below -out
	maxCached      = 8   // checkpoint models kept in memory
)

// Threshold is the ink level from which the template learner sees a pixel
// as on, as `templates` trains it.
const Threshold = 128

// modelInfo describes a model of the Draw tab to the page.
type modelInfo struct {
	ID    string `json:"id"`
	Title string `json:"title"`
	Kind  string `json:"kind"` // lenet, mlp, resnet, templates, or checkpoint in a list
	// Trainable says the Train tab can train it (the lab's own models).
	Trainable bool   `json:"trainable"`
	Status    string `json:"status"` // what the weights are, for people
	Trained   bool   `json:"trained"`
}

// entry is a model the Draw tab can use. Its mutex guards the model and
// the info: a graph.Model's programs share tensors, so predictions take
// turns.
type entry struct {
	modelInfo

	mu     sync.Mutex
	model  *graph.Model
	binary bool // binarise the input at Threshold (templates)
	mod    time.Time
	size   int64
	used   time.Time
}

// info returns the model's description, read under its lock.
func (e *entry) info() modelInfo {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.modelInfo
}

// setStatus records what the weights are now.
func (e *entry) setStatus(status string, trained bool) {
	e.mu.Lock()
	e.Status, e.Trained = status, trained
	e.mu.Unlock()
}

// catalogue holds the lab's own models and the checkpoints under -out.
type catalogue struct {
	out string // the -out folder

	mu    sync.Mutex
	own   map[string]*entry // lenet, mlp, templates
	ckpts map[string]*entry // by relative path
}

// kinds describes the lab's own models, in the order the page lists them.
var kinds = []struct{ id, title string }{
	{"lenet", "LeNet-5"},
	{"mlp", "MLP 784-300-100-10"},
	{"templates", "Hinton's templates"},
}

// newCatalogue builds the lab's own models, untrained.
func newCatalogue(out string) (*catalogue, error) {
	c := &catalogue{out: out, own: map[string]*entry{}, ckpts: map[string]*entry{}}
	for _, k := range kinds {
		m, err := build(k.id, 1)
		if err != nil {
			return nil, err
		}
		c.own[k.id] = &entry{modelInfo: modelInfo{ID: k.id, Title: k.title, Kind: k.id, Trainable: k.id != "templates",
			Status: "untrained"}, model: m, binary: k.id == "templates"}
	}
	return c, nil
}

// build returns an untrained model of a kind.
func build(kind string, seed uint64) (*graph.Model, error) {
	switch kind {
	case "lenet":
		return lenet.New(seed)
	case "mlp":
		return mlp.New(seed)
	case "templates":
		return templates.New(28 * 28)
	}
	return nil, errors.Errorf("no model kind %q", kind)
}

// list returns the lab's models and then every checkpoint under -out.
func (c *catalogue) list() ([]modelInfo, error) {
	var out []modelInfo
	for _, k := range kinds {
		out = append(out, c.own[k.id].info())
	}
	files, err := c.files()
	if err != nil {
		return out, err
	}
	for _, f := range files {
		out = append(out, modelInfo{ID: ckptPrefix + f, Title: f, Kind: "checkpoint", Status: "checkpoint under -out", Trained: true})
	}
	return out, nil
}

// files lists the .safetensors files under -out, relative to it, sorted;
// it follows no symbolic links and stops at maxCheckpoints.
func (c *catalogue) files() ([]string, error) {
	if c.out == "" {
		return nil, nil
	}
	var files []string
	err := filepath.WalkDir(c.out, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if path == c.out && errors.Is(err, fs.ErrNotExist) {
				return fs.SkipAll
			}
			return nil // an unreadable folder is skipped, not fatal
		}
		rel, _ := filepath.Rel(c.out, path)
		if d.IsDir() {
			if rel != "." && (strings.Count(rel, string(filepath.Separator)) >= maxWalkDepth || strings.HasPrefix(d.Name(), ".")) {
				return fs.SkipDir
			}
			return nil
		}
		if d.Type().IsRegular() && strings.HasSuffix(d.Name(), ".safetensors") {
			files = append(files, filepath.ToSlash(rel))
			if len(files) >= maxCheckpoints {
				return fs.SkipAll
			}
		}
		return nil
	})
	slices.Sort(files)
	return files, errors.Wrap(err, "listing checkpoints")
}

// resolve turns a path relative to -out, as the page gives it, into a
// file path, refusing anything that is not a .safetensors file inside
// -out: absolute paths, "..", and symbolic links that lead outside.
func (c *catalogue) resolve(rel string) (string, error) {
	if c.out == "" {
		return "", notFound("no -out folder: no checkpoints")
	}
	native := filepath.FromSlash(rel)
	if rel == "" || !filepath.IsLocal(native) || strings.Contains(rel, "\\") {
		return "", badRequest("checkpoint %q: want a path inside the -out folder", rel)
	}
	if !strings.HasSuffix(rel, ".safetensors") {
		return "", badRequest("checkpoint %q: want a .safetensors file", rel)
	}
	root, err := filepath.EvalSymlinks(c.out)
	if err != nil {
		return "", notFound("no -out folder %s", c.out)
	}
	path, err := filepath.EvalSymlinks(filepath.Join(c.out, native))
	if err != nil {
		return "", notFound("no checkpoint %s under -out", rel)
	}
	inside, err := filepath.Rel(root, path)
	if err != nil || !filepath.IsLocal(inside) {
		return "", badRequest("checkpoint %q leads outside the -out folder", rel)
	}
	st, err := os.Stat(path)
	if err != nil || !st.Mode().IsRegular() {
		return "", notFound("no checkpoint %s under -out", rel)
	}
	return path, nil
}

// get returns the model with an id: one of the lab's own, or a checkpoint
// under -out, loaded on first use and again whenever the file changes.
func (c *catalogue) get(id string) (*entry, error) {
	if e, ok := c.own[id]; ok {
		return e, nil
	}
	rel, ok := strings.CutPrefix(id, ckptPrefix)
	if !ok {
		return nil, notFound("no model %q: want lenet, mlp, templates or %sPATH", id, ckptPrefix)
	}
	path, err := c.resolve(rel)
	if err != nil {
		return nil, err
	}
	st, err := os.Stat(path)
	if err != nil {
		return nil, notFound("no checkpoint %s under -out", rel)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.ckpts[rel]; ok && e.mod.Equal(st.ModTime()) && e.size == st.Size() {
		e.used = time.Now()
		return e, nil
	}
	m, meta, err := loadCheckpoint(path)
	if err != nil {
		return nil, badRequest("checkpoint %s: %v", rel, err)
	}
	e := &entry{modelInfo: modelInfo{ID: id, Title: rel, Kind: meta.Model, Trained: true, Status: statusOf(meta)},
		model: m, mod: st.ModTime(), size: st.Size(), used: time.Now()}
	c.ckpts[rel] = e
	c.evict()
	return e, nil
}

// evict forgets the least recently used checkpoint models beyond maxCached.
func (c *catalogue) evict() {
	for len(c.ckpts) > maxCached {
		var oldest string
		for k, e := range c.ckpts {
			if oldest == "" || e.used.Before(c.ckpts[oldest].used) {
				oldest = k
			}
		}
		delete(c.ckpts, oldest)
	}
}

// loadCheckpoint reads a checkpoint of any model family featlearn's
// binaries write.
func loadCheckpoint(path string) (*graph.Model, graph.CheckpointMeta, error) {
	meta, err := graph.ReadCheckpointMeta(path)
	if err != nil {
		return nil, meta, err
	}
	switch meta.Model {
	case lenet.Name:
		return lenet.Load(path)
	case mlp.Name:
		return mlp.Load(path)
	case resnet.Name:
		return resnet.Load(path)
	}
	return nil, meta, errors.Errorf("holds a %q model; the lab draws with lenet, mlp and resnet checkpoints", meta.Model)
}

// statusOf describes a checkpoint's training.
func statusOf(meta graph.CheckpointMeta) string {
	return meta.Model + ", " + plural(meta.Epoch, "epoch") + ", " + plural(meta.Step, "step")
}
