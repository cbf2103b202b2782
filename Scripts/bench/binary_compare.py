"""Two builds of vqvae side by side: `bench model --json` of each, alternating round by round, for the
given shapes; prints a markdown table of training and reconstruction images/s and the ratios B / A,
with medians. For checking that a change did not slow the model down (build the earlier commit in a
worktree, e.g. `git worktree add /tmp/old COMMIT && (cd /tmp/old && swift build -c release)`).

    python3 Scripts/bench/binary_compare.py --a /tmp/old/.build/release/vqvae --b .build/release/vqvae \
        --shapes 1x28 3x32 --rounds 5 [--b-args --quantizer vq]
"""
import argparse, json, statistics, subprocess


def run_json(command):
    return json.loads(subprocess.run(command, capture_output=True, text=True, check=True).stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--a", required=True, help="the first (earlier) vqvae binary")
    parser.add_argument("--b", required=True, help="the second (later) vqvae binary")
    parser.add_argument("--shapes", nargs="+", default=["1x28", "3x32"])
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--a-args", nargs="*", default=[], help="extra bench model arguments for A")
    parser.add_argument("--b-args", nargs="*", default=[], help="extra bench model arguments for B")
    args = parser.parse_args()
    print("| input | round | A train | B train | B / A | A reconstruct | B reconstruct | B / A |")
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    for shape in args.shapes:
        channels, size = shape.split("x")
        common = ["bench", "model", "--json", "--channels", channels, "--size", size, "--batch", str(args.batch), "--steps", str(args.steps)]
        train, reconstruct = [], []
        for round_index in range(1, args.rounds + 1):
            a = run_json([args.a] + common + args.a_args)
            b = run_json([args.b] + common + args.b_args)
            train.append(b["train_img_per_s"] / a["train_img_per_s"])
            reconstruct.append(b["reconstruct_img_per_s"] / a["reconstruct_img_per_s"])
            print(f"| {shape} | {round_index} | {a['train_img_per_s']:.1f} | {b['train_img_per_s']:.1f} | {train[-1]:.2f} | "
                  f"{a['reconstruct_img_per_s']:.1f} | {b['reconstruct_img_per_s']:.1f} | {reconstruct[-1]:.2f} |", flush=True)
        print(f"| {shape} | **median** | | | **{statistics.median(train):.2f}** | | | **{statistics.median(reconstruct):.2f}** |", flush=True)


if __name__ == "__main__":
    main()
