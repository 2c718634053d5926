package lab

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/featlearn/featlearn/models/lenet"
)

func TestTrainingRunsOneAtATimeWithLiveSettings(t *testing.T) {
	s, ts, _ := newTestLab(t)
	var st jobState
	if code := post(t, ts.URL+"/api/train/start", "application/json", startBody(2, 2000, 50), &st); code != 200 || st.Status != "running" {
		t.Fatalf("start: %d %+v", code, st)
	}
	var e map[string]string
	if code := post(t, ts.URL+"/api/train/start", "application/json", startBody(1, 2000, 50), &e); code != http.StatusConflict ||
		!strings.Contains(e["error"], "a training run is going on") {
		t.Errorf("second start: %d %q, want 409", code, e["error"])
	}
	if code := post(t, ts.URL+"/api/train/pause", "", nil, &st); code != 200 || st.Status != "paused" {
		t.Fatalf("pause: %d %+v", code, st)
	}
	time.Sleep(100 * time.Millisecond)
	step := s.job.state().Step
	time.Sleep(300 * time.Millisecond)
	if now := s.job.state().Step; now > step+1 {
		t.Errorf("paused, yet steps went from %d to %d", step, now)
	}
	// Saving while paused happens between two steps.
	var saved map[string]string
	if code := post(t, ts.URL+"/api/train/save", "", nil, &saved); code != 200 {
		t.Fatalf("save: %d %v", code, saved)
	}
	if _, meta, err := lenet.Load(saved["saved"]); err != nil || meta.Step < 1 {
		t.Errorf("saved checkpoint: %v, step %d", err, meta.Step)
	}
	for _, body := range []string{`{"lr":NaN}`, `{"lr":"NaN"}`, `{"lr":0}`, `{"lr":1e400}`, `{"momentum":1}`, `{"batch":0}`,
		`{"batch":5000}`, `{"weight_decay":-1}`, `{"rate":1}`, `{}{}`} {
		var e map[string]string
		if code := post(t, ts.URL+"/api/train/settings", "application/json", []byte(body), &e); code != 400 || e["error"] == "" {
			t.Errorf("settings %s: %d %q, want 400 with a message", body, code, e["error"])
		}
	}
	body := `{"lr":0.02,"momentum":0.5,"batch":20,"weight_decay":0}`
	if code := post(t, ts.URL+"/api/train/settings", "application/json", []byte(body), &st); code != 200 || st.Settings.Batch != 20 {
		t.Fatalf("settings: %d %+v", code, st)
	}
	if code := post(t, ts.URL+"/api/train/resume", "", nil, &st); code != 200 || st.Status != "running" {
		t.Fatalf("resume: %d %+v", code, st)
	}
	waitFor(t, "the run's end", func() bool { st = s.job.state(); return st.Status == "finished" })
	var got jobState
	if code := get(t, ts.URL+"/api/train/state", &got); code != 200 || got.Status != "finished" || got.Step != st.Step || got.Saved == "" {
		t.Errorf("GET /api/train/state: %d %+v", code, got)
	}
	tr := s.job.trainees["lenet"]
	if tr.opt.LR != 0.02 || tr.opt.Momentum != 0.5 || tr.opt.WeightDecay != 0 {
		t.Errorf("optimizer after the edits: lr %v, momentum %v, weight decay %v", tr.opt.LR, tr.opt.Momentum, tr.opt.WeightDecay)
	}
	if st.Batches != 100 || st.Epoch != 2 || tr.epochs != 2 {
		t.Errorf("batch 20 over 2000 images: %d batches an epoch, epoch %d, want 100 and 2", st.Batches, st.Epoch)
	}
	if len(s.job.copyEpochs()) != 2 || s.job.copyEpochs()[1].ValAcc < 0.5 {
		t.Errorf("epochs %+v", s.job.copyEpochs())
	}
	if e := s.cat.own["lenet"].info(); !e.Trained {
		t.Errorf("the Draw tab's LeNet is not trained: %+v", e)
	}
	if code := post(t, ts.URL+"/api/train/pause", "", nil, &e); code != http.StatusConflict {
		t.Errorf("pause after the end: %d, want 409", code)
	}
	if code := post(t, ts.URL+"/api/train/reset", "", nil, &st); code != 200 || st.Status != "idle" || st.Step != 0 {
		t.Errorf("reset: %d %+v", code, st)
	}
	if n := len(s.job.copyPoints()); n != 0 {
		t.Errorf("%d points after a reset", n)
	}
	for _, body := range []string{`{"model":"resnet"}`, `{"epochs":0,"model":"lenet","limit":-1}`, `{"epochs":101}`, `{"limit":50}`, `{"lr":-1}`, `not json`} {
		if code := post(t, ts.URL+"/api/train/start", "application/json", []byte(body), nil); code != 400 {
			t.Errorf("start %s: %d, want 400", body, code)
		}
	}
}

