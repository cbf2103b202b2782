#!/usr/bin/env python3
"""PyTorch CPU peer of our gated PixelCNN prior (Sources/VQModels/Prior/), the same network op for op and
the same size, for the speed comparison of issue 13 item 3: training throughput (grids/s) and sampling
time (ms per grid) against ours, alternated round by round on the same machine.

Modes (with --json each measurement is one JSON line on standard output; progress goes to standard error):
  speed-train   forward, mean cross-entropy, backward and an Adam step (lr 1e-3) on --batch grids of
                --height x --width codes drawn each step (uniformly, with replacement) from a pool of
                random codes (or --codes); --warmup untimed steps, then --repeats rounds of --steps timed
                steps; grids/s = steps * batch / seconds, the median over the rounds (and every round).
  speed-sample  draws --count grids of --height x --width at once, position by position in raster order,
                each code from softmax(logits / --temperature) by inverting the cumulative sum at a
                uniform draw (ours: drawCode, CodePrior.swift); ms per grid = seconds * 1000 / count,
                the median over --repeats draws, after an untimed warm-up draw of the first row.
                --sampler picks the sampler (default both, one JSON line each):
                  full     one full forward pass over the whole grids per position, under torch.no_grad():
                           what most public PyTorch PixelCNN samplers do, and the twin of our
                           `sampleByFullPasses` (bench sample's full_pass_ms_per_grid).
                  rowwise  the row-wise passes of PixelCNN+Sampling.swift (our previous sampler, kept as
                           the reference of the cursor): per row, the vertical stack on the rows it can
                           see (at most layers*(k//2)+2 of them); per position, the horizontal stack and
                           the head on the columns it can see of that row. The same logits as full passes
                           (checked by --check); on 7x7, 196 positions of each stack per grid instead of
                           49 passes over 49 positions.
                This peer has no incremental sampler with per-layer activation caches like our cursor
                (PixelCNN+CachedCursor.swift): `full` is the common PyTorch way and `rowwise` the
                fastest sampler here. Compare our cursor_ms_per_grid with both.
  train         --steps training steps on --codes (or random codes), loss every --log-every steps
                (nats per code, as ours), for loss at equal steps beside `vqvae prior train`.
  Add --check to any mode to verify first (small, a second or two): the masks are causal (the logits at
  each position have zero gradient from the codes at and after it) and the row-wise sampler's logits
  equal the full network's at every position.

Side by side with ours (release build, 2 threads each, alternated round by round, as BENCHMARKS.md
does for the other peers; read the ratio within each round, then the median of the ratios):

  # Sampling, the bench sample default (K 512, 64 channels, 8 layers, 3x3, head 128, 10 classes, 7x7, 100 grids):
  .build/release/vqvae bench sample --count 100 --grid-size 7 --json        # cursor_ms_per_grid, full_pass_ms_per_grid
  python3 Scripts/bench/pixelcnn_ref.py speed-sample --classes 10 --count 100 --height 7 --width 7 --repeats 1 --json
  # Training, `prior train`'s default (unconditional, the same sizes, batch 32, Adam 1e-3) on 7x7 Fashion-MNIST codes.
  # Ours needs a VQ-VAE of K 512 on Fashion-MNIST (any, e.g. `vqvae train --data ../shared/data/fashion-mnist
  # --steps 50 --out RUN`); its figure is steps * 32 / train_seconds of the JSON line (the encoding is not in
  # train_seconds; --classes 0 trains on the 6000 images of class 0 only, to keep the encoding short):
  .build/release/vqvae prior train --model RUN/model.safetensors --data ../shared/data/fashion-mnist --classes 0 \
      --steps 300 --batch 32 --out /tmp/prior-bench --json
  python3 Scripts/bench/pixelcnn_ref.py speed-train --batch 32 --steps 100 --repeats 3 --json
  # The codec's small prior (32 channels, 4 layers, head 128, K 512, tiles of 16x16; stages after the first
  # add --context-channels 64): ours from `vqvae codec train` (its per-stage "grids/s") and
  # `vqvae bench sample --prior RUN/prior-1.safetensors --grid-size 16 --count N`:
  python3 Scripts/bench/pixelcnn_ref.py speed-train --channels 32 --layers 4 --head 128 --height 16 --width 16 --json
  python3 Scripts/bench/pixelcnn_ref.py speed-sample --channels 32 --layers 4 --head 128 --height 16 --width 16 --count 8 --json

The network (PixelCNN.swift, GatedPixelCNNLayer.swift, PixelCNNMasks.swift), C channels, k the kernel,
O the head, K codes, L layers, codes (N, H, W):
  embedding (K, C), N(0, 1)                                       -> v = h = (N, C, H, W)
  per layer: vertical   v' = conv k x k (C -> 2C, pad k//2) masked to the rows above and the centre row
                             [+ class bias (classes, 2C)] [+ 1x1 (C -> 2C) of the context features]
                        v  = tanh(v'[:C]) * sigmoid(v'[C:])
             link       l  = conv 1x1 (2C -> 2C) of v' shifted down one row (zeros in row 0)
             horizontal h' = conv 1 x k (C -> 2C, pad (0, k//2)) masked to the columns left of the centre
                             (mask 'A', first layer) or left and the centre ('B', the others)
                             + l [+ class bias] [+ 1x1 of the context features]
                        g  = tanh(h'[:C]) * sigmoid(h'[C:])
                        h  = conv 1x1 (C -> C)(g) + h (no residual in the first layer);  skip = conv 1x1 (C -> C)(g)
  head: logits = conv 1x1 (O -> K)(relu(conv 1x1 (C -> O)(relu(sum of the skips))))   -> (N, K, H, W)
  context (--context-channels D > 0, the codec's later stages): features = relu(conv 3x3 (D -> C, pad 1)(map)).
  Masked weights are stored whole (k x k and 1 x k) and multiplied by their mask at every call, so the
  parameter count is ours: K*C + L*(2C*C*k*k + 2C + 2C*C*k + 2C + 2C*2C + 2C + 2*(C*C + C)) + C*O + O + O*K + K
  (+ 2*classes*2C per layer; + D*C*9 + C + L*2*(C*2C + 2C) with a context map): 1 094 272 for the
  default, 1 114 752 with 10 classes (bench sample's default), 210 560 for the codec's small prior.
  Initialisation as ours: PyTorch's U(+-1/sqrt(fan_in)) for weights and biases, the masked convolutions'
  fan_in counting only the kept taps; class biases zero.
Loss: mean cross-entropy over every position of every grid (nats per code); Adam lr 1e-3, betas (0.9,
0.999), eps 1e-8, no clipping (PriorTrainer.swift).

Needs torch (CPU build; 2.13.0+cpu was used) and numpy. OMP_WAIT_POLICY defaults to PASSIVE here, as in
audio_ref.py (OpenMP's spinning default slows PyTorch many times over on a loaded machine); set it to
ACTIVE in the environment for PyTorch's stock behaviour. Both the policy and the load average at the start
are in every JSON line.
"""
import argparse
import json
import os
import statistics
import struct
import sys
import time
import zlib

