// Package lab is featlearn's lab: a web page, served by Go's net/http with
// its HTML, JavaScript and CSS embedded, for seeing features learn.
//
// The page has four tabs. Draw: a digit drawn with the mouse or a finger
// is preprocessed exactly as `lenet predict` preprocesses an image file,
// and the chosen model (the lab's LeNet-5, its MLP, Hinton's templates, or
// any checkpoint under -out) shows its top three classes, every layer's
// output and its first-layer filters. Train: the lab's LeNet-5 or MLP
// trains on the server at full speed, pausable, with its learning rate,
// momentum, batch size and weight decay editable mid-run, streaming its
// loss, accuracy, filters, test predictions and confusion matrix to the
// page as server-sent events. Templates: Hinton's template learner, one
// image at a time. XOR: the lecture's logic-gate neurons with editable
// weights, and a small net learning XOR.
//
// The page keeps its state in the URL's query, so a configuration is a
// link. Every picture comes from package viz, as the binaries' PNGs do.
package lab

import (
	"context"
	"embed"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/pkg/errors"

	"github.com/featlearn/featlearn/datasets"
)

//go:embed static
var static embed.FS

// Config says how to run the lab.
type Config struct {
	// Addr is the address to listen on, loopback by default.
	Addr string
	// Out is the folder of checkpoints the Draw tab offers; the lab saves
	// its own models under Out/lab. Empty: no checkpoints, no saving.
	Out string
	// Data is the folder of MNIST's IDX files (empty: found as the other
	// binaries find it).
	Data string
	// MNIST, when set, is used instead of loading MNIST (tests).
	MNIST *datasets.MNIST
	// Log receives progress and errors (nil: discarded).
	Log io.Writer
}

// DefaultAddr is where the lab listens by default: loopback only.
const DefaultAddr = "127.0.0.1:8080"

// Server is the lab: its models, its training job, the template learner
// and the HTTP handlers.
type Server struct {
	cfg   Config
	cat   *catalogue
	job   *job
	tmpl  *tmplLearner
	index *template.Template
	mux   *http.ServeMux

	dataMu     sync.Mutex
	mnist      *datasets.MNIST
	train, val *datasets.Set

	logMu sync.Mutex
	// loopback says the lab listens on loopback only, so requests must
	// name a loopback host.
	loopback bool
}

// New builds the lab's models (restoring those it saved under
// cfg.Out/lab) and its handlers; MNIST loads on first need.
func New(cfg Config) (*Server, error) {
	if cfg.Addr == "" {
		cfg.Addr = DefaultAddr
	}
	s := &Server{cfg: cfg, mnist: cfg.MNIST}
	if host, _, err := net.SplitHostPort(cfg.Addr); err == nil {
		s.loopback = loopbackHost(host)
	}
	var err error
	if s.cat, err = newCatalogue(cfg.Out); err != nil {
		return nil, err
	}
	if s.job, err = newJob(s); err != nil {
		return nil, err
	}
	s.tmpl = newTmplLearner(s)
	if s.index, err = template.ParseFS(static, "static/index.html"); err != nil {
		return nil, errors.Wrap(err, "lab page")
	}
	s.routes()
	return s, nil
}

// routes registers every endpoint.
func (s *Server) routes() {
	m := http.NewServeMux()
	sub, _ := fs.Sub(static, "static")
	m.Handle("GET /static/", http.StripPrefix("/static/", http.FileServerFS(sub)))
	m.HandleFunc("/{$}", s.api("GET HEAD", s.handleIndex))
	m.HandleFunc("/api/models", s.api("GET", s.handleModels))
	m.HandleFunc("/api/predict", s.api("POST", s.handlePredict))
	m.HandleFunc("/api/inspect", s.api("POST", s.handleInspect))
	m.HandleFunc("/api/filters", s.api("GET", s.handleFilters))
	m.HandleFunc("/api/train/state", s.api("GET", func(w http.ResponseWriter, r *http.Request) error {
		writeJSON(w, http.StatusOK, s.job.state())
		return nil
	}))
	m.HandleFunc("/api/train/start", s.api("POST", s.job.handleStart))
	m.HandleFunc("/api/train/pause", s.api("POST", s.job.handlePause(true)))
	m.HandleFunc("/api/train/resume", s.api("POST", s.job.handlePause(false)))
	m.HandleFunc("/api/train/reset", s.api("POST", s.job.handleReset))
	m.HandleFunc("/api/train/settings", s.api("POST", s.job.handleSettings))
	m.HandleFunc("/api/train/save", s.api("POST", s.job.handleSave))
	m.HandleFunc("GET /api/train/events", s.job.hub.serve)
	m.HandleFunc("/api/templates/state", s.api("GET", s.tmpl.handleState))
	m.HandleFunc("/api/templates/step", s.api("POST", s.tmpl.handleStep))
	m.HandleFunc("/api/templates/reset", s.api("POST", s.tmpl.handleReset))
	m.HandleFunc("/api/xor/gate", s.api("POST", handleGate))
	m.HandleFunc("/api/xor/learn", s.api("POST", handleLearn))
	s.mux = m
}

// Handler returns the lab's HTTP handler.
func (s *Server) Handler() http.Handler { return s.mux }

// handleIndex serves the page.
func (s *Server) handleIndex(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	return s.index.Execute(w, map[string]any{"Out": s.cfg.Out})
}

// Serve serves the lab on l until ctx ends (Ctrl-C in featlearn serve), then
// stops a training run, saves every model trained since its last save
// and shuts the server down. It returns ctx's error after a clean stop.
func (s *Server) Serve(ctx context.Context, l net.Listener) error {
	srv := &http.Server{Handler: s.mux, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: time.Minute,
		IdleTimeout: 2 * time.Minute, MaxHeaderBytes: 64 << 10}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(l) }()
	select {
	case err := <-errc:
		return errors.Wrap(err, "serving the lab")
	case <-ctx.Done():
	}
	s.logf("stopping: saving what was trained")
	err := s.job.shutdown(time.Minute)
	s.job.hub.closeAll()
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if serr := srv.Shutdown(sctx); serr != nil && err == nil {
		err = errors.Wrap(serr, "shutting down")
	}
	if err != nil {
		return err
	}
	return ctx.Err()
}

// data returns MNIST's training images (the first 55,000) and its
// validation images (the last 5,000), loading MNIST on first use.
func (s *Server) data() (train, val *datasets.Set, err error) {
	s.dataMu.Lock()
	defer s.dataMu.Unlock()
	if s.train != nil {
		return s.train, s.val, nil
	}
	if s.mnist == nil {
		l := &datasets.MNISTLoader{Dir: s.cfg.Data, Progress: s.cfg.Log}
		if s.mnist, err = l.Load(); err != nil {
			return nil, nil, err
		}
	}
	if s.train, s.val, err = s.mnist.TrainVal(); err != nil {
		return nil, nil, err
	}
	return s.train, s.val, nil
}

// testSet returns MNIST's test images.
func (s *Server) testSet() (*datasets.Set, error) {
	if _, _, err := s.data(); err != nil {
		return nil, err
	}
	return s.mnist.Test, nil
}

// logf writes a line of progress to the log.
func (s *Server) logf(format string, args ...any) {
	if s.cfg.Log == nil {
		return
	}
	s.logMu.Lock()
	defer s.logMu.Unlock()
	fmt.Fprintf(s.cfg.Log, "lab: "+format+"\n", args...)
}
