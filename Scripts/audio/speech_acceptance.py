"""The speech issue's acceptance figures for a trained model, end to end (Python for the check only):

1. content survives: every FSDD test clip (takes 0-4) reconstructed by `vqvae audio reconstruct` with its
   own speaker; the digit classifier (Scripts/audio/speech_classifiers.py, trained on the real training
   takes) must recognise them within 10 points of its accuracy on the real test clips;
2. conversion works: every test clip converted by `vqvae audio convert` to each of the other speakers;
   the speaker classifier must name the target at least 60% of the time (goal 90%) while the digit
   classifier still recognises at least 70% (goal 90%).

    python3 Scripts/audio/speech_classifiers.py fit --fsdd ../shared/data/fsdd/recordings --out runs/speech/classifiers.pkl
    python3 Scripts/audio/speech_acceptance.py --model RUN/model.safetensors --classifiers runs/speech/classifiers.pkl \
        --fsdd ../shared/data/fsdd/recordings --work runs/speech/acceptance

Prints one JSON line with the real-clip accuracies, the reconstruction's digit accuracy (and speaker
accuracy), and the conversions' target-speaker and digit accuracies, overall and per target.
"""
import argparse, json, os, shutil, subprocess, sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CLASSIFIERS = os.path.join(ROOT, "Scripts/audio/speech_classifiers.py")


def run(command):
    """Runs `command`; on failure exits naming the command (its first words) and what it wrote to standard error."""
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"{' '.join(command[:4])} … failed with status {done.returncode}:\n{done.stderr.strip()[-2000:]}")
    return done.stdout


def judge(classifiers, folder, *flags):
    command = [sys.executable, CLASSIFIERS, "judge", "--model", classifiers, "--clips", folder, "--expect-digit-from-name"] + list(flags)
    return json.loads(run(command).strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", required=True)
    parser.add_argument("--classifiers", required=True)
    parser.add_argument("--fsdd", required=True, help="the FSDD recordings folder")
    parser.add_argument("--work", required=True, help="a folder for the reconstructed and converted clips (replaced)")
    parser.add_argument("--ours", default=os.path.join(ROOT, ".build/release/vqvae"))
    args = parser.parse_args()
    names = sorted(n for n in os.listdir(args.fsdd) if n.endswith(".wav") and int(n[:-4].split("_")[2]) < 5)
    clips = [os.path.join(args.fsdd, n) for n in names]
    speakers = sorted({n.split("_")[1] for n in names})
    shutil.rmtree(args.work, ignore_errors=True)
    os.makedirs(args.work)
    reconstructed = os.path.join(args.work, "reconstructed")
    run([args.ours, "audio", "reconstruct", "--model", args.model, "--out", reconstructed] + clips)
    result = {"model": args.model, "test_clips": len(clips)}
    rec = judge(args.classifiers, reconstructed, "--speaker-from-name")
    result["real_digit_accuracy"] = rec["real_test"]["digit_accuracy"]
    result["real_speaker_accuracy"] = rec["real_test"]["speaker_accuracy"]
    result["reconstructed_digit_accuracy"] = rec["digit_accuracy"]
    result["reconstructed_speaker_accuracy"] = rec["speaker_accuracy"]
    per_target, right_speaker, right_digit, total = {}, 0, 0, 0
    for target in speakers:
        folder = os.path.join(args.work, "as_" + target)
        sources = [c for c in clips if os.path.basename(c).split("_")[1] != target]
        run([args.ours, "audio", "convert", "--model", args.model, "--speaker", target, "--out", folder] + sources)
        verdict = judge(args.classifiers, folder, "--target-speaker", target)
        per_target[target] = {"speaker_accuracy": verdict["speaker_accuracy"], "digit_accuracy": verdict["digit_accuracy"]}
        n = len(sources)
        right_speaker += verdict["speaker_accuracy"] * n
        right_digit += verdict["digit_accuracy"] * n
        total += n
    result["converted_clips"] = total
    result["converted_target_speaker_accuracy"] = right_speaker / total
    result["converted_digit_accuracy"] = right_digit / total
    result["per_target"] = per_target
    print(json.dumps(result))


if __name__ == "__main__":
    main()
