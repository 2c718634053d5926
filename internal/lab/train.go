package lab

import (
	"math"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pkg/errors"

	"github.com/featlearn/featlearn/graph"
	"github.com/featlearn/featlearn/models/lenet"
	"github.com/featlearn/featlearn/models/mlp"
)

// The Train tab trains the lab's own LeNet-5 or MLP on the server, one
// run at a time, at full speed: graph.Fit with an OnStep hook that blocks
// while the run is paused, returns graph.ErrStop for a reset and
// errRestart for a new batch size (Fit's batch size is fixed for a call,
// so the epoch starts over at the current weights); the learning rate
// comes from a schedule that reads the live setting, and momentum and
// weight decay are SGD fields set between steps by the loop itself.

// errRestart stops Fit so that the loop restarts it with a new batch size.
var errRestart = errors.New("restart with a new batch size")

// Bounds on what a page may ask of a run.
const (
	maxEpochs = 100
	maxBatch  = 1024
	maxLR     = 10
)

// settings are the knobs of a run that may change while it trains.
type settings struct {
	LR          float64 `json:"lr"`
	Momentum    float64 `json:"momentum"`
	Batch       int     `json:"batch"`
	WeightDecay float64 `json:"weight_decay"`
}

// defaultSettings are LeNet-5's recipe without its schedule.
func defaultSettings() settings {
	r := lenet.DefaultRecipe()
	return settings{LR: r.LR, Momentum: r.Momentum, Batch: r.Batch, WeightDecay: r.WeightDecay}
}

// settingsPatch is a request to change settings; absent fields stay.
type settingsPatch struct {
	LR          *float64 `json:"lr"`
	Momentum    *float64 `json:"momentum"`
	Batch       *int     `json:"batch"`
	WeightDecay *float64 `json:"weight_decay"`
}

// apply returns s changed by p, or a 400 error naming a bad field.
func (p settingsPatch) apply(s settings) (settings, error) {
	if p.LR != nil {
		if err := checkRange("lr", *p.LR, 0, maxLR, true); err != nil {
			return s, err
		}
		s.LR = *p.LR
	}
	if p.Momentum != nil {
		if err := checkRange("momentum", *p.Momentum, 0, 0.999, false); err != nil {
			return s, err
		}
		s.Momentum = *p.Momentum
	}
	if p.WeightDecay != nil {
		if err := checkRange("weight_decay", *p.WeightDecay, 0, 0.1, false); err != nil {
			return s, err
		}
		s.WeightDecay = *p.WeightDecay
	}
	if p.Batch != nil {
		if *p.Batch < 1 || *p.Batch > maxBatch {
			return s, badRequest("batch %d: want 1..%d", *p.Batch, maxBatch)
		}
		s.Batch = *p.Batch
	}
	return s, nil
}

// startRequest starts a run.
type startRequest struct {
	Model  string `json:"model"`
	Epochs int    `json:"epochs"`
	// Limit trains on the first Limit training images (0: all 55,000).
	Limit int `json:"limit"`
	settingsPatch
}

// trainee is one of the lab's trainable models with its optimizer.
type trainee struct {
	kind    string
	model   *graph.Model
	opt     *graph.SGD
	trainer *graph.Trainer
	epochs  int  // epochs completed, over every run
	dirty   bool // trained since the last save
}

// newTrainee builds an untrained model of a kind with a fresh optimizer.
func newTrainee(kind string, s settings) (*trainee, error) {
	m, err := build(kind, 1)
	if err != nil {
		return nil, err
	}
	opt := &graph.SGD{LR: s.LR, Momentum: s.Momentum, WeightDecay: s.WeightDecay}
	tr, err := graph.NewTrainer(m, graph.CrossEntropy{}, opt)
	if err != nil {
		return nil, err
	}
	return &trainee{kind: kind, model: m, opt: opt, trainer: tr}, nil
}

// meta describes the trainee in a checkpoint, so lenet.Load and mlp.Load
// (and `lenet eval`, `lenet predict`) read it.
func (t *trainee) meta() graph.CheckpointMeta {
	meta := graph.CheckpointMeta{Model: lenet.Name, Config: lenet.Arch, Epoch: t.epochs, Step: t.trainer.Steps(), Seed: 1}
	if t.kind == "mlp" {
		meta.Model, meta.Config = mlp.Name, mlp.DefaultArch().String()
	}
	return meta
}

