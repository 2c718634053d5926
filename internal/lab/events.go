package lab

import (
	"encoding/json"
	"net/http"
	"sync"
	"time"
)

// Event streams (server-sent events) never hold training up: publishing
// only queues an event for each client, dropping a client whose queue is
// full; each client's writes carry a deadline, so one that stops reading
// is dropped too. A dropped page reconnects by itself (EventSource does)
// and receives the current state first.

const (
	clientQueue   = 256              // events queued per client
	eventDeadline = 10 * time.Second // longest a write to a client may take
	heartbeat     = 15 * time.Second // a comment line keeps idle streams open
)

// event is one named server-sent event with its JSON data.
type event struct {
	name string
	data []byte
}

// newEvent marshals v as the data of an event.
func newEvent(name string, v any) event {
	b, err := json.Marshal(v)
	if err != nil {
		b, _ = json.Marshal(map[string]string{"error": err.Error()})
	}
	return event{name, b}
}

// hub fans events out to the clients of one stream.
type hub struct {
	mu      sync.Mutex
	clients map[chan event]struct{}
	// snapshot returns the events that bring a new client up to date.
	snapshot func() []event
	dropped  int // clients dropped for falling behind, for tests
}

// newHub returns a hub whose new clients first receive snapshot().
func newHub(snapshot func() []event) *hub {
	return &hub{clients: map[chan event]struct{}{}, snapshot: snapshot}
}

// publish queues ev for every client without waiting: a client whose
// queue is full is dropped (its channel closed).
func (h *hub) publish(ev event) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for ch := range h.clients {
		select {
		case ch <- ev:
		default:
			delete(h.clients, ch)
			close(ch)
			h.dropped++
		}
	}
}

// count returns the number of connected clients.
func (h *hub) count() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.clients)
}

// subscribe adds a client whose queue starts with the snapshot; taking
// the snapshot under the hub's lock orders it before every later event.
func (h *hub) subscribe() chan event {
	h.mu.Lock()
	defer h.mu.Unlock()
	ch := make(chan event, clientQueue)
	if h.snapshot != nil {
		for _, ev := range h.snapshot() {
			select {
			case ch <- ev:
			default:
			}
		}
	}
	h.clients[ch] = struct{}{}
	return ch
}

// unsubscribe removes a client unless publish already dropped it.
func (h *hub) unsubscribe(ch chan event) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, ok := h.clients[ch]; ok {
		delete(h.clients, ch)
		close(ch)
	}
}

// closeAll ends every stream, at shutdown.
func (h *hub) closeAll() {
	h.mu.Lock()
	defer h.mu.Unlock()
	for ch := range h.clients {
		delete(h.clients, ch)
		close(ch)
	}
}

// serve streams the hub's events to one client until it goes, falls
// behind or the server shuts down.
func (h *hub) serve(w http.ResponseWriter, r *http.Request) {
	rc := http.NewResponseController(w)
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	ch := h.subscribe()
	defer h.unsubscribe(ch)
	tick := time.NewTicker(heartbeat)
	defer tick.Stop()
	write := func(b []byte) bool {
		if rc.SetWriteDeadline(time.Now().Add(eventDeadline)) != nil {
			return false
		}
		if _, err := w.Write(b); err != nil {
			return false
		}
		return rc.Flush() == nil
	}
	if !write([]byte("retry: 1000\n\n")) {
		return
	}
	for {
		select {
		case <-r.Context().Done():
			return
		case <-tick.C:
			if !write([]byte(": ping\n\n")) {
				return
			}
		case ev, ok := <-ch:
			if !ok {
				return
			}
			msg := make([]byte, 0, len(ev.data)+len(ev.name)+16)
			msg = append(append(append(msg, "event: "...), ev.name...), "\ndata: "...)
			msg = append(append(msg, ev.data...), "\n\n"...)
			if !write(msg) {
				return
			}
		}
	}
}
