// Command featbench measures featlearn's side of the bench (see
// bench/run.sh): one model, one full training epoch on real MNIST under the
// peer protocol, then inference at batch 1000 and batch-1 latency. It prints
// one JSON line with the same keys as bench/peer.py.
//
//	featbench [-model lenet|mlp] [-data DIR] [-cpuprofile FILE]
//
// Every flag is checked before any work. Exit status: 0 ok, 1 failure, 2
// usage (a bad flag value or a stray argument), 130 interrupted (Ctrl-C).
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/pprof"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/featlearn/featlearn/datasets"
	"github.com/featlearn/featlearn/graph"
	"github.com/featlearn/featlearn/internal/cli"
	"github.com/featlearn/featlearn/models/lenet"
	"github.com/featlearn/featlearn/models/mlp"
	"github.com/featlearn/featlearn/models/resnet"
	"github.com/featlearn/featlearn/ops"
)

// result is one model's figures, keyed as bench/peer.py keys them.
type result struct {
	Peer       string  `json:"peer"`
	Model      string  `json:"model"`
	TrainImgS  float64 `json:"train_img_s"`
	EpochS     float64 `json:"epoch_s"`
	InferImgS  float64 `json:"infer_img_s"`
	LatencyUS  float64 `json:"latency_us"`
	PeakRSSMiB float64 `json:"peak_rss_mib"`
	TestAcc    float64 `json:"test_acc"`
	Kernels    string  `json:"kernels"` // the instruction set of the kernels (ops.KernelLevel)
}

func main() { os.Exit(mainCode(os.Args[1:], os.Stdout, os.Stderr)) }

// mainCode runs the command and returns its exit status.
func mainCode(args []string, stdout, stderr io.Writer) int {
	return cli.Exit("featbench", parseAndRun(args, stdout, stderr), stderr)
}

// parseAndRun checks the flags, runs the bench and prints its JSON line.
func parseAndRun(args []string, stdout, stderr io.Writer) error {
	fs := cli.NewFlagSet("featbench", "[flags]", "one training epoch and inference on MNIST, as one JSON line (see bench/run.sh).", stderr)
	model := fs.String("model", "lenet", "lenet, mlp or resnet")
	data := cli.DataFlag(fs)
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the training epoch to this file")
	if err := cli.Parse(fs, args, 0); err != nil {
		return err
	}
	if *model != "lenet" && *model != "mlp" && *model != "resnet" {
		return cli.Usagef("-model %q: want lenet, mlp or resnet", *model)
	}
	r, err := run(*model, *data, *cpuProfile)
	if err != nil {
		return err
	}
	return json.NewEncoder(stdout).Encode(r)
}

func run(name, dir, cpuProfile string) (*result, error) {
	mn, err := datasets.LoadMNIST(dir)
	if err != nil {
		return nil, err
	}
	build, ok := map[string]func(uint64) (*graph.Model, error){"lenet": lenet.New, "mlp": mlp.New, "resnet": resnet.New}[name]
	if !ok {
		return nil, fmt.Errorf("unknown model %q", name)
	}
	m, err := build(1)
	if err != nil {
		return nil, err
	}
	level, _ := ops.KernelLevel()
	r := &result{Peer: "featlearn " + runtime.Version(), Model: name, Kernels: level}
	if cpuProfile != "" {
		f, err := os.Create(cpuProfile)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return nil, err
		}
	}
	err = train(r, m, mn.Train)
	pprof.StopCPUProfile()
	if err != nil {
		return nil, err
	}
	if err := infer(r, m, mn.Test); err != nil {
		return nil, err
	}
	r.PeakRSSMiB = peakRSSMiB()
	return r, nil
}

// train runs one epoch: batch 64, SGD momentum 0.9 lr 0.01, last partial batch dropped.
func train(r *result, m *graph.Model, set *datasets.Set) error {
	tr, err := graph.NewTrainer(m, graph.CrossEntropy{}, &graph.SGD{LR: 0.01, Momentum: 0.9})
	if err != nil {
		return err
	}
	start := time.Now()
	cfg := graph.FitConfig{Epochs: 1, BatchSize: 64, Seed: 1, DropLast: true}
	if _, err := tr.Fit(graph.ImageData(set), cfg); err != nil {
		return err
	}
	r.EpochS = time.Since(start).Seconds()
	r.TrainImgS = float64(set.N/64*64) / r.EpochS
	return nil
}

// infer times the test set at batch 1000, after one untimed batch, and
// single images one at a time.
func infer(r *result, m *graph.Model, set *datasets.Set) error {
	x := make([]float32, set.N*set.Size())
	for i := 0; i < set.N; i++ {
		set.Float32s(i, x[i*set.Size():(i+1)*set.Size()])
	}
	// One untimed batch first, as the PyTorch peer does: the first call
	// builds the batch-1000 program and allocates its buffers.
	if _, err := m.Predict(x[:1000*set.Size()], 1000, 1000); err != nil {
		return err
	}
	start := time.Now()
	out, err := m.Predict(x, set.N, 1000)
	if err != nil {
		return err
	}
	r.InferImgS = float64(set.N) / time.Since(start).Seconds()
	right := 0
	for i := 0; i < set.N; i++ {
		if graph.Argmax(out[i*10:(i+1)*10]) == int(set.Labels[i]) {
			right++
		}
	}
	r.TestAcc = float64(right) / float64(set.N)
	lat := make([]float64, 0, 1000)
	for i := 0; i < 1000; i++ {
		t0 := time.Now()
		if _, err := m.Predict(x[i*set.Size():(i+1)*set.Size()], 1, 1); err != nil {
			return err
		}
		lat = append(lat, float64(time.Since(t0).Nanoseconds())/1e3)
	}
	lat = lat[100:] // the first calls build the batch-1 program
	sort.Float64s(lat)
	r.LatencyUS = lat[len(lat)/2]
	return nil
}

// peakRSSMiB reads the process's peak resident set size (VmHWM) from /proc.
func peakRSSMiB() float64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
			return kb / 1024
		}
	}
	return 0
}
