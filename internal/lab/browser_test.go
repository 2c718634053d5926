package lab

import (
	"context"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// The browser tests use the lab as a person would, in Debian's chromium
// driven by chromedp: they draw digits with pointer events, train, step
// the templates and open an XOR link. On failure each saves a screenshot
// (its path is logged). FEATLEARN_LAB_DOCS=DIR also saves the pictures
// docs/lab.md shows: FEATLEARN_LAB_DOCS=$PWD/docs/img go test -run Browser ./internal/lab

// chromiumPath finds the browser, "" when there is none.
func chromiumPath() string {
	if p := os.Getenv("FEATLEARN_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// browser opens a headless chromium tab for a test, or skips the test.
func browser(t *testing.T) context.Context {
	t.Helper()
	path := chromiumPath()
	if path == "" {
		t.Skip("chromium not found: install it with `apt-get install -y chromium` (.ci/run does) to run the browser tests")
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("no-default-browser-check", true),
		chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1400, 1100),
	}
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(func() { cancel(); cancelA() })
	if err := chromedp.Do(ctx); err != nil { // starts the browser, without a timeout
		t.Fatalf("starting %s: %v", path, err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			shot(t, ctx, filepath.Join(os.TempDir(), "featlearn-lab-"+t.Name()+".png"))
		}
	})
	return ctx
}

// shot saves a screenshot of the page.
func shot(t *testing.T, ctx context.Context, path string) {
	c, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	b, err := chromedp.Run(c, chromedp.FullScreenshot(100))
	if err == nil {
		err = os.WriteFile(path, b, 0o644)
	}
	if err != nil {
		t.Logf("screenshot %s: %v", path, err)
		return
	}
	t.Logf("screenshot: %s", path)
}

// docShot saves a picture for docs/lab.md when FEATLEARN_LAB_DOCS is set.
func docShot(t *testing.T, ctx context.Context, name string) {
	if dir := os.Getenv("FEATLEARN_LAB_DOCS"); dir != "" {
		shot(t, ctx, filepath.Join(dir, name))
	}
}

// run runs an action with a timeout and fails the test on error.
func run[T any](t *testing.T, ctx context.Context, what string, a chromedp.Action[T]) T {
	t.Helper()
	c, cancel := context.WithTimeout(ctx, 90*time.Second)
	defer cancel()
	v, err := chromedp.Run(c, a)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	return v
}

// waitJS waits until a JavaScript expression is true.
func waitJS(t *testing.T, ctx context.Context, what, expr string, timeout time.Duration) {
	t.Helper()
	run(t, ctx, what, chromedp.Poll[bool](expr, chromedp.WithPollingInterval(100*time.Millisecond), chromedp.WithPollingTimeout(timeout)))
}

// text returns the text of an element.
func text(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	return run(t, ctx, "reading "+sel, chromedp.Evaluate[string](fmt.Sprintf("document.querySelector(%q).textContent", sel)))
}

// drawOnPad draws polylines on the pad with mouse events, which the page
// receives as pointer events; points are fractions of the pad's side.
func drawOnPad(t *testing.T, ctx context.Context, lines ...[][2]float64) {
	t.Helper()
	box := run(t, ctx, "pad position", chromedp.Evaluate[[]float64](
		`(() => { const r = document.querySelector('#pad').getBoundingClientRect(); return [r.left, r.top, r.width]; })()`))
	at := func(p [2]float64) (float64, float64) { return box[0] + p[0]*box[2], box[1] + p[1]*box[2] }
	var steps []chromedp.Action[chromedp.Void]
	for _, l := range lines {
		x, y := at(l[0])
		steps = append(steps, chromedp.MouseEvent(chromedp.MousePressed, x, y, chromedp.ButtonLeft, chromedp.ClickCount(1)))
		for i := 1; i < len(l); i++ {
			a, b := l[i-1], l[i]
			n := int(math.Ceil(math.Hypot(b[0]-a[0], b[1]-a[1]) * 40))
			for k := 1; k <= n; k++ {
				s := float64(k) / float64(n)
				x, y = at([2]float64{a[0] + (b[0]-a[0])*s, a[1] + (b[1]-a[1])*s})
				steps = append(steps, chromedp.MouseEvent(chromedp.MouseMoved, x, y, chromedp.ButtonLeft), chromedp.Sleep(8*time.Millisecond))
			}
		}
		steps = append(steps, chromedp.MouseEvent(chromedp.MouseReleased, x, y, chromedp.ButtonLeft, chromedp.ClickCount(1)))
	}
	run(t, ctx, "drawing", chromedp.Steps(steps...))
}

// ellipse returns a closed polyline round (cx, cy).
func ellipse(cx, cy, rx, ry float64) [][2]float64 {
	var l [][2]float64
	for i := 0; i <= 40; i++ {
		a := 2 * math.Pi * float64(i) / 40
		l = append(l, [2]float64{cx + rx*math.Sin(a), cy - ry*math.Cos(a)})
	}
	return l
}

func TestBrowserDrawSevenAndZero(t *testing.T) {
	ctx := browser(t)
	_, ts, _ := newTestLab(t)
	run(t, ctx, "opening the lab", chromedp.Navigate(ts.URL+"/?model=ckpt:lenet.safetensors"))
	waitJS(t, ctx, "the checkpoint is chosen", `document.querySelector('#model').value === 'ckpt:lenet.safetensors'`, 20*time.Second)
	drawOnPad(t, ctx, seven)
	waitJS(t, ctx, "top-1 reads 7", `document.querySelector('#top1-class').textContent === '7'`, 30*time.Second)
	waitJS(t, ctx, "layers drawn for the whole 7", `document.querySelectorAll('#layers figure').length >= 8 &&
		document.querySelector('#layers').dataset.settled === 'true'`, 30*time.Second)
	caps := text(t, ctx, "#layers")
	for _, want := range []string{"conv1", "Conv2D 6@5x5 pad 2", "6x28x28", "pool2", "16x5x5", "fc3", "10"} {
		if !strings.Contains(caps, want) {
			t.Errorf("layer captions lack %q: %s", want, caps)
		}
	}
	input := run(t, ctx, "input pixels", chromedp.Evaluate[int](
		`(() => { const d = document.querySelector('#input28').getContext('2d').getImageData(0, 0, 28, 28).data; let n = 0; for (let i = 0; i < d.length; i += 4) if (d[i] > 128) n++; return n; })()`))
	if input < 40 {
		t.Errorf("the 28x28 input shows %d bright pixels, want a drawn digit", input)
	}
	docShot(t, ctx, "lab-draw.png")
	run(t, ctx, "clearing", chromedp.Click(chromedp.CSS("#clear")))
	drawOnPad(t, ctx, ellipse(0.5, 0.5, 0.22, 0.32))
	waitJS(t, ctx, "top-1 reads 0", `document.querySelector('#top1-class').textContent === '0'`, 30*time.Second)
}

func TestBrowserTrainLive(t *testing.T) {
	ctx := browser(t)
	_, ts, _ := newTestLab(t)
	run(t, ctx, "opening the Train tab", chromedp.Navigate(ts.URL+"/?tab=train&tmodel=lenet&tepochs=20&tlimit=0&tbatch=32"))
	waitJS(t, ctx, "the stream is open", `document.querySelector('#t-status').dataset.status === 'idle'`, 20*time.Second)
	run(t, ctx, "starting", chromedp.Click(chromedp.CSS("#t-start")))
	waitJS(t, ctx, "a filter picture", `!!document.querySelector('#t-filters img').src`, 60*time.Second)
	first := run(t, ctx, "filters", chromedp.Evaluate[string](`document.querySelector('#t-filters img').src`))
	waitJS(t, ctx, "10 points on the chart", `+document.querySelector('#t-points').textContent >= 10`, 60*time.Second)
	waitJS(t, ctx, "the filters change", fmt.Sprintf(`document.querySelector('#t-filters img').src !== %q`, first), 60*time.Second)
	waitJS(t, ctx, "test predictions", `document.querySelectorAll('#t-preds .pred.right, #t-preds .pred.wrong').length === 24`, 60*time.Second)
	if os.Getenv("FEATLEARN_LAB_DOCS") != "" { // the docs show a whole epoch
		waitJS(t, ctx, "an epoch", `document.querySelectorAll('#t-epochs-table tbody tr').length >= 1`, 5*time.Minute)
	}
	run(t, ctx, "pausing", chromedp.Click(chromedp.CSS("#t-pause")))
	waitJS(t, ctx, "paused", `document.querySelector('#t-status').dataset.status === 'paused'`, 20*time.Second)
	docShot(t, ctx, "lab-train.png")
	run(t, ctx, "resetting", chromedp.Click(chromedp.CSS("#t-reset")))
	waitJS(t, ctx, "reset", `document.querySelector('#t-status').dataset.status === 'idle' && +document.querySelector('#t-points').textContent === 0`, 60*time.Second)
}

func TestBrowserTemplatesStep(t *testing.T) {
	ctx := browser(t)
	_, ts, _ := newTestLab(t)
	run(t, ctx, "opening the Templates tab", chromedp.Navigate(ts.URL+"/?tab=templates"))
	waitJS(t, ctx, "the learner", `document.querySelector('#m-status').dataset.shown === '0'`, 60*time.Second)
	run(t, ctx, "one step", chromedp.Click(chromedp.CSS("#m-step")))
	waitJS(t, ctx, "one image shown", `document.querySelector('#m-status').dataset.shown === '1'`, 30*time.Second)
	if c := text(t, ctx, "#m-last figcaption"); !strings.Contains(c, "guessed") {
		t.Errorf("last image caption %q", c)
	}
	run(t, ctx, "ten steps", chromedp.Click(chromedp.CSS("#m-step10")))
	waitJS(t, ctx, "eleven images shown", `document.querySelector('#m-status').dataset.shown === '11'`, 30*time.Second)
	run(t, ctx, "running", chromedp.Click(chromedp.CSS("#m-run")))
	waitJS(t, ctx, "hundreds shown", `+document.querySelector('#m-status').dataset.shown > 300`, 60*time.Second)
	run(t, ctx, "stopping", chromedp.Click(chromedp.CSS("#m-run")))
	docShot(t, ctx, "lab-templates.png")
}

func TestBrowserXORLink(t *testing.T) {
	ctx := browser(t)
	_, ts, _ := newTestLab(t)
	table := func() string {
		return run(t, ctx, "truth table", chromedp.Evaluate[string](
			`[...document.querySelectorAll('#x-truth tbody tr')].map(r => [...r.cells].map(c => c.textContent).join(' ')).join('|')`))
	}
	run(t, ctx, "opening an AND link", chromedp.Navigate(ts.URL+"/?tab=xor&net=and&w=-30,20,20"))
	waitJS(t, ctx, "truth table", `document.querySelectorAll('#x-truth tbody tr').length === 4`, 30*time.Second)
	if got, want := table(), "0 0 0.00000 0|0 1 0.00005 0|1 0 0.00005 0|1 1 0.99995 1"; got != want {
		t.Errorf("AND truth table %q, want %q", got, want)
	}
	run(t, ctx, "opening an XNOR link", chromedp.Navigate(ts.URL+"/?tab=xor&net=xnor&w=-30,20,20,10,-20,-20,-10,20,20"))
	waitJS(t, ctx, "XNOR table", `document.querySelector('#x-formula').textContent.includes('NOR')`, 30*time.Second)
	rows := strings.Split(table(), "|")
	want := []string{"0 0 0.99995 1", "0 1 0.00005 0", "1 0 0.00005 0", "1 1 0.99995 1"}
	if strings.Join(rows, "|") != strings.Join(want, "|") {
		t.Errorf("XNOR truth table %q, want %q", rows, want)
	}
	// Editing a weight updates the table and the link.
	run(t, ctx, "editing the OR bias", chromedp.Evaluate[bool](
		`(() => { const i = document.querySelectorAll('#x-weights input')[6]; i.value = '30'; i.dispatchEvent(new Event('input')); return true; })()`))
	waitJS(t, ctx, "the link follows", `new URLSearchParams(location.search).get('w') === '-30,20,20,10,-20,-20,30,20,20'`, 30*time.Second)
	waitJS(t, ctx, "the table follows", `document.querySelectorAll('#x-truth tbody td.on').length === 4`, 30*time.Second)
	run(t, ctx, "back to the slides' weights", chromedp.Click(chromedp.CSS("#x-slides")))
	waitJS(t, ctx, "the table is right again", `document.querySelector('#x-right').textContent.startsWith('every row')`, 30*time.Second)
	run(t, ctx, "learning", chromedp.Click(chromedp.CSS("#l-learn")))
	waitJS(t, ctx, "the learned net", `document.querySelector('#l-status').textContent.includes('4 of 4 right')`, 60*time.Second)
	docShot(t, ctx, "lab-xor.png")
}

func TestBrowserQuickTrain(t *testing.T) {
	ctx := browser(t)
	_, ts, _ := newTestLab(t)
	run(t, ctx, "opening the lab", chromedp.Navigate(ts.URL+"/"))
	waitJS(t, ctx, "the untrained LeNet offers quick training",
		`document.querySelector('#model').value === 'lenet' && !document.querySelector('#quick').hidden`, 30*time.Second)
	run(t, ctx, "training quickly", chromedp.Click(chromedp.CSS("#quick")))
	waitJS(t, ctx, "a trained LeNet", `document.querySelector('#quick').hidden &&
		!document.querySelector('#model option[value=lenet]').textContent.includes('untrained') &&
		document.querySelector('#model-status').textContent.includes('epoch')`, 2*time.Minute)
}
