package lab

import (
	"bytes"
	"fmt"
	"image"
	"io"
	"math"
	"mime"
	"net/http"
	"strings"
	"time"

	"github.com/featlearn/featlearn/datasets"
	"github.com/featlearn/featlearn/graph"
)

// maxDrawSide is the largest side of a drawing given as JSON.
const maxDrawSide = 1024

// grayDrawing is a drawing as JSON: luminance row by row, 0 black to 1
// white, like a grayscale image (ink may be dark on light or the other way
// round, as for any image `predict` reads).
type grayDrawing struct {
	Width  int       `json:"width"`
	Height int       `json:"height"`
	Gray   []float64 `json:"gray"`
}

// readDrawing reads the drawing of a request and preprocesses it exactly
// as `lenet predict` preprocesses an image file (datasets.ReadDigit): a
// PNG or JPEG body goes through ReadDigit itself, a JSON grayDrawing
// through the PreprocessDigit that ReadDigit ends with.
func readDrawing(r *http.Request) ([]uint8, error) {
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch ct {
	case "application/json":
		var d grayDrawing
		if err := readJSON(r, &d); err != nil {
			return nil, err
		}
		img, err := d.image()
		if err != nil {
			return nil, err
		}
		px, err := datasets.PreprocessDigit(img)
		if err != nil {
			return nil, badRequest("drawing: %v", err)
		}
		return px, nil
	case "image/png", "image/jpeg", "application/octet-stream", "":
		body, err := io.ReadAll(r.Body)
		if err != nil {
			return nil, err
		}
		if len(body) == 0 {
			return nil, badRequest("empty body: send the drawing as a PNG or JPEG, or JSON {width, height, gray}")
		}
		px, err := datasets.ReadDigit(bytes.NewReader(body))
		if err != nil {
			return nil, badRequest("drawing: %v", err)
		}
		return px, nil
	}
	return nil, &httpError{http.StatusUnsupportedMediaType, fmt.Sprintf("content type %q: send image/png, image/jpeg or application/json", ct)}
}

// image checks a JSON drawing and returns it as an image.
func (d *grayDrawing) image() (*image.Gray, error) {
	if d.Width < 1 || d.Height < 1 || d.Width > maxDrawSide || d.Height > maxDrawSide {
		return nil, badRequest("drawing of %dx%d: want sides of 1..%d", d.Width, d.Height, maxDrawSide)
	}
	if len(d.Gray) != d.Width*d.Height {
		return nil, badRequest("drawing of %dx%d has %d gray values, want %d", d.Width, d.Height, len(d.Gray), d.Width*d.Height)
	}
	img := image.NewGray(image.Rect(0, 0, d.Width, d.Height))
	for i, v := range d.Gray {
		if math.IsNaN(v) || v < 0 || v > 1 {
			return nil, badRequest("gray value %d is %v: want 0 (black) to 1 (white)", i, v)
		}
		img.Pix[i] = uint8(math.Round(255 * v))
	}
	return img, nil
}

// guess is one class and its probability, as JSON.
type guess struct {
	Class int     `json:"class"`
	Prob  float64 `json:"prob"`
}

// prediction is the answer of /api/predict.
type prediction struct {
	Model  string    `json:"model"`
	Input  []int     `json:"input"` // the 28x28 bytes the net sees, 0 paper to 255 ink
	Probs  []float64 `json:"probs"`
	Top    []guess   `json:"top"`
	Micros int64     `json:"micros"` // time taken by the server
}

// predict runs a model on preprocessed pixels and returns its class
// probabilities: the softmax of the outputs (of the votes, for templates).
func (e *entry) predict(px []uint8) ([]float64, error) {
	x := input(px, e.binary)
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.model.Probabilities(x)
}

// input converts pixels to the model's input: pixel/255, or 0/1 ink for
// the template learner.
func input(px []uint8, binary bool) []float32 {
	x := datasets.PixelsToFloat32(px, nil)
	if binary {
		for i, p := range px {
			x[i] = 0
			if p >= Threshold {
				x[i] = 1
			}
		}
	}
	return x
}

