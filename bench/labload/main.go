// Command labload is a bounded loopback load test of the lab's prediction
// endpoint: it serves the lab in this process on 127.0.0.1 (or targets a
// lab already running on a loopback -url), and for -duration (30 s) lets
// -clients (200) concurrent clients post drawings, each pausing -think
// (200 ms, jittered ±50 %) between answers as a page waits between strokes.
// Each drawing is an MNIST test digit drawn at the pad's 140x140 as a PNG,
// as the page sends it. It prints the requests, errors, throughput, the
// latency percentiles seen by the clients and by the server, the peak RSS
// of this process (server and clients together) and the load average
// before and after, and fails (exit 1) on any error or a p99 over -max-p99.
//
//	go run ./bench/labload [-clients 200] [-duration 30s] [-think 200ms] [-model lenet]
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"runtime"
	"runtime/pprof"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/pkg/errors"

	"github.com/featlearn/featlearn/datasets"
	"github.com/featlearn/featlearn/internal/cli"
	"github.com/featlearn/featlearn/internal/lab"
)

func main() {
	os.Exit(cli.Exit("labload", run(os.Args[1:], os.Stdout, os.Stderr), os.Stderr))
}

// config is the load test's flags.
type config struct {
	clients  int
	duration time.Duration
	think    time.Duration
	model    string
	target   string
	maxP99   time.Duration
	data     string
}

// Bounds that keep the test a test: loopback only, minutes at most.
const (
	maxClients  = 2000
	maxDuration = 5 * time.Minute
)

func run(args []string, stdout, stderr io.Writer) error {
	fs := cli.NewFlagSet("labload", "[flags]", "labload: a bounded loopback load test of the lab's /api/predict.", stderr)
	var c config
	fs.IntVar(&c.clients, "clients", 200, "concurrent clients")
	fs.DurationVar(&c.duration, "duration", 30*time.Second, "how long the clients post")
	fs.DurationVar(&c.think, "think", 200*time.Millisecond, "pause between a client's answer and its next drawing (jittered ±50%)")
	fs.StringVar(&c.model, "model", "lenet", "model to predict with")
	fs.StringVar(&c.target, "url", "", "a lab already running on loopback (default: serve one in this process)")
	fs.DurationVar(&c.maxP99, "max-p99", 20*time.Millisecond, "fail when the clients' p99 latency is above this")
	data := cli.DataFlag(fs)
	profile := fs.String("cpuprofile", "", "write a CPU profile of the run to this file")
	if err := cli.Parse(fs, args, 0); err != nil {
		return err
	}
	c.data = *data
	if c.clients < 1 || c.clients > maxClients || c.duration <= 0 || c.duration > maxDuration || c.think < 0 {
		return cli.Usagef("want 1..%d clients for at most %v, think >= 0", maxClients, maxDuration)
	}
	if c.target != "" {
		if err := loopback(c.target); err != nil {
			return err
		}
	}
	mnist, err := cli.LoadMNIST(c.data, stderr)
	if err != nil {
		return err
	}
	drawings, err := drawingsOf(mnist.Test, 32)
	if err != nil {
		return err
	}
	mnist = nil // the lab predicts without MNIST, as when a person only draws
	runtime.GC()
	base := c.target
	if base == "" {
		s, err := lab.New(lab.Config{})
		if err != nil {
			return err
		}
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return errors.Wrap(err, "listening")
		}
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		go func() { _ = s.Serve(ctx, l) }()
		base = "http://" + l.Addr().String()
	}
	load0, cpu0 := loadavg(), cpuTime()
	fmt.Fprintf(stderr, "labload: %d clients posting %d drawings to %s/api/predict?model=%s for %v\n", c.clients, len(drawings), base, c.model, c.duration)
	if *profile != "" {
		f, err := os.Create(*profile)
		if err != nil {
			return errors.WithStack(err)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return errors.WithStack(err)
		}
		defer pprof.StopCPUProfile()
	}
	res := hammer(base+"/api/predict?model="+url.QueryEscape(c.model), drawings, c)
	res.cpu = cpuTime() - cpu0
	return res.report(stdout, c, load0)
}

// loopback refuses a target that is not on this machine's loopback.
func loopback(target string) error {
	u, err := url.Parse(target)
	if err != nil {
		return cli.Usagef("-url %q: %v", target, err)
	}
	h := u.Hostname()
	if ip := net.ParseIP(h); h != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return cli.Usagef("-url %q: the load test only targets loopback (127.0.0.0/8, ::1, localhost)", target)
	}
	return nil
}

// drawingsOf renders n test digits as the pad would: dark ink on white,
// 140x140, as RGBA PNGs.
func drawingsOf(set *datasets.Set, n int) ([][]byte, error) {
	var out [][]byte
	for i := range min(n, set.N) {
		px := set.Pixels(i * 97 % set.N)
		img := image.NewRGBA(image.Rect(0, 0, 140, 140))
		for y := range 140 {
			for x := range 140 {
				v := 255 - px[(y/5)*28+x/5]
				img.SetRGBA(x, y, color.RGBA{v, v, v, 255})
			}
		}
		var b bytes.Buffer
		if err := png.Encode(&b, img); err != nil {
			return nil, err
		}
		out = append(out, b.Bytes())
	}
	return out, nil
}

