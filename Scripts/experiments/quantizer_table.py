"""Trains the VQ-VAE once per (variant, seed) with `vqvae train --json` and tabulates test NMSE and code
usage: the side-by-side table of quantizer variants in BENCHMARKS.md ("Codebook collapse").

    swift build -c release
    python3 Scripts/experiments/quantizer_table.py --data ../shared/data/fashion-mnist --seeds 0 1 \
        --variant "plain=--quantizer vq" --variant "ema=--quantizer ema" --out runs/table.jsonl

Each variant is NAME=FLAGS (flags passed to `vqvae train` after the common ones: --data, --steps,
--batch, --seed, --save-every 0, --json). Results are appended to --out as JSON lines (one per run, with
the variant, its flags, the seed and the JSON `vqvae train` printed), so an interrupted table resumes:
runs already in --out are not repeated. The table (markdown) goes to standard output.
"""
import argparse, json, os, shlex, statistics, subprocess, sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", required=True)
    parser.add_argument("--steps", type=int, default=2000)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    parser.add_argument("--variant", action="append", required=True, help="NAME=FLAGS")
    parser.add_argument("--out", required=True, help="JSON lines file, appended to")
    parser.add_argument("--runs", default=os.path.join(ROOT, "runs", "table"), help="folder for the run folders")
    parser.add_argument("--ours", default=os.path.join(ROOT, ".build/release/vqvae"))
    args = parser.parse_args()
    done = {}
    if os.path.exists(args.out):
        for line in open(args.out):
            record = json.loads(line)
            done[(record["variant"], record["seed"], record["data"], record["steps"])] = record
    variants = [v.split("=", 1) for v in args.variant]
    for name, flags in variants:
        for seed in args.seeds:
            key = (name, seed, args.data, args.steps)
            if key in done:
                continue
            run = os.path.join(args.runs, f"{name}-seed{seed}")
            command = [args.ours, "train", "--data", args.data, "--steps", str(args.steps), "--batch", str(args.batch),
                       "--seed", str(seed), "--save-every", "0", "--json", "--out", run, "--overwrite"] + shlex.split(flags)
            print("running:", " ".join(command), file=sys.stderr, flush=True)
            result = subprocess.run(command, capture_output=True, text=True)
            if result.returncode != 0:
                print(result.stderr, file=sys.stderr)
                sys.exit(f"{name} seed {seed} failed")
            metrics = json.loads(result.stdout.strip().splitlines()[-1])
            metrics.pop("usage_histogram", None)
            record = {"variant": name, "flags": flags, "seed": seed, "data": args.data, "steps": args.steps, **metrics}
            with open(args.out, "a") as out:
                out.write(json.dumps(record) + "\n")
            done[key] = record
            print(f"{name} seed {seed}: NMSE {metrics['test_nmse']:.4f}, usage {metrics['codebook_usage']:.3f}", file=sys.stderr, flush=True)
    print("| variant | flags | " + " | ".join(f"NMSE seed {s}" for s in args.seeds) + " | mean NMSE | "
          + " | ".join(f"usage seed {s}" for s in args.seeds) + " | mean usage | mean perplexity |")
    print("|---|---|" + "---:|" * (2 * len(args.seeds) + 3))
    for name, flags in variants:
        records = [done[(name, s, args.data, args.steps)] for s in args.seeds]
        nmse = [r["test_nmse"] for r in records]
        usage = [r["codebook_usage"] for r in records]
        perplexity = [r["perplexity"] for r in records]
        print(f"| {name} | `{flags}` | " + " | ".join(f"{v:.4f}" for v in nmse) + f" | **{statistics.mean(nmse):.4f}** | "
              + " | ".join(f"{v:.3f}" for v in usage) + f" | **{statistics.mean(usage):.3f}** | {statistics.mean(perplexity):.1f} |")


if __name__ == "__main__":
    main()
