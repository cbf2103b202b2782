#!/usr/bin/env python3
"""Every Sonnet convolution, ours against PyTorch, alternating in one run: a Markdown table for BENCHMARKS.md.

Each round runs `vqvae bench conv --json` then `conv_torch.py --json` (same layers, same batch, same
way of timing: medians after warm-up, backward = input, weight and bias gradients); the table gives,
per layer, the median over rounds of each side's milliseconds and the ratio torch / ours (above 1:
ours is faster).

    swift build -c release
    python3 Scripts/bench/conv_compare.py --rounds 3
"""
import argparse
import json
import os
import statistics
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def lines(command):
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    return [json.loads(line) for line in output.splitlines() if line.startswith("{")]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--ours", default=os.path.join(ROOT, ".build/release/vqvae"))
    args = parser.parse_args()
    common = ["--json", "--repeats", str(args.repeats), "--warmup", "2"]
    times = {}
    for _ in range(args.rounds):
        for engine, command in (("ours", [args.ours, "bench", "conv"] + common),
                                ("torch", [sys.executable, os.path.join(ROOT, "Scripts/bench/conv_torch.py"), "--threads", "2"] + common)):
            for row in lines(command):
                key = (row["image"], row["layer"])
                entry = times.setdefault(key, {"ours": ([], []), "torch": ([], []), "op": row["op"],
                                               "weight": "x".join(str(int(s)) for s in row["weight_shape"])})
                entry[engine][0].append(row["forward_ms"])
                entry[engine][1].append(row["backward_ms"])
    print("| input | layer | op, weight | ours fwd ms | torch fwd ms | fwd torch/ours | ours bwd ms | torch bwd ms | bwd torch/ours |")
    print("|---|---|---|---:|---:|---:|---:|---:|---:|")
    totals = {"ours": [0.0, 0.0], "torch": [0.0, 0.0]}
    for (image, layer), entry in times.items():
        medians = {engine: [statistics.median(entry[engine][i]) for i in (0, 1)] for engine in ("ours", "torch")}
        for engine in totals:
            totals[engine][0] += medians[engine][0]
            totals[engine][1] += medians[engine][1]
        print(f"| {image} | {layer} | {entry['op']} {entry['weight']} | {medians['ours'][0]:.2f} | {medians['torch'][0]:.2f} | "
              f"{medians['torch'][0] / medians['ours'][0]:.2f} | {medians['ours'][1]:.2f} | {medians['torch'][1]:.2f} | "
              f"{medians['torch'][1] / medians['ours'][1]:.2f} |")
    print(f"| all | **sum** | | **{totals['ours'][0]:.1f}** | **{totals['torch'][0]:.1f}** | "
          f"**{totals['torch'][0] / totals['ours'][0]:.2f}** | **{totals['ours'][1]:.1f}** | **{totals['torch'][1]:.1f}** | "
          f"**{totals['torch'][1] / totals['ours'][1]:.2f}** |")


if __name__ == "__main__":
    main()
