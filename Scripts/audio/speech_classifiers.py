"""Digit and speaker classifiers trained on the real Free Spoken Digit Dataset: the judges of the speech
VQ-VAE's reconstructions and voice conversions.

The speech issue is accepted on two measurements made with these classifiers, never with the model under test:
  - content survives reconstruction: digit accuracy on the reconstructed test clips is within 10 points of the
    digit accuracy on the real test clips (stored in the model file, printed by every `judge`);
  - conversion works: clips converted to a target speaker are classified as that speaker >= 60% of the time,
    while their digits are still recognised >= 70% of the time.

    python3 Scripts/audio/speech_classifiers.py fit --fsdd ../shared/data/fsdd/recordings --out runs/speech.pkl
    python3 Scripts/audio/speech_classifiers.py judge --model runs/speech.pkl --clips runs/recon \\
        --expect-digit-from-name --speaker-from-name
    python3 Scripts/audio/speech_classifiers.py judge --model runs/speech.pkl --clips runs/converted \\
        --expect-digit-from-name        # the target speaker from each name's `_as_<speaker>` suffix
    python3 Scripts/audio/speech_classifiers.py selftest --fsdd ../shared/data/fsdd/recordings

Data: FSDD names are DIGIT_SPEAKER_TAKE.wav (6 speakers x 10 digits x 50 takes, 8000 Hz). Takes 0-4 are
the test split (300 clips), takes 5-49 train (2700 clips). `judge` reads every .wav in a folder, at any rate
(resampled to 8000 Hz with scipy.signal.resample_poly), any sample format, any length, stereo averaged. The
true digit is the name's DIGIT; a name may carry a suffix after the take (`3_theo_7_recon.wav`). The speaker a
clip should be heard as is, per file: `--target-speaker NAME` if given; else the name's SPEAKER with
`--speaker-from-name`; else the `_as_<speaker>` suffix (`3_theo_7_as_lucas.wav`) when there is one, and the
name's SPEAKER otherwise. Files without a parsable name are classified but not scored (an error with
`--expect-digit-from-name` or `--speaker-from-name`).

Features (numpy / scipy only, 8000 Hz): the clip is DC-removed and peak-normalised; pre-emphasis 0.97; 25 ms
periodic-Hann frames every 10 ms (frames overhang both ends, so padding a clip with silence adds frames but
does not shift them); |rfft 256|^2; 40 triangular mel bands over 0-4000 Hz (HTK mel), floored 50 dB below the
clip's largest band energy (so different noise floors in the silences look alike); log; orthonormal DCT-II,
c0..c19. The active span is from the first to the last frame whose loudness (band energy summed, smoothed over
5 frames) is within 25 dB of the loudest; silence outside it is dropped.
  - digit: c1..c12 averaged over 8 equal stretches of the span (a fixed-length picture of the sequence,
    whatever the clip's length), 96 values;
  - speaker: c1..c19 and their deltas (regression over +-2 frames), mean and standard deviation over the span,
    76 values. c0 (loudness) is used by neither.
Classifiers (scikit-learn): StandardScaler then an RBF SVC (C=10, gamma="scale"), one per task, trained on the
2700 real training clips plus one degraded copy of each (50%: an order-6 Butterworth low-pass at 1800-3600 Hz;
70%: white noise at 10-35 dB SNR; the draw seeded by the file name), so that the hiss and lost highs of a
reconstruction do not by themselves read as a wrong digit or speaker. Everything is deterministic: the
augmentation is seeded and libsvm without probability estimates draws no random numbers.

Measured on the 300 real test clips (scikit-learn 1.9.1, scipy 1.17.1, numpy 2.4.6; `fit` takes ~10 s on one
core): digit accuracy 0.990 (3 errors), speaker accuracy 1.000. The same clips written at 16 kHz with 0.125 s
of silence before and 0.25 s after (selftest's second check): 0.993 and 0.990. On simulated damage to the test
clips (a one-off check, not part of selftest) digits / speakers scored: white noise at 20 dB SNR 0.98 / 0.98,
at 10 dB 0.94 / 0.91; pink noise at 20 dB 1.00 / 0.98; low-pass at 2000 Hz 0.98 / 0.96; Griffin-Lim phase
(32 iterations) 0.99 / 1.00, also from a 64-band mel spectrogram 0.99 / 1.00; 6-bit mu-law 0.99 / 0.99;
reverberation (RT60 0.3 s) 0.98 / 0.86; 1.5 s of faint noise around the clip 0.99 / 0.99.

Every invocation prints one JSON line on standard output; progress goes to standard error. The model file is a
pickle (a check tool's cache, not an interchange format): refit after changing the feature code; `judge`
refuses a model whose feature settings differ from the script's.
"""
import argparse, collections, json, math, os, pickle, re, sys, tempfile, time, zlib

