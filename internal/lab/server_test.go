package lab

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/featlearn/featlearn/datasets"
	"github.com/featlearn/featlearn/models/lenet"
)

func TestPageAndStaticFiles(t *testing.T) {
	_, ts, _ := newTestLab(t)
	for path, want := range map[string]string{
		"/":                                      "featlearn lab",
		"/static/lab.js":                         "EventSource",
		"/static/lab.css":                        "#pad",
		"/static/vendor/uplot/uPlot.iife.min.js": "uPlot",
		"/static/vendor/uplot/LICENSE":           "MIT",
	} {
		res, err := http.Get(ts.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		_, _ = b.ReadFrom(res.Body)
		res.Body.Close()
		if res.StatusCode != 200 || !strings.Contains(b.String(), want) {
			t.Errorf("GET %s: %d, want 200 with %q", path, res.StatusCode, want)
		}
	}
	if code := post(t, ts.URL+"/", "text/plain", nil, nil); code != http.StatusMethodNotAllowed {
		t.Errorf("POST /: %d, want 405", code)
	}
	if code := get(t, ts.URL+"/nothing", nil); code != http.StatusNotFound {
		t.Errorf("GET /nothing: %d, want 404", code)
	}
}

func TestModelsListsOwnModelsAndCheckpoints(t *testing.T) {
	_, ts, out := newTestLab(t)
	if err := os.MkdirAll(filepath.Join(out, "runs", "a"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(out, "runs", "a", "notes.txt"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	var res struct {
		Models []modelInfo `json:"models"`
	}
	if code := get(t, ts.URL+"/api/models", &res); code != 200 {
		t.Fatalf("status %d", code)
	}
	var ids []string
	for _, m := range res.Models {
		ids = append(ids, m.ID)
	}
	if want := []string{"lenet", "mlp", "templates", "ckpt:lenet.safetensors"}; !reflect.DeepEqual(ids, want) {
		t.Errorf("models %v, want %v", ids, want)
	}
}

func TestPredictReadsTheDrawingAsPredictDoes(t *testing.T) {
	_, ts, _ := newTestLab(t)
	img := strokes(140, 11, seven)
	body := pngBytes(t, img)
	var p prediction
	if code := post(t, ts.URL+"/api/predict?model=ckpt:lenet.safetensors", "image/png", body, &p); code != 200 {
		t.Fatalf("status %d", code)
	}
	if p.Top[0].Class != 7 || len(p.Top) != 3 || len(p.Probs) != 10 {
		t.Errorf("prediction %+v, want 7 first of three", p.Top)
	}
	want, err := datasets.ReadDigit(bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(p.Input, ints(want)) {
		t.Error("the input differs from datasets.ReadDigit's, which `lenet predict` uses")
	}
	// The same drawing as JSON gray values gives the same input.
	g := grayDrawing{Width: 140, Height: 140}
	for _, v := range img.Pix {
		g.Gray = append(g.Gray, float64(v)/255)
	}
	js, _ := json.Marshal(g)
	var q prediction
	if code := post(t, ts.URL+"/api/predict?model=ckpt:lenet.safetensors", "application/json", js, &q); code != 200 {
		t.Fatalf("JSON drawing: status %d", code)
	}
	if !reflect.DeepEqual(q.Input, p.Input) || q.Top[0] != p.Top[0] {
		t.Errorf("JSON drawing predicts %+v, PNG %+v", q.Top[0], p.Top[0])
	}
	for _, model := range []string{"lenet", "mlp", "templates"} {
		var r prediction
		if code := post(t, ts.URL+"/api/predict?model="+model, "image/png", body, &r); code != 200 || len(r.Top) != 3 {
			t.Errorf("model %s: status %d, %d guesses", model, code, len(r.Top))
		}
	}
}

func TestPredictRefusesBadDrawings(t *testing.T) {
	_, ts, _ := newTestLab(t)
	blank := pngBytes(t, strokes(50, 4))
	cases := []struct {
		name, ctype, body string
		status            int
		msg               string
	}{
		{"empty", "image/png", "", 400, "empty body"},
		{"not an image", "image/png", "hello", 400, "not a readable PNG"},
		{"blank page", "image/png", string(blank), 400, "drawing"},
		{"wrong size", "application/json", `{"width":3,"height":2,"gray":[0,1,0]}`, 400, "has 3 gray values, want 6"},
		{"NaN", "application/json", `{"width":2,"height":1,"gray":[0.5,NaN]}`, 400, "invalid JSON"},
		{"out of range", "application/json", `{"width":2,"height":1,"gray":[0.5,1.5]}`, 400, "want 0 (black) to 1 (white)"},
		{"too large", "application/json", `{"width":5000,"height":1,"gray":[]}`, 400, "want sides of 1..1024"},
		{"unknown field", "application/json", `{"width":1,"height":1,"gray":[0],"x":1}`, 400, "unknown field"},
		{"two values", "application/json", `{"width":1,"height":1,"gray":[0]} {}`, 400, "more than one value"},
		{"content type", "text/plain", "7", 415, "content type"},
	}
	for _, c := range cases {
		var e map[string]string
		code := post(t, ts.URL+"/api/predict", c.ctype, []byte(c.body), &e)
		if code != c.status || !strings.Contains(e["error"], c.msg) {
			t.Errorf("%s: %d %q, want %d with %q", c.name, code, e["error"], c.status, c.msg)
		}
	}
	var e map[string]string
	if code := post(t, ts.URL+"/api/predict", "image/png", bytes.Repeat([]byte{1}, MaxBody+1), &e); code != http.StatusRequestEntityTooLarge {
		t.Errorf("a body over 1 MiB: %d %q, want 413", code, e["error"])
	}
	if code := get(t, ts.URL+"/api/predict", &e); code != http.StatusMethodNotAllowed {
		t.Errorf("GET /api/predict: %d, want 405", code)
	}
}

func TestOnlyCheckpointsUnderOutAreRead(t *testing.T) {
	_, ts, out := newTestLab(t)
	outside := t.TempDir()
	secret := filepath.Join(outside, "secret.safetensors")
	if err := os.WriteFile(secret, []byte("not yours"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(secret, filepath.Join(out, "link.safetensors")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(out, "linkdir")); err != nil {
		t.Fatal(err)
	}
	body := pngBytes(t, strokes(140, 11, seven))
	rel, _ := filepath.Rel(out, secret)
	for id, status := range map[string]int{
		"ckpt:../secret.safetensors":           400,
		"ckpt:" + rel:                          400,
		"ckpt:" + secret:                       400,
		"ckpt:link.safetensors":                400,
		"ckpt:linkdir/secret.safetensors":      400,
		"ckpt:..%2Fsecret.safetensors":         400,
		"ckpt:sub\\..\\..\\secret.safetensors": 400,
		"ckpt:lenet.safetensors/..":            400,
		"ckpt:missing.safetensors":             404,
		"nonsense":                             404,
	} {
		var e map[string]string
		code := post(t, ts.URL+"/api/predict?model="+strings.ReplaceAll(id, "\\", "%5C"), "image/png", body, &e)
		if code != status {
			t.Errorf("model %s: %d %q, want %d", id, code, e["error"], status)
		}
		if strings.Contains(e["error"], "not yours") {
			t.Errorf("model %s: the error shows the file outside -out", id)
		}
	}
	var res struct {
		Models []modelInfo `json:"models"`
	}
	get(t, ts.URL+"/api/models", &res)
	for _, m := range res.Models {
		if strings.Contains(m.ID, "secret") || strings.Contains(m.ID, "link") {
			t.Errorf("listed %s, which leads outside -out", m.ID)
		}
	}
}

func TestInspectAndFilters(t *testing.T) {
	_, ts, _ := newTestLab(t)
	body := pngBytes(t, strokes(140, 11, seven))
	var res inspection
	if code := post(t, ts.URL+"/api/inspect?model=ckpt:lenet.safetensors", "image/png", body, &res); code != 200 {
		t.Fatalf("status %d", code)
	}
	var got []string
	for _, l := range res.Layers {
		got = append(got, l.Title+" "+l.Shape)
		if !strings.HasPrefix(l.Image, "data:image/png;base64,") {
			t.Errorf("layer %s has no picture", l.Title)
		}
	}
	for _, want := range []string{"conv1 6x28x28", "pool1 6x14x14", "conv2 16x10x10", "pool2 16x5x5", "fc1 120", "fc3 10"} {
		if !strings.Contains(strings.Join(got, ","), want) {
			t.Errorf("layers %v lack %q", got, want)
		}
	}
	if res.Input.Image == "" || !strings.Contains(res.Filters.Title, "conv1.weight 6x1x5x5") {
		t.Errorf("input %q, filters %q", res.Input.Title, res.Filters.Title)
	}
	for model, want := range map[string]string{"mlp": "the first 36 of 300", "templates": "votes.weight 10x784", "lenet": "conv1.weight"} {
		var p picture
		if code := get(t, ts.URL+"/api/filters?model="+model, &p); code != 200 || !strings.Contains(p.Title, want) {
			t.Errorf("filters of %s: %d %q, want %q", model, code, p.Title, want)
		}
	}
}

func TestTemplatesEndpoints(t *testing.T) {
	_, ts, _ := newTestLab(t)
	var st tmplState
	if code := get(t, ts.URL+"/api/templates/state", &st); code != 200 || st.Shown != 0 || st.TestError < 0.8 {
		t.Fatalf("state: %d, %+v", code, st)
	}
	if code := post(t, ts.URL+"/api/templates/step?n=200", "", nil, &st); code != 200 || st.Shown != 200 || st.Last == nil {
		t.Fatalf("200 steps: %d, shown %d", code, st.Shown)
	}
	if st.TestError > 0.6 || len(st.History) != 2 || st.Maps.Image == "" {
		t.Errorf("after 200 images: test error %.3f, history %v", st.TestError, st.History)
	}
	for _, q := range []string{"n=0", "n=-1", "n=abc", "n=5001", "n=NaN"} {
		if code := post(t, ts.URL+"/api/templates/step?"+q, "", nil, nil); code != 400 {
			t.Errorf("step?%s: %d, want 400", q, code)
		}
	}
	if code := post(t, ts.URL+"/api/templates/reset", "", nil, &st); code != 200 || st.Shown != 0 {
		t.Errorf("reset: %d, shown %d", code, st.Shown)
	}
}

func TestXOREndpoints(t *testing.T) {
	_, ts, _ := newTestLab(t)
	for net, want := range map[string][]int{"and": {0, 0, 0, 1}, "or": {0, 1, 1, 1}, "nor": {1, 0, 0, 0}, "not": {1, 0}, "xnor": {1, 0, 0, 1}} {
		var a gateAnswer
		if code := post(t, ts.URL+"/api/xor/gate", "application/json", []byte(`{"net":"`+net+`"}`), &a); code != 200 {
			t.Fatalf("%s: status %d", net, code)
		}
		var got []int
		for _, r := range a.Table {
			if r.Out >= 0.5 {
				got = append(got, 1)
			} else {
				got = append(got, 0)
			}
		}
		if !reflect.DeepEqual(got, want) || !a.Right || a.Regions.Image == "" {
			t.Errorf("%s: outputs %v, want %v (right %v)", net, got, want, a.Right)
		}
	}
	var a gateAnswer
	post(t, ts.URL+"/api/xor/gate", "application/json", []byte(`{"net":"and","weights":[-10,20,20]}`), &a)
	if a.Right || a.Table[1].Out < 0.5 {
		t.Errorf("AND with the OR bias: %+v", a.Table)
	}
	for _, body := range []string{`{"net":"nand"}`, `{"net":"and","weights":[1,2]}`, `{"net":"and","weights":[1e9,0,0]}`,
		`{"net":"and","weights":[NaN,0,0]}`, `{"net":"and","weights":["1",0,0]}`, ``} {
		if code := post(t, ts.URL+"/api/xor/gate", "application/json", []byte(body), nil); code != 400 {
			t.Errorf("gate %s: %d, want 400", body, code)
		}
	}
	var l struct {
		Frames []learnFrame `json:"frames"`
	}
	if code := post(t, ts.URL+"/api/xor/learn", "application/json", []byte(`{"frames":10}`), &l); code != 200 || len(l.Frames) != 11 {
		t.Fatalf("learn: %d, %d frames", code, len(l.Frames))
	}
	if last := l.Frames[len(l.Frames)-1]; last.Right != 4 || last.Step != 2000 || l.Frames[0].Right == 4 && l.Frames[0].Loss < last.Loss {
		t.Errorf("learning XOR: first %+v, last step %d, %d right, loss %.4f", l.Frames[0].Outputs, last.Step, last.Right, last.Loss)
	}
	for _, body := range []string{`{"hidden":1}`, `{"steps":0}`, `{"lr":0}`, `{"lr":-1}`, `{"frames":101}`, `{"hidden":3,"bogus":1}`} {
		if code := post(t, ts.URL+"/api/xor/learn", "application/json", []byte(body), nil); code != 400 {
			t.Errorf("learn %s: %d, want 400", body, code)
		}
	}
}

func TestServeStopsTrainingSavesAndReturns(t *testing.T) {
	out := t.TempDir()
	s, err := New(Config{Out: out, MNIST: testMNIST(t)})
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- s.Serve(ctx, l) }()
	url := "http://" + l.Addr().String()
	if code := post(t, url+"/api/train/start", "application/json", []byte(`{"epochs":50,"batch":16}`), nil); code != 200 {
		t.Fatalf("start: %d", code)
	}
	waitFor(t, "steps", func() bool { return s.job.state().Step >= 20 })
	cancel() // what Ctrl-C does in cmd/lab
	select {
	case err := <-errc:
		if err != context.Canceled {
			t.Fatalf("Serve returned %v, want context.Canceled", err)
		}
	case <-time.After(time.Minute):
		t.Fatal("Serve did not return")
	}
	m, meta, err := lenet.Load(filepath.Join(out, "lab", "lenet", "checkpoint.safetensors"))
	if err != nil || m == nil || meta.Step < 20 {
		t.Fatalf("checkpoint after the stop: step %d, %v", meta.Step, err)
	}
	// The next lab starts from it.
	s2, err := New(Config{Out: out, MNIST: testMNIST(t)})
	if err != nil {
		t.Fatal(err)
	}
	if e := s2.cat.own["lenet"].info(); !e.Trained || !strings.Contains(e.Status, "restored") {
		t.Errorf("restarted lab's LeNet: %+v", e)
	}
}

// waitFor polls cond for up to a minute.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for end := time.Now().Add(time.Minute); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("timed out waiting for %s", what)
}

// startBody is a small run's request.
func startBody(epochs, limit, batch int) []byte {
	return []byte(fmt.Sprintf(`{"model":"lenet","epochs":%d,"limit":%d,"batch":%d}`, epochs, limit, batch))
}

func TestForeignPagesAreRefused(t *testing.T) {
	_, ts, _ := newTestLab(t)
	send := func(method, path, host, origin, ctype, body string) int {
		req, err := http.NewRequest(method, ts.URL+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		if host != "" {
			req.Host = host
		}
		if origin != "" {
			req.Header.Set("Origin", origin)
		}
		if ctype != "" {
			req.Header.Set("Content-Type", ctype)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	own := strings.TrimPrefix(ts.URL, "http://")
	cases := []struct {
		name                                    string
		method, path, host, origin, ctype, body string
		status                                  int
	}{
		{"another site's form", "POST", "/api/train/reset", "", "http://evil.example", "", "", 403},
		{"another port", "POST", "/api/templates/reset", "", "http://127.0.0.1:1", "", "", 403},
		{"its own page", "POST", "/api/templates/reset", "", "http://" + own, "", "", 200},
		{"DNS rebinding", "GET", "/api/models", "evil.example:80", "", "", "", 403},
		{"localhost", "GET", "/api/models", "localhost", "", "", "", 200},
		{"JSON as text/plain", "POST", "/api/xor/gate", "", "", "text/plain", `{"net":"and"}`, 415},
	}
	for _, c := range cases {
		if got := send(c.method, c.path, c.host, c.origin, c.ctype, c.body); got != c.status {
			t.Errorf("%s: %d, want %d", c.name, got, c.status)
		}
	}
}

func TestPanicsBecome500(t *testing.T) {
	s := &Server{}
	h := s.api("GET", func(http.ResponseWriter, *http.Request) error { panic("boom") })
	srv := httptest.NewServer(h)
	defer srv.Close()
	var e map[string]string
	if code := get(t, srv.URL, &e); code != 500 || !strings.Contains(e["error"], "boom") {
		t.Errorf("%d %v, want 500 naming the panic", code, e)
	}
}
