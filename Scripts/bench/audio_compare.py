"""The speech recipe's speed against its PyTorch peer, alternating in one run: `vqvae bench audio --json`
and `Scripts/bench/audio_ref.py speed` with the same batch, window, clip length and speakers, round by
round; prints a markdown table of windows/s (training) and clips/s (reconstruction) and their ratios,
with the medians.

    swift build -c release
    python3 Scripts/bench/audio_compare.py --rounds 5
"""
import argparse, json, os, statistics, subprocess, sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def run_json(command):
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    return json.loads(output.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--window", type=int, default=2048)
    parser.add_argument("--clip", type=int, default=8000)
    parser.add_argument("--speakers", type=int, default=6)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--stage-blocks", type=int, default=None, help="passed to both (default: each one's recipe)")
    parser.add_argument("--speaker-adversary", type=float, default=None, help="passed to both")
    parser.add_argument("--center-latents", choices=["true", "false"], default=None, help="passed to both")
    parser.add_argument("--harmonics", type=int, default=None, help="passed to both (0: no pitch source)")
    parser.add_argument("--ours", default=os.path.join(ROOT, ".build/release/vqvae"))
    args = parser.parse_args()
    common = ["--batch", str(args.batch), "--window", str(args.window), "--speakers", str(args.speakers), "--steps", str(args.steps)]
    peer = [sys.executable, os.path.join(ROOT, "Scripts/bench/audio_ref.py"), "speed", "--threads", "2",
            "--clip-length", str(args.clip), "--clips", str(args.steps)] + common
    ours = [args.ours, "bench", "audio", "--json", "--clip", str(args.clip)] + common
    if args.stage_blocks is not None:
        ours += ["--stage-blocks", str(args.stage_blocks)]
        peer += ["--stage-blocks", str(args.stage_blocks)]
    if args.speaker_adversary is not None:
        ours += ["--speaker-adversary", str(args.speaker_adversary)]
        peer += ["--speaker-adversary", str(args.speaker_adversary)]
    if args.harmonics is not None:
        ours += ["--harmonics", str(args.harmonics)]
        peer += ["--harmonics", str(args.harmonics)]
    if args.center_latents is not None:
        ours += ["--center-latents", args.center_latents]
        peer += ["--center-latents"] if args.center_latents == "true" else []
    print("| round | ours train windows/s | torch train windows/s | ratio | ours reconstruct clips/s | torch reconstruct clips/s | ratio |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    train, reconstruct = [], []
    for round_index in range(1, args.rounds + 1):
        a, b = run_json(ours), run_json(peer)
        train.append(a["train_windows_per_s"] / b["train_windows_per_s"])
        reconstruct.append(a["reconstruct_clips_per_s"] / b["reconstruct_clips_per_s"])
        print(f"| {round_index} | {a['train_windows_per_s']:.1f} | {b['train_windows_per_s']:.1f} | {train[-1]:.2f} | "
              f"{a['reconstruct_clips_per_s']:.1f} | {b['reconstruct_clips_per_s']:.1f} | {reconstruct[-1]:.2f} |", flush=True)
    print(f"| **median** | | | **{statistics.median(train):.2f}** | | | **{statistics.median(reconstruct):.2f}** |")


if __name__ == "__main__":
    main()
