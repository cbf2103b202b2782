#!/usr/bin/env python3
"""The codec's exactness on real images, through the built tool as a user runs it.

For every rate and every (kernel path, thread count) pair: compress each image on one setting, decompress
on another (the next in the list, wrapping), and compare the PNG bytes with `vqvae reconstruct --depth R`
of the image on the decompressing setting. Prints one line per (rate, setting) and a summary; exits 1
on any difference.

    python3 Scripts/codec/check_exact.py --codec runs/codec --images ../shared/data/bsds500/test/100007.jpg \
        ../shared/data/bsds500/test/100039.jpg --work /tmp/codec-exact
"""
import argparse
import itertools
import os
import subprocess
import sys


def run(binary, arguments, kernel, threads):
    env = dict(os.environ, VQK_KERNEL=kernel, VQVAE_THREADS=str(threads))
    result = subprocess.run([binary] + arguments, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"{' '.join(arguments)} failed on {kernel}/{threads}: {result.stderr.strip()}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--codec", required=True)
    parser.add_argument("--images", nargs="+", required=True)
    parser.add_argument("--work", required=True)
    parser.add_argument("--binary", default=".build/release/vqvae")
    parser.add_argument("--rates", type=int, nargs="+", default=[1, 2, 3, 4])
    parser.add_argument("--kernels", nargs="+", default=["avx512", "avx2", "generic"])
    args = parser.parse_args()
    settings = list(itertools.product(args.kernels, [1, 2]))
    differences = checked = 0
    for rate in args.rates:
        for index, (kernel, threads) in enumerate(settings):
            decoder = settings[(index + 1) % len(settings)]
            folder = os.path.join(args.work, f"rate{rate}-{kernel}-{threads}")
            run(args.binary, ["compress", "--codec", args.codec, "--rate", str(rate), "--out", folder] + args.images, kernel, threads)
            stems = [os.path.splitext(os.path.basename(p))[0] for p in args.images]
            run(args.binary, ["decompress", "--codec", args.codec, "--out", folder + "/decoded"]
                + [os.path.join(folder, s + ".vqz") for s in stems], *decoder)
            run(args.binary, ["reconstruct", "--model", os.path.join(args.codec, "model.safetensors"), "--depth", str(rate),
                              "--out", folder + "/reconstructed"] + args.images, *decoder)
            same = 0
            for stem in stems:
                with open(os.path.join(folder, "decoded", stem + ".png"), "rb") as a, \
                        open(os.path.join(folder, "reconstructed", stem + ".png"), "rb") as b:
                    same += a.read() == b.read()
            checked += len(stems)
            differences += len(stems) - same
            print(f"rate {rate}: compressed on {kernel}/{threads}, decompressed on {decoder[0]}/{decoder[1]}: "
                  f"{same}/{len(stems)} images equal to reconstruct")
    print(f"{checked - differences}/{checked} decompressed images equal to `vqvae reconstruct` byte for byte")
    sys.exit(1 if differences else 0)


if __name__ == "__main__":
    main()