// jobState is what the page shows of the training job.
type jobState struct {
	Status   string   `json:"status"` // idle, running, paused, finished, stopped, failed
	Model    string   `json:"model"`
	Epoch    int      `json:"epoch"`  // epochs the model has completed
	Target   int      `json:"target"` // the epoch the run ends after
	Batch    int      `json:"batch"`  // batches done in the epoch in progress
	Batches  int      `json:"batches"`
	Step     int      `json:"step"`
	Images   int      `json:"images"` // training images per epoch
	Settings settings `json:"settings"`
	Error    string   `json:"error,omitempty"`
	Saved    string   `json:"saved,omitempty"` // the last checkpoint written
	Rate     float64  `json:"rate"`            // steps per second
}

// epochPoint is one epoch of the run's chart.
type epochPoint struct {
	Epoch     int     `json:"epoch"`
	Step      int     `json:"step"`
	TrainLoss float64 `json:"train_loss"`
	TrainAcc  float64 `json:"train_acc"`
	ValLoss   float64 `json:"val_loss"`
	ValAcc    float64 `json:"val_acc"`
	Seconds   float64 `json:"seconds"`
}

// job is the lab's one training job and its event stream.
type job struct {
	s   *Server
	hub *hub

	mu       sync.Mutex
	running  bool // a loop goroutine owns the trainee of st.Model
	st       jobState
	trainees map[string]*trainee
	points   [][3]float64 // step, loss, accuracy of every step (thinned past maxPoints)
	pending  [][3]float64 // points not yet published
	epochs   []epochPoint
	latest   map[string]event // the last filters, samples, preds, confusion

	lr     atomic.Uint64 // math.Float64bits of the live learning rate
	paused atomic.Bool
	stop   atomic.Bool
	wake   chan struct{}
	reqs   chan func()
	done   chan struct{} // closed when the loop goroutine ends
}

// maxPoints is the most step points kept for a page that connects late;
// beyond it every other one is dropped.
const maxPoints = 20000

// newJob returns the idle job with its trainees, each restored from the
// lab's own checkpoint under -out when there is one.
func newJob(s *Server) (*job, error) {
	j := &job{s: s, trainees: map[string]*trainee{}, latest: map[string]event{},
		wake: make(chan struct{}, 1), reqs: make(chan func(), 4)}
	j.st = jobState{Status: "idle", Model: "lenet", Settings: defaultSettings()}
	j.hub = newHub(j.snapshot)
	for _, kind := range []string{"lenet", "mlp"} {
		t, err := newTrainee(kind, j.st.Settings)
		if err != nil {
			return nil, err
		}
		j.trainees[kind] = t
		if path := j.ckptPath(kind); path != "" {
			if _, err := os.Stat(path); err == nil {
				meta, err := graph.LoadCheckpoint(path, t.model, t.opt)
				if err != nil {
					s.logf("not restoring %s: %v", path, err)
					continue
				}
				t.epochs = meta.Epoch
				t.trainer.SetSteps(meta.Step)
				j.publishWeights(t, "restored from "+path+": "+statusOf(meta))
			}
		}
	}
	return j, nil
}

// ckptPath is where the lab keeps a trainee's checkpoint ("" without -out).
func (j *job) ckptPath(kind string) string {
	if j.s.cfg.Out == "" {
		return ""
	}
	return graph.CheckpointPath(filepath.Join(j.s.cfg.Out, "lab", kind))
}

// snapshot returns the events that bring a new page up to date.
func (j *job) snapshot() []event {
	j.mu.Lock()
	defer j.mu.Unlock()
	evs := []event{newEvent("state", j.st), newEvent("history", map[string]any{"points": j.points, "epochs": j.epochs})}
	for _, name := range []string{"samples", "filters", "preds", "confusion"} {
		if ev, ok := j.latest[name]; ok {
			evs = append(evs, ev)
		}
	}
	return evs
}

// state returns a copy of the job's state.
func (j *job) state() jobState {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.st
}

// publishState sends the job's state to every page.
func (j *job) publishState() { j.hub.publish(newEvent("state", j.state())) }

// keep records an event as the latest of its kind and publishes it.
func (j *job) keep(ev event) {
	j.mu.Lock()
	j.latest[ev.name] = ev
	j.mu.Unlock()
	j.hub.publish(ev)
}