import numpy as np

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
import torch  # noqa: E402  (after OMP_WAIT_POLICY, which OpenMP reads when it starts)
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402

# ---------------------------------------------------------------------------------------------------
# The network.


def vertical_mask(c_out, c_in, k):
    """PixelCNNMasks.vertical: every column of the rows above the centre and the centre row."""
    mask = torch.zeros(c_out, c_in, k, k)
    mask[:, :, : k // 2 + 1, :] = 1
    return mask


def horizontal_mask(c_out, c_in, k, excluding_centre):
    """PixelCNNMasks.horizontal: the columns left of the centre, and the centre unless mask 'A'."""
    mask = torch.zeros(c_out, c_in, 1, k)
    mask[:, :, :, : k // 2 + (0 if excluding_centre else 1)] = 1
    return mask


def reset_masked(conv, mask):
    """MaskedConv2d's initialisation: U(+-1/sqrt(fan_in)) with fan_in the kept taps of one output."""
    bound = 1 / max(float(mask.sum()) / mask.shape[0], 1.0) ** 0.5
    with torch.no_grad():
        conv.weight.uniform_(-bound, bound)
        conv.bias.uniform_(-bound, bound)


def gate(x):
    a, b = x.chunk(2, dim=1)
    return torch.tanh(a) * torch.sigmoid(b)


class GatedLayer(nn.Module):
    """GatedPixelCNNLayer: the vertical and horizontal stacks of one layer."""

    def __init__(s, c, k, first, classes, context):
        super().__init__()
        s.first, s.k = first, k
        s.vertical = nn.Conv2d(c, 2 * c, k, padding=k // 2)
        s.horizontal = nn.Conv2d(c, 2 * c, (1, k), padding=(0, k // 2))
        s.register_buffer("vertical_mask", vertical_mask(2 * c, c, k))
        s.register_buffer("horizontal_mask", horizontal_mask(2 * c, c, k, first))
        reset_masked(s.vertical, s.vertical_mask)
        reset_masked(s.horizontal, s.horizontal_mask)
        s.vertical_to_horizontal = nn.Conv2d(2 * c, 2 * c, 1)
        s.horizontal_output = nn.Conv2d(c, c, 1)
        s.skip = nn.Conv2d(c, c, 1)
        s.vertical_condition = nn.Parameter(torch.zeros(classes, 2 * c)) if classes else None
        s.horizontal_condition = nn.Parameter(torch.zeros(classes, 2 * c)) if classes else None
        s.vertical_context = nn.Conv2d(c, 2 * c, 1) if context else None
        s.horizontal_context = nn.Conv2d(c, 2 * c, 1) if context else None

    @staticmethod
    def extra(x, table, labels, context_conv, features):
        if table is not None:
            x = x + table[labels][:, :, None, None]
        if context_conv is not None:
            x = x + context_conv(features)
        return x

    def vertical_step(s, v, labels, features):
        pre = F.conv2d(v, s.vertical.weight * s.vertical_mask, s.vertical.bias, padding=s.k // 2)
        pre = s.extra(pre, s.vertical_condition, labels, s.vertical_context, features)
        shifted = F.pad(pre, (0, 0, 1, 0))[:, :, : pre.shape[2]]  # down one row, zeros in row 0
        return gate(pre), s.vertical_to_horizontal(shifted)

    def horizontal_step(s, h, link, labels, features):
        pre = F.conv2d(h, s.horizontal.weight * s.horizontal_mask, s.horizontal.bias, padding=(0, s.k // 2)) + link
        pre = s.extra(pre, s.horizontal_condition, labels, s.horizontal_context, features)
        g = gate(pre)
        out = s.horizontal_output(g)
        return (out if s.first else out + h), s.skip(g)


class GatedPixelCNN(nn.Module):
    """PixelCNN.swift: codes (N, H, W) -> logits (N, K, H, W)."""

    def __init__(s, k_codes, c, layers, kernel, head, classes=0, context_channels=0):
        super().__init__()
        if kernel < 1 or kernel % 2 == 0:
            raise ValueError("the kernel size must be odd")
        s.embedding = nn.Embedding(k_codes, c)  # N(0, 1), as ours
        s.layers = nn.ModuleList([GatedLayer(c, kernel, i == 0, classes, context_channels > 0) for i in range(layers)])
        s.output1 = nn.Conv2d(c, head, 1)
        s.output2 = nn.Conv2d(head, k_codes, 1)
        s.context_input = nn.Conv2d(context_channels, c, 3, padding=1) if context_channels else None
        s.reach = layers * (kernel // 2)

    def embed(s, codes):
        return s.embedding(codes).permute(0, 3, 1, 2).contiguous()

    def features(s, context):
        return F.relu(s.context_input(context)) if s.context_input is not None else None

    def vertical_links(s, embedded, labels, features):
        v, links = embedded, []
        for layer in s.layers:
            v, link = layer.vertical_step(v, labels, features)
            links.append(link)
        return links

    def horizontal_skips(s, embedded, links, labels, features):
        h, skips = embedded, None
        for layer, link in zip(s.layers, links):
            h, skip = layer.horizontal_step(h, link, labels, features)
            skips = skip if skips is None else skips + skip
        return skips

    def head(s, skips):
        return s.output2(F.relu(s.output1(F.relu(skips))))

    def forward(s, codes, labels=None, context=None):
        embedded, features = s.embed(codes), s.features(context)
        links = s.vertical_links(embedded, labels, features)
        return s.head(s.horizontal_skips(embedded, links, labels, features))


def swift_parameter_count(k_codes, c, layers, kernel, head, classes, context_channels):
    """Ours, from the Swift shapes (PixelCNN.forEachParameter)."""
    per_layer = (2 * c * c * kernel * kernel + 2 * c) + (2 * c * c * kernel + 2 * c) + (2 * c * 2 * c + 2 * c) \
        + 2 * (c * c + c) + 2 * classes * 2 * c + (2 * (c * 2 * c + 2 * c) if context_channels else 0)
    context = context_channels * c * 9 + c if context_channels else 0
    return k_codes * c + layers * per_layer + c * head + head + head * k_codes + k_codes + context


def parameter_count(model):
    return sum(p.numel() for p in model.parameters())

# ---------------------------------------------------------------------------------------------------
# Sampling.


def draw(logits, temperature, generator):
    """drawCode: one index per row of (N, K) logits from softmax(logits / T), the first index whose
    cumulative weight exceeds a uniform draw times the total (in float64, as ours)."""
    weights = torch.exp((logits.double() - logits.double().max(dim=1, keepdim=True).values) / temperature)
    cumulative = weights.cumsum(dim=1)
    target = torch.rand(logits.shape[0], 1, generator=generator, dtype=torch.float64) * cumulative[:, -1:]
    return torch.searchsorted(cumulative, target, right=True).clamp_(max=logits.shape[1] - 1).squeeze(1)


def sample_full(model, count, height, width, labels, context, temperature, generator, positions=None):
    """A full forward pass over the whole grids per position (`sampleByFullPasses`)."""
    codes = torch.zeros(count, height, width, dtype=torch.long)
    with torch.no_grad():
        for position in range(height * width if positions is None else positions):
            row, column = divmod(position, width)
            logits = model(codes, labels, context)
            codes[:, row, column] = draw(logits[:, :, row, column], temperature, generator)
    return codes


def row_links(model, codes, row, labels, features):
    """Every layer's links of row `row`, (N, 2C, 1, W), from the vertical stack on rows
    row - 1 - reach ... row only (rows further up cannot reach them)."""
    first = max(0, row - 1 - model.reach)
    rows = features[:, :, first:row + 1] if features is not None else None
    return [link[:, :, -1:] for link in model.vertical_links(model.embed(codes[:, first:row + 1]), labels, rows)]


def position_logits(model, codes, row, column, links, labels, features):
    """The logits (N, K) at (row, column) given the row's links: the horizontal stack on columns
    column - reach ... column of the row, and the head on the last of them."""
    left = max(0, column - model.reach)
    part = features[:, :, row:row + 1, left:column + 1] if features is not None else None
    skips = model.horizontal_skips(model.embed(codes[:, row:row + 1, left:column + 1]),
                                   [link[:, :, :, left:column + 1] for link in links], labels, part)
    return model.head(skips[:, :, :, -1:])[:, :, 0, 0]


def sample_rowwise(model, count, height, width, labels, context, temperature, generator, positions=None):
    """The row-wise passes of PixelCNN+Sampling.swift: per row the vertical stack once, per position the
    horizontal stack and the head; each pass starts no further back than the network sees."""
    codes = torch.zeros(count, height, width, dtype=torch.long)
    with torch.no_grad():
        features = model.features(context)
        for position in range(height * width if positions is None else positions):
            row, column = divmod(position, width)
            if column == 0:
                links = row_links(model, codes, row, labels, features)
            logits = position_logits(model, codes, row, column, links, labels, features)
            codes[:, row, column] = draw(logits, temperature, generator)
    return codes


SAMPLERS = {"full": sample_full, "rowwise": sample_rowwise}

# ---------------------------------------------------------------------------------------------------
# Data.


def read_codes(path):
    """Stage 0 of every grid of a regular .vqc file (FORMATS.md; version 1 or 2) as (N, H, W) int64, its K
    and its labels (or None); or an (N, H, W) integer array from a .npy file (K and labels unknown)."""
    if path.endswith(".npy"):
        array = np.load(path)
        if array.ndim != 3:
            raise ValueError(f"{path}: expected an (N, H, W) array, got shape {array.shape}")
        return torch.from_numpy(array.astype(np.int64)), None, None
    data = open(path, "rb").read()
    magic, version, flags, count = struct.unpack_from("<4sHHI", data, 0)
    if magic != b"VQC1" or version not in (1, 2):
        raise ValueError(f"{path}: not a .vqc file")
    if zlib.crc32(data[:-4]) != struct.unpack_from("<I", data, len(data) - 4)[0]:
        raise ValueError(f"{path}: checksum mismatch")
    if version == 1:
        height, width, k = struct.unpack_from("<III", data, 12)
        shape, depth, start = [height, width], 1, 24
    else:
        if flags & 2:
            raise ValueError(f"{path}: ragged sequences, not grids")
        rank, depth, k = struct.unpack_from("<III", data, 12)
        shape, start = list(struct.unpack_from(f"<{rank}I", data, 24)), 24 + 4 * rank
    if len(shape) == 1:
        shape = [1] + shape
    if len(shape) != 2:
        raise ValueError(f"{path}: grids of rank {len(shape)}")
    bits = max(1, (k - 1).bit_length())
    values = count * shape[0] * shape[1] * depth
    packed = (values * bits + 7) // 8
    stream = np.unpackbits(np.frombuffer(data, np.uint8, packed, start))[: values * bits].reshape(values, bits)
    indices = stream.astype(np.int64) @ (1 << np.arange(bits - 1, -1, -1, dtype=np.int64))
    codes = torch.from_numpy(indices.reshape(count, shape[0], shape[1], depth)[..., 0].copy())
    labels = None
    if flags & 1:
        labels = torch.from_numpy(np.frombuffer(data, "<i4", count, start + packed).astype(np.int64))
    return codes, k, labels


class Grids:
    """The pool a batch is drawn from (uniformly, with replacement, as PriorTrainer), with labels and
    context maps when the prior takes them."""

    def __init__(s, a, generator):
        s.generator = generator
        if a.codes:
            s.codes, k, s.labels = read_codes(a.codes)
            if k is not None and k != a.k:
                raise ValueError(f"{a.codes}: K {k}, but --k {a.k}")
            a.height, a.width = s.codes.shape[1], s.codes.shape[2]
        else:
            s.codes = torch.randint(0, a.k, (a.pool, a.height, a.width), generator=generator)
            s.labels = None
        if s.codes.min() < 0 or s.codes.max() >= a.k:
            raise ValueError(f"codes outside 0..<{a.k}")
        if a.classes and s.labels is None:
            s.labels = torch.randint(0, a.classes, (len(s.codes),), generator=generator)
        if not a.classes:
            s.labels = None
        elif s.labels.min() < 0 or s.labels.max() >= a.classes:
            raise ValueError(f"labels outside 0..<{a.classes} (--classes)")
        s.context = torch.randn(len(s.codes), a.context_channels, a.height, a.width, generator=generator) \
            if a.context_channels else None

    def batch(s, size):
        index = torch.randint(0, len(s.codes), (size,), generator=s.generator)
        return (s.codes[index], None if s.labels is None else s.labels[index],
                None if s.context is None else s.context[index])

# ---------------------------------------------------------------------------------------------------
# Modes.


def new_model(a):
    torch.manual_seed(a.seed)
    model = GatedPixelCNN(a.k, a.channels, a.layers, a.kernel, a.head, a.classes, a.context_channels)
    count, ours = parameter_count(model), swift_parameter_count(a.k, a.channels, a.layers, a.kernel, a.head, a.classes,
                                                                a.context_channels)
    if count != ours:
        raise AssertionError(f"{count} parameters here, {ours} by the Swift shapes")
    return model


def train_step(model, optimizer, grids, batch):
    codes, labels, context = grids.batch(batch)
    optimizer.zero_grad(set_to_none=True)
    loss = F.cross_entropy(model(codes, labels, context), codes)
    loss.backward()
    optimizer.step()
    return loss.item()


def speed_train(a):
    model = new_model(a)
    optimizer = torch.optim.Adam(model.parameters(), lr=a.learning_rate)
    grids = Grids(a, torch.Generator().manual_seed(a.seed + 1))
    for _ in range(a.warmup):
        train_step(model, optimizer, grids, a.batch)
    rates = []
    for _ in range(a.repeats):
        started = time.perf_counter()
        for _ in range(a.steps):
            train_step(model, optimizer, grids, a.batch)
        rates.append(a.steps * a.batch / (time.perf_counter() - started))
        log(f"train: {rates[-1]:.1f} grids/s")
    return [{"parameters": parameter_count(model), "train_grids_per_s": round(statistics.median(rates), 2),
             "train_grids_per_s_rounds": [round(r, 2) for r in rates]}]


def speed_sample(a):
    model = new_model(a).eval()
    labels = torch.arange(a.count) % a.classes if a.classes else None
    generator = torch.Generator().manual_seed(a.seed + 2)
    context = torch.randn(a.count, a.context_channels, a.height, a.width, generator=generator) if a.context_channels else None
    lines = []
    for name in (["full", "rowwise"] if a.sampler == "both" else [a.sampler]):
        sampler = SAMPLERS[name]
        sampler(model, a.count, a.height, a.width, labels, context, a.temperature, generator, positions=a.width)  # warm-up
        times = []
        for _ in range(a.repeats):
            started = time.perf_counter()
            sampler(model, a.count, a.height, a.width, labels, context, a.temperature, generator)
            times.append((time.perf_counter() - started) * 1000 / a.count)
            log(f"sample ({name}): {times[-1]:.2f} ms per grid")
        lines.append({"parameters": parameter_count(model), "sampler": name, "count": a.count,
                      "ms_per_grid": round(statistics.median(times), 3), "ms_per_grid_rounds": [round(t, 3) for t in times]})
    return lines


def train(a):
    model = new_model(a)
    optimizer = torch.optim.Adam(model.parameters(), lr=a.learning_rate)
    grids = Grids(a, torch.Generator().manual_seed(a.seed + 1))
    log(f"training a gated PixelCNN ({parameter_count(model)} parameters) on {len(grids.codes)} grids of "
        f"{a.height}x{a.width} codes ({a.codes or 'random'})")
    losses, entries, started = [], [], time.perf_counter()
    for step in range(1, a.steps + 1):
        losses.append(train_step(model, optimizer, grids, a.batch))
        if step % a.log_every == 0 or step == a.steps:
            window = losses[-a.log_every:]
            entries.append({"step": step, "loss": round(float(np.mean(window)), 5)})
            log(f"step {step}/{a.steps} loss {losses[-1]:.4f} (mean of the last {len(window)}: {entries[-1]['loss']:.4f}, "
                f"{entries[-1]['loss'] / np.log(2):.3f} bits/code), {step * a.batch / (time.perf_counter() - started):.1f} grids/s")
    seconds = time.perf_counter() - started
    return [{"parameters": parameter_count(model), "steps": a.steps, "train_seconds": round(seconds, 2),
             "train_grids_per_s": round(a.steps * a.batch / seconds, 2), "final_train_loss": round(losses[-1], 5),
             "train_loss_log": entries}]


def check():
    """Causality of the masks and the row-wise sampler against full passes, on a small prior."""
    torch.manual_seed(0)
    # grids taller and wider than the reach (layers * (kernel // 2) + 1), so the row-wise passes are cut short
    for classes, context_channels, layers, kernel, h, w in ((0, 0, 2, 3, 7, 8), (3, 2, 3, 3, 8, 9), (0, 0, 2, 5, 8, 9)):
        model = GatedPixelCNN(7, 8, layers, kernel, 12, classes, context_channels).double()
        n = 2
        codes = torch.randint(0, 7, (n, h, w))
        labels = torch.tensor([0, 2]) if classes else None
        context = torch.randn(n, context_channels, h, w, dtype=torch.float64) if context_channels else None
        embedded = model.embed(codes).detach().requires_grad_(True)
        features = model.features(context)
        logits = model.head(model.horizontal_skips(embedded, model.vertical_links(embedded, labels, features), labels, features))
        for position in range(h * w):
            row, column = divmod(position, w)
            (gradient,) = torch.autograd.grad(logits[:, :, row, column].sum(), embedded, retain_graph=True)
            seen = gradient.abs().sum(dim=(0, 1)).flatten() > 0
            if seen[position:].any():
                raise AssertionError(f"position {position} sees the codes at or after it")
        with torch.no_grad():
            full = model(codes, labels, context)
            for row in range(h):
                links = row_links(model, codes, row, labels, features)
                for column in range(w):
                    difference = (position_logits(model, codes, row, column, links, labels, features)
                                  - full[:, :, row, column]).abs().max()
                    if difference > 1e-10:
                        raise AssertionError(f"row-wise logits differ by {difference} at ({row}, {column})")
        generator = torch.Generator()
        same = [sample_full(model, n, h, w, labels, context, 1.0, generator.manual_seed(5)),
                sample_rowwise(model, n, h, w, labels, context, 1.0, generator.manual_seed(5))]
        if not torch.equal(*same):
            raise AssertionError("the two samplers drew different codes")
    log("check: masks causal; row-wise logits equal full passes at every position; same draws")


def log(text):
    print(text, file=sys.stderr, flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0], formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog="\n".join(__doc__.splitlines()[1:]))
    ap.add_argument("mode", choices=["speed-train", "speed-sample", "train"])
    ap.add_argument("--channels", type=int, default=64, help="channels of both stacks (64)")
    ap.add_argument("--layers", type=int, default=8, help="gated layers (8)")
    ap.add_argument("--kernel", "--kernel-size", type=int, default=3, help="kernel size, odd (3)")
    ap.add_argument("--head", "--output-channels", type=int, default=128, help="channels of the output head (128)")
    ap.add_argument("--k", type=int, default=512, help="K, codes (512)")
    ap.add_argument("--classes", type=int, default=0,
                    help="class labels (0: unconditional, `prior train`'s default; bench sample's default prior has 10)")
    ap.add_argument("--context-channels", type=int, default=0, help="channels of a context map (0; the codec's later stages: 64)")
    ap.add_argument("--height", type=int, default=7, help="grid height (7: Fashion-MNIST codes)")
    ap.add_argument("--width", type=int, default=7, help="grid width (7)")
    ap.add_argument("--batch", type=int, default=32, help="grids per training step (32)")
    ap.add_argument("--steps", type=int, default=None, help="timed steps per round (speed-train, 20) or training steps (train, 1000)")
    ap.add_argument("--warmup", type=int, default=3, help="speed-train: untimed steps first (3)")
    ap.add_argument("--repeats", type=int, default=3, help="speed modes: timed rounds, the median reported (3)")
    ap.add_argument("--count", type=int, default=100, help="speed-sample: grids drawn together (100, as bench sample)")
    ap.add_argument("--sampler", choices=["full", "rowwise", "both"], default="both", help="speed-sample: which sampler(s)")
    ap.add_argument("--temperature", type=float, default=1.0)
    ap.add_argument("--learning-rate", type=float, default=1e-3)
    ap.add_argument("--codes", help="train/speed-train: a .vqc (vqvae encode) or (N, H, W) .npy of codes (default: random)")
    ap.add_argument("--pool", type=int, default=1000, help="random grids in the pool batches are drawn from (1000)")
    ap.add_argument("--log-every", type=int, default=100, help="train: a loss entry every this many steps")
    ap.add_argument("--threads", type=int, default=2, help="torch.set_num_threads (2)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--check", action="store_true", help="first check the masks and the row-wise sampler (small)")
    ap.add_argument("--json", action="store_true", help="one JSON line per measurement on standard output")
    a = ap.parse_args()
    if a.steps is None:
        a.steps = 1000 if a.mode == "train" else 20
    sizes = [a.channels, a.layers, a.kernel, a.head, a.k, a.height, a.width, a.batch, a.steps, a.repeats, a.count,
             a.threads, a.log_every, a.pool]
    if min(sizes) < 1 or a.kernel % 2 == 0 or a.classes < 0 or a.context_channels < 0 or a.warmup < 0 \
            or not a.temperature > 0:
        ap.error("sizes must be positive, the kernel odd, the temperature positive")
    torch.set_num_threads(a.threads)
    if a.check:
        check()
    load = os.getloadavg()
    lines = {"speed-train": speed_train, "speed-sample": speed_sample, "train": train}[a.mode](a)
    for line in lines:
        record = {"peer": "pytorch-" + torch.__version__, "mode": a.mode, "config": vars(a), "threads": torch.get_num_threads(),
                  "omp_wait_policy": os.environ["OMP_WAIT_POLICY"], "load_average_at_start": [round(v, 2) for v in load],
                  **line}
        if a.json:
            print(json.dumps(record), flush=True)
        else:
            shown = {k: v for k, v in line.items() if not k.endswith("_rounds") and k != "train_loss_log"}
            print(f"{a.mode} {a.channels}ch x {a.layers} layers, k {a.kernel}, head {a.head}, K {a.k}, "
                  f"{a.height}x{a.width}, {torch.get_num_threads()} threads: "
                  + ", ".join(f"{k} {v}" for k, v in shown.items()), flush=True)


if __name__ == "__main__":
    main()
