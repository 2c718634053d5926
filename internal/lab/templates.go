package lab

import (
	"fmt"
	"net/http"
	"sync"

	"github.com/featlearn/featlearn/datasets"
	"github.com/featlearn/featlearn/graph"
	"github.com/featlearn/featlearn/models/templates"
	"github.com/featlearn/featlearn/viz"
)

// The Templates tab steps Hinton's template learner through MNIST's
// training images one at a time: the weights from the image's active
// pixels go up by one to the right class and down by one to the guessed
// class when the guess is wrong (models/templates, through G.Grad of the
// perceptron criterion). It trains the Draw tab's "templates" model in
// place, under that model's lock.

// maxTmplSteps is the most images one request may show.
const maxTmplSteps = 5000

// tmplLearner is the state of the Templates tab.
type tmplLearner struct {
	s *Server

	mu       sync.Mutex
	trainer  *graph.Trainer
	pass     int // the pass in progress, from 1
	pos      int // images shown in this pass
	order    []int
	shown    int // images shown in all
	wrong    int // wrong guesses in this pass
	last     *tmplImage
	testErr  [][2]float64 // images shown, test error
	measured int          // images shown when the test error was last measured
}

// tmplImage is the last image shown and what it did.
type tmplImage struct {
	Index int    `json:"index"`
	Label int    `json:"label"`
	Guess int    `json:"guess"`
	Right bool   `json:"right"`
	Image string `json:"image"` // the binarised image, PNG data URL
}

// tmplState is the answer of every Templates endpoint.
type tmplState struct {
	Shown     int          `json:"shown"`
	Pass      int          `json:"pass"`
	Position  int          `json:"position"` // images shown in this pass
	PassSize  int          `json:"pass_size"`
	Mistakes  float64      `json:"mistakes"`   // wrong guesses in this pass so far, as a fraction
	TestError float64      `json:"test_error"` // on the 10,000 test images, now
	History   [][2]float64 `json:"history"`
	Last      *tmplImage   `json:"last,omitempty"`
	Maps      picture      `json:"maps"`
}

// newTmplLearner returns the learner before its first image.
func newTmplLearner(s *Server) *tmplLearner { return &tmplLearner{s: s} }

// handleState answers GET /api/templates/state.
func (l *tmplLearner) handleState(w http.ResponseWriter, r *http.Request) error {
	return l.answer(w, 0)
}

// handleStep answers POST /api/templates/step?n=N: show N images.
func (l *tmplLearner) handleStep(w http.ResponseWriter, r *http.Request) error {
	n, err := queryInt(r, "n", 1, 1, maxTmplSteps)
	if err != nil {
		return err
	}
	return l.answer(w, n)
}

// handleReset answers POST /api/templates/reset: every weight back to zero.
func (l *tmplLearner) handleReset(w http.ResponseWriter, r *http.Request) error {
	e := l.s.cat.own["templates"]
	l.mu.Lock()
	e.mu.Lock()
	for _, p := range e.model.Params() {
		_ = p.Set(make([]float64, p.Size()))
	}
	e.Status, e.Trained = "untrained", false
	e.mu.Unlock()
	l.trainer, l.pass, l.pos, l.order, l.shown, l.wrong, l.last, l.testErr, l.measured = nil, 0, 0, nil, 0, 0, nil, nil, 0
	l.mu.Unlock()
	return l.answer(w, 0)
}

// answer shows n images and writes the learner's state.
func (l *tmplLearner) answer(w http.ResponseWriter, n int) error {
	train, err := l.s.fullTrain()
	if err != nil {
		return unavailable("MNIST: %v", err)
	}
	test, err := l.s.testSet()
	if err != nil {
		return unavailable("MNIST: %v", err)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	e := l.s.cat.own["templates"]
	e.mu.Lock()
	defer e.mu.Unlock()
	if l.trainer == nil {
		if l.trainer, err = graph.NewTrainer(e.model, graph.Perceptron{}, &graph.SGD{LR: 1}); err != nil {
			return err
		}
		l.pass = 1
	}
	if err := l.steps(e.model, train, n); err != nil {
		return err
	}
	st := tmplState{Shown: l.shown, Pass: l.pass, Position: l.pos, PassSize: train.N, Last: l.last}
	if l.pos > 0 {
		st.Mistakes = float64(l.wrong) / float64(l.pos)
	}
	if len(l.testErr) == 0 || l.measured != l.shown {
		te, err := templates.ErrorRate(e.model, graph.BinaryImageData(test, Threshold))
		if err != nil {
			return err
		}
		l.testErr = append(l.testErr, [2]float64{float64(l.shown), te})
		l.measured = l.shown
	}
	st.TestError = l.testErr[len(l.testErr)-1][1]
	st.History = l.testErr
	if st.Maps, err = filterPicture(e.model, "templates"); err != nil {
		return err
	}
	if l.shown > 0 {
		e.Status, e.Trained = fmt.Sprintf("%d images shown, test error %.2f %%", l.shown, 100*st.TestError), true
	}
	writeJSON(w, http.StatusOK, st)
	return nil
}

// steps shows the next n training images, one step each.
func (l *tmplLearner) steps(m *graph.Model, train *datasets.Set, n int) error {
	data := graph.BinaryImageData(train, Threshold)
	x, y := make([]float32, train.Size()), make([]float32, 1)
	param := m.Param(templates.WeightName)
	for k := 0; k < n; k++ {
		if l.order == nil || l.pos == len(l.order) {
			if l.order != nil {
				l.pass++
			}
			l.order, l.pos, l.wrong = graph.EpochOrder(train.N, 1, l.pass), 0, 0
		}
		i := l.order[l.pos]
		if err := data.Gather([]int{i}, x, y); err != nil {
			return err
		}
		guess := -1
		if k == n-1 {
			guess = templates.Guess(param.Float64s(), x)
		}
		r, err := l.trainer.TrainBatch(x, y, 1)
		if err != nil {
			return err
		}
		l.pos++
		l.shown++
		l.wrong += r.N - r.Correct
		if guess >= 0 {
			vals := make([]float64, len(x))
			for j, v := range x {
				vals[j] = float64(v)
			}
			img, err := viz.Gray(vals, train.Rows, train.Cols, 3)
			if err != nil {
				return err
			}
			u, err := pngURL(img)
			if err != nil {
				return err
			}
			l.last = &tmplImage{Index: i, Label: int(y[0]), Guess: guess, Right: guess == int(y[0]), Image: u}
		}
	}
	return nil
}

// fullTrain returns all 60,000 training images, as `templates` trains on.
func (s *Server) fullTrain() (*datasets.Set, error) {
	if _, _, err := s.data(); err != nil {
		return nil, err
	}
	return s.mnist.Train, nil
}
