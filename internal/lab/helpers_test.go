package lab

import (
	"bytes"
	"encoding/json"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/featlearn/featlearn/datasets"
)

var (
	mnistOnce sync.Once
	mnistData *datasets.MNIST
	mnistErr  error
)

// testMNIST loads the real MNIST once per test binary.
func testMNIST(t testing.TB) *datasets.MNIST {
	t.Helper()
	mnistOnce.Do(func() { mnistData, mnistErr = datasets.LoadMNIST("") })
	if mnistErr != nil {
		t.Fatal(mnistErr)
	}
	return mnistData
}

// newTestLab returns a lab on an httptest server whose -out folder holds
// the testdata checkpoint as lenet.safetensors.
func newTestLab(t testing.TB) (*Server, *httptest.Server, string) {
	t.Helper()
	out := t.TempDir()
	ckpt, err := os.ReadFile(testdataCkpt)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(out, "lenet.safetensors"), ckpt, 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := New(Config{Out: out, MNIST: testMNIST(t)})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(func() {
		_ = s.job.halt(time.Minute)
		s.job.hub.closeAll() // event streams end, so Close need not wait for the browser
		ts.CloseClientConnections()
		ts.Close()
	})
	return s, ts, out
}

// strokes draws polylines in a w x w white image with a black pen of the
// given width, coordinates as fractions of the side.
func strokes(w int, pen float64, lines ...[][2]float64) *image.Gray {
	img := image.NewGray(image.Rect(0, 0, w, w))
	draw.Draw(img, img.Bounds(), image.NewUniform(color.White), image.Point{}, draw.Src)
	for _, l := range lines {
		for i := 1; i < len(l); i++ {
			a, b := l[i-1], l[i]
			for s := 0.0; s <= 1; s += 0.005 {
				cx, cy := (a[0]+(b[0]-a[0])*s)*float64(w), (a[1]+(b[1]-a[1])*s)*float64(w)
				for y := int(cy - pen); y <= int(cy+pen); y++ {
					for x := int(cx - pen); x <= int(cx+pen); x++ {
						if dx, dy := float64(x)-cx, float64(y)-cy; dx*dx+dy*dy <= pen*pen/4 && image.Pt(x, y).In(img.Rect) {
							img.SetGray(x, y, color.Gray{0})
						}
					}
				}
			}
		}
	}
	return img
}

// seven is a drawn 7 as the page's pad would send it.
var seven = [][2]float64{{0.25, 0.2}, {0.75, 0.2}, {0.45, 0.85}}

// pngBytes encodes an image.
func pngBytes(t testing.TB, img image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// post sends a body and decodes a JSON answer into v (when not nil),
// returning the status.
func post(t testing.TB, url, ctype string, body []byte, v any) int {
	t.Helper()
	res, err := http.Post(url, ctype, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	return decode(t, res, v)
}

// get fetches a URL and decodes a JSON answer into v (when not nil).
func get(t testing.TB, url string, v any) int {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	return decode(t, res, v)
}

func decode(t testing.TB, res *http.Response, v any) int {
	t.Helper()
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	if v != nil {
		if err := json.Unmarshal(b, v); err != nil {
			t.Fatalf("%s: %v in %.200q", res.Request.URL, err, b)
		}
	}
	return res.StatusCode
}
