"""PNG fixtures for Tests/VQDataTests/Images/PNGDecoderTests.swift, and a Pillow check of PNGs our encoder writes.

Run from the repository root:  python3 Tests/VQDataTests/Fixtures/make_png_fixtures.py
(needs numpy and Pillow; the Swift tests never run Python, they read what this script committed).

1. Writes small PNGs into Fixtures/png/: the ones Pillow can write (gray, gray+alpha, RGB, RGBA, palette
   at 8 and 4 bits, palette with tRNS, 16-bit gray, 1-bit), and, by hand here, the ones Pillow cannot write
   (16-bit RGB, 2-bit gray, Adam7 interlaced, every row filter) - each hand-written file is then opened with
   Pillow and must give the pixels we meant, so Pillow vouches for them too.
   Fixtures/png/expected.json holds, per file, width, height, channels and the 8-bit pixels (rows top to
   bottom, channels interleaved) as Pillow decodes them: convert("L"/"LA"/"RGB"/"RGBA"), and for 16 bits
   the high byte of each sample (the decoder's documented rule), checked against the source arrays.
2. Opens Fixtures/png/encoder_*.png, written by our PNGEncoder (PNGDecoderTests.encoderFilesMatchWhatPillowChecked
   writes them when VQDATA_WRITE_ENCODER_FIXTURES=1), with Pillow, checks their pixels against the same
   pattern the Swift test uses, and records the outcome under "pillow_read_encoder_files".
"""
import json
import os
import struct
import zlib

import numpy as np
from PIL import Image

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "png")
os.makedirs(HERE, exist_ok=True)
rng = np.random.default_rng(4)
expected = {}


def record(name, pixels):
    """Stores the expected 8-bit pixels (H, W) or (H, W, C) of fixture `name`."""
    pixels = np.asarray(pixels, dtype=np.uint8)
    if pixels.ndim == 2:
        pixels = pixels[:, :, None]
    height, width, channels = pixels.shape
    expected[name] = {"width": width, "height": height, "channels": channels, "pixels": pixels.reshape(-1).tolist()}


def pillow_pixels(name, mode):
    with Image.open(os.path.join(HERE, name)) as image:
        return np.asarray(image.convert(mode))


# --- Written by Pillow -------------------------------------------------------------------------------
gray = rng.integers(0, 256, (5, 7), dtype=np.uint8)
Image.fromarray(gray, "L").save(os.path.join(HERE, "gray8.png"))
record("gray8.png", pillow_pixels("gray8.png", "L"))
assert (pillow_pixels("gray8.png", "L") == gray).all()

smooth = (np.add.outer(np.arange(6) * 9, np.arange(9) * 5)[:, :, None] + np.array([0, 60, 120])) % 256
rgb = (smooth + rng.integers(0, 4, (6, 9, 3))).astype(np.uint8)  # smooth: Pillow's adaptive filters pick Sub/Up/Average/Paeth
Image.fromarray(rgb, "RGB").save(os.path.join(HERE, "rgb8.png"))
record("rgb8.png", rgb)
assert (pillow_pixels("rgb8.png", "RGB") == rgb).all()

rgba = rng.integers(0, 256, (4, 5, 4), dtype=np.uint8)
Image.fromarray(rgba, "RGBA").save(os.path.join(HERE, "rgba8.png"))
record("rgba8.png", rgba)
assert (pillow_pixels("rgba8.png", "RGBA") == rgba).all()

gray_alpha = rng.integers(0, 256, (3, 6, 2), dtype=np.uint8)
Image.fromarray(gray_alpha, "LA").save(os.path.join(HERE, "gray_alpha8.png"))
record("gray_alpha8.png", gray_alpha)
assert (pillow_pixels("gray_alpha8.png", "LA") == gray_alpha).all()

palette = rng.integers(0, 256, (200, 3), dtype=np.uint8)
indices = rng.integers(0, 200, (5, 8), dtype=np.uint8)
image = Image.fromarray(indices, "P")
image.putpalette(palette.reshape(-1).tolist())
image.save(os.path.join(HERE, "palette8.png"))
record("palette8.png", palette[indices])
assert (pillow_pixels("palette8.png", "RGB") == palette[indices]).all()

