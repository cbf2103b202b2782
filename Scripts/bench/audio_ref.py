#!/usr/bin/env python3
"""PyTorch CPU peer of `vqvae audio train`'s default speech recipe: the same model, loss, quantizer,
dead-code restarts, optimiser and training windows, so that loss at equal steps and training speed can
be set side by side with ours (the speech counterpart of /work/shared/bench/torch_ref.py).

Two modes, each printing one JSON line on standard output (progress goes to standard error):
  speed: training steps/s and windows/s (whole steps: loss, backward, Adam, restarts) on one fixed
         batch of uniform samples in [−0.5, 0.5) with random speakers (3 untimed warm-up steps), then
         reconstruction (encode, quantize, decode, no grad) of random clips of --clip-length 8000 samples
         one at a time (padded to 8064, cropped back), batch × steps of them after 3 warm-up, in clips/s
      python3 Scripts/bench/audio_ref.py speed --batch 32 --window 2048 --steps 20 --threads 2
  train: trains on a folder of FSDD WAVs (DIGIT_SPEAKER_TAKE.wav; a folder holding only recordings/ is
         read as recordings/, as `vqvae audio train --data` does), then evaluates on takes 0-4
      python3 Scripts/bench/audio_ref.py train --data /work/shared/data/fsdd --steps 8000 --seed 0 --threads 2 [--log-every 100]

Needs torch (CPU build, 2.13.0+cpu was used) and numpy; nothing else (WAVs are read with `wave`).
Timing: OMP_WAIT_POLICY defaults to PASSIVE here (see below the imports: with OpenMP's spinning default a
loaded machine slows PyTorch 10-20x); the policy and the load average at start are in the JSON line.
Training time counts drawing the windows, the step and the restarts (as ours), not loading the WAVs.

The model (VQVAEConfiguration.speech(sampleRate: 8000, speakers: 6): mono, hidden 128, residual 32,
3 residual blocks dilated 1, 3, 9, downsampling 64, D 64, quantizer `standard(.vq)`, 2 residual blocks
at every intermediate resolution, speaker adversary 0.1, clips scaled to peak 0.5), 597383 parameters with 6 speakers (the
codebook, the speaker tables and the adversary counted, as `vqvae audio train` prints; 605607 with
--harmonics 16, the pitch source; 416193 with --stage-blocks 0 --speaker-adversary 0, the recipe of
commit d2d0db5 and before):
  Encoder (Sources/VQModels/VQVAE.swift, Encoder), input (N, 1, T), T a multiple of 64:
    conv1..conv6  Conv1d(k 4, stride 2, padding 1), ReLU after each: 1→64, 64→64 (×4), 64→128
                  (log2 64 = 6 strided layers; all but the last to hidden/2 = 64 channels)
    stage1..5     after each of conv1..conv5 (and its ReLU), a residual stack as below with 64 channels,
                  residual 32, --stage-blocks blocks (2) dilated 1, 3
    conv7         Conv1d(128→128, k 3, padding 1), no activation
    residual      3 blocks x + Conv1d(32→128, k 1)(ReLU(Conv1d(128→32, k 3, dilation d, padding d)(ReLU(x)))),
                  both convolutions without bias, d = 1, 3, 9 (dilationGrowth 3); then ReLU
                  (ResidualStack.swift)
    pre_quantization  Conv1d(128→64, k 1)                          → (N, 64, T/64)
  Quantizer (VectorQuantizer.swift): rows = latents permuted channel-last, (N·T/64, 64), in (item,
    position) order; K 512 codes of D 64, codebook U(−1/K, 1/K), a parameter learnt by loss; nearest
    code by squared Euclidean distance (argmin, first index on ties);
    codebook loss mean((e − sg[z])²), commitment loss mean((z − sg[e])²), β 0.25;
    straight-through z + sg[e − z].
  Dead-code restarts (DeadCodeRestarter.swift, QuantizerConfiguration.standardDeadCodes): after each
    optimiser step, with the step's (pre-update) encoder rows z (M of them) and their codes:
    usage_k ← 0.99·usage_k + 0.01·count_k·K/M (float32, usage starting at 1/3); every code with
    usage_k < 1/3 is dead: re-seeded with a row of the batch, rows drawn without replacement
    (a partial Fisher-Yates shuffle; cycling through the rows again only if more codes than rows),
    and usage_k reset to 1/3. The `patience` rule is off. The optimiser's moments of a restarted code
    are left as they are (as ours: Adam's state is not touched).
  Decoder (VQVAE.swift, Decoder), with labels = one speaker per item:
    conv          Conv1d(64→128, k 3, padding 1)
    residual      as the encoder's, but block i's input first gets table_i[label] added (a learnt
                  (6, 128) table per block, initialised to zero: ConditionEmbedding.swift); then ReLU
    conv_transpose1..6  ConvTranspose1d(k 4, stride 2, padding 1): 128→64, 64→64 (×4), 64→1, each
                  preceded by its own zero-initialised (6, input channels) table added per speaker,
                  ReLU between them, none after the last                 → (N, 1, T)
    stage1..5     after each of conv_transpose1..5 (and its ReLU), a conditioned residual stack of
                  64 channels, residual 32, --stage-blocks blocks (2) dilated 1, 3
  Speaker adversary (SpeakerAdversary.swift; with --speaker-adversary W > 0, 0.1 in the recipe): Conv1d(64→64, k 3, padding 1), ReLU, Conv1d(64→speakers, k 3, padding 1) on the
    quantized latents (N, 64, T/64) behind a gradient reversal (identity forward, −W × gradient backward);
    its loss, the mean cross-entropy of every frame's logits against the item's speaker, is added to the
    total as is; its parameters are drawn after the decoder's (speaker_adversary.conv1, conv2).
  Pitch source (PitchTracker.swift, PitchSource.swift; --harmonics H > 0, off in the recipe): each
    window's F0 per 64-sample frame by YIN (`pitch_frames`: τ 20-134, threshold 0.15, silent below a mean
    square of 1e-5), quantised to 63 log-spaced levels over 60-400 Hz or 0 (`quantised_pitch`), held over
    its frame and integrated to a phase φ from 0 at the window's start; carriers sin(kφ), cos(kφ) for
    k = 1 … H, zero where unvoiced or k·F0 ≥ 4000 Hz (`harmonic_carriers`). conv_transpose6 then has
    1 + 2H output channels and the output is x[:, :1] + Σ_c x[:, 1 + c]·carrier_c. Computed from the
    input inside the forward pass and timed with it, as ours.
  Initialisation: convolution weights and biases U(±1/√fanIn) (fanIn = in·k, for a transposed
    convolution out·k: PyTorch's own default, ConvNd.swift), codebook U(±1/K), tables zero.
Loss (VQVAE+Training.swift, ReconstructionLoss.swift .audio(sampleRate: 8000)), x the windows, x̂ the
  reconstruction:
    waveform      mean |x̂ − x|                                   (weight --waveform-weight, 1)
    multi-resolution STFT (MultiResolutionSTFTLoss.swift, Tensor+STFT.swift), (fft, hop, window) =
                  (256, 64, 256), (512, 128, 512), (128, 32, 128) (the 16 kHz defaults scaled to 8 kHz):
                  |S| = √(re² + im² + 1e-7) of torch.stft(center=True, pad_mode="constant", periodic Hann
                  window, one-sided, unnormalised), frames ⌊T/hop⌋ + 1; target detached;
                  spectral convergence ‖|S| − |Ŝ|‖_F / ‖|S|‖_F over the whole batch,
                  log magnitude mean |log(|S| + 1e-5) − log(|Ŝ| + 1e-5)|; each averaged over the three
                  resolutions; log mel (MelFilterbank.swift) mean |log(M + 1e-5) − log(M̂ + 1e-5)|, M the
                  magnitudes summed by max(8, min(80, fft/8)) triangular HTK-mel filters (edges evenly
                  spaced in mel from 0 to 4000 Hz, peak 1), averaged over the resolutions, weight
                  --mel-weight (1, the recipe's; 0 for models of commit 9df96ae and before); STFT loss =
                  convergence + log magnitude + weight · log mel
    reconstruction = weight · waveform + STFT loss
    total = reconstruction + codebook + 0.25 · commitment
  Adam lr 3e-4, β (0.9, 0.999), ε 1e-8, constant rate, no clipping, no weight decay (TrainingOptions.speech).
Training data (AudioFolder.swift, AudioDataset+Batches.swift, TrainingSet.swift): the FSDD WAVs
  (16-bit PCM, mono, 8 kHz, sample/32768; other rates are refused, ours would resample), files sorted
  by name; takes 5-49 train (2700 clips), takes 0-4 test (300); speakers indexed by sorted name (the
  names of both splits). With --clip-peak P (VQVAEConfiguration.clipPeak,
  AudioDataset+Peak.swift) every clip is multiplied by P / max|x| in float32 (1 for a silent clip);
  SNR is the same whether it is measured at that level or back at the clip's own. Each step: 32 windows of 2048 samples; for each window in turn a clip drawn
  uniformly among the training clips, then an offset uniformly among the positions where the window
  fits (0..len−2048; 0 for a shorter clip, which is padded with zeros at the end); each window
  labelled with its clip's speaker.
Evaluation (AudioEvaluation.swift, VQVAE+Audio.swift): each test clip alone, padded with zeros to a
  multiple of 64 (at least 64), encoded, quantized, decoded with its own speaker, cropped back;
  SNR = 10·log10(Σx² / Σ(x − x̂)²) over every sample of every clip; perplexity exp(−Σ p log(p + 1e-10))
  and usage (codes used at least once) of the codes over all test clips; dead_codes = K − used.
  (Ours also reports log-spectral and mel distances and a classifier of digits from units; not here.)

Random streams (--rng):
  swift (default): the same streams as ours for the same --seed: xoshiro256** seeded by SplitMix64
    (VQEngine RandomGenerator), weights drawn from RandomGenerator(seed) in the order of our parameter
    names (encoder.conv1.weight, encoder.conv1.bias, …, quantizer.codebook, decoder.…), uniform draws
    low + (high − low)·u in float32 with u = top 24 bits / 2^24; windows and restart rows drawn from
    RandomGenerator(seed + 0x5EED) (the Trainer's), clip then offset per window, Lemire's unbiased
    nextIndex. So both start from the same weights and see the same windows; their runs part only as
    floating-point differences grow (a different argmin then changes everything after it).
  torch: PyTorch's own initialisation under torch.manual_seed(seed) and numpy's default_rng(seed) for
    windows and restarts: an independent peer of the same distribution.
  Checked against ours (commit 14300bd, seed 0, --rng swift): the losses of steps 1 and 2 agree to every
  printed digit and, after step 1, the codebook (511 codes restarted) and the usage averages are
  identical, the other weights equal to rounding but for a few elements (at most 0.03% of a tensor)
  whose near-zero gradient had the other sign (Adam's first step is ±lr). At step 2 a rounding
  difference in the nearest-code search (a near tie) restarts 500 codes here and 501 there, which shifts the shared random stream, so from step 3 on the windows differ.
  Over steps 101-200 the mean reconstruction loss was 2.388 here and 2.387 with ours.
The STFT is torch.stft (an FFT) where ours convolves with a DFT basis: the same values up to rounding,
a different cost. `speed` draws its weights as --rng says and its data from PyTorch's generator.
"""
import argparse
import json
import math
import os
import sys
import time
import wave