import numpy as np
from scipy.fft import dct, rfft
from scipy.io import wavfile
from scipy.signal import butter, resample_poly, sosfilt

RATE = 8000                       # FSDD's rate; every clip is resampled to it
FRAME, HOP, NFFT = 200, 80, 256   # 25 ms frames every 10 ms
MELS, CEPS = 40, 20               # mel bands over 0-4000 Hz; cepstra c0..c19
PREEMPHASIS = 0.97
FLOOR_DB = 50.0                   # band energies floored this far below the clip's largest
TRIM_DB = 25.0                    # the active span: frames within this of the loudest (smoothed)
SMOOTH = 5                        # frames in the loudness smoothing
DIGIT_CEPS = 13                   # the digit features use c1..c12
DIGIT_SEGMENTS = 8                # ... averaged over 8 equal stretches of the span
SVM_C = 10.0
SEED = 0
TEST_TAKES = range(0, 5)          # FSDD's usual split: takes 0-4 test, 5-49 train
SETTINGS = dict(rate=RATE, frame=FRAME, hop=HOP, nfft=NFFT, mels=MELS, ceps=CEPS, preemphasis=PREEMPHASIS,
                floor_db=FLOOR_DB, trim_db=TRIM_DB, smooth=SMOOTH, digit_ceps=DIGIT_CEPS,
                digit_segments=DIGIT_SEGMENTS, svm_c=SVM_C, seed=SEED, augmentation="lowpass0.5-noise0.7-x1",
                feature_version=1)

NAME = re.compile(r"^(?P<digit>\d)_(?P<speaker>[A-Za-z0-9]+)_(?P<take>\d+)(?P<rest>.*)\.wav$", re.IGNORECASE)
TARGET = re.compile(r"_as_(?P<target>[A-Za-z0-9]+)", re.IGNORECASE)


