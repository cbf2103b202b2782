"""Writes conv_fixtures.json: PyTorch's values for the convolution ops, for ConvolutionFixtureTests.swift.

Each case draws float32 inputs, weight, bias (and mask) and a cotangent with a fixed seed, runs the op in
float64 PyTorch (so the expected values carry no float32 rounding of their own), and records the output
and the gradients of sum(output * cotangent) with respect to input, weight and bias.

    python3 Tests/VQEngineTests/Fixtures/make_conv_fixtures.py   # from the package root; torch 2.x CPU and numpy
"""
import json, os
import numpy as np
import torch
import torch.nn.functional as F

SEED = 20240611
HERE = os.path.dirname(os.path.abspath(__file__))


def causal_mask(filters, channels, k):
    """PixelCNN mask of type A: the centre tap and every tap after it (row-major) are 0."""
    mask = torch.ones(filters, channels, k, k, dtype=torch.float64)
    c = k // 2
    mask[:, :, c, c:] = 0
    mask[:, :, c + 1:, :] = 0
    return mask


# (name, op, input shape, weight shape, bias?, settings, mask?)
CASES = [
    ("conv2d stride (2, 1), padding (1, 2), dilation (2, 1), bias", "conv2d", [2, 3, 9, 8], [4, 3, 3, 3], True,
     dict(stride=[2, 1], padding=[1, 2], dilation=[2, 1], groups=1), False),
    ("conv2d groups 2, padding 1, bias", "conv2d", [2, 4, 7, 7], [6, 2, 3, 3], True,
     dict(stride=[1, 1], padding=[1, 1], dilation=[1, 1], groups=2), False),
    ("conv2d depthwise, stride 2, no bias", "conv2d", [1, 3, 6, 5], [6, 1, 3, 3], False,
     dict(stride=[2, 2], padding=[1, 1], dilation=[1, 1], groups=3), False),
    ("conv2d 4x4 stride 2 padding 1 (Sonnet encoder), bias", "conv2d", [2, 3, 8, 8], [5, 3, 4, 4], True,
     dict(stride=[2, 2], padding=[1, 1], dilation=[1, 1], groups=1), False),
    ("conv2d 1x1, no bias", "conv2d", [3, 5, 4, 3], [7, 5, 1, 1], False,
     dict(stride=[1, 1], padding=[0, 0], dilation=[1, 1], groups=1), False),
    ("conv2d masked 5x5 (PixelCNN type A), padding 2, bias", "conv2d", [2, 3, 6, 6], [5, 3, 5, 5], True,
     dict(stride=[1, 1], padding=[2, 2], dilation=[1, 1], groups=1), True),
    ("convTranspose2d stride 2, padding 1, outputPadding 1, bias", "convTranspose2d", [2, 4, 5, 4], [4, 3, 3, 3], True,
     dict(stride=[2, 2], padding=[1, 1], output_padding=[1, 1], dilation=[1, 1], groups=1), False),
    ("convTranspose2d 4x4 stride 2 padding 1 (Sonnet decoder), bias", "convTranspose2d", [2, 6, 4, 4], [6, 3, 4, 4], True,
     dict(stride=[2, 2], padding=[1, 1], output_padding=[0, 0], dilation=[1, 1], groups=1), False),
    ("convTranspose2d groups 2, stride (2, 3), dilation (1, 2), outputPadding (1, 0), bias", "convTranspose2d",
     [2, 4, 4, 3], [4, 3, 3, 2], True,
     dict(stride=[2, 3], padding=[1, 0], output_padding=[1, 0], dilation=[1, 2], groups=2), False),
    ("conv1d groups 2, stride 2, padding 1, dilation 2, bias", "conv1d", [2, 4, 11], [6, 2, 3], True,
     dict(stride=[2], padding=[1], dilation=[2], groups=2), False),
    ("convTranspose1d stride 2, padding 1, outputPadding 1, bias", "convTranspose1d", [2, 3, 6], [3, 4, 4], True,
     dict(stride=[2], padding=[1], output_padding=[1], dilation=[1], groups=1), False),
]


def draw(generator, shape):
    """Uniform float32 values in [-1, 1), returned as float64 holding exactly those float32 values."""
    return (torch.rand(shape, generator=generator, dtype=torch.float32) * 2 - 1).to(torch.float64)


def run(op, x, w, b, settings):
    s = {k: tuple(v) for k, v in settings.items() if k != "groups"}
    if op == "conv2d":
        return F.conv2d(x, w, b, groups=settings["groups"], **s)
    if op == "conv1d":
        return F.conv1d(x, w, b, groups=settings["groups"], **s)
    if op == "convTranspose2d":
        return F.conv_transpose2d(x, w, b, groups=settings["groups"], **s)
    return F.conv_transpose1d(x, w, b, groups=settings["groups"], **s)


def flat(tensor, float32):
    values = tensor.detach().reshape(-1).tolist()
    if float32:  # inputs: shortest repr of each float32, exact when read back as Float
        return [float(str(np.float32(v))) for v in values]
    return [float("%.10g" % v) for v in values]


def tensor_entry(tensor, float32=False):
    return None if tensor is None else {"shape": list(tensor.shape), "values": flat(tensor, float32)}


def make_case(generator, name, op, input_shape, weight_shape, has_bias, settings, masked):
    x = draw(generator, input_shape).requires_grad_()
    w = draw(generator, weight_shape).requires_grad_()
    b = draw(generator, [weight_shape[1] * settings["groups"] if "Transpose" in op else weight_shape[0]]).requires_grad_() \
        if has_bias else None
    mask = causal_mask(weight_shape[0], weight_shape[1], weight_shape[2]) if masked else None
    y = run(op, x, w * mask if masked else w, b, settings)
    cotangent = draw(generator, list(y.shape))
    (y * cotangent).sum().backward()
    return {
        "name": name, "op": op, **settings,
        "input": tensor_entry(x, True), "weight": tensor_entry(w, True), "bias": tensor_entry(b, True),
        "mask": tensor_entry(mask, True), "cotangent": tensor_entry(cotangent, True),
        "output": tensor_entry(y), "input_gradient": tensor_entry(x.grad), "weight_gradient": tensor_entry(w.grad),
        "bias_gradient": tensor_entry(b.grad) if has_bias else None,
    }


def main():
    generator = torch.Generator().manual_seed(SEED)
    cases = [make_case(generator, *case) for case in CASES]
    fixture = {"generator": "Tests/VQEngineTests/Fixtures/make_conv_fixtures.py", "torch_version": torch.__version__,
               "dtype": "float64", "seed": SEED, "cases": cases}
    path = os.path.join(HERE, "conv_fixtures.json")
    with open(path, "w") as f:
        json.dump(fixture, f, separators=(",", ":"))
        f.write("\n")
    print(f"wrote {len(cases)} cases to {path} ({os.path.getsize(path)} bytes)")


if __name__ == "__main__":
    main()
