#!/usr/bin/env python3
"""numpy's matrix product measured the way `vqvae bench gemm --json` measures ours.

C = A @ B with A, B N x N float32, uniform in [-1, 1); numpy's BLAS on all cores (its default).
Three warm-up products, then repeated products for about --seconds (at least 5), median time.
Prints one JSON line: {"op":"gemm","size":N,"gflops":X,"peer":"numpy-<version>",...}
with gflops = 2 N^3 / seconds / 1e9.

    python3 Scripts/bench/gemm_numpy.py --size 1024
"""
import argparse
import json
import statistics
import time

import numpy as np


def measure(size, seconds):
    rng = np.random.default_rng(42)
    a = rng.uniform(-1, 1, (size, size)).astype(np.float32)
    b = rng.uniform(-1, 1, (size, size)).astype(np.float32)
    c = np.empty((size, size), dtype=np.float32)
    for _ in range(3):
        np.matmul(a, b, out=c)
    times = []
    start = time.perf_counter()  # monotonic
    while len(times) < 5 or time.perf_counter() - start < seconds:
        run_start = time.perf_counter()
        np.matmul(a, b, out=c)
        times.append(time.perf_counter() - run_start)
    return times


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=1024)
    parser.add_argument("--seconds", type=float, default=1.5)
    args = parser.parse_args()
    times = measure(args.size, args.seconds)
    median = statistics.median(times)
    print(json.dumps({
        "op": "gemm",
        "size": args.size,
        "gflops": round(2 * args.size ** 3 / median / 1e9, 1),
        "peer": f"numpy-{np.__version__}",
        "runs": len(times),
        "median_ms": round(median * 1e3, 2),
    }, separators=(",", ":")))


if __name__ == "__main__":
    main()
