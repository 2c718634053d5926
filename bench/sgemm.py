#!/usr/bin/python3
"""OpenBLAS's SGEMM through numpy on bench/sgemm's shapes, in GFLOP/s: one
JSON line per shape, with the keys bench/sgemm prints. The thread count
comes from the environment (OMP_NUM_THREADS with the OpenMP OpenBLAS);
bench/run.sh runs it with the peer's environment."""
import json, sys, time

import numpy as np

SHAPES = [
    ("peak_2048", False, False, 2048, 2048, 2048),
    ("mlp_fwd1_b64", False, True, 64, 300, 784),
    ("mlp_fwd2_b64", False, True, 64, 100, 300),
    ("mlp_fwd3_b64", False, True, 64, 10, 100),
    ("mlp_dX2_b64", False, False, 64, 300, 100),
    ("mlp_dX3_b64", False, False, 64, 100, 10),
    ("mlp_dW1_b64", True, False, 300, 784, 64),
    ("mlp_dW2_b64", True, False, 100, 300, 64),
    ("mlp_dW3_b64", True, False, 10, 100, 64),
    ("mlp_fwd1_b1000", False, True, 1000, 300, 784),
    ("mlp_fwd2_b1000", False, True, 1000, 100, 300),
    ("mlp_fwd3_b1000", False, True, 1000, 10, 100),
    ("mlp_fwd1_b1", False, True, 1, 300, 784),
    ("mlp_fwd2_b1", False, True, 1, 100, 300),
]


def main():
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 0.3
    threads = int(sys.argv[2]) if len(sys.argv) > 2 else 0
    rng = np.random.default_rng(1)
    for name, ta, tb, m, n, k in SHAPES:
        # Stored as the transposed operands are stored, so that numpy hands
        # BLAS the transpose flags instead of copying.
        a = rng.random((k, m) if ta else (m, k), dtype=np.float32)
        b = rng.random((n, k) if tb else (k, n), dtype=np.float32)
        A, B = (a.T if ta else a), (b.T if tb else b)
        c = np.empty((m, n), dtype=np.float32)
        np.matmul(A, B, out=c)
        best, rounds = 0.0, 5
        for _ in range(rounds):
            cnt, start = 0, time.perf_counter()
            while time.perf_counter() - start < seconds / rounds or cnt == 0:
                np.matmul(A, B, out=c)
                cnt += 1
            best = max(best, 2.0 * m * n * k * cnt / (time.perf_counter() - start) / 1e9)
        print(json.dumps({"shape": name, "peer": "openblas", "threads": threads, "gflops": best}))


if __name__ == "__main__":
    main()