def log(*message):
    print(*message, file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------------------------
# Audio and features

def read_wav(path):
    """Mono float64 in [-1, 1] at RATE, whatever the file's rate, sample format or channel count."""
    rate, x = wavfile.read(path)
    if x.dtype == np.uint8:
        x = (x.astype(np.float64) - 128) / 128
    elif np.issubdtype(x.dtype, np.integer):
        x = x.astype(np.float64) / -np.iinfo(x.dtype).min
    else:
        x = x.astype(np.float64)
    if x.ndim == 2:
        x = x.mean(axis=1)
    if rate != RATE and len(x):
        g = math.gcd(int(rate), RATE)
        x = resample_poly(x, RATE // g, int(rate) // g)
    return x


def mel_filterbank():
    mel = lambda f: 2595 * np.log10(1 + f / 700)
    hz = lambda m: 700 * (10 ** (m / 2595) - 1)
    edges = hz(np.linspace(mel(0), mel(RATE / 2), MELS + 2))
    bins = np.fft.rfftfreq(NFFT, 1 / RATE)
    bank = np.zeros((MELS, len(bins)))
    for i in range(MELS):
        lo, mid, hi = edges[i], edges[i + 1], edges[i + 2]
        bank[i] = np.clip(np.minimum((bins - lo) / (mid - lo), (hi - bins) / (hi - mid)), 0, None)
    return bank


BANK = mel_filterbank()
WINDOW = np.hanning(FRAME + 1)[:FRAME]   # periodic Hann


def deltas(c, n=2):
    """Regression deltas over +-n frames, the edge frames repeated."""
    padded = np.pad(c, ((n, n), (0, 0)), mode="edge")
    t = len(c)
    weights = 2 * sum(k * k for k in range(1, n + 1))
    return sum(k * (padded[n + k:n + k + t] - padded[n - k:n - k + t]) for k in range(1, n + 1)) / weights


def cepstra(x):
    """(frames, CEPS) MFCCs c0..c19 of the clip's active span."""
    if len(x) == 0:
        x = np.zeros(FRAME)
    x = x - x.mean()
    peak = np.abs(x).max()
    if peak > 0:
        x = x / peak
    x = np.append(x[0], x[1:] - PREEMPHASIS * x[:-1])
    # Frames overhang both ends (zeros), so the clip's edges are framed like its middle, and silence added
    # before the clip (in whole hops) leaves the clip's frames as they were.
    x = np.pad(x, (FRAME - HOP, FRAME))
    count = 1 + (len(x) - FRAME) // HOP
    index = np.arange(FRAME)[None, :] + HOP * np.arange(count)[:, None]
    energies = (np.abs(rfft(x[index] * WINDOW, NFFT)) ** 2 / NFFT) @ BANK.T
    smoothed = np.convolve(energies.sum(axis=1), np.ones(SMOOTH) / SMOOTH, mode="same")
    loudness = 10 * np.log10(np.maximum(smoothed, 1e-30))
    active = np.flatnonzero(loudness > loudness.max() - TRIM_DB)
    span = energies[active[0]:active[-1] + 1]
    span = np.maximum(span, max(energies.max(), 1e-30) * 10 ** (-FLOOR_DB / 10))
    return dct(np.log(span), type=2, norm="ortho", axis=1)[:, :CEPS]


def digit_features(c):
    """c1..c12 averaged over DIGIT_SEGMENTS equal stretches of the span (repeated frames if it is shorter)."""
    f = c[:, 1:DIGIT_CEPS]
    if len(f) < DIGIT_SEGMENTS:
        f = f[np.arange(DIGIT_SEGMENTS) * len(f) // DIGIT_SEGMENTS]
    bounds = np.linspace(0, len(f), DIGIT_SEGMENTS + 1).round().astype(int)
    return np.concatenate([f[a:b].mean(axis=0) for a, b in zip(bounds[:-1], bounds[1:])])


def speaker_features(c):
    """Mean and standard deviation over the span of c1..c19 and their deltas."""
    f = np.hstack([c[:, 1:], deltas(c[:, 1:])])
    return np.concatenate([f.mean(axis=0), f.std(axis=0)])


def features(x):
    c = cepstra(x)
    return digit_features(c), speaker_features(c)


def degraded(x, rng):
    """A training copy with a reconstruction's likely faults: lost highs, hiss."""
    x = x / max(np.abs(x).max(), 1e-12)
    if rng.random() < 0.5:
        x = sosfilt(butter(6, rng.uniform(1800, 3600), fs=RATE, output="sos"), x)
    if rng.random() < 0.7:
        snr = rng.uniform(10, 35)
        x = x + rng.normal(size=len(x)) * np.sqrt(np.mean(x ** 2) / 10 ** (snr / 10))
    return x


# ---------------------------------------------------------------------------------------------------------
# Names

def parse_name(path):
    """(digit, speaker, take, target) from DIGIT_SPEAKER_TAKE[...][_as_TARGET][...].wav; Nones if not such a name."""
    match = NAME.match(os.path.basename(path))
    if not match:
        return None, None, None, None
    target = TARGET.search(match.group("rest"))
    return (int(match.group("digit")), match.group("speaker").lower(), int(match.group("take")),
            target.group("target").lower() if target else None)


def wav_files(folder):
    if not os.path.isdir(folder):
        sys.exit(f"not a folder: {folder}")
    paths = sorted(os.path.join(folder, f) for f in os.listdir(folder) if f.lower().endswith(".wav"))
    if not paths:
        sys.exit(f"no .wav files in {folder}")
    return paths


def fsdd_split(folder):
    """The FSDD recordings as (train paths, test paths)."""
    train, test = [], []
    for path in wav_files(folder):
        digit, speaker, take, _ = parse_name(path)
        if digit is None:
            sys.exit(f"not an FSDD name: {path}")
        (test if take in TEST_TAKES else train).append(path)
    if not train or not test:
        sys.exit(f"{folder}: {len(train)} training and {len(test)} test clips; need both")
    return train, test


# ---------------------------------------------------------------------------------------------------------
# Fit and judge

def make_classifier():
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.svm import SVC
    return make_pipeline(StandardScaler(), SVC(C=SVM_C, kernel="rbf", gamma="scale"))


def fit(fsdd):
    import sklearn
    start = time.time()
    train, test = fsdd_split(fsdd)
    log(f"features of {len(train)} training clips and one degraded copy of each")
    digit_x, speaker_x, digits, speakers = [], [], [], []
    for path in train:
        digit, speaker, _, _ = parse_name(path)
        x = read_wav(path)
        rng = np.random.default_rng([SEED, zlib.crc32(os.path.basename(path).encode())])
        for clip in (x, degraded(x, rng)):
            d, s = features(clip)
            digit_x.append(d)
            speaker_x.append(s)
            digits.append(digit)
            speakers.append(speaker)
    log("training the digit and speaker SVMs")
    model = {"settings": SETTINGS, "sklearn": sklearn.__version__,
             "digit": make_classifier().fit(np.array(digit_x), np.array(digits)),
             "speaker": make_classifier().fit(np.array(speaker_x), np.array(speakers)),
             "speakers": sorted(set(speakers)), "train_clips": len(train), "test_clips": len(test)}
    log(f"judging the {len(test)} real test clips")
    result = judge(model, test, expect_digit=True, speaker_from_name=True)
    model["real_test"] = {k: result[k] for k in ("clips", "digit_accuracy", "speaker_accuracy")}
    model["fit_seconds"] = round(time.time() - start, 1)
    return model


def load_model(path):
    import sklearn
    with open(path, "rb") as f:
        model = pickle.load(f)
    if model.get("settings") != SETTINGS:
        sys.exit(f"{path} was fitted with other feature settings than this script's; fit it again")
    if model["sklearn"] != sklearn.__version__:
        log(f"note: {path} was fitted with scikit-learn {model['sklearn']}, this is {sklearn.__version__}")
    return model


def confusion(pairs):
    table = collections.defaultdict(collections.Counter)
    for truth, predicted in pairs:
        table[str(truth)][str(predicted)] += 1
    return {truth: dict(sorted(row.items())) for truth, row in sorted(table.items())}


def judge(model, paths, expect_digit=False, target_speaker=None, speaker_from_name=False, per_file=False):
    """Classifies the clips and scores them against their names (see the module's docstring)."""
    if target_speaker is not None:
        target_speaker = target_speaker.lower()
    rows = []
    for path in paths:
        digit, speaker, _, suffix = parse_name(path)
        if expect_digit and digit is None:
            sys.exit(f"--expect-digit-from-name: no digit in the name {os.path.basename(path)}")
        if speaker_from_name and speaker is None:
            sys.exit(f"--speaker-from-name: no speaker in the name {os.path.basename(path)}")
        reference = target_speaker or (speaker if speaker_from_name else suffix or speaker)
        if reference is not None and reference not in model["speakers"]:
            sys.exit(f"{os.path.basename(path)}: speaker {reference!r} is not one of {model['speakers']}")
        rows.append((path, digit, speaker, reference, *features(read_wav(path))))
    predicted_digits = model["digit"].predict(np.array([r[4] for r in rows]))
    predicted_speakers = model["speaker"].predict(np.array([r[5] for r in rows]))
    digit_pairs = [(r[1], int(p)) for r, p in zip(rows, predicted_digits) if r[1] is not None]
    speaker_pairs = [(r[3], str(p)) for r, p in zip(rows, predicted_speakers) if r[3] is not None]
    # For conversions (reference != the name's speaker): how often the source speaker is still what is heard.
    source = [str(p) == r[2] for r, p in zip(rows, predicted_speakers)
              if r[2] is not None and r[3] not in (None, r[2])]
    accuracy = lambda pairs: round(sum(a == b for a, b in pairs) / len(pairs), 4) if pairs else None
    result = {"clips": len(rows),
              "digit_scored": len(digit_pairs), "digit_accuracy": accuracy(digit_pairs),
              "speaker_scored": len(speaker_pairs), "speaker_accuracy": accuracy(speaker_pairs),
              "speaker_reference": (f"--target-speaker {target_speaker}" if target_speaker else
                                    "name" if speaker_from_name else "_as_ suffix, else name"),
              "converted_scored": len(source),
              "converted_heard_as_source": round(sum(source) / len(source), 4) if source else None,
              "predicted_digits": dict(sorted(collections.Counter(int(p) for p in predicted_digits).items())),
              "predicted_speakers": dict(sorted(collections.Counter(str(p) for p in predicted_speakers).items())),
              "digit_confusion": confusion(digit_pairs), "speaker_confusion": confusion(speaker_pairs)}
    if "real_test" in model:
        result["real_test"] = model["real_test"]
        if result["digit_accuracy"] is not None:
            below = model["real_test"]["digit_accuracy"] - result["digit_accuracy"]
            result["digit_points_below_real"] = round(100 * below, 2)
    if per_file:
        result["files"] = [{"file": os.path.basename(r[0]), "expected_digit": r[1], "predicted_digit": int(d),
                            "expected_speaker": r[3], "predicted_speaker": str(s)}
                           for r, d, s in zip(rows, predicted_digits, predicted_speakers)]
    return result


# ---------------------------------------------------------------------------------------------------------
# Command line

def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    p = commands.add_parser("fit", help="train both classifiers on the FSDD training takes")
    p.add_argument("--fsdd", required=True, help="the FSDD recordings folder")
    p.add_argument("--out", required=True, help="the model file (pickle) to write")
    p = commands.add_parser("judge", help="classify every .wav in a folder and score against the names")
    p.add_argument("--model", required=True)
    p.add_argument("--clips", required=True, help="folder of .wav files")
    p.add_argument("--expect-digit-from-name", action="store_true",
                   help="every name must start DIGIT_SPEAKER_TAKE (else the unnamed are just not scored)")
    group = p.add_mutually_exclusive_group()
    group.add_argument("--target-speaker", metavar="NAME", help="every clip should sound like NAME")
    group.add_argument("--speaker-from-name", action="store_true",
                       help="every clip should sound like the SPEAKER in its name (an _as_ suffix is ignored)")
    p.add_argument("--per-file", action="store_true", help="add every file's predictions to the JSON")
    p = commands.add_parser("selftest", help="fit, then judge the real test takes as they are and at 16 kHz "
                                             "with silence around them")
    p.add_argument("--fsdd", required=True)
    p.add_argument("--out", help="also write the model here")
    args = parser.parse_args()

    if args.command == "fit":
        model = fit(args.fsdd)
        os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
        with open(args.out, "wb") as f:
            pickle.dump(model, f)
        print(json.dumps({"model": args.out, "fit_seconds": model["fit_seconds"], "train_clips": model["train_clips"],
                          "speakers": model["speakers"], "real_test": model["real_test"]}))
    elif args.command == "judge":
        model = load_model(args.model)
        result = judge(model, wav_files(args.clips), args.expect_digit_from_name, args.target_speaker,
                       args.speaker_from_name, args.per_file)
        print(json.dumps({"clips_folder": args.clips, **result}))
    else:
        model = fit(args.fsdd)
        if args.out:
            with open(args.out, "wb") as f:
                pickle.dump(model, f)
        _, test = fsdd_split(args.fsdd)
        with tempfile.TemporaryDirectory() as folder:
            log(f"writing the test clips at 16 kHz, 0.125 s of silence before and 0.25 s after, to {folder}")
            for path in test:
                x = resample_poly(np.pad(read_wav(path), (RATE // 8, RATE // 4)), 2, 1)
                wavfile.write(os.path.join(folder, os.path.basename(path)), 2 * RATE,
                              np.clip(np.round(x * 32767), -32768, 32767).astype(np.int16))
            moved = judge(model, wav_files(folder), expect_digit=True, speaker_from_name=True)
        keys = ("clips", "digit_accuracy", "speaker_accuracy")
        print(json.dumps({"fit_seconds": model["fit_seconds"], "train_clips": model["train_clips"],
                          "real_test": model["real_test"], "real_test_16k_padded": {k: moved[k] for k in keys},
                          "digit_confusion_16k_padded": moved["digit_confusion"],
                          "speaker_confusion_16k_padded": moved["speaker_confusion"]}))


if __name__ == "__main__":
    main()
