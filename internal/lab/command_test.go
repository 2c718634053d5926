package lab

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/featlearn/featlearn/internal/cli"
)

// syncBuffer is a bytes.Buffer safe for a writer and a reader.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestUsageErrors(t *testing.T) {
	for args, want := range map[string]int{"-bogus": cli.ExitUsage, "stray": cli.ExitUsage, "-addr 127.0.0.1:99999": cli.ExitError} {
		var stderr bytes.Buffer
		if code := cli.Exit("featlearn", Command(strings.Fields(args), &stderr), &stderr); code != want {
			t.Errorf("serve %s: exit %d, want %d (%s)", args, code, want, stderr.String())
		}
	}
}

// TestCtrlCSavesAndExits130 trains, sends this process SIGINT as Ctrl-C
// does, and checks the lab saved the run and reports exit status 130.
func TestCtrlCSavesAndExits130(t *testing.T) {
	out := t.TempDir()
	stderr := &syncBuffer{}
	done := make(chan int, 1)
	go func() {
		done <- cli.Exit("featlearn", Command([]string{"-addr", "127.0.0.1:0", "-out", out}, stderr), stderr)
	}()
	re := regexp.MustCompile(`the lab at (http://\S+)`)
	var url string
	for end := time.Now().Add(time.Minute); url == "" && time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
		if m := re.FindStringSubmatch(stderr.String()); m != nil {
			url = m[1]
		}
	}
	if url == "" {
		t.Fatalf("the lab did not start: %s", stderr.String())
	}
	res, err := http.Post(url+"/api/train/start", "application/json", strings.NewReader(`{"epochs":3,"batch":16}`))
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("start: %v %v", err, res)
	}
	res.Body.Close()
	for end := time.Now().Add(time.Minute); ; time.Sleep(50 * time.Millisecond) {
		var st struct{ Step int }
		res, err := http.Get(url + "/api/train/state")
		if err != nil {
			t.Fatal(err)
		}
		_ = json.NewDecoder(res.Body).Decode(&st)
		res.Body.Close()
		if st.Step >= 10 {
			break
		}
		if time.Now().After(end) {
			t.Fatal("no training steps")
		}
	}
	if err := syscall.Kill(os.Getpid(), syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	select {
	case code := <-done:
		if code != cli.ExitInterrupted {
			t.Errorf("exit %d, want 130; stderr:\n%s", code, stderr.String())
		}
	case <-time.After(time.Minute):
		t.Fatal("the lab did not stop")
	}
	if _, err := os.Stat(filepath.Join(out, "lab", "lenet", "checkpoint.safetensors")); err != nil || !strings.Contains(stderr.String(), "saved") {
		t.Errorf("no checkpoint after Ctrl-C: %v\n%s", err, stderr.String())
	}
}