// handlePredict answers POST /api/predict?model=ID with the drawing's
// preprocessed input and the model's top three classes.
func (s *Server) handlePredict(w http.ResponseWriter, r *http.Request) error {
	start := time.Now()
	e, err := s.cat.get(modelParam(r))
	if err != nil {
		return err
	}
	px, err := readDrawing(r)
	if err != nil {
		return err
	}
	probs, err := e.predict(px)
	if err != nil {
		return err
	}
	p := prediction{Model: e.ID, Input: ints(px), Probs: probs}
	for _, g := range graph.TopK(probs, 3) {
		p.Top = append(p.Top, guess{g.Class, g.Prob})
	}
	p.Micros = time.Since(start).Microseconds()
	writeJSON(w, http.StatusOK, p)
	return nil
}

// modelParam returns the model query parameter, lenet by default.
func modelParam(r *http.Request) string {
	if m := r.URL.Query().Get("model"); m != "" {
		return m
	}
	return "lenet"
}

// ints widens bytes for JSON (a []uint8 would be base64).
func ints(px []uint8) []int {
	out := make([]int, len(px))
	for i, p := range px {
		out[i] = int(p)
	}
	return out
}

// picture is a labelled image for the page.
type picture struct {
	Title string `json:"title"`
	Shape string `json:"shape,omitempty"`
	Kind  string `json:"kind,omitempty"`
	Image string `json:"image"` // PNG data URL
}

// inspection is the answer of /api/inspect.
type inspection struct {
	Model   string    `json:"model"`
	Input   picture   `json:"input"`
	Layers  []picture `json:"layers"`
	Filters picture   `json:"filters"`
}

// handleInspect answers POST /api/inspect?model=ID with pictures of what
// the model does with the drawing: the input it sees, every layer's output
// (maps as images, vectors as bars) and its first layer's filters.
func (s *Server) handleInspect(w http.ResponseWriter, r *http.Request) error {
	e, err := s.cat.get(modelParam(r))
	if err != nil {
		return err
	}
	px, err := readDrawing(r)
	if err != nil {
		return err
	}
	x := input(px, e.binary)
	e.mu.Lock()
	acts, err := e.model.Activations(x, 1)
	var filters picture
	if err == nil {
		filters, err = filterPicture(e.model, e.Kind)
	}
	e.mu.Unlock()
	if err != nil {
		return err
	}
	in, err := inputPicture(px, e.binary)
	if err != nil {
		return err
	}
	res := inspection{Model: e.ID, Input: in, Filters: filters}
	for _, a := range acts {
		if a.Container {
			continue
		}
		p, err := layerPicture(a)
		if err != nil {
			return err
		}
		res.Layers = append(res.Layers, p)
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}

// handleFilters answers GET /api/filters?model=ID with the picture of the
// model's first-layer filters.
func (s *Server) handleFilters(w http.ResponseWriter, r *http.Request) error {
	e, err := s.cat.get(modelParam(r))
	if err != nil {
		return err
	}
	e.mu.Lock()
	p, err := filterPicture(e.model, e.Kind)
	e.mu.Unlock()
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, p)
	return nil
}

// handleModels answers GET /api/models with the models the Draw tab
// offers.
func (s *Server) handleModels(w http.ResponseWriter, r *http.Request) error {
	list, err := s.cat.list()
	if err != nil {
		s.logf("%v", err)
	}
	writeJSON(w, http.StatusOK, map[string]any{"models": list, "out": s.cfg.Out})
	return nil
}

// shapeText writes a shape as 6x28x28.
func shapeText(s graph.Shape) string {
	parts := make([]string, len(s))
	for i, d := range s {
		parts[i] = fmt.Sprint(d)
	}
	return strings.Join(parts, "x")
}

// plural writes "1 epoch" or "3 epochs".
func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}
