#!/usr/bin/env python3
"""Recompute every AUROC (and AUPRC) that `vqvae anomaly score` or `vqvae bench anomaly` printed, from
the CSV files they wrote, with scikit-learn, and compare to the tool's JSON line (default tolerance 1e-6).

    # one `vqvae anomaly score ... --normal-classes 0 --out scores.csv --json > score.json`
    python3 Scripts/anomaly/check_auroc.py --csv scores.csv --json score.json
    # a whole `vqvae bench anomaly ... --out DIR --json > bench.json` (DIR/class-C/scores.csv per class)
    python3 Scripts/anomaly/check_auroc.py --bench DIR --json bench.json

The CSV's `anomalous` column (1 for a label outside the normal classes) is the positive class, every
other column after `anomalous` a score (larger = more anomalous). With --bench, the combined column is
also recomputed from DIR/class-C/reference.csv (the normal training images' scores) by the documented
rule: the largest over the measured scores of (log s - mean_ref log s) / sd_ref log s. Exit status 1 on any
difference above the tolerance.
"""
import argparse
import csv
import json
import math
import os
import sys

import numpy as np
from sklearn.metrics import average_precision_score, roc_auc_score

MEASURED = ["reconstruction_error", "quantization_distance", "prior_surprise"]


def read_scores(path):
    with open(path, newline="") as handle:
        rows = list(csv.DictReader(handle))
    if not rows:
        sys.exit(f"{path}: no rows")
    names = [name for name in rows[0].keys() if name not in ("index", "label", "anomalous")]
    anomalous = np.array([int(row["anomalous"]) if row["anomalous"] else -1 for row in rows])  # -1: not given
    scores = {name: np.array([float(row[name]) for row in rows]) for name in names}
    return anomalous, scores


def combined_from_reference(reference_path, scores):
    _, reference = read_scores(reference_path)
    z_scores = []
    for name in MEASURED:
        if name not in reference:
            continue
        logs = np.log(np.maximum(reference[name], 1e-12))
        mean, deviation = logs.mean(), logs.std()  # population deviation, as the tool
        deviation = deviation if deviation > 0 else 1.0
        z_scores.append((np.log(np.maximum(scores[name], 1e-12)) - mean) / deviation)
    return np.max(np.stack(z_scores), axis=0)


def compare(label, expected, actual, tolerance, failures):
    difference = abs(expected - actual)
    status = "ok" if difference <= tolerance else "DIFFERS"
    print(f"{label:48s} sklearn {expected:.10f}  tool {actual:.10f}  |diff| {difference:.2e}  {status}")
    if difference > tolerance:
        failures.append(label)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--csv", help="a scores CSV of `vqvae anomaly score --out`")
    parser.add_argument("--bench", help="the --out folder of `vqvae bench anomaly`")
    parser.add_argument("--json", required=True, help="a file holding the tool's output (its last JSON line is read)")
    parser.add_argument("--tolerance", type=float, default=1e-6)
    args = parser.parse_args()
    if (args.csv is None) == (args.bench is None):
        sys.exit("give --csv or --bench")
    with open(args.json) as handle:
        lines = [line for line in handle.read().splitlines() if line.startswith("{")]
    tool = json.loads(lines[-1])
    failures = []
    checked = 0
    if args.csv:
        anomalous, scores = read_scores(args.csv)
        for name, values in scores.items():
            compare(f"{name} AUROC", roc_auc_score(anomalous, values), tool["auroc"][name], args.tolerance, failures)
            compare(f"{name} AUPRC", average_precision_score(anomalous, values), tool["auprc"][name], args.tolerance, failures)
            checked += 2
    else:
        classes = sorted(tool["auroc"].keys(), key=int)
        means = {}
        for normal in classes:
            folder = os.path.join(args.bench, f"class-{normal}")
            anomalous, scores = read_scores(os.path.join(folder, "scores.csv"))
            for name, values in scores.items():
                auroc = roc_auc_score(anomalous, values)
                means.setdefault(name, []).append(auroc)
                compare(f"class {normal} {name} AUROC", auroc, tool["auroc_by_score"][name][normal], args.tolerance, failures)
                compare(f"class {normal} {name} AUPRC", average_precision_score(anomalous, values),
                        tool["auprc_by_score"][name][normal], args.tolerance, failures)
                checked += 2
            best = tool["best_score"]
            compare(f"class {normal} auroc ({best})", roc_auc_score(anomalous, scores[best]), tool["auroc"][normal],
                    args.tolerance, failures)
            checked += 1
            reference = os.path.join(folder, "reference.csv")
            if os.path.exists(reference):
                recomputed = combined_from_reference(reference, scores)
                worst = float(np.max(np.abs(recomputed - scores["combined"])))
                ok = worst <= 1e-9 * max(1.0, float(np.max(np.abs(recomputed))))
                print(f"class {normal} combined column from reference.csv: max |diff| {worst:.2e}  {'ok' if ok else 'DIFFERS'}")
                if not ok:
                    failures.append(f"class {normal} combined column")
                checked += 1
        for name, values in means.items():
            compare(f"mean {name} AUROC", float(np.mean(values)), tool["mean_auroc_by_score"][name], args.tolerance, failures)
            checked += 1
        compare(f"mean_auroc ({tool['best_score']})", float(np.mean(means[tool["best_score"]])), tool["mean_auroc"],
                args.tolerance, failures)
        checked += 1
    print(f"{checked} figures checked, {len(failures)} differ by more than {args.tolerance}")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