import numpy as np

# OpenMP's threads spin at their barriers by default (GNU libgomp: ACTIVE). On a machine whose cores are
# also busy with other work, a spinning thread whose partner has been descheduled turns a 0.2 s training
# step into 3-5 s (measured here at load 6 on 2 cores); passive waiting costs nothing measurable on an
# idle machine. Set OMP_WAIT_POLICY=ACTIVE in the environment for PyTorch's stock behaviour.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
import torch  # noqa: E402  (after OMP_WAIT_POLICY, which OpenMP reads when it starts)
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402

SAMPLE_RATE = 8000
HIDDEN, RESIDUAL, BLOCKS, DILATION_GROWTH, DOWNSAMPLING = 128, 32, 3, 3, 64
K, D, BETA = 512, 64, 0.25
RESOLUTIONS = [(256, 64, 256), (512, 128, 512), (128, 32, 128)]  # (fft, hop, window) at 8 kHz
MAGNITUDE_EPSILON, LOG_OFFSET = 1e-7, 1e-5
MEL_WEIGHT = 1.0  # set from --mel-weight
WAVEFORM_WEIGHT = 1.0  # set from --waveform-weight
DEAD_CODE_USAGE, USAGE_DECAY = np.float32(1.0) / np.float32(3.0), np.float32(0.99)
LEARNING_RATE = 3e-4
SMOOTHING = 100  # steps in the reported means of the training loss

