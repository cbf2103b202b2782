"""JPEG fixtures for Tests/VQDataTests/Images/JPEGDecoderTests.swift.

Run from the repository root:  python3 Tests/VQDataTests/Fixtures/jpeg/make_jpeg_fixtures.py
(needs numpy and Pillow; the Swift tests never run Python, they read what this script committed).

Writes small JPEGs with Pillow into Fixtures/jpeg/, each beside NAME.png: the pixels Pillow decodes from
NAME.jpg (mode "L" for gray files, "RGB" otherwise), stored losslessly, so the Swift test can compare our
decoder's pixels with Pillow's. Pillow decodes through libjpeg-turbo with its defaults (islow IDCT, fancy
upsampling), as JPEGDecoder does. expected.json lists, per JPEG, its size and channels, and which
JPEGs must be refused instead (cmyk.jpg); it also records the Pillow and libjpeg versions used.
"""
import json
import os

import numpy as np
import PIL
from PIL import Image, features

HERE = os.path.dirname(os.path.abspath(__file__))
rng = np.random.default_rng(11)
expected = {"pillow": PIL.__version__, "libjpeg": features.version("jpg"), "files": {}, "refused": {}}


def picture(height, width):
    """Smooth colour ramps with some noise and a sharp edge: every DCT frequency has work to do."""
    y, x = np.mgrid[0:height, 0:width]
    planes = [x * 255 / max(1, width - 1), y * 255 / max(1, height - 1), (x + y) % 7 * 36]
    rgb = np.stack(planes, axis=-1) + rng.normal(0, 12, (height, width, 3))
    rgb[: height // 2, : width // 3] = [250, 20, 60]  # a red block with hard edges
    return np.clip(rgb, 0, 255).astype(np.uint8)


def save(name, image, **options):
    """Writes NAME.jpg with `options`, and NAME.png holding what Pillow decodes from it."""
    path = os.path.join(HERE, name + ".jpg")
    image.save(path, "JPEG", **options)
    with Image.open(path) as written:
        written.load()
        mode = "L" if written.mode == "L" else "RGB"
        assert written.mode == mode, (name, written.mode)
        decoded = written.convert(mode)
    decoded.save(os.path.join(HERE, name + ".png"))
    expected["files"][name + ".jpg"] = {"width": decoded.width, "height": decoded.height,
                                        "channels": 1 if mode == "L" else 3, "reference": name + ".png",
                                        "options": {key: str(value) for key, value in options.items()}}


rgb16 = Image.fromarray(picture(16, 16), "RGB")
odd = Image.fromarray(picture(7, 13), "RGB")
save("rgb_420", rgb16, quality=85, subsampling="4:2:0")  # baseline, chroma halved both ways
save("rgb_444", rgb16, quality=90, subsampling="4:4:4")
save("rgb_422", rgb16, quality=80, subsampling="4:2:2")
save("odd_13x7_420", odd, quality=75, subsampling="4:2:0")  # partial MCUs at the right and bottom edges
save("gray", Image.fromarray(picture(9, 12)[:, :, 0], "L"), quality=80)
save("progressive_420", rgb16, quality=85, subsampling="4:2:0", progressive=True)
save("progressive_gray_odd", Image.fromarray(picture(11, 5)[:, :, 1], "L"), quality=70, progressive=True)
save("restarts_420", Image.fromarray(picture(16, 32), "RGB"), quality=85, subsampling="4:2:0", restart_marker_blocks=1)
save("restarts_444", rgb16, quality=85, subsampling="4:4:4", restart_marker_blocks=1)
for name, markers in [("restarts_420", 1), ("restarts_444", 3)]:  # a restart marker after every MCU but the last
    with open(os.path.join(HERE, name + ".jpg"), "rb") as file:
        data = file.read()
    assert sum(data.count(bytes([0xFF, 0xD0 + i])) for i in range(8)) == markers, name
save("rgb_no_ycc", odd, quality=90, subsampling="4:4:4", keep_rgb=True)  # Adobe marker: stored as RGB, no YCbCr

# A CMYK file, which JPEGDecoder refuses.
cmyk = Image.fromarray(picture(8, 8), "RGB").convert("CMYK")
cmyk.save(os.path.join(HERE, "cmyk.jpg"), "JPEG", quality=80)
expected["refused"]["cmyk.jpg"] = "a CMYK JPEG is not supported (only gray, YCbCr and RGB); convert it to RGB"

with open(os.path.join(HERE, "expected.json"), "w") as file:
    json.dump(expected, file, indent=1, sort_keys=True)
    file.write("\n")
sizes = {name: os.path.getsize(os.path.join(HERE, name)) for name in sorted(os.listdir(HERE)) if name != "make_jpeg_fixtures.py"}
print("wrote", len(sizes), "files,", sum(sizes.values()), "bytes:", sizes)
