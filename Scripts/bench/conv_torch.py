"""PyTorch peer of `vqvae bench conv`: the Sonnet VQ-VAE's convolutions, measured the same way.

For each layer (hidden 128, residual hidden 32, D 64; 3x32x32 and 1x28x28 inputs): the median of
--repeats timed runs after --warmup untimed ones, forward with no autograd, backward as
y.backward(cotangent) for input, weight and bias gradients with the forward recorded untimed before
each run. FLOPs: 2*N*Cout*Hout*Wout*Cin/groups*kh*kw forward (for a transposed convolution, the
convolution it transposes), twice that backward. One JSON object per line with --json, else a table.

    python3 Scripts/bench/conv_torch.py --json [--threads 2] [--batch 32] [--inputs rgb32|gray28|all]
"""
import argparse, json, statistics, time
import torch
import torch.nn.functional as F


def layers(c, s):
    """(name, transposed, in, out, kernel, stride, padding, bias, input size), as in vqvae bench conv."""
    return [
        ("encoder.conv1", False, c, 64, 4, 2, 1, True, s),
        ("encoder.conv2", False, 64, 128, 4, 2, 1, True, s // 2),
        ("encoder.conv3", False, 128, 128, 3, 1, 1, True, s // 4),
        ("residual.conv3x3", False, 128, 32, 3, 1, 1, False, s // 4),
        ("residual.conv1x1", False, 32, 128, 1, 1, 0, False, s // 4),
        ("prequantizer.conv1x1", False, 128, 64, 1, 1, 0, True, s // 4),
        ("decoder.conv1", False, 64, 128, 3, 1, 1, True, s // 4),
        ("decoder.transposed1", True, 128, 64, 4, 2, 1, True, s // 4),
        ("decoder.transposed2", True, 64, c, 4, 2, 1, True, s // 2),
    ]


def median_seconds(warmup, repeats, body, prepare=lambda: None):
    durations = []
    for run in range(warmup + repeats):
        prepared = prepare()
        start = time.perf_counter()  # monotonic
        body(prepared)
        if run >= warmup:
            durations.append(time.perf_counter() - start)
    return statistics.median(durations)


def measure(layer, batch, warmup, repeats):
    name, transposed, cin, cout, k, stride, padding, has_bias, size = layer
    op = F.conv_transpose2d if transposed else F.conv2d
    x = torch.rand(batch, cin, size, size) * 2 - 1
    w = (torch.rand(cin, cout, k, k) if transposed else torch.rand(cout, cin, k, k)) * 0.2 - 0.1
    b = torch.rand(cout) * 0.2 - 0.1 if has_bias else None
    with torch.no_grad():
        y = op(x, w, b, stride=stride, padding=padding)
    cotangent = torch.rand(y.shape) * 2 - 1

    def forward(_):
        with torch.no_grad():
            op(x, w, b, stride=stride, padding=padding)

    def record():
        leaves = [t.detach().requires_grad_() for t in (x, w, b) if t is not None]
        return op(leaves[0], leaves[1], leaves[2] if has_bias else None, stride=stride, padding=padding)

    forward_seconds = median_seconds(warmup, repeats, forward)
    backward_seconds = median_seconds(warmup, repeats, lambda out: out.backward(cotangent), record)
    # In the terms of the convolution (for a transposed one: the convolution it transposes).
    big, small = (y, x) if transposed else (x, y)
    filters = small.shape[1]
    flops = 2 * batch * filters * small.shape[2] * small.shape[3] * big.shape[1] * k * k
    return {
        "bench": "conv", "engine": "pytorch-" + torch.__version__, "image": None, "layer": name,
        "op": "convTranspose2d" if transposed else "conv2d", "input_shape": list(x.shape), "weight_shape": list(w.shape),
        "output_shape": list(y.shape), "stride": stride, "padding": padding, "bias": has_bias,
        "threads": torch.get_num_threads(), "repeats": repeats,
        "forward_ms": round(forward_seconds * 1e3, 3), "backward_ms": round(backward_seconds * 1e3, 3),
        "forward_gflops": round(flops / forward_seconds / 1e9, 2),
        "backward_gflops": round(2 * flops / backward_seconds / 1e9, 2),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--inputs", choices=["rgb32", "gray28", "all"], default="all")
    parser.add_argument("--layer", help="only layers whose name contains this text")
    a = parser.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    images = {"rgb32": [(3, 32)], "gray28": [(1, 28)], "all": [(3, 32), (1, 28)]}[a.inputs]
    if not a.json:
        print("input    layer                op               weight             forward ms  GFLOP/s  backward ms  GFLOP/s")
    for c, s in images:
        for layer in layers(c, s):
            if a.layer and a.layer not in layer[0]:
                continue
            result = measure(layer, a.batch, a.warmup, a.repeats)
            result["image"] = f"{c}x{s}x{s}"
            if a.json:
                print(json.dumps(result), flush=True)
            else:
                weight = "x".join(map(str, result["weight_shape"]))
                print(f"{result['image']:<9}{result['layer']:<21}{result['op']:<17}{weight:<19}"
                      f"{result['forward_ms']:>10.2f}{result['forward_gflops']:>9.1f}"
                      f"{result['backward_ms']:>13.2f}{result['backward_gflops']:>9.1f}", flush=True)


if __name__ == "__main__":
    main()