# ---------------------------------------------------------------------------------------------------
# Our random generator (Sources/VQEngine/Random/RandomGenerator.swift), for --rng swift.

MASK64 = (1 << 64) - 1


class SwiftRandom:
    """xoshiro256** seeded through SplitMix64, bit for bit as VQEngine's RandomGenerator."""

    def __init__(self, seed):
        split_mix, state = seed & MASK64, []
        for _ in range(4):
            split_mix = (split_mix + 0x9E3779B97F4A7C15) & MASK64
            z = split_mix
            z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
            z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
            state.append(z ^ (z >> 31))
        self.s = state

    def next(self):
        s0, s1, s2, s3 = self.s
        a = (s1 * 5) & MASK64
        result = ((((a << 7) | (a >> 57)) & MASK64) * 9) & MASK64
        t = (s1 << 17) & MASK64
        s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3
        s2 ^= t
        s3 = ((s3 << 45) | (s3 >> 19)) & MASK64
        self.s = [s0, s1, s2, s3]
        return result

    def uniforms(self, count):
        """`count` of nextUniform(): float32 in [0, 1) from the top 24 bits."""
        nxt = self.next
        return np.array([nxt() >> 40 for _ in range(count)], dtype=np.float32) * np.float32(2.0 ** -24)

    def uniform(self, shape, low, high):
        """Tensor(uniform:low:high:): low + (high − low)·u, in float32, in row-major order."""
        low, high = np.float32(low), np.float32(high)
        u = self.uniforms(int(np.prod(shape)))
        return torch.from_numpy((low + (high - low) * u).reshape(shape))

    def index(self, bound):
        """nextIndex(below:), Lemire's multiply-and-reject."""
        product = self.next() * bound
        if product & MASK64 < bound:
            threshold = ((1 << 64) - bound) % bound
            while product & MASK64 < threshold:
                product = self.next() * bound
        return product >> 64

    def draw(self, count, rows):
        """DeadCodeRestarter.draw: `count` distinct rows below `rows` by a partial Fisher-Yates shuffle."""
        order, drawn = list(range(rows)), []
        while len(drawn) < count:
            for position in range(min(count - len(drawn), rows)):
                j = position + self.index(rows - position)
                order[position], order[j] = order[j], order[position]
                drawn.append(order[position])
        return drawn


class NumpyRandom:
    """The same two draws from numpy, for --rng torch."""

    def __init__(self, seed):
        self.g = np.random.default_rng(seed)

    def index(self, bound):
        return int(self.g.integers(bound))

    def draw(self, count, rows):
        drawn = []
        while len(drawn) < count:
            drawn += self.g.permutation(rows)[:count - len(drawn)].tolist()
        return drawn

# ---------------------------------------------------------------------------------------------------
# The model.


class ResidualStack(nn.Module):
    """Blocks x + c1(relu(c3(relu(x)))) dilated 1, 3, 9, a speaker vector added to each block's input
    when conditioned, then ReLU."""

    def __init__(s, h, rh, n, classes=0):
        super().__init__()
        dilations = [DILATION_GROWTH ** i for i in range(n)]
        s.c3 = nn.ModuleList([nn.Conv1d(h, rh, 3, padding=d, dilation=d, bias=False) for d in dilations])
        s.c1 = nn.ModuleList([nn.Conv1d(rh, h, 1, bias=False) for _ in dilations])
        s.tables = nn.ParameterList([nn.Parameter(torch.zeros(classes, h)) for _ in dilations]) if classes else None

    def forward(s, x, labels=None):
        for i, (c3, c1) in enumerate(zip(s.c3, s.c1)):
            if s.tables is not None:
                x = x + s.tables[i][labels].unsqueeze(-1)
            x = x + c1(F.relu(c3(F.relu(x))))
        return F.relu(x)