// handleStart answers POST /api/train/start: 409 while a run goes on.
func (j *job) handleStart(w http.ResponseWriter, r *http.Request) error {
	var req startRequest
	if err := readJSON(r, &req); err != nil {
		return err
	}
	if req.Model == "" {
		req.Model = "lenet"
	}
	if req.Epochs == 0 {
		req.Epochs = 1
	}
	switch {
	case req.Model != "lenet" && req.Model != "mlp":
		return badRequest("model %q: the lab trains lenet or mlp", req.Model)
	case req.Epochs < 1 || req.Epochs > maxEpochs:
		return badRequest("epochs %d: want 1..%d", req.Epochs, maxEpochs)
	case req.Limit < 0 || req.Limit > 60000 || req.Limit > 0 && req.Limit < 100:
		return badRequest("limit %d: want 100..55000 training images, or 0 for all", req.Limit)
	}
	j.mu.Lock()
	if j.running {
		st := j.st
		j.mu.Unlock()
		return conflict("a training run is going on (%s, %s, step %d): pause, reset or wait for it", st.Model, st.Status, st.Step)
	}
	set, err := req.settingsPatch.apply(j.st.Settings)
	if err != nil {
		j.mu.Unlock()
		return err
	}
	j.mu.Unlock()
	train, val, err := j.s.data()
	if err != nil {
		return unavailable("MNIST: %v", err)
	}
	if req.Limit > 0 && req.Limit < train.N {
		train = train.First(req.Limit)
	}
	j.mu.Lock()
	if j.running { // another start won the race while MNIST loaded
		j.mu.Unlock()
		return conflict("a training run is going on: pause, reset or wait for it")
	}
	t := j.trainees[req.Model]
	if j.st.Model != req.Model {
		j.points, j.epochs = nil, nil
		j.pending = nil
		delete(j.latest, "preds")
		delete(j.latest, "confusion")
		delete(j.latest, "filters")
	}
	j.running = true
	j.paused.Store(false)
	j.stop.Store(false)
	j.done = make(chan struct{})
	j.setLR(set.LR)
	j.st = jobState{Status: "running", Model: req.Model, Epoch: t.epochs, Target: t.epochs + req.Epochs, Step: t.trainer.Steps(),
		Images: train.N, Settings: set}
	st := j.st
	j.mu.Unlock()
	j.hub.publish(newEvent("history", map[string]any{"points": j.copyPoints(), "epochs": j.copyEpochs()}))
	go j.loop(t, train, val, req.Epochs)
	writeJSON(w, http.StatusOK, st)
	return nil
}

// copyPoints returns the step points so far.
func (j *job) copyPoints() [][3]float64 {
	j.mu.Lock()
	defer j.mu.Unlock()
	return append([][3]float64(nil), j.points...)
}

// copyEpochs returns the epoch points so far.
func (j *job) copyEpochs() []epochPoint {
	j.mu.Lock()
	defer j.mu.Unlock()
	return append([]epochPoint(nil), j.epochs...)
}

// setLR sets the live learning rate.
func (j *job) setLR(lr float64) { j.lr.Store(math.Float64bits(lr)) }

// handleSettings answers POST /api/train/settings: the new settings take
// effect at the next step of a run, or at the next start.
func (j *job) handleSettings(w http.ResponseWriter, r *http.Request) error {
	var p settingsPatch
	if err := readJSON(r, &p); err != nil {
		return err
	}
	j.mu.Lock()
	set, err := p.apply(j.st.Settings)
	if err == nil {
		j.st.Settings = set
		j.setLR(set.LR)
	}
	st := j.st
	j.mu.Unlock()
	if err != nil {
		return err
	}
	j.hub.publish(newEvent("state", st))
	writeJSON(w, http.StatusOK, st)
	return nil
}

// handlePause answers POST /api/train/pause and /api/train/resume.
func (j *job) handlePause(pause bool) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		j.mu.Lock()
		if !j.running {
			j.mu.Unlock()
			return conflict("no training run to %s: start one", map[bool]string{true: "pause", false: "resume"}[pause])
		}
		j.paused.Store(pause)
		j.st.Status = map[bool]string{true: "paused", false: "running"}[pause]
		st := j.st
		j.mu.Unlock()
		if !pause {
			j.poke()
		}
		j.hub.publish(newEvent("state", st))
		writeJSON(w, http.StatusOK, st)
		return nil
	}
}

