package lab

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"io"
	"math"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/pkg/errors"
)

// MaxBody is the largest request body any endpoint reads: a drawing, a
// JSON of settings or weights fits in far less.
const MaxBody = 1 << 20

// writeTimeout bounds every response but the event streams, whose writes
// carry deadlines of their own.
const writeTimeout = 30 * time.Second

// httpError is an error with the HTTP status it calls for.
type httpError struct {
	status int
	msg    string
}

func (e *httpError) Error() string { return e.msg }

// badRequest returns a 400 error with a formatted message.
func badRequest(format string, args ...any) error {
	return &httpError{http.StatusBadRequest, fmt.Sprintf(format, args...)}
}

// conflict returns a 409 error with a formatted message.
func conflict(format string, args ...any) error {
	return &httpError{http.StatusConflict, fmt.Sprintf(format, args...)}
}

// notFound returns a 404 error with a formatted message.
func notFound(format string, args ...any) error {
	return &httpError{http.StatusNotFound, fmt.Sprintf(format, args...)}
}

// unavailable returns a 503 error with a formatted message.
func unavailable(format string, args ...any) error {
	return &httpError{http.StatusServiceUnavailable, fmt.Sprintf(format, args...)}
}

// handlerFunc is an endpoint that returns its error instead of writing it.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// api wraps an endpoint: it caps the body, bounds the response time,
// refuses other methods than the allowed ones and writes a returned
// error as JSON {"error": message} with its status (500 for errors
// without one, whose messages are logged rather than shown).
func (s *Server) api(methods string, h handlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !allowed(methods, r.Method) {
			w.Header().Set("Allow", methods)
			writeJSON(w, http.StatusMethodNotAllowed, map[string]string{"error": r.Method + " not allowed; use " + methods})
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, MaxBody)
		_ = http.NewResponseController(w).SetWriteDeadline(time.Now().Add(writeTimeout))
		err := s.guard(r)
		if err == nil {
			err = call(h, w, r)
		}
		if err == nil {
			return
		}
		var he *httpError
		var mbe *http.MaxBytesError
		switch {
		case errors.As(err, &he):
			writeJSON(w, he.status, map[string]string{"error": he.msg})
		case errors.As(err, &mbe):
			writeJSON(w, http.StatusRequestEntityTooLarge, map[string]string{"error": fmt.Sprintf("request body over %d bytes", MaxBody)})
		default:
			s.logf("%s %s: %v", r.Method, r.URL.Path, err)
			writeJSON(w, http.StatusInternalServerError, map[string]string{"error": err.Error()})
		}
	}
}

// call runs an endpoint, turning a panic into an error: no panic escapes
// to net/http, which would drop the connection without an answer.
func call(h handlerFunc, w http.ResponseWriter, r *http.Request) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = errors.Errorf("internal error: %v", p)
		}
	}()
	return h(w, r)
}

// guard refuses requests another web site makes a browser send: a POST
// whose Origin is another host than the one asked (cross-site request
// forgery), and, while the lab listens on loopback only, a Host that is
// not a loopback name (DNS rebinding).
func (s *Server) guard(r *http.Request) error {
	if s.loopback && !loopbackHost(r.Host) {
		return &httpError{http.StatusForbidden, fmt.Sprintf("host %q: the lab answers loopback names only", r.Host)}
	}
	if o := r.Header.Get("Origin"); r.Method == http.MethodPost && o != "" {
		u, err := url.Parse(o)
		if err != nil || u.Host != r.Host {
			return &httpError{http.StatusForbidden, fmt.Sprintf("origin %q: the lab accepts its own page's requests only", o)}
		}
	}
	return nil
}

// loopbackHost reports whether a host (with or without a port) names the
// loopback interface.
func loopbackHost(hostport string) bool {
	h := hostport
	if host, _, err := net.SplitHostPort(hostport); err == nil {
		h = host
	}
	h = strings.Trim(h, "[]")
	if strings.EqualFold(h, "localhost") {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

// allowed reports whether method is one of the space-separated methods.
func allowed(methods, method string) bool {
	for len(methods) > 0 {
		i := 0
		for i < len(methods) && methods[i] != ' ' {
			i++
		}
		if methods[:i] == method {
			return true
		}
		methods = methods[min(i+1, len(methods)):]
	}
	return false
}

// writeJSON writes v as the JSON body of a response with status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"error":"encoding the answer failed"}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}

// readJSON decodes a request body of exactly one JSON value into v,
// refusing unknown fields, so a misspelt setting is an error rather than
// silently ignored. The content type must say JSON: a browser sends that
// cross-site only after asking, and the lab never says yes.
func readJSON(r *http.Request, v any) error {
	if ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); ct != "application/json" {
		return &httpError{http.StatusUnsupportedMediaType, fmt.Sprintf("content type %q: send application/json", r.Header.Get("Content-Type"))}
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return err
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return badRequest("empty body: want a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return badRequest("invalid JSON: %v", err)
	}
	if dec.More() {
		return badRequest("invalid JSON: more than one value")
	}
	return nil
}

// checkRange refuses a value that is not a finite number in [lo, hi]
// (or (lo, hi] when openLo).
func checkRange(name string, v, lo, hi float64, openLo bool) error {
	switch {
	case math.IsNaN(v) || math.IsInf(v, 0):
		return badRequest("%s %v: want a finite number", name, v)
	case openLo && v <= lo, !openLo && v < lo, v > hi:
		left := "["
		if openLo {
			left = "("
		}
		return badRequest("%s %v: want a number in %s%g, %g]", name, v, left, lo, hi)
	}
	return nil
}

// queryInt reads an integer query parameter in [lo, hi], def when absent.
func queryInt(r *http.Request, name string, def, lo, hi int) (int, error) {
	s := r.URL.Query().Get(name)
	if s == "" {
		return def, nil
	}
	v, err := strconv.Atoi(s)
	if err != nil || v < lo || v > hi {
		return 0, badRequest("%s=%q: want a whole number in %d..%d", name, s, lo, hi)
	}
	return v, nil
}

// pngURL encodes img as a PNG data URL for an <img> element.
func pngURL(img image.Image) (string, error) {
	var b bytes.Buffer
	b.WriteString("data:image/png;base64,")
	enc := base64.NewEncoder(base64.StdEncoding, &b)
	if err := (&png.Encoder{CompressionLevel: png.BestSpeed}).Encode(enc, img); err != nil {
		return "", errors.Wrap(err, "encoding png")
	}
	if err := enc.Close(); err != nil {
		return "", errors.Wrap(err, "encoding png")
	}
	return b.String(), nil
}
