"""Data-parallel throughput (issue 14): `mpirun -np 2 vqvae train` with one engine thread per rank
against one `vqvae train` process with two threads, the same options, alternating round by round so
that both see the same machine load; prints a markdown table of training images/s (steps x batch /
train_seconds of the --json line, which leaves out data loading, k-means and the evaluation).

    python3 Scripts/mpi/throughput.py --vqvae .build/release/vqvae --data ../shared/data/fashion-mnist \
        --steps 50 --batch 16 --seed 5 --rounds 3 --out /tmp/mpi-throughput
"""
import argparse, json, os, statistics, subprocess


def train(command, environment):
    result = subprocess.run(command, capture_output=True, text=True, env=environment)
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{result.stderr}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--vqvae", default=".build/release/vqvae")
    parser.add_argument("--data", required=True)
    parser.add_argument("--steps", type=int, default=50)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--out", default="/tmp/mpi-throughput", help="folder for the run folders (replaced)")
    parser.add_argument("--extra", nargs="*", default=[], help="more vqvae train options for both")
    args = parser.parse_args()
    base = os.environ.copy()
    base.update({"OMPI_ALLOW_RUN_AS_ROOT": "1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1"})
    options = ["train", "--data", args.data, "--steps", str(args.steps), "--batch", str(args.batch), "--seed", str(args.seed),
               "--json", "--overwrite", "--save-every", "0"] + args.extra
    images = args.steps * args.batch
    rows, ratios = [], []
    print(f"| round | {args.processes} ranks x 1 thread, img/s | 1 process x {args.processes} threads, img/s | ranks / process |")
    print("|---|---:|---:|---:|")
    for round_index in range(1, args.rounds + 1):
        ranks = train(["mpirun", "-q", "-np", str(args.processes), args.vqvae] + options + ["--out", f"{args.out}/ranks"],
                      dict(base, VQVAE_THREADS="1"))
        single = train([args.vqvae] + options + ["--out", f"{args.out}/single"], dict(base, VQVAE_THREADS=str(args.processes)))
        a, b = images / ranks["train_seconds"], images / single["train_seconds"]
        ratios.append(a / b)
        rows.append((a, b))
        print(f"| {round_index} | {a:.1f} | {b:.1f} | {a / b:.2f} |", flush=True)
    print(f"| **median** | {statistics.median(r[0] for r in rows):.1f} | {statistics.median(r[1] for r in rows):.1f} | "
          f"**{statistics.median(ratios):.2f}** |")


if __name__ == "__main__":
    main()
