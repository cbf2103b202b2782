"""Writes stft.safetensors: PyTorch's STFT magnitudes and the multi-resolution STFT loss with its gradient,
for STFTMagnitudeTests.swift (VQEngineTests/Ops) and MultiResolutionSTFTLossTests.swift (VQNNTests/Losses).

Two cases of float32 signals, drawn with a fixed seed (odd lengths, both input layouts):
    a: predicted and target (2, 1001)      (N, T)
    b: predicted and target (3, 1, 517)    (N, 1, T); the predicted signal of item 1 is silent over
       samples 200..<330, so whole frames are zero and the loss's epsilon is exercised
The target is a few sines plus noise; the predicted signal is the target plus more noise.
Three resolutions (fftSize, hopSize, windowLength):
    (64, 16, 64)     window as long as the frame
    (128, 32, 96)    shorter window, centred 16 samples into the frame
    (75, 20, 50)     odd fftSize, shorter window with an odd gap (centred 12 samples in, as torch does)
Everything runs in float64 (the signals are exactly their float32 values) and is stored as float32:
    <case>.predicted, <case>.target            the signals
    <case>.magnitude.<fft>_<hop>_<window>      torch.stft(predicted, fft, hop, window, hann_window(window),
                                               center=True, pad_mode="constant", return_complex=True).abs(),
                                               (N, fft // 2 + 1, frames), no epsilon
    <case>.loss.total, .convergence, .log_magnitude    the multi-resolution loss (below), shape ()
    <case>.gradient                            d(loss.total) / d(predicted) by torch autograd
The loss, as MultiResolutionSTFTLoss defines it: per resolution, |S| = sqrt(re^2 + im^2 + 1e-7),
    convergence   = ||S_target| - |S_predicted||_F / ||S_target||_F     (over the whole batch)
    log_magnitude = mean |log(|S_target| + 1e-5) - log(|S_predicted| + 1e-5)|
and each part is the mean over the three resolutions; total = convergence + log_magnitude.
With the log-mel term (MultiResolutionSTFTLoss.MelTerm(sampleRate: 8000, weight: 0.5)), also stored:
    <case>.mel_loss.total, .log_mel              total = convergence + log_magnitude + 0.5 * log_mel
    <case>.mel_gradient                          d(mel_loss.total) / d(predicted)
    mel.<fft>                                    the filters (bands, fft // 2 + 1)
  log_mel = mean |log(M_target + 1e-5) - log(M_predicted + 1e-5)|, M = filters @ |S|, per resolution
  max(8, min(80, fft // 8)) triangular HTK-mel bands (m = 2595 log10(1 + f / 700)) with edges evenly spaced
  in mel from 0 Hz to 4000 Hz, each peaking at 1 at its centre; averaged over the resolutions.

    python3 Tests/VQEngineTests/Fixtures/make_stft_fixture.py   # from the package root; torch 2.x, numpy, safetensors
"""
import json, os
import numpy as np
import torch
from safetensors.numpy import save_file

SEED = 20250317
HERE = os.path.dirname(os.path.abspath(__file__))
RESOLUTIONS = [(64, 16, 64), (128, 32, 96), (75, 20, 50)]
EPSILON = 1e-7  # inside the magnitude's square root
OFFSET = 1e-5   # added before the logarithm
CASES = [("a", [2, 1001]), ("b", [3, 1, 517])]
MEL_RATE, MEL_WEIGHT = 8000, 0.5
SILENT = ("b", 1, 200, 330)  # case, item, first and last-plus-one silent sample of the predicted signal


def signals(generator, shape):
    """Float32 target (sines plus noise) and predicted (target plus noise) signals, as float64 tensors."""
    length = shape[-1]
    items = int(np.prod(shape[:-1]))
    t = torch.arange(length, dtype=torch.float64)
    rows = []
    for _ in range(items):
        frequencies = torch.rand(3, generator=generator, dtype=torch.float64) * 0.45
        phases = torch.rand(3, generator=generator, dtype=torch.float64) * 2 * np.pi
        amplitudes = torch.rand(3, generator=generator, dtype=torch.float64) * 0.4
        row = sum(a * torch.sin(2 * np.pi * f * t + p) for a, f, p in zip(amplitudes, frequencies, phases))
        rows.append(row + 0.05 * torch.randn(length, generator=generator, dtype=torch.float64))
    target = torch.stack(rows).reshape(shape)
    predicted = target + 0.1 * torch.randn(shape, generator=generator, dtype=torch.float64)
    as_float32 = lambda x: x.to(torch.float32).to(torch.float64)
    return as_float32(predicted), as_float32(target)


def spectrum(x, fft, hop, window):
    """The complex STFT of (N, T) or (N, 1, T) signals, (N, fft // 2 + 1, frames)."""
    return torch.stft(x.reshape(x.shape[0], x.shape[-1]), fft, hop, window,
                      window=torch.hann_window(window, dtype=torch.float64), center=True, pad_mode="constant",
                      return_complex=True)


