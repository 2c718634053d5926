package lab

import (
	"fmt"
	"math"
	"time"

	"github.com/pkg/errors"

	"github.com/featlearn/featlearn/datasets"
	"github.com/featlearn/featlearn/graph"
	"github.com/featlearn/featlearn/viz"
)

// Cadences of a run's events.
const (
	flushEvery   = 100 * time.Millisecond // step points: 10 updates a second
	observeEvery = 700 * time.Millisecond // filters, test predictions, live confusion
	liveValN     = 1000                   // validation images of the live confusion matrix
	sampleCount  = 24                     // test images in the prediction grid
)

// liveLR is the schedule of a lab run: the learning rate the page set last.
type liveLR struct{ j *job }

// LR returns the live learning rate.
func (l liveLR) LR(float64, graph.Progress) float64 { return math.Float64frombits(l.j.lr.Load()) }

// EpochEnd does nothing.
func (liveLR) EpochEnd(graph.EpochInfo) error { return nil }

// State returns no state: the rate lives in the page's settings.
func (liveLR) State() map[string]float64 { return nil }

// SetState accepts any state.
func (liveLR) SetState(map[string]float64) error { return nil }

// loop trains t for epochs epochs on train, restarting Fit whenever the
// batch size changes, until the epochs are done or the run is stopped;
// then it saves a finished run's checkpoint and gives the trainee back.
func (j *job) loop(t *trainee, train, val *datasets.Set, epochs int) {
	obs := make(chan struct{}, 1)
	quit := make(chan struct{})
	observed := make(chan struct{})
	go j.flusher(quit)
	go j.observer(t.kind, val, obs, quit, observed)
	j.samples()
	status, err := j.fit(t, train, val, epochs, obs)
	if err != nil {
		j.s.logf("training %s: %v", t.kind, err)
	}
	if path := j.ckptPath(t.kind); status == "finished" && path != "" {
		if err := j.saveTrainee(t, path); err != nil {
			j.s.logf("%v", err)
		}
	}
	j.publishWeights(t, fmt.Sprintf("%s, %s trained", plural(t.epochs, "epoch"), plural(t.trainer.Steps(), "step")))
	close(quit)
	<-observed // the last pictures show the last weights
	j.mu.Lock()
	j.running = false
	j.st.Status = status
	if err != nil {
		j.st.Error = err.Error()
	}
	done, st := j.done, j.st
	j.mu.Unlock()
	// The run's last state goes out before done is closed: a reset waits on
	// done, so its idle state can never be overtaken by this one.
	j.hub.publish(newEvent("state", st))
	close(done)
}

// fit runs Fit until the epochs are done, the run is stopped or fails,
// and returns the run's end: finished, stopped or failed.
func (j *job) fit(t *trainee, train, val *datasets.Set, epochs int, obs chan struct{}) (status string, err error) {
	defer func() {
		if p := recover(); p != nil { // a bug must fail the run, not take the lab down
			status, err = "failed", errors.Errorf("internal error: %v", p)
		}
	}()
	remaining, restarts := epochs, 0
	data := graph.ImageData(train)
	var lastObs time.Time
	for remaining > 0 {
		set := j.state().Settings
		t.opt.Momentum, t.opt.WeightDecay = set.Momentum, set.WeightDecay
		start, startStep := time.Now(), t.trainer.Steps()
		cfg := graph.FitConfig{Epochs: remaining, BatchSize: set.Batch, Seed: uint64(1 + restarts), Schedule: liveLR{j},
			OnStep: func(si graph.StepInfo) error {
				if time.Since(lastObs) >= observeEvery {
					lastObs = time.Now()
					j.publishWeights(t, fmt.Sprintf("training: epoch %d, step %d", t.epochs+1, si.Step))
					nudge(obs)
				}
				return j.onStep(t, si, set.Batch, float64(si.Step-startStep)/time.Since(start).Seconds())
			},
			OnEpoch: func(e graph.EpochInfo) error {
				remaining--
				return j.endEpoch(t, e, val)
			}}
		_, err = t.trainer.Fit(data, cfg)
		switch {
		case errors.Is(err, errRestart):
			restarts++
		case err != nil:
			return "failed", err
		case j.stop.Load():
			return "stopped", nil
		}
	}
	return "finished", nil
}

