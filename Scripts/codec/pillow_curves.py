#!/usr/bin/env python3
"""JPEG's and WebP's rate-distortion curves on a folder of images, beside `vqvae bench codec`'s points.

For each codec and quality (Pillow, 1 to 95) every image is encoded in memory, decoded, and scored:
bpp = 8 * bytes / (width * height) and PSNR over the 8-bit RGB pixels (peak 255, MSE over all
pixels and channels of the image). The curve's point is the mean bpp and the mean per-image PSNR over
the images -- the same averages `vqvae bench codec` reports. With --ours, each of our JSON lines is set
beside JPEG's and WebP's PSNR at the same bpp, interpolated linearly in bpp between the two qualities
that bracket it ("below range" when the codec cannot go that low, "above range" when it cannot reach).

    python3 Scripts/codec/pillow_curves.py --data ../shared/data/bsds500/test --out runs/codec/pillow.json
    python3 Scripts/codec/pillow_curves.py --data ../shared/data/bsds500/test --curves runs/codec/pillow.json \
        --ours runs/codec/bench.jsonl

JPEG is Pillow's default encoder settings (4:2:0 chroma subsampling, standard tables, optimize off);
WebP is Pillow's lossy WebP at method 4 (its default). Python is for such checks only.
"""
import argparse
import io
import json
import math
import os
import sys

import numpy as np
from PIL import Image

QUALITIES = [1, 2, 3, 4, 5, 6, 8, 10, 12, 15, 20, 25, 30, 40, 50, 60, 70, 80, 90, 95]


def psnr(a, b):
    mse = np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2)
    return float("inf") if mse == 0 else 10 * math.log10(255.0 ** 2 / mse)


def curve(images, fmt, qualities):
    points = []
    for quality in qualities:
        bpps, psnrs = [], []
        for pixels in images:
            buffer = io.BytesIO()
            Image.fromarray(pixels).save(buffer, format=fmt, quality=quality)
            decoded = np.asarray(Image.open(io.BytesIO(buffer.getvalue())).convert("RGB"))
            bpps.append(8 * len(buffer.getvalue()) / (pixels.shape[0] * pixels.shape[1]))
            psnrs.append(psnr(pixels, decoded))
        points.append({"quality": quality, "bpp": float(np.mean(bpps)), "psnr": float(np.mean(psnrs))})
        print(f"{fmt:5s} q{quality:3d}: {points[-1]['bpp']:.4f} bpp, {points[-1]['psnr']:.3f} dB", file=sys.stderr)
    return points


def interpolate(points, bpp):
    """PSNR at `bpp` on the curve, or None with the reason when outside it."""
    ordered = sorted(points, key=lambda p: p["bpp"])
    if bpp < ordered[0]["bpp"]:
        return None, "below range"
    if bpp > ordered[-1]["bpp"]:
        return None, "above range"
    for low, high in zip(ordered, ordered[1:]):
        if low["bpp"] <= bpp <= high["bpp"]:
            t = 0 if high["bpp"] == low["bpp"] else (bpp - low["bpp"]) / (high["bpp"] - low["bpp"])
            return low["psnr"] + t * (high["psnr"] - low["psnr"]), ""
    return None, "not found"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", required=True, help="folder of images (PNG or JPEG)")
    parser.add_argument("--out", help="write the curves here as JSON")
    parser.add_argument("--curves", help="read the curves from here instead of computing them")
    parser.add_argument("--ours", help="JSON lines of `vqvae bench codec` to compare")
    parser.add_argument("--limit", type=int, help="the first N images in sorted order only (as `vqvae bench codec --limit N`)")
    args = parser.parse_args()

    if args.curves:
        with open(args.curves) as f:
            curves = json.load(f)
    else:
        names = sorted(n for n in os.listdir(args.data) if n.lower().endswith((".png", ".jpg", ".jpeg")))[:args.limit]
        images = [np.asarray(Image.open(os.path.join(args.data, n)).convert("RGB")) for n in names]
        curves = {"images": len(images), "jpeg": curve(images, "JPEG", QUALITIES),
                  "webp": curve(images, "WEBP", QUALITIES)}
        if args.out:
            os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
            with open(args.out, "w") as f:
                json.dump(curves, f, indent=1)

    print("| codec | quality | bpp | PSNR (dB) |")
    print("|---|---:|---:|---:|")
    for name in ("jpeg", "webp"):
        for p in curves[name]:
            print(f"| {name} | {p['quality']} | {p['bpp']:.4f} | {p['psnr']:.2f} |")
    if args.ours:
        print()
        print("| ours: rate | bpp | PSNR (dB) | JPEG at that bpp | ours - JPEG | WebP at that bpp | ours - WebP |")
        print("|---|---:|---:|---:|---:|---:|---:|")
        with open(args.ours) as f:
            for line in f:
                if not line.strip():
                    continue
                ours = json.loads(line)
                cells = []
                for name in ("jpeg", "webp"):
                    value, why = interpolate(curves[name], ours["bpp"])
                    cells += [why, ""] if value is None else [f"{value:.2f}", f"{ours['psnr'] - value:+.2f}"]
                print(f"| {ours['rate']} | {ours['bpp']:.4f} | {ours['psnr']:.2f} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
