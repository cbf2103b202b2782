#!/usr/bin/env python3
"""Whole-model throughput, ours against torch_ref.py speed, alternating in one run.

Each round runs `vqvae bench model ... --json` and then `torch_ref.py speed` with the same arguments,
so both see the same machine load; ratios are taken per round and their medians printed as a
Markdown table for BENCHMARKS.md.

    swift build -c release
    python3 Scripts/bench/model_compare.py --shapes 3x32 1x28 --rounds 3 [--ema]
"""
import argparse
import json
import os
import statistics
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TORCH_REF = os.path.join(os.path.dirname(ROOT), "shared", "bench", "torch_ref.py")


def run_json(command):
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    return json.loads(output.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shapes", nargs="+", default=["3x32", "1x28"], help="CHANNELSxSIZE")
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--ema", action="store_true")
    parser.add_argument("--torch-ref", default=TORCH_REF)
    parser.add_argument("--ours", default=os.path.join(ROOT, ".build/release/vqvae"), help="the vqvae binary")
    args = parser.parse_args()
    print("| input | round | ours train | torch train | train ratio | ours reconstruct | torch reconstruct | reconstruct ratio |")
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    for shape in args.shapes:
        channels, size = shape.split("x")
        common = ["--channels", channels, "--size", size, "--batch", str(args.batch), "--steps", str(args.steps)]
        # The same quantizer on both sides: torch_ref.py's plain VQ or its EMA codebook.
        ours_quantizer = ["--quantizer", "ema" if args.ema else "vq"]
        peer_quantizer = ["--ema"] if args.ema else []
        train_ratios, reconstruct_ratios = [], []
        for round_index in range(1, args.rounds + 1):
            ours = run_json([args.ours, "bench", "model", "--json"] + common + ours_quantizer)
            peer = run_json([sys.executable, args.torch_ref, "speed"] + common + peer_quantizer)
            train_ratios.append(ours["train_img_per_s"] / peer["train_img_per_s"])
            reconstruct_ratios.append(ours["reconstruct_img_per_s"] / peer["reconstruct_img_per_s"])
            print(f"| {channels}x{size}x{size} | {round_index} | {ours['train_img_per_s']:.1f} | "
                  f"{peer['train_img_per_s']:.1f} | {train_ratios[-1]:.2f} | {ours['reconstruct_img_per_s']:.1f} | "
                  f"{peer['reconstruct_img_per_s']:.1f} | {reconstruct_ratios[-1]:.2f} |", flush=True)
        print(f"| {channels}x{size}x{size} | **median** | | | **{statistics.median(train_ratios):.2f}** | | | "
              f"**{statistics.median(reconstruct_ratios):.2f}** |", flush=True)


if __name__ == "__main__":
    main()