// nudge signals a channel of one without waiting.
func nudge(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

// onStep records a step, applies the page's settings, serves requests
// that need the model (saves) and blocks while the run is paused.
func (j *job) onStep(t *trainee, si graph.StepInfo, batch int, rate float64) error {
	t.dirty = true
	j.mu.Lock()
	p := [3]float64{float64(si.Step), si.Loss, float64(si.Correct) / float64(max(si.N, 1))}
	j.points = append(j.points, p)
	if len(j.points) > maxPoints {
		thinned := j.points[:0]
		for i := 0; i < len(j.points); i += 2 {
			thinned = append(thinned, j.points[i])
		}
		j.points = thinned
	}
	j.pending = append(j.pending, p)
	j.st.Step, j.st.Batch, j.st.Batches, j.st.Rate = si.Step, si.Batch, si.Batches, rate
	set := j.st.Settings
	j.mu.Unlock()
	t.opt.Momentum, t.opt.WeightDecay = set.Momentum, set.WeightDecay
	for {
		select {
		case f := <-j.reqs:
			f()
			continue
		default:
		}
		if j.stop.Load() {
			return graph.ErrStop
		}
		if j.state().Settings.Batch != batch {
			return errRestart
		}
		if !j.paused.Load() {
			return nil
		}
		j.publishWeights(t, fmt.Sprintf("paused: epoch %d, step %d", t.epochs+1, si.Step))
		select {
		case f := <-j.reqs:
			f()
		case <-j.wake:
		}
	}
}

// endEpoch validates the finished epoch and publishes its point and its
// confusion matrix.
func (j *job) endEpoch(t *trainee, e graph.EpochInfo, val *datasets.Set) error {
	t.epochs++
	ev, err := graph.Evaluate(t.model, graph.CrossEntropy{}, graph.ImageData(val), 500)
	if err != nil {
		return err
	}
	pt := epochPoint{Epoch: t.epochs, Step: e.Steps, TrainLoss: e.TrainLoss, TrainAcc: e.TrainAccuracy,
		ValLoss: ev.Loss, ValAcc: ev.Accuracy, Seconds: e.Seconds}
	j.mu.Lock()
	j.epochs = append(j.epochs, pt)
	j.st.Epoch = t.epochs
	j.mu.Unlock()
	j.hub.publish(newEvent("epoch", pt))
	j.publishState()
	if c, err := confusionPicture(ev, fmt.Sprintf("validation, epoch %d (%d images)", t.epochs, ev.N)); err == nil {
		j.keep(c)
	}
	j.publishWeights(t, fmt.Sprintf("%s, validation accuracy %.2f %%", plural(t.epochs, "epoch"), 100*ev.Accuracy))
	return nil
}

// publishWeights copies the trainee's weights into the Draw tab's model,
// which predicts while the trainee trains.
func (j *job) publishWeights(t *trainee, status string) {
	e := j.s.cat.own[t.kind]
	e.mu.Lock()
	defer e.mu.Unlock()
	dst := append(append([]*graph.Param(nil), e.model.Params()...), e.model.Buffers()...)
	src := append(append([]*graph.Param(nil), t.model.Params()...), t.model.Buffers()...)
	for i, p := range src {
		if err := dst[i].Set(p.Float64s()); err != nil {
			j.s.logf("publishing weights: %v", err)
			return
		}
	}
	e.Status, e.Trained = status, t.trainer.Steps() > 0
}

// flusher publishes the new step points ten times a second and the state
// twice a second, until quit closes.
func (j *job) flusher(quit chan struct{}) {
	tick := time.NewTicker(flushEvery)
	defer tick.Stop()
	n := 0
	for {
		select {
		case <-quit:
			j.flush()
			return
		case <-tick.C:
			j.flush()
			if n++; n%5 == 0 {
				j.publishState()
			}
		}
	}
}

// flush publishes the pending step points.
func (j *job) flush() {
	j.mu.Lock()
	pts := j.pending
	j.pending = nil
	j.mu.Unlock()
	if len(pts) > 0 {
		j.hub.publish(newEvent("steps", map[string]any{"points": pts}))
	}
}

// observer draws, whenever nudged and once more when the run ends, the
// Draw tab's copy of the model: its filters, its predictions for the
// sample test images and its confusion matrix on the first liveValN
// validation images. It runs beside training, on the copy, so training
// never waits for pictures.
func (j *job) observer(kind string, val *datasets.Set, nudged, quit chan struct{}, done chan struct{}) {
	defer close(done)
	sub := val.First(min(liveValN, val.N))
	for {
		select {
		case <-quit:
			j.observe(kind, sub)
			return
		case <-nudged:
			j.observe(kind, sub)
		}
	}
}

// observe draws and publishes the Draw tab's copy of the model once.
func (j *job) observe(kind string, sub *datasets.Set) {
	defer func() {
		if p := recover(); p != nil {
			j.s.logf("drawing %s: internal error: %v", kind, p)
		}
	}()
	e := j.s.cat.own[kind]
	test, err := j.s.testSet()
	e.mu.Lock()
	f, ferr := filterPicture(e.model, kind)
	ev, eerr := graph.Evaluate(e.model, graph.CrossEntropy{}, graph.ImageData(sub), 500)
	var preds []samplePred
	if err == nil {
		preds, err = predictSamples(e.model, test)
	}
	e.mu.Unlock()
	step := j.state().Step
	if ferr == nil {
		j.keep(newEvent("filters", map[string]any{"step": step, "picture": f}))
	}
	if eerr == nil {
		if c, err := confusionPicture(ev, fmt.Sprintf("validation, first %d images, step %d", ev.N, step)); err == nil {
			j.keep(c)
		}
	}
	if err == nil {
		j.keep(newEvent("preds", map[string]any{"step": step, "preds": preds}))
	}
}

// samplePred is the model's guess for one sample test image.
type samplePred struct {
	Label int     `json:"label"`
	Top   []guess `json:"top"`
	Right bool    `json:"right"`
}

// sampleIndex returns the test images of the prediction grid: spread over
// the test set, the same every run.
func sampleIndex(n int) []int {
	idx := make([]int, min(sampleCount, n))
	for i := range idx {
		idx[i] = (i*417 + 3) % n
	}
	return idx
}

// predictSamples returns the model's top three for each sample image.
func predictSamples(m *graph.Model, test *datasets.Set) ([]samplePred, error) {
	idx := sampleIndex(test.N)
	x := test.Float32Batch(idx, nil)
	out, err := m.Predict(x, len(idx), len(idx))
	if err != nil {
		return nil, err
	}
	k := len(out) / len(idx)
	preds := make([]samplePred, len(idx))
	for i, ti := range idx {
		probs := graph.SoftmaxValues(out[i*k : (i+1)*k])
		p := samplePred{Label: test.Label(ti)}
		for _, g := range graph.TopK(probs, 3) {
			p.Top = append(p.Top, guess{g.Class, g.Prob})
		}
		p.Right = p.Top[0].Class == p.Label
		preds[i] = p
	}
	return preds, nil
}

// samples publishes the sample test images once per run.
func (j *job) samples() {
	test, err := j.s.testSet()
	if err != nil {
		return
	}
	var imgs []string
	for _, i := range sampleIndex(test.N) {
		img, err := viz.Gray(datasets.PixelsToFloat64(test.Pixels(i), nil), test.Rows, test.Cols, 2)
		if err != nil {
			return
		}
		u, err := pngURL(img)
		if err != nil {
			return
		}
		imgs = append(imgs, u)
	}
	j.keep(newEvent("samples", map[string]any{"images": imgs}))
}

// confusionPicture draws an evaluation's confusion matrix as an event.
func confusionPicture(m graph.Metrics, title string) (event, error) {
	img, err := viz.ConfusionMatrix(m.Confusion, nil, 22)
	if err != nil {
		return event{}, err
	}
	p, err := labelled(img, viz.Labels{Title: title}, nil, picture{Title: title})
	if err != nil {
		return event{}, err
	}
	return newEvent("confusion", map[string]any{"accuracy": m.Accuracy, "n": m.N, "picture": p}), nil
}