class Encoder(nn.Module):
    """With stage_blocks > 0 a ResidualStack(h/2, h/4, stage_blocks) after every strided layer but the
    last (stageResidualBlocks); with center, each item's mean over time removed from the output, channel
    by channel (centersLatents)."""

    def __init__(s, h=HIDDEN, rh=RESIDUAL, n=BLOCKS, layers=6, stage_blocks=0, center=False):
        super().__init__()
        s.down = nn.ModuleList([nn.Conv1d(1 if i == 0 else h // 2, h if i == layers - 1 else h // 2, 4, 2, 1)
                                for i in range(layers)])
        s.stages = nn.ModuleList([ResidualStack(h // 2, max(h // 4, 1), stage_blocks) for _ in range(layers - 1)]
                                 if stage_blocks else [])
        s.conv = nn.Conv1d(h, h, 3, padding=1)
        s.res = ResidualStack(h, rh, n)
        s.pre = nn.Conv1d(h, D, 1)
        s.center = center

    def forward(s, x):
        for i, layer in enumerate(s.down):
            x = F.relu(layer(x))
            if i < len(s.stages):
                x = s.stages[i](x)
        z = s.pre(s.res(s.conv(x)))
        return z - z.mean(dim=2, keepdim=True) if s.center else z


class Decoder(nn.Module):
    """With stage_blocks > 0 a conditioned ResidualStack(h/2, h/4, stage_blocks) after every transposed
    layer but the last (after its ReLU). With harmonics > 0 the last layer has 1 + 2·harmonics channels:
    the waveform and one amplitude per carrier, mixed as x[:, :1] + Σ_c x[:, 1 + c]·carriers[:, c]
    (Tensor+CarrierMix.swift)."""

    def __init__(s, classes, h=HIDDEN, rh=RESIDUAL, n=BLOCKS, layers=6, stage_blocks=0, harmonics=0):
        super().__init__()
        s.conv = nn.Conv1d(D, h, 3, padding=1)
        s.res = ResidualStack(h, rh, n, classes)
        ins = [h if i == 0 else h // 2 for i in range(layers)]
        s.up = nn.ModuleList([nn.ConvTranspose1d(ins[i], 1 + 2 * harmonics if i == layers - 1 else h // 2, 4, 2, 1)
                              for i in range(layers)])
        s.tables = nn.ParameterList([nn.Parameter(torch.zeros(classes, c)) for c in ins])
        s.stages = nn.ModuleList([ResidualStack(h // 2, max(h // 4, 1), stage_blocks, classes) for _ in range(layers - 1)]
                                 if stage_blocks else [])

    def forward(s, q, labels, carriers=None):
        x = s.res(s.conv(q), labels)
        for i, (table, layer) in enumerate(zip(s.tables, s.up)):
            x = layer(x + table[labels].unsqueeze(-1))
            if i < len(s.up) - 1:
                x = F.relu(x)
            if i < len(s.stages):
                x = s.stages[i](x, labels)
        return x if carriers is None else x[:, :1] + (x[:, 1:] * carriers).sum(1, keepdim=True)


class VQ(nn.Module):
    """Nearest code, codebook + β·commitment losses, straight-through; the dead-code restarter's state."""

    def __init__(s):
        super().__init__()
        s.codebook = nn.Parameter(torch.empty(K, D).uniform_(-1 / K, 1 / K))
        s.usage = np.full(K, DEAD_CODE_USAGE, dtype=np.float32)
        s.restarts = 0

    def forward(s, z):
        """z (N, D, t) → (quantized (N, D, t), codebook loss, commitment loss, rows (M, D) detached, codes (M,))."""
        n, d, t = z.shape
        rows = z.permute(0, 2, 1).reshape(-1, d)
        codes = s.nearest(rows.detach())
        chosen = s.codebook[codes]
        codebook_loss = F.mse_loss(chosen, rows.detach())
        commitment_loss = F.mse_loss(rows, chosen.detach())
        quantized = rows + (chosen - rows).detach()
        return quantized.reshape(n, t, d).permute(0, 2, 1), codebook_loss, commitment_loss, rows.detach(), codes

    def nearest(s, rows):
        e = s.codebook.detach()
        return (e.pow(2).sum(1) - 2 * rows @ e.t()).argmin(1)  # + ‖z‖², the same for every code

    @torch.no_grad()
    def restart_dead_codes(s, rows, codes, rng):
        """DeadCodeRestarter.step (minimumUsage 1/3, decay 0.99) after the optimiser's step; returns how many."""
        m = rows.shape[0]
        counts = np.bincount(codes.numpy(), minlength=K).astype(np.float32)
        share = np.float32(K) / np.float32(max(m, 1))
        s.usage = USAGE_DECAY * s.usage + (np.float32(1) - USAGE_DECAY) * counts * share
        dead = np.flatnonzero(s.usage < DEAD_CODE_USAGE)
        if len(dead) == 0 or m == 0:
            return 0
        drawn = rng.draw(len(dead), m)
        s.codebook.data[torch.from_numpy(dead)] = rows[torch.tensor(drawn)]
        s.usage[dead] = DEAD_CODE_USAGE
        s.restarts += len(dead)
        return len(dead)


class ReverseGradient(torch.autograd.Function):
    """Identity forward, −scale × the gradient backward (Tensor+GradientReversal.swift)."""

    @staticmethod
    def forward(ctx, x, scale):
        ctx.scale = scale
        return x.view_as(x)

    @staticmethod
    def backward(ctx, gradient):
        return -ctx.scale * gradient, None


class SpeakerAdversary(nn.Module):
    """SpeakerAdversary.swift: Conv1d(D→64, k 3, padding 1), ReLU, Conv1d(64→speakers, k 3, padding 1) over
    the quantized latents behind a gradient reversal of --speaker-adversary's weight; the loss is the
    mean cross-entropy of every frame against its item's speaker, added to the total as is."""

    def __init__(s, speakers, hidden=64):
        super().__init__()
        s.conv1 = nn.Conv1d(D, hidden, 3, padding=1)
        s.conv2 = nn.Conv1d(hidden, speakers, 3, padding=1)

    def loss(s, q, labels, weight):
        logits = s.conv2(F.relu(s.conv1(ReverseGradient.apply(q, weight))))
        return F.cross_entropy(logits, labels.unsqueeze(1).expand(-1, q.shape[2]))


class SpeechVQVAE(nn.Module):
    def __init__(s, speakers, stage_blocks=0, center=False, adversary_weight=0.0, harmonics=0):
        super().__init__()
        s.encoder = Encoder(stage_blocks=stage_blocks, center=center)
        s.quantizer = VQ()
        s.decoder = Decoder(speakers, stage_blocks=stage_blocks, harmonics=harmonics)
        s.adversary_weight = adversary_weight
        s.adversary = SpeakerAdversary(speakers) if adversary_weight > 0 else None
        s.harmonics = harmonics

    def forward(s, x, labels):
        """(x̂, codebook loss, commitment loss, rows, codes, speaker-adversary loss or None); with a pitch
        source the input's own quantised F0 drives the carriers (VQVAE.callAsFunction)."""
        carriers = None
        if s.harmonics:
            signals = x[:, 0].numpy()
            carriers = torch.from_numpy(harmonic_carriers(quantised_pitch(pitch_frames(signals)), signals.shape[1], s.harmonics))
        q, codebook_loss, commitment_loss, rows, codes = s.quantizer(s.encoder(x))
        adversarial = s.adversary.loss(q, labels, s.adversary_weight) if s.adversary is not None and s.training else None
        return s.decoder(q, labels, carriers), codebook_loss, commitment_loss, rows, codes, adversarial

    def swift_parameters(s):
        """(our name, parameter, init bound or None for a zero table) in our forEachParameter order,
        which is also the order in which our initialiser draws them."""
        out = []

        def conv(name, layer):
            k = layer.weight.shape[2]
            # Conv1d weight (out, in, k): fanIn = in·k; ConvTranspose1d weight (in, out, k): fanIn = out·k.
            fan_in = layer.weight.shape[1] * k
            bound = np.float32(1) / np.sqrt(np.float32(fan_in))
            out.append((name + ".weight", layer.weight, bound))
            if layer.bias is not None:
                out.append((name + ".bias", layer.bias, bound))

        def stack(prefix, res):
            for i, (c3, c1) in enumerate(zip(res.c3, res.c1)):
                conv(f"{prefix}.{i}.conv3x3", c3)
                conv(f"{prefix}.{i}.conv1x1", c1)
            if res.tables is not None:
                for i, table in enumerate(res.tables):
                    out.append((f"{prefix}.{i}.condition.table", table, None))

        e, d = s.encoder, s.decoder
        for i, layer in enumerate(e.down):
            conv(f"encoder.conv{i + 1}", layer)
        for i, res in enumerate(e.stages):
            stack(f"encoder.stage{i + 1}", res)
        conv(f"encoder.conv{len(e.down) + 1}", e.conv)
        stack("encoder.residual", e.res)
        conv("encoder.pre_quantization", e.pre)
        out.append(("quantizer.codebook", s.quantizer.codebook, np.float32(1) / np.float32(K)))
        conv("decoder.conv", d.conv)
        stack("decoder.residual", d.res)
        for i, layer in enumerate(d.up):
            conv(f"decoder.conv_transpose{i + 1}", layer)
        for i, table in enumerate(d.tables):
            out.append((f"decoder.condition{i + 1}.table", table, None))
        for i, res in enumerate(d.stages):
            stack(f"decoder.stage{i + 1}", res)
        if s.adversary is not None:
            conv("speaker_adversary.conv1", s.adversary.conv1)
            conv("speaker_adversary.conv2", s.adversary.conv2)
        return out

    @torch.no_grad()
    def initialise_as_swift(s, seed):
        """The weights our VQVAE(configuration, generator: RandomGenerator(seed)) starts from."""
        rng = SwiftRandom(seed)
        for _, p, bound in s.swift_parameters():
            p.copy_(torch.zeros_like(p) if bound is None else rng.uniform(tuple(p.shape), -bound, bound))

# ---------------------------------------------------------------------------------------------------
# The pitch source (PitchTracker.swift, PitchSource.swift).

PITCH_MIN, PITCH_MAX, PITCH_THRESHOLD, SILENCE_POWER, PITCH_LEVELS = 60.0, 400.0, 0.15, 1e-5, 63
MAX_LAG = math.ceil(SAMPLE_RATE / PITCH_MIN)            # τmax = W = 134
MIN_LAG = max(2, math.floor(SAMPLE_RATE / PITCH_MAX))   # τmin = 20


def pitch_frames(x, hop=DOWNSAMPLING):
    """YIN F0 (Hz, 0 unvoiced) of every frame of hop samples of each row of x (N, T): frame k reads the
    2·τmax samples around k·hop + hop/2 (zeros outside); silent under SILENCE_POWER; d, d′, the first dip
    under the threshold from τmin followed down, a parabola; 0 outside [60, 400] Hz."""
    n, t = x.shape
    frames = -(-t // hop)
    padded = np.zeros((n, frames * hop + 2 * MAX_LAG), dtype=np.float32)
    padded[:, MAX_LAG - hop // 2:MAX_LAG - hop // 2 + t] = x
    starts = np.arange(frames) * hop
    windows = padded[:, starts[:, None] + np.arange(2 * MAX_LAG)]               # (N, frames, 2τmax)
    windows = windows.astype(np.float64)
    power = (windows ** 2).mean(-1)
    head = windows[..., :MAX_LAG]
    # d(τ) = Σ_j x_j² + Σ_j x_{j+τ}² − 2 Σ_j x_j·x_{j+τ}, the last as one batched product.
    shifted = np.lib.stride_tricks.sliding_window_view(windows, MAX_LAG, axis=-1)[..., 1:MAX_LAG + 1, :]
    squares = np.concatenate([np.zeros((n, frames, 1)), np.cumsum(windows ** 2, -1)], -1)
    taus = np.arange(1, MAX_LAG + 1)
    d = squares[..., MAX_LAG:MAX_LAG + 1] + (squares[..., taus + MAX_LAG] - squares[..., taus]) \
        - 2 * np.einsum("nfj,nftj->nft", head, shifted)
    running = np.cumsum(d, -1)
    normalised = np.ones((n, frames, MAX_LAG + 1))                                # d′(0) = 1
    normalised[..., 1:] = np.where(running > 0, d * taus / np.where(running > 0, running, 1), 1)
    below = normalised[..., MIN_LAG:MAX_LAG] < PITCH_THRESHOLD
    found = below.any(-1) & (power >= SILENCE_POWER)
    tau = MIN_LAG + below.argmax(-1)
    rows = np.indices(tau.shape)
    while True:   # on down the dip while d′ keeps falling
        step = found & (tau + 1 < MAX_LAG)
        nxt = np.minimum(tau + 1, MAX_LAG)
        step &= normalised[rows[0], rows[1], nxt] < normalised[rows[0], rows[1], tau]
        if not step.any():
            break
        tau = tau + step
    a, b, c = (normalised[rows[0], rows[1], tau + o] for o in (-1, 0, 1))
    curvature = a - 2 * b + c
    shift = np.where(curvature > 0, np.clip(0.5 * (a - c) / np.where(curvature > 0, curvature, 1), -0.5, 0.5), 0)
    value = SAMPLE_RATE / (tau + shift)
    f0 = np.where(found & (value >= PITCH_MIN) & (value <= PITCH_MAX), value, 0).astype(np.float32)
    return f0


def quantised_pitch(f0):
    """PitchSource.code then frequency(ofCode:): 0 stays 0, else one of 63 log-spaced levels over 60-400 Hz."""
    low, high = np.log(np.float32(PITCH_MIN)), np.log(np.float32(PITCH_MAX))
    voiced = f0 > 0
    step = np.floor((np.log(np.where(voiced, f0, 1)) - low) / (high - low) * (PITCH_LEVELS - 1) + 0.5)
    code = np.clip(step, 0, PITCH_LEVELS - 1)
    return np.where(voiced, np.exp(low + code / (PITCH_LEVELS - 1) * (high - low)), 0).astype(np.float32)


def harmonic_carriers(contour, length, harmonics, hop=DOWNSAMPLING):
    """(N, 2·harmonics, length): sin and cos of k·φ, φ the running phase of the frames' F0 (held over each
    frame, φ[0] = 0), zero where unvoiced or k·F0 ≥ rate/2."""
    f = np.repeat(contour.astype(np.float64), hop, axis=1)[:, :length]
    cycles = np.concatenate([np.zeros((f.shape[0], 1)), np.cumsum(f / SAMPLE_RATE, axis=1)[:, :-1]], axis=1) % 1.0
    angle = 2 * np.pi * cycles
    out = np.zeros((f.shape[0], 2 * harmonics, length), dtype=np.float32)
    for k in range(1, harmonics + 1):
        live = (f > 0) & (k * f < SAMPLE_RATE / 2)
        out[:, 2 * (k - 1)] = np.where(live, np.sin(k * angle), 0)
        out[:, 2 * k - 1] = np.where(live, np.cos(k * angle), 0)
    return out

# ---------------------------------------------------------------------------------------------------
# The loss.

_WINDOWS = {}


def stft_magnitude(x, fft, hop, window):
    """|STFT| (N, fft/2 + 1, T/hop + 1) of x (N, T) as ours: centred, zero padding, periodic Hann."""
    key = (window, x.dtype)
    if key not in _WINDOWS:
        _WINDOWS[key] = torch.hann_window(window, periodic=True, dtype=x.dtype)
    spectrum = torch.view_as_real(torch.stft(x, fft, hop, window, window=_WINDOWS[key], center=True,
                                             pad_mode="constant", normalized=False, onesided=True, return_complex=True))
    return (spectrum.pow(2).sum(-1) + MAGNITUDE_EPSILON).sqrt()


_MEL_FILTERS = {}


def mel_filters(fft):
    """(bands, fft/2 + 1) triangular HTK-mel filters from 0 Hz to Nyquist, peak 1 (MelFilterbank.swift)."""
    if fft not in _MEL_FILTERS:
        bands = max(8, min(80, fft // 8))
        mel = lambda f: 2595 * np.log10(1 + f / 700)
        hertz = lambda m: 700 * (10 ** (m / 2595) - 1)
        edges = hertz(np.linspace(0, mel(SAMPLE_RATE / 2), bands + 2))
        frequencies = np.arange(fft // 2 + 1) * SAMPLE_RATE / fft
        low, centre, high = edges[:-2, None], edges[1:-1, None], edges[2:, None]
        rising, falling = (frequencies - low) / (centre - low), (high - frequencies) / (high - centre)
        _MEL_FILTERS[fft] = torch.from_numpy(np.clip(np.minimum(rising, falling), 0, None).astype(np.float32))
    return _MEL_FILTERS[fft]


def reconstruction_loss(prediction, target):
    """waveform L1 + multi-resolution STFT loss (with its log-mel term when MEL_WEIGHT > 0); returns
    (total, waveform, spectral convergence, log magnitude, log mel)."""
    target = target.detach()
    waveform = (prediction - target).abs().mean()
    p, t = prediction.reshape(prediction.shape[0], -1), target.reshape(target.shape[0], -1)
    convergences, log_distances, mel_distances = [], [], []
    for fft, hop, window in RESOLUTIONS:
        predicted = stft_magnitude(p, fft, hop, window)
        with torch.no_grad():
            reference = stft_magnitude(t, fft, hop, window)
        convergences.append(torch.linalg.vector_norm(reference - predicted) / torch.linalg.vector_norm(reference).item())
        log_distances.append(((reference + LOG_OFFSET).log() - (predicted + LOG_OFFSET).log()).abs().mean())
        if MEL_WEIGHT > 0:
            filters = mel_filters(fft)
            predicted_mel = torch.einsum("bf,nft->nbt", filters, predicted)
            reference_mel = torch.einsum("bf,nft->nbt", filters, reference)
            mel_distances.append(((reference_mel + LOG_OFFSET).log() - (predicted_mel + LOG_OFFSET).log()).abs().mean())
    convergence = sum(convergences) / len(RESOLUTIONS)
    log_magnitude = sum(log_distances) / len(RESOLUTIONS)
    log_mel = sum(mel_distances) / len(RESOLUTIONS) if mel_distances else torch.zeros(())
    total = WAVEFORM_WEIGHT * waveform + convergence + log_magnitude + MEL_WEIGHT * log_mel
    return total, waveform, convergence, log_magnitude, log_mel


PARTS = ["waveform", "spectral_convergence", "log_magnitude", "log_mel", "reconstruction", "codebook", "commitment", "total",
         "speaker_adversary"]


def train_step(model, optimizer, x, labels, rng):
    """Loss, backward, Adam, then the dead-code restarts: one step of our ModelTrainer.step."""
    optimizer.zero_grad(set_to_none=True)
    reconstruction, codebook_loss, commitment_loss, rows, codes, adversarial = model(x, labels)
    recon, waveform, convergence, log_magnitude, log_mel = reconstruction_loss(reconstruction, x)
    total = recon + codebook_loss + BETA * commitment_loss
    if adversarial is not None:
        total = total + adversarial
    if not math.isfinite(total.item()):
        raise FloatingPointError("the loss is not finite")
    total.backward()
    optimizer.step()
    restarted = model.quantizer.restart_dead_codes(rows, codes, rng)
    values = [waveform, convergence, log_magnitude, log_mel, recon, codebook_loss, commitment_loss, total,
              adversarial if adversarial is not None else torch.zeros(())]
    return dict(zip(PARTS, (v.item() for v in values))), codes, restarted


def perplexity(counts):
    total = counts.sum()
    if total == 0:
        return 0.0
    p = counts[counts > 0] / total
    return float(math.exp(-(p * np.log(p + 1e-10)).sum()))

# ---------------------------------------------------------------------------------------------------
# Data.


def read_wav(path):
    with wave.open(path, "rb") as f:
        if f.getsampwidth() != 2 or f.getcomptype() != "NONE":
            raise ValueError(f"{path}: only 16-bit PCM WAVs are read here")
        if f.getframerate() != SAMPLE_RATE:
            raise ValueError(f"{path}: {f.getframerate()} Hz; this peer runs the {SAMPLE_RATE} Hz recipe only")
        channels, frames = f.getnchannels(), f.readframes(f.getnframes())
    samples = np.frombuffer(frames, dtype="<i2").astype(np.float32) * np.float32(1 / 32768)
    if channels > 1:
        samples = np.minimum(samples.reshape(-1, channels).mean(1, dtype=np.float32), np.float32(32767 / 32768))
    if samples.size == 0:
        raise ValueError(f"{path}: no samples")
    return samples


def peak_normalised(samples, level):
    """AudioDataset.peakNormalized(to:): the clip times level / max|x| (float32), unchanged if silent or level is 0."""
    peak = np.abs(samples).max()
    if level <= 0 or peak == 0:
        return samples
    return samples * (np.float32(level) / peak)


def load_fsdd(folder, clip_peak=0.0):
    """Train (takes 5-49) and test (takes 0-4) clips, speakers indexed by sorted name, files in name order,
    each peak-normalised to clip_peak (0: as read)."""
    if not any(n.lower().endswith(".wav") for n in os.listdir(folder)) and os.path.isdir(os.path.join(folder, "recordings")):
        folder = os.path.join(folder, "recordings")
    names = sorted(n for n in os.listdir(folder) if not n.startswith(".") and n.lower().endswith(".wav"))
    parsed = []
    for name in names:
        fields = name[:-4].split("_")
        if len(fields) != 3 or len(fields[0]) != 1 or not fields[0].isdigit() or not fields[1] or not fields[2].isdigit():
            raise ValueError(f"{folder}/{name}: not an FSDD name (DIGIT_SPEAKER_TAKE.wav)")
        parsed.append((name, fields[1], int(fields[2])))
    speakers = sorted({speaker for _, speaker, _ in parsed})
    index = {speaker: i for i, speaker in enumerate(speakers)}
    split = {"train": [], "test": []}
    for name, speaker, take in parsed:
        clip = peak_normalised(read_wav(os.path.join(folder, name)), clip_peak)
        split["test" if take <= 4 else "train"].append((clip, index[speaker]))
    return split["train"], split["test"], speakers, folder


class Windows:
    """AudioDataset.windows: per window a clip (uniform), then an offset (uniform where it fits)."""

    def __init__(s, clips):
        s.clips = [c for c, _ in clips]
        s.speakers = [sp for _, sp in clips]

    def batch(s, count, length, rng):
        x = np.zeros((count, 1, length), dtype=np.float32)
        labels = []
        for row in range(count):
            clip = rng.index(len(s.clips))
            samples = s.clips[clip]
            offset = rng.index(max(1, len(samples) - length + 1))
            piece = samples[offset:offset + length]
            x[row, 0, :len(piece)] = piece
            labels.append(s.speakers[clip])
        return torch.from_numpy(x), torch.tensor(labels, dtype=torch.long)

# ---------------------------------------------------------------------------------------------------
# Modes.


@torch.no_grad()
def reconstruct_clip(model, samples, speaker):
    """VQVAE.reconstruct(clip:condition:): pad to a multiple of 64 (at least 64), run, crop; returns (x̂, codes)."""
    length = len(samples)
    padded = max(DOWNSAMPLING, -(-length // DOWNSAMPLING) * DOWNSAMPLING)
    x = torch.zeros(1, 1, padded)
    x[0, 0, :length] = torch.as_tensor(samples)
    reconstruction, _, _, _, codes, _ = model(x, torch.tensor([speaker]))
    return reconstruction[0, 0, :length], codes


def new_model(speakers, a):
    model = SpeechVQVAE(speakers, stage_blocks=a.stage_blocks, center=a.center_latents, adversary_weight=a.speaker_adversary,
                        harmonics=a.harmonics)
    if a.rng == "swift":
        model.initialise_as_swift(a.seed)
    return model


def speed(a):
    model = new_model(a.speakers, a)
    optimizer = torch.optim.Adam(model.parameters(), lr=LEARNING_RATE)
    x = torch.rand(a.batch, 1, a.window) - 0.5
    labels = torch.randint(0, a.speakers, (a.batch,))
    rng = NumpyRandom(a.seed)
    for _ in range(3):
        train_step(model, optimizer, x, labels, rng)
    t = time.perf_counter()
    for _ in range(a.steps):
        train_step(model, optimizer, x, labels, rng)
    seconds = time.perf_counter() - t
    clips = a.clips or a.batch * a.steps
    signals = torch.rand(clips, a.clip_length) - 0.5
    speakers = torch.randint(0, a.speakers, (clips,)).tolist()
    model.eval()
    for i in range(3):
        reconstruct_clip(model, signals[i], speakers[i])
    t = time.perf_counter()
    for i in range(clips):
        reconstruct_clip(model, signals[i], speakers[i])
    reconstruct_seconds = time.perf_counter() - t
    return {"parameters": parameter_count(model),
            "train_steps_per_s": round(a.steps / seconds, 2), "train_windows_per_s": round(a.batch * a.steps / seconds, 1),
            "reconstruct_clips_per_s": round(clips / reconstruct_seconds, 1),
            "reconstruct_seconds_per_clip_second": round(reconstruct_seconds / (clips * a.clip_length / SAMPLE_RATE), 4)}


def mean_parts(history):
    return {k: round(float(np.mean([h[k] for h in history])), 5) for k in PARTS} if history else {}


def train(a):
    train_clips, test_clips, speakers, folder = load_fsdd(a.data, a.clip_peak)
    windows = Windows(train_clips)
    model = new_model(len(speakers), a)
    count = parameter_count(model)
    print(f"training the speech VQ-VAE (hidden 128, D 64, /64, vq K 512, {count} parameters) on {folder}: "
          f"{len(train_clips)} train, {len(test_clips)} test clips at {SAMPLE_RATE} Hz, {len(speakers)} speakers "
          f"(rng {a.rng}, seed {a.seed})", file=sys.stderr, flush=True)
    optimizer = torch.optim.Adam(model.parameters(), lr=LEARNING_RATE)
    rng = SwiftRandom((a.seed + 0x5EED) & MASK64) if a.rng == "swift" else NumpyRandom(a.seed + 0x5EED)
    history, log, restarts_since_log = [], [], 0
    started = time.perf_counter()
    for step in range(1, a.steps + 1):
        x, labels = windows.batch(a.batch, a.window, rng)
        parts, codes, restarted = train_step(model, optimizer, x, labels, rng)
        history.append(parts)
        restarts_since_log += restarted
        if step % a.log_every == 0 or step == a.steps or step == 1:
            elapsed = time.perf_counter() - started
            p = perplexity(np.bincount(codes.numpy(), minlength=K))
            print(f"step {step}/{a.steps} recon {parts['reconstruction']:.4f} (wave {parts['waveform']:.4f}, "
                  f"conv {parts['spectral_convergence']:.3f}, logmag {parts['log_magnitude']:.3f}, logmel {parts['log_mel']:.3f}) codebook "
                  f"{parts['codebook']:.4f} commit {parts['commitment']:.4f} perplexity {p:.1f} adversary {parts['speaker_adversary']:.3f} "
                  f"restarted {restarted}; "
                  f"mean of the last {min(step, SMOOTHING)}: recon {np.mean([h['reconstruction'] for h in history[-SMOOTHING:]]):.4f}; "
                  f"{step * a.batch / elapsed:.1f} windows/s", file=sys.stderr, flush=True)
            if step % a.log_every == 0:
                log.append({"step": step, "seconds": round(elapsed, 1), "restarted_codes": restarts_since_log,
                            **mean_parts(history[-SMOOTHING:])})
                restarts_since_log = 0
    seconds = time.perf_counter() - started

    model.eval()
    signal = noise = 0.0
    counts = np.zeros(K, dtype=np.int64)
    for samples, speaker in test_clips:
        reconstruction, codes = reconstruct_clip(model, samples, speaker)
        x = samples.astype(np.float64)
        signal += float((x * x).sum())
        noise += float(((x - reconstruction.numpy().astype(np.float64)) ** 2).sum())
        counts += np.bincount(codes.numpy(), minlength=K)
    used = int((counts > 0).sum())
    return {"parameters": count, "speakers": speakers, "train_clips": len(train_clips), "steps": a.steps,
            "train_seconds": round(seconds, 1), "train_steps_per_s": round(a.steps / seconds, 2),
            "train_windows_per_s": round(a.steps * a.batch / seconds, 1),
            "train_loss_window": min(SMOOTHING, a.steps), "train_loss": mean_parts(history[-SMOOTHING:]),
            "train_loss_log": log, "restarted_codes": model.quantizer.restarts,
            "test_clips": len(test_clips), "snr_db": round(10 * math.log10(signal / max(noise, 1e-30)), 3),
            "perplexity": round(perplexity(counts), 1), "codebook_usage": round(used / K, 4), "dead_codes": K - used}


def parameter_count(model):
    return sum(p.numel() for p in model.parameters())


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("mode", choices=["speed", "train"])
    ap.add_argument("--batch", type=int, default=32, help="windows per batch (32)")
    ap.add_argument("--window", type=int, default=2048, help="samples per window (2048, a multiple of 64)")
    ap.add_argument("--steps", type=int, default=20, help="timed steps (speed) or training steps (train)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--rng", choices=["swift", "torch"], default="swift",
                    help="swift: our generator's streams (same initial weights, windows and restart rows as ours for "
                         "the same seed); torch: PyTorch's init and numpy draws")
    ap.add_argument("--mel-weight", type=float, default=1.0,
                    help="weight of the STFT loss's log-mel term (1, the recipe's; 0: the loss of commit 9df96ae)")
    ap.add_argument("--stage-blocks", type=int, default=2,
                    help="residual blocks per intermediate stage (2, the recipe's; 0 for models of commit d2d0db5 and before)")
    ap.add_argument("--center-latents", action="store_true", help="centre the encoder's output over time (as `--center-latents`)")
    ap.add_argument("--speaker-adversary", type=float, default=0.1,
                    help="weight of the speaker classifier trained against the encoder (0.1, the recipe's; 0: none)")
    ap.add_argument("--waveform-weight", type=float, default=1.0,
                    help="weight of the waveform L1 term (1, the recipe's; 0: the spectral loss alone)")
    ap.add_argument("--harmonics", type=int, default=0,
                    help="harmonics of the pitch source (0, the recipe's: none)")
    ap.add_argument("--clip-peak", type=float, default=0.5,
                    help="train: scale every clip to this peak, as `--clip-peak` (0.5, the recipe's; 0: as read)")
    ap.add_argument("--data", help="train: a folder of FSDD WAVs (or holding recordings/)")
    ap.add_argument("--log-every", type=int, default=100, help="train: progress and a loss-log entry every this many steps")
    ap.add_argument("--speakers", type=int, default=6, help="speed: speaker classes of the decoder (6, as FSDD)")
    ap.add_argument("--clip-length", type=int, default=8000, help="speed: samples per reconstructed clip (8000: 1 s)")
    ap.add_argument("--clips", type=int, default=0, help="speed: clips reconstructed (default batch × steps)")
    a = ap.parse_args()
    if a.window % DOWNSAMPLING or a.window < DOWNSAMPLING:
        ap.error(f"--window must be a positive multiple of {DOWNSAMPLING}")
    if a.mode == "train" and not a.data:
        ap.error("train needs --data")
    if a.log_every < 1 or a.steps < 1 or a.batch < 1:
        ap.error("--steps, --batch and --log-every must be at least 1")
    global MEL_WEIGHT, WAVEFORM_WEIGHT
    MEL_WEIGHT = a.mel_weight
    WAVEFORM_WEIGHT = a.waveform_weight
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    load = os.getloadavg()
    out = speed(a) if a.mode == "speed" else train(a)
    print(json.dumps({"peer": "pytorch-" + torch.__version__, "mode": a.mode, "config": vars(a),
                      "omp_wait_policy": os.environ["OMP_WAIT_POLICY"],
                      "load_average_at_start": [round(v, 2) for v in load], **out}))


if __name__ == "__main__":
    main()