// results collects what the clients saw.
type results struct {
	mu       sync.Mutex
	lat      []time.Duration // client-side latency of each good answer
	server   []time.Duration // the server's own time, from the answers
	errs     int
	firstErr string
	elapsed  time.Duration
	cpu      time.Duration // CPU time this process used during the run
}

// hammer runs the clients and returns what they saw.
func hammer(target string, drawings [][]byte, c config) *results {
	tr := &http.Transport{MaxIdleConns: c.clients, MaxIdleConnsPerHost: c.clients, MaxConnsPerHost: c.clients, IdleConnTimeout: time.Minute}
	client := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	defer tr.CloseIdleConnections()
	res := &results{}
	start := time.Now()
	end := start.Add(c.duration)
	var wg sync.WaitGroup
	for i := range c.clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(i), 7))
			// Clients start spread over one think time, as pages would.
			time.Sleep(time.Duration(rng.Int64N(int64(c.think) + 1)))
			for time.Now().Before(end) {
				d := drawings[rng.IntN(len(drawings))]
				t0 := time.Now()
				micros, err := predict(client, target, d)
				lat := time.Since(t0)
				res.add(lat, time.Duration(micros)*time.Microsecond, err)
				if c.think > 0 {
					time.Sleep(c.think/2 + time.Duration(rng.Int64N(int64(c.think)+1)))
				}
			}
		}()
	}
	wg.Wait()
	res.elapsed = time.Since(start)
	return res
}

// predict posts one drawing and checks the answer.
func predict(client *http.Client, target string, body []byte) (int64, error) {
	resp, err := client.Post(target, "image/png", bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, err
	}
	if resp.StatusCode != http.StatusOK {
		return 0, errors.Errorf("status %d: %s", resp.StatusCode, strings.TrimSpace(string(b)))
	}
	var p struct {
		Top []struct {
			Class int `json:"class"`
		} `json:"top"`
		Micros int64 `json:"micros"`
	}
	if err := json.Unmarshal(b, &p); err != nil || len(p.Top) != 3 {
		return 0, errors.Errorf("bad answer %.100q", b)
	}
	return p.Micros, nil
}

// add records one request.
func (r *results) add(lat, server time.Duration, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err != nil {
		r.errs++
		if r.firstErr == "" {
			r.firstErr = err.Error()
		}
		return
	}
	r.lat = append(r.lat, lat)
	r.server = append(r.server, server)
}

// pct returns the p-th percentile of sorted durations.
func pct(d []time.Duration, p float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	return d[min(len(d)-1, int(p/100*float64(len(d))))]
}

// report prints the figures and returns an error when the test failed.
func (r *results) report(w io.Writer, c config, load0 string) error {
	slices.Sort(r.lat)
	slices.Sort(r.server)
	n := len(r.lat) + r.errs
	ms := func(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d.Microseconds())/1000) }
	fmt.Fprintf(w, "labload: %d clients, %v, think %v, model %s, GOMAXPROCS %d on %d cores\n", c.clients, r.elapsed.Round(time.Millisecond), c.think, c.model, runtime.GOMAXPROCS(0), runtime.NumCPU())
	fmt.Fprintf(w, "requests %d, errors %d, %.0f requests/s\n", n, r.errs, float64(n)/r.elapsed.Seconds())
	fmt.Fprintf(w, "client latency: p50 %s, p90 %s, p99 %s, max %s\n", ms(pct(r.lat, 50)), ms(pct(r.lat, 90)), ms(pct(r.lat, 99)), ms(pct(r.lat, 100)))
	fmt.Fprintf(w, "server time:    p50 %s, p90 %s, p99 %s, max %s\n", ms(pct(r.server, 50)), ms(pct(r.server, 90)), ms(pct(r.server, 99)), ms(pct(r.server, 100)))
	fmt.Fprintf(w, "CPU used %.1f s in %.1f s (%.2f of %d cores), %.2f ms a request, server and clients\n",
		r.cpu.Seconds(), r.elapsed.Seconds(), r.cpu.Seconds()/r.elapsed.Seconds(), runtime.NumCPU(), float64(r.cpu.Microseconds())/1000/float64(max(n, 1)))
	fmt.Fprintf(w, "peak RSS %s (this process: server and clients)\n", peakRSS())
	fmt.Fprintf(w, "load average before %s, after %s\n", load0, loadavg())
	switch {
	case r.errs > 0:
		return errors.Errorf("%d of %d requests failed; the first: %s", r.errs, n, r.firstErr)
	case len(r.lat) == 0:
		return errors.New("no request answered")
	case pct(r.lat, 99) > c.maxP99:
		return errors.Errorf("p99 latency %s is over %v", ms(pct(r.lat, 99)), c.maxP99)
	}
	return nil
}

// peakRSS reads this process's peak resident set size from /proc.
func peakRSS() string {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return "unknown"
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}

// cpuTime returns the user and system CPU time this process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// loadavg reads the machine's load averages over 1, 5 and 15 minutes.
func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}