// poke wakes a paused loop.
func (j *job) poke() {
	select {
	case j.wake <- struct{}{}:
	default:
	}
}

// halt stops a run, if any, and waits for its loop to end.
func (j *job) halt(timeout time.Duration) error {
	j.mu.Lock()
	running, done := j.running, j.done
	j.mu.Unlock()
	if !running {
		return nil
	}
	j.stop.Store(true)
	j.poke()
	select {
	case <-done:
		return nil
	case <-time.After(timeout):
		return errors.Errorf("training did not stop within %v", timeout)
	}
}

// handleReset answers POST /api/train/reset: it stops the run and puts
// the model back to its initial weights.
func (j *job) handleReset(w http.ResponseWriter, r *http.Request) error {
	if err := j.halt(time.Minute); err != nil {
		return err
	}
	j.mu.Lock()
	kind := j.st.Model
	if m := r.URL.Query().Get("model"); m == "lenet" || m == "mlp" {
		kind = m
	}
	if j.running {
		j.mu.Unlock()
		return conflict("a training run started meanwhile")
	}
	t, err := newTrainee(kind, j.st.Settings)
	if err != nil {
		j.mu.Unlock()
		return err
	}
	j.trainees[kind] = t
	j.points, j.pending, j.epochs = nil, nil, nil
	j.latest = map[string]event{}
	j.st = jobState{Status: "idle", Model: kind, Settings: j.st.Settings}
	st := j.st
	j.mu.Unlock()
	j.publishWeights(t, "untrained")
	j.s.cat.own[kind].setStatus("untrained", false)
	j.hub.publish(newEvent("history", map[string]any{"points": [][3]float64{}, "epochs": []epochPoint{}}))
	j.hub.publish(newEvent("state", st))
	writeJSON(w, http.StatusOK, st)
	return nil
}

// handleSave answers POST /api/train/save: it writes the model's
// checkpoint under -out/lab/MODEL, between two steps of a run.
func (j *job) handleSave(w http.ResponseWriter, r *http.Request) error {
	path, err := j.save(time.Minute)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]string{"saved": path})
	return nil
}

// save writes the current model's checkpoint, asking the loop to do it
// when a run owns the model.
func (j *job) save(timeout time.Duration) (string, error) {
	j.mu.Lock()
	kind := j.st.Model
	path := j.ckptPath(kind)
	if path == "" {
		j.mu.Unlock()
		return "", badRequest("the lab was started without -out: nowhere to save")
	}
	if !j.running {
		defer j.mu.Unlock()
		return path, j.saveTrainee(j.trainees[kind], path)
	}
	done := j.done
	j.mu.Unlock()
	reply := make(chan error, 1)
	select {
	case j.reqs <- func() { reply <- j.saveTrainee(j.trainees[kind], path) }:
	case <-done:
		return j.save(timeout) // the run ended meanwhile
	case <-time.After(timeout):
		return "", unavailable("training is busy: try again")
	}
	j.poke()
	select {
	case err := <-reply:
		return path, err
	case <-done:
		select {
		case err := <-reply:
			return path, err
		default:
			return j.save(timeout)
		}
	case <-time.After(timeout):
		return "", unavailable("the save did not finish within %v", timeout)
	}
}

// saveTrainee writes a trainee's checkpoint and records it in the state.
// It runs where nothing else uses the trainee: on the loop goroutine, or
// under the job's lock while no run goes on.
func (j *job) saveTrainee(t *trainee, path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return errors.Wrap(err, "save checkpoint")
	}
	if err := graph.SaveCheckpoint(path, t.model, t.opt, t.meta()); err != nil {
		return err
	}
	t.dirty = false
	j.s.logf("saved %s (%s)", path, statusOf(t.meta()))
	go func() {
		j.mu.Lock()
		j.st.Saved = path
		j.mu.Unlock()
		j.publishState()
	}()
	return nil
}

// shutdown stops a run and saves every model trained since its last save.
func (j *job) shutdown(timeout time.Duration) error {
	err := j.halt(timeout)
	j.mu.Lock()
	defer j.mu.Unlock()
	for kind, t := range j.trainees {
		if path := j.ckptPath(kind); t.dirty && path != "" && !j.running {
			if serr := j.saveTrainee(t, path); serr != nil && err == nil {
				err = serr
			}
		}
	}
	return err
}
