package main

import (
	"bufio"
	"bytes"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/featlearn/featlearn/graph"
	"github.com/featlearn/featlearn/graph/safetensors"
)

// TestKillSoak kills a real `lenet train` process with SIGKILL at random
// moments of its training, at least FEATLEARN_SOAK_KILLS times (default
// 50). After every kill the checkpoint left behind must load (`lenet
// eval`), and the run goes on with -resume; every run that reaches its
// last epoch must end with the checkpoint an uninterrupted run writes,
// tensor for tensor, bit for bit. It takes a few minutes and runs only
// with FEATLEARN_SOAK=1:
//
//	FEATLEARN_SOAK=1 go test -run KillSoak -v -timeout 60m ./cmd/lenet
func TestKillSoak(t *testing.T) {
	if os.Getenv("FEATLEARN_SOAK") != "1" {
		t.Skip("set FEATLEARN_SOAK=1 to run the kill -9 soak")
	}
	kills := 50
	if s := os.Getenv("FEATLEARN_SOAK_KILLS"); s != "" {
		var err error
		if kills, err = strconv.Atoi(s); err != nil {
			t.Fatalf("FEATLEARN_SOAK_KILLS=%q", s)
		}
	}
	work := t.TempDir()
	bin := filepath.Join(work, "lenet")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	trainArgs := func(dir string) []string {
		return []string{"train", "-train-n", "1000", "-epochs", "6", "-out", dir, "-progress", "lines"}
	}

	ref := filepath.Join(work, "ref")
	start := time.Now()
	if out, err := exec.Command(bin, trainArgs(ref)...).CombinedOutput(); err != nil {
		t.Fatalf("uninterrupted run: %v\n%s", err, out)
	}
	runTime := time.Since(start)
	want := readTensors(t, graph.CheckpointPath(ref))
	t.Logf("uninterrupted run: %v", runTime.Round(time.Millisecond))

	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 1))
	s := soak{t: t, bin: bin, rng: rng, maxDelay: runTime / 3}
	for cycle := 1; s.kills < kills; cycle++ {
		dir := filepath.Join(work, "soak-"+strconv.Itoa(cycle))
		for {
			args := trainArgs(dir)
			if _, err := os.Stat(graph.CheckpointPath(dir)); err == nil {
				args = append(args, "-resume")
			}
			if !s.runAndMaybeKill(args) {
				break // the run finished before its kill
			}
			s.afterKill(dir)
		}
		got := readTensors(t, graph.CheckpointPath(dir))
		if len(got) != len(want) {
			t.Fatalf("cycle %d: %d tensors, the uninterrupted run %d", cycle, len(got), len(want))
		}
		for name, data := range want {
			if !bytes.Equal(got[name], data) {
				t.Fatalf("cycle %d: tensor %s differs from the uninterrupted run's", cycle, name)
			}
		}
		if stale := fitTemps(dir); len(stale) > 0 {
			t.Errorf("cycle %d: temporary files of Fit left: %v", cycle, stale)
		}
		if stale, _ := filepath.Glob(filepath.Join(dir, ".confusion.png.tmp-*")); len(stale) > 0 {
			s.confusionLeft += len(stale)
		}
		t.Logf("cycle %d: final weights equal the uninterrupted run's bit for bit (%d kills so far)", cycle, s.kills)
	}
	t.Logf("%d kills: %d before the first checkpoint, %d with a temporary file of Fit left behind (all removed by the next run), %d evals of the checkpoint left, all loaded; %d temporary confusion.png files left by kills during the final report",
		s.kills, s.beforeFirst, s.staleSeen, s.evals, s.confusionLeft)
}

// soak runs and kills training processes.
type soak struct {
	t        *testing.T
	bin      string
	rng      *rand.Rand
	maxDelay time.Duration

	kills, beforeFirst, staleSeen, evals, confusionLeft int
}

// runAndMaybeKill starts `lenet args`, waits until it trains, kills it
// with SIGKILL after a random delay, and reports whether it killed it;
// a process that ends first must have succeeded.
func (s *soak) runAndMaybeKill(args []string) bool {
	t := s.t
	cmd := exec.Command(s.bin, args...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var log bytes.Buffer
	training := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		sc := bufio.NewScanner(stderr)
		once := false
		for sc.Scan() {
			log.WriteString(sc.Text() + "\n")
			if !once && strings.HasPrefix(sc.Text(), "training LeNet-5") {
				once = true
				close(training)
			}
		}
		if !once {
			close(training)
		}
	}()
	<-training
	timer := time.NewTimer(time.Duration(s.rng.Int64N(int64(s.maxDelay))))
	exited := make(chan error, 1)
	go func() { <-done; exited <- cmd.Wait() }()
	select {
	case err := <-exited:
		timer.Stop()
		if err != nil {
			t.Fatalf("lenet %s: %v\n%s", strings.Join(args, " "), err, log.String())
		}
		return false
	case <-timer.C:
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	err = <-exited
	if ee, ok := err.(*exec.ExitError); !ok || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		// It finished in the instant before the kill.
		if err != nil {
			t.Fatalf("lenet %s: %v\n%s", strings.Join(args, " "), err, log.String())
		}
		return false
	}
	s.kills++
	return true
}

// afterKill checks what a killed run left in dir: the checkpoint, if
// there is one, must load and evaluate.
func (s *soak) afterKill(dir string) {
	t := s.t
	if len(fitTemps(dir)) > 0 {
		s.staleSeen++
	}
	ckpt := graph.CheckpointPath(dir)
	if _, err := os.Stat(ckpt); err != nil {
		s.beforeFirst++
		return
	}
	out, err := exec.Command(s.bin, "eval", "-ckpt", ckpt, "-png", "-").CombinedOutput()
	if err != nil || !bytes.Contains(out, []byte("test set:")) {
		t.Fatalf("kill %d: the checkpoint left does not load: %v\n%s", s.kills, err, out)
	}
	s.evals++
}

// readTensors returns the bytes of every tensor of a checkpoint: the
// weights and the optimizer state.
func readTensors(t *testing.T, path string) map[string][]byte {
	t.Helper()
	f, err := safetensors.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]byte{}
	for _, tn := range f.Tensors {
		out[tn.Name] = tn.Data
	}
	return out
}

// fitTemps lists the temporary files of Fit's own files in dir.
func fitTemps(dir string) []string {
	var out []string
	for _, name := range []string{graph.CheckpointFile, graph.BestFile, graph.HistoryJSON, graph.HistoryCSV} {
		m, _ := filepath.Glob(filepath.Join(dir, "."+name+".tmp-*"))
		out = append(out, m...)
	}
	return out
}