def magnitude(x, fft, hop, window):
    s = spectrum(x, fft, hop, window)
    return torch.sqrt(s.real ** 2 + s.imag ** 2 + EPSILON)


def mel_filters(fft):
    """(bands, fft // 2 + 1) float64 triangular filters on the HTK mel scale, 0 Hz to MEL_RATE / 2."""
    bands = max(8, min(80, fft // 8))
    mel = lambda f: 2595 * np.log10(1 + f / 700)
    hertz = lambda m: 700 * (10 ** (m / 2595) - 1)
    edges = hertz(np.linspace(0, mel(MEL_RATE / 2), bands + 2))
    frequencies = np.arange(fft // 2 + 1) * MEL_RATE / fft
    low, centre, high = edges[:-2, None], edges[1:-1, None], edges[2:, None]
    rising, falling = (frequencies - low) / (centre - low), (high - frequencies) / (high - centre)
    return torch.from_numpy(np.clip(np.minimum(rising, falling), 0, None))


def mel_loss(predicted, target):
    """The loss with the log-mel term: (total, log_mel)."""
    total, _, _ = loss(predicted, target)
    log_mel = 0
    for fft, hop, window in RESOLUTIONS:
        filters = mel_filters(fft)
        p, t = magnitude(predicted, fft, hop, window), magnitude(target, fft, hop, window).detach()
        mp, mt = torch.einsum("bf,nft->nbt", filters, p), torch.einsum("bf,nft->nbt", filters, t)
        log_mel = log_mel + (torch.log(mt + OFFSET) - torch.log(mp + OFFSET)).abs().mean()
    log_mel = log_mel / len(RESOLUTIONS)
    return total + MEL_WEIGHT * log_mel, log_mel


def loss(predicted, target):
    convergence, log_magnitude = 0, 0
    for fft, hop, window in RESOLUTIONS:
        p, t = magnitude(predicted, fft, hop, window), magnitude(target, fft, hop, window).detach()
        convergence = convergence + torch.linalg.norm((t - p).reshape(-1)) / torch.linalg.norm(t.reshape(-1))
        log_magnitude = log_magnitude + (torch.log(t + OFFSET) - torch.log(p + OFFSET)).abs().mean()
    convergence, log_magnitude = convergence / len(RESOLUTIONS), log_magnitude / len(RESOLUTIONS)
    return convergence + log_magnitude, convergence, log_magnitude


def main():
    generator = torch.Generator().manual_seed(SEED)
    tensors = {}
    store = lambda name, x: tensors.__setitem__(name, x.detach().to(torch.float32).numpy().copy())
    for name, shape in CASES:
        predicted, target = signals(generator, shape)
        if name == SILENT[0]:
            predicted[SILENT[1], ..., SILENT[2]:SILENT[3]] = 0
        store(f"{name}.predicted", predicted)
        store(f"{name}.target", target)
        for fft, hop, window in RESOLUTIONS:
            store(f"{name}.magnitude.{fft}_{hop}_{window}", spectrum(predicted, fft, hop, window).abs())
        predicted.requires_grad_()
        total, convergence, log_magnitude = loss(predicted, target)
        total.backward()
        store(f"{name}.loss.total", total)
        store(f"{name}.loss.convergence", convergence)
        store(f"{name}.loss.log_magnitude", log_magnitude)
        store(f"{name}.gradient", predicted.grad)
        predicted.grad = None
        total, log_mel = mel_loss(predicted, target)
        total.backward()
        store(f"{name}.mel_loss.total", total)
        store(f"{name}.mel_loss.log_mel", log_mel)
        store(f"{name}.mel_gradient", predicted.grad)
    for fft, _, _ in RESOLUTIONS:
        store(f"mel.{fft}", mel_filters(fft))
    metadata = {"generator": "Tests/VQEngineTests/Fixtures/make_stft_fixture.py", "torch_version": torch.__version__,
                "dtype": "float64, stored as float32", "seed": str(SEED), "resolutions": json.dumps(RESOLUTIONS),
                "epsilon": repr(EPSILON), "log_offset": repr(OFFSET), "silent": json.dumps(SILENT),
                "mel_rate": str(MEL_RATE), "mel_weight": repr(MEL_WEIGHT)}
    path = os.path.join(HERE, "stft.safetensors")
    save_file(tensors, path, metadata=metadata)
    print(f"wrote {len(tensors)} tensors to {path} ({os.path.getsize(path)} bytes)")
    for name, _ in CASES:
        print(name, {k.split('.', 1)[-1]: float(tensors[k]) for k in tensors if k.startswith((name + ".loss.", name + ".mel_loss."))})


if __name__ == "__main__":
    main()