func TestResetStopsARunningJob(t *testing.T) {
	s, ts, _ := newTestLab(t)
	if code := post(t, ts.URL+"/api/train/start", "application/json", startBody(20, 0, 32), nil); code != 200 {
		t.Fatalf("start: %d", code)
	}
	waitFor(t, "steps", func() bool { return s.job.state().Step > 5 })
	var st jobState
	if code := post(t, ts.URL+"/api/train/reset", "", nil, &st); code != 200 || st.Status != "idle" {
		t.Fatalf("reset: %d %+v", code, st)
	}
	if e := s.cat.own["lenet"].info(); e.Trained {
		t.Errorf("after a reset the Draw tab's LeNet is %+v", e)
	}
}

// readEvents reads server-sent events from a stream until stop says so.
func readEvents(t *testing.T, r *bufio.Reader, stop func(name, data string) bool) {
	t.Helper()
	name := ""
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			t.Fatalf("event stream: %v", err)
		}
		line = strings.TrimRight(line, "\n")
		switch {
		case strings.HasPrefix(line, "event: "):
			name = line[len("event: "):]
		case strings.HasPrefix(line, "data: "):
			if stop(name, line[len("data: "):]) {
				return
			}
		}
	}
}

func TestEventsStreamTheRunFastEnough(t *testing.T) {
	s, ts, _ := newTestLab(t)
	res, err := http.Get(ts.URL + "/api/train/events")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if ct := res.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("content type %q", ct)
	}
	r := bufio.NewReader(res.Body)
	var first []string
	readEvents(t, r, func(name, _ string) bool { first = append(first, name); return len(first) == 2 })
	if first[0] != "state" || first[1] != "history" {
		t.Errorf("first events %v, want state and history", first)
	}
	// Ten epochs: the run must outlast the 21 chart updates on any CPU;
	// it is halted below.
	if code := post(t, ts.URL+"/api/train/start", "application/json", startBody(10, 0, 16), nil); code != 200 {
		t.Fatalf("start: %d", code)
	}
	seen := map[string]int{}
	var start time.Time
	readEvents(t, r, func(name, data string) bool {
		if name == "state" && !strings.Contains(data, `"status":"running"`) {
			t.Fatalf("the run ended before the events were seen (%v): %.200s", seen, data)
		}
		if name == "steps" && start.IsZero() {
			start = time.Now()
		}
		seen[name]++
		return seen["steps"] >= 21 && seen["filters"] > 0 && seen["preds"] > 0 && seen["confusion"] > 0
	})
	if rate := float64(seen["steps"]-1) / time.Since(start).Seconds(); rate < 5 {
		t.Errorf("%.1f chart updates a second, want at least 5", rate)
	}
	if err := s.job.halt(time.Minute); err != nil {
		t.Fatal(err)
	}
}

func TestSlowOrVanishedClientsNeverStallTraining(t *testing.T) {
	s, ts, _ := newTestLab(t)
	addr := strings.TrimPrefix(ts.URL, "http://")
	// A client that asks for the stream and never reads it...
	slow, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer slow.Close()
	if tc, ok := slow.(*net.TCPConn); ok {
		_ = tc.SetReadBuffer(4096)
	}
	fmt.Fprintf(slow, "GET /api/train/events HTTP/1.1\r\nHost: %s\r\n\r\n", addr)
	// ... and one that goes away.
	gone, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(gone, "GET /api/train/events HTTP/1.1\r\nHost: %s\r\n\r\n", addr)
	waitFor(t, "two clients", func() bool { return s.job.hub.count() == 2 })
	gone.Close()
	start := time.Now()
	if code := post(t, ts.URL+"/api/train/start", "application/json", startBody(3, 3000, 16), nil); code != 200 {
		t.Fatalf("start: %d", code)
	}
	waitFor(t, "the run's end", func() bool { return s.job.state().Status == "finished" })
	t.Logf("3 epochs of 188 steps in %v with a stalled and a vanished client", time.Since(start).Round(time.Millisecond))
	waitFor(t, "the vanished client to go", func() bool { return s.job.hub.count() <= 1 })
}

func TestHubPublishesWithoutWaiting(t *testing.T) {
	h := newHub(nil)
	stuck := h.subscribe() // never read
	start := time.Now()
	for i := 0; i < 10*clientQueue; i++ {
		h.publish(event{"steps", []byte("{}")})
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("publishing to a stuck client took %v", d)
	}
	if h.count() != 0 || h.dropped != 1 {
		t.Errorf("%d clients, %d dropped; want the stuck one dropped", h.count(), h.dropped)
	}
	n := 0
	for range stuck {
		n++
	}
	if n != clientQueue {
		t.Errorf("the dropped client got %d queued events, want %d", n, clientQueue)
	}
}

func TestSaveNeedsOut(t *testing.T) {
	s, err := New(Config{MNIST: testMNIST(t)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.job.save(time.Second); err == nil || !strings.Contains(err.Error(), "without -out") {
		t.Errorf("save without -out: %v", err)
	}
	if _, err := os.Stat("lab"); err == nil {
		t.Error("a lab folder appeared in the package directory")
	}
}