small_palette = rng.integers(0, 256, (16, 3), dtype=np.uint8)
small_indices = rng.integers(0, 16, (4, 9), dtype=np.uint8)
image = Image.fromarray(small_indices, "P")
image.putpalette(small_palette.reshape(-1).tolist())
image.save(os.path.join(HERE, "palette4.png"), bits=4)
record("palette4.png", small_palette[small_indices])
assert (pillow_pixels("palette4.png", "RGB") == small_palette[small_indices]).all()

alpha = rng.integers(0, 256, 16, dtype=np.uint8)
image = Image.fromarray(small_indices, "P")
image.putpalette(small_palette.reshape(-1).tolist())
image.save(os.path.join(HERE, "palette_trns.png"), transparency=alpha.tobytes())
rgba_expected = np.concatenate([small_palette[small_indices], alpha[small_indices][:, :, None]], axis=2)
record("palette_trns.png", rgba_expected)
assert (pillow_pixels("palette_trns.png", "RGBA") == rgba_expected).all()

gray16 = rng.integers(0, 65536, (4, 6), dtype=np.uint16)
Image.fromarray(gray16).save(os.path.join(HERE, "gray16.png"))
with Image.open(os.path.join(HERE, "gray16.png")) as reread:
    assert (np.asarray(reread).astype(np.uint16) == gray16).all(), "Pillow reads back its 16-bit gray"
record("gray16.png", gray16 >> 8)

bits = rng.integers(0, 2, (3, 11), dtype=np.uint8)
Image.fromarray(bits.astype(bool)).save(os.path.join(HERE, "gray1.png"))  # mode "1": a 1-bit PNG
record("gray1.png", bits * 255)
assert (pillow_pixels("gray1.png", "L") == bits * 255).all()


# --- Written by hand (Pillow cannot), then opened with Pillow -------------------------------------------
def paeth(left, up, upper_left):
    estimate = left + up - upper_left
    to_left, to_up, to_upper_left = abs(estimate - left), abs(estimate - up), abs(estimate - upper_left)
    if to_left <= to_up and to_left <= to_upper_left:
        return left
    return up if to_up <= to_upper_left else upper_left


def filtered(row, above, kind, stride):
    """One row of bytes filtered with filter `kind` (0-4), PNG specification section 9."""
    out = bytearray([kind])
    for i, value in enumerate(row):
        left = row[i - stride] if i >= stride else 0
        up = above[i]
        upper_left = above[i - stride] if i >= stride else 0
        prediction = [0, left, up, (left + up) // 2, paeth(left, up, upper_left)][kind]
        out.append((value - prediction) % 256)
    return bytes(out)


def pack(samples, depth):
    """Row of samples (ints) at `depth` bits, big-endian within bytes, as PNG stores them."""
    if depth == 16:
        return b"".join(struct.pack(">H", int(s)) for s in samples)
    if depth == 8:
        return bytes(int(s) for s in samples)
    out, accumulator, used = bytearray(), 0, 0
    for s in samples:
        accumulator = (accumulator << depth) | int(s)
        used += depth
        if used == 8:
            out.append(accumulator)
            accumulator, used = 0, 0
    if used:
        out.append(accumulator << (8 - used))
    return bytes(out)


def chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def write_png(name, samples, depth, color_type, interlaced=False):
    """`samples` (H, W, S) integers; rows filtered with type (row number mod 5) in each pass."""
    height, width, per_pixel = samples.shape
    stride = max(1, per_pixel * depth // 8)
    passes = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)] if interlaced else [(0, 0, 1, 1)]
    raw = bytearray()
    for x0, y0, dx, dy in passes:
        sub = samples[y0::dy, x0::dx]
        if sub.size == 0:
            continue
        rows = [pack(sub[r].reshape(-1), depth) for r in range(sub.shape[0])]
        above = bytes(len(rows[0]))
        for r, row in enumerate(rows):
            raw += filtered(row, above, r % 5, stride)
            above = row
    header = struct.pack(">IIBBBBB", width, height, depth, color_type, 0, 0, 1 if interlaced else 0)
    data = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(bytes(raw), 9)) + chunk(b"IEND", b"")
    with open(os.path.join(HERE, name), "wb") as file:
        file.write(data)


