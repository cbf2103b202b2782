"""Makes a second image set for checking that quantizer defaults generalise beyond Fashion-MNIST:
gray 32x32 patches of the BSDS500 photos, written as MNIST-layout IDX files (which both `vqvae train
--data` and ../shared/bench/torch_ref.py read).

    python3 Scripts/experiments/make_patch_idx.py --bsds ../shared/data/bsds500 --out /tmp/bsds-patches

Patches are random 64x64 crops (positions from numpy's default_rng(seed)) of each photo converted to
gray (Pillow's "L": ITU-R 601-2 luma), downscaled to 32x32 (box filter), 200 per photo: 60000 from
train/ (300 photos) and 40000 from test/ (200 photos; 10000 of them, drawn at random, are the test split).
The data is derived from BSDS500 (non-commercial research and education only): write it outside the
project, never commit it.
"""
import argparse, os, struct
import numpy as np
from PIL import Image


def patches(folder, per_image, rng):
    names = sorted(n for n in os.listdir(folder) if n.lower().endswith((".jpg", ".jpeg", ".png")))
    out = []
    for name in names:
        image = Image.open(os.path.join(folder, name)).convert("L")
        w, h = image.size
        for _ in range(per_image):
            x, y = int(rng.integers(0, w - 64 + 1)), int(rng.integers(0, h - 64 + 1))
            out.append(np.asarray(image.crop((x, y, x + 64, y + 64)).resize((32, 32), Image.BOX), dtype=np.uint8))
    return np.stack(out)


def write_idx(path, array):
    with open(path, "wb") as f:
        f.write(struct.pack(">BBBB", 0, 0, 8, array.ndim))
        for size in array.shape:
            f.write(struct.pack(">I", size))
        f.write(array.tobytes())


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bsds", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    os.makedirs(args.out, exist_ok=True)
    train = patches(os.path.join(args.bsds, "train"), 200, rng)
    test = patches(os.path.join(args.bsds, "test"), 200, rng)
    test = test[rng.permutation(len(test))[:10000]]
    write_idx(os.path.join(args.out, "train-images-idx3-ubyte"), train)
    write_idx(os.path.join(args.out, "t10k-images-idx3-ubyte"), test)
    print(f"{args.out}: {train.shape[0]} train and {test.shape[0]} test patches of 32x32")


if __name__ == "__main__":
    main()
