#!/usr/bin/env python3
"""Ours against numpy, alternating, in one run: prints a Markdown table for BENCHMARKS.md.

For each size, runs `vqvae bench gemm --size N --json` and `gemm_numpy.py --size N` one after the
other, --rounds times, so that both see the same machine load; the ratio is taken per round (ours
over the numpy run right after it), then the medians of each column are printed.

    swift build -c release
    python3 Scripts/bench/gemm_compare.py --sizes 512 1024 2048 --rounds 5
    python3 Scripts/bench/gemm_compare.py --sizes 1024 --rounds 3 --kernels avx512 avx2 generic

With --kernels, each round also runs ours once per kernel path (VQK_KERNEL=…) before numpy; with
--blockings MC:NC … (or "chosen", the blocks chosen from the L2 size), once per cache blocking:

    python3 Scripts/bench/gemm_compare.py --sizes 2048 --rounds 3 --blockings chosen 192:512
With --threads N, ours runs on N threads and numpy's BLAS too (OPENBLAS_NUM_THREADS, OMP_NUM_THREADS,
MKL_NUM_THREADS); without it both use all cores.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def run_json(command, environment=None):
    output = subprocess.run(command, check=True, capture_output=True, text=True, env=environment).stdout
    return json.loads(output.strip().splitlines()[-1])


def ours(size, seconds, kernel=None, threads=None, blocking=None):
    environment = dict(os.environ)
    if kernel:
        environment["VQK_KERNEL"] = kernel
    options = ["--threads", str(threads)] if threads else []
    if blocking and blocking != "chosen":
        mc, nc = blocking.split(":")
        options += ["--mc", mc, "--nc", nc]
    return run_json([os.path.join(ROOT, ".build/release/vqvae"), "bench", "gemm", "--size", str(size),
                     "--seconds", str(seconds), "--json"] + options, environment)


def numpy(size, seconds, threads=None):
    environment = dict(os.environ)
    if threads:
        for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
            environment[name] = str(threads)
    return run_json([sys.executable, os.path.join(ROOT, "Scripts/bench/gemm_numpy.py"), "--size", str(size),
                     "--seconds", str(seconds)], environment)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1024])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=1.5)
    parser.add_argument("--threads", type=int, default=None, help="threads for ours and for numpy's BLAS")
    parser.add_argument("--kernels", nargs="*", default=[None],
                        help="kernel paths for ours (VQK_KERNEL values); default: the CPU's choice")
    parser.add_argument("--blockings", nargs="*", default=["chosen"],
                        help="cache blocks for ours, MC:NC or chosen (default: chosen from the L2 size)")
    args = parser.parse_args()
    variants = [(kernel, blocking) for kernel in (args.kernels or [None]) for blocking in (args.blockings or ["chosen"])]
    labels = [f"ours {kernel or 'default'}" + (f" {blocking}" if len(args.blockings or []) > 1 else "")
              for kernel, blocking in variants]
    print("| N | round | " + " | ".join(f"{label} GFLOP/s" for label in labels) + " | numpy GFLOP/s | "
          + " | ".join(f"{label} / numpy" for label in labels) + " |")
    print("|---" * (3 + 2 * len(variants)) + "|")
    for size in args.sizes:
        columns = {label: [] for label in labels}
        peers, ratios = [], {label: [] for label in labels}
        peer_name = ""
        for round_index in range(1, args.rounds + 1):
            results = [ours(size, args.seconds, kernel, args.threads, blocking) for kernel, blocking in variants]
            peer = numpy(size, args.seconds, args.threads)
            peer_name = peer["peer"]
            peers.append(peer["gflops"])
            for label, result in zip(labels, results):
                columns[label].append(result["gflops"])
                ratios[label].append(result["gflops"] / peer["gflops"])
            print(f"| {size} | {round_index} | " + " | ".join(f"{r['gflops']:.1f} ({r['kernel']}, {r['mc']}:{r['nc']})" for r in results)
                  + f" | {peer['gflops']:.1f} | " + " | ".join(f"{ratios[l][-1]:.2f}" for l in labels) + " |",
                  flush=True)
        print(f"| {size} | **median** | " + " | ".join(f"**{statistics.median(columns[l]):.1f}**" for l in labels)
              + f" | **{statistics.median(peers):.1f}** | "
              + " | ".join(f"**{statistics.median(ratios[l]):.2f}**" for l in labels) + " |", flush=True)
    print(f"\npeer: {peer_name}")


if __name__ == "__main__":
    main()