rgb16 = rng.integers(0, 65536, (5, 4, 3), dtype=np.uint16)
write_png("rgb16.png", rgb16, 16, 2)
record("rgb16.png", rgb16 >> 8)
assert (pillow_pixels("rgb16.png", "RGB") == rgb16 >> 8).all(), "Pillow reads 16-bit RGB as the high bytes"

gray2 = rng.integers(0, 4, (4, 7, 1))
write_png("gray2.png", gray2, 2, 0)
record("gray2.png", gray2[:, :, 0] * 85)
assert (pillow_pixels("gray2.png", "L") == gray2[:, :, 0] * 85).all()

filters = ((np.add.outer(np.arange(10) * 7, np.arange(6) * 3)[:, :, None] + np.array([5, 90, 200])) % 256
           + rng.integers(0, 8, (10, 6, 3))) % 256
write_png("filters_rgb8.png", filters, 8, 2)
record("filters_rgb8.png", filters)
assert (pillow_pixels("filters_rgb8.png", "RGB") == filters).all()

interlaced = rng.integers(0, 256, (9, 11, 3))
write_png("interlaced_rgb8.png", interlaced, 8, 2, interlaced=True)
record("interlaced_rgb8.png", interlaced)
assert (pillow_pixels("interlaced_rgb8.png", "RGB") == interlaced).all()

interlaced_gray = rng.integers(0, 4, (10, 13, 1))
write_png("interlaced_gray2.png", interlaced_gray, 2, 0, interlaced=True)
record("interlaced_gray2.png", interlaced_gray[:, :, 0] * 85)
assert (pillow_pixels("interlaced_gray2.png", "L") == interlaced_gray[:, :, 0] * 85).all()

interlaced_tiny = rng.integers(0, 65536, (3, 2, 4), dtype=np.uint16)  # smaller than an Adam7 block: empty passes
write_png("interlaced_rgba16_3x2.png", interlaced_tiny, 16, 6, interlaced=True)
record("interlaced_rgba16_3x2.png", interlaced_tiny >> 8)
assert (pillow_pixels("interlaced_rgba16_3x2.png", "RGBA") == interlaced_tiny >> 8).all()


# --- PNGs our encoder wrote, opened with Pillow -------------------------------------------------------
def encoder_pattern(width, height, channels):
    """The pattern of PNGDecoderTests.encoderPattern: (x*29 + y*53 + c*97 + x*y) mod 256."""
    y, x, c = np.meshgrid(np.arange(height), np.arange(width), np.arange(channels), indexing="ij")
    return ((x * 29 + y * 53 + c * 97 + x * y) % 256).astype(np.uint8)


checked = []
for channels, mode, (width, height) in [(1, "L", (7, 5)), (2, "LA", (3, 9)), (3, "RGB", (10, 4)), (4, "RGBA", (1, 6))]:
    name = f"encoder_{channels}.png"
    path = os.path.join(HERE, name)
    if not os.path.exists(path):
        print(f"missing {name}: run VQDATA_WRITE_ENCODER_FIXTURES=1 swift test --filter encoderFilesMatchWhatPillowChecked first")
        continue
    with Image.open(path) as image:
        image.load()
        assert image.mode == mode and image.size == (width, height), (name, image.mode, image.size)
        pixels = np.asarray(image).reshape(height, width, channels)
    assert (pixels == encoder_pattern(width, height, channels)).all(), name
    checked.append(name)
expected["pillow_read_encoder_files"] = checked

with open(os.path.join(HERE, "expected.json"), "w") as file:
    json.dump(expected, file, separators=(",", ":"))
print("wrote", sorted(expected), "Pillow read our encoder's", checked)
