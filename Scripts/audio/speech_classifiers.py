"""PLACEHOLDER"""
import argparse, glob, json, math, os, pickle, re, sys, tempfile, time

import numpy as np
from scipy.fft import dct, rfft
from scipy.io import wavfile
from scipy.signal import resample_poly

RATE = 8000                 # FSDD's rate; everything is resampled to it
FRAME, HOP, NFFT = 200, 80, 256   # 25 ms Hann frames every 10 ms
MELS, CEPS = 40, 20         # 40 mel bands 0-4000 Hz; cepstra c0..c19
PREEMPHASIS = 0.97
TRIM_DB = 40.0              # keep the span of frames within 40 dB of the loudest one
DIGIT_CEPS = 13             # the digit classifier uses c1..c12 (c0 is loudness)
DIGIT_SEGMENTS = 8          # the trimmed sequence averaged over 8 equal segments
NAME = re.compile(r"^(?P<digit>\d)_(?P<speaker>[A-Za-z0-9]+)_(?P<take>\d+)(?P<rest>.*)\.wav$", re.IGNORECASE)
TARGET = re.compile(r"_as_(?P<target>[A-Za-z0-9]+)", re.IGNORECASE)


def read_wav(path):
    """Mono float64 at RATE, whatever the file's rate, sample format or channel count."""
    rate, x = wavfile.read(path)
    if x.dtype == np.uint8:
        x = (x.astype(np.float64) - 128) / 128
    elif np.issubdtype(x.dtype, np.integer):
        x = x.astype(np.float64) / -np.iinfo(x.dtype).min
    else:
        x = x.astype(np.float64)
    if x.ndim == 2:
        x = x.mean(axis=1)
    if rate != RATE:
        g = math.gcd(int(rate), RATE)
        x = resample_poly(x, RATE // g, int(rate) // g)
    return x


def mel_filterbank():
    mel = lambda f: 2595 * np.log10(1 + f / 700)
    hz = lambda m: 700 * (10 ** (m / 2595) - 1)
    edges = hz(np.linspace(mel(0), mel(RATE / 2), MELS + 2))
    bins = np.fft.rfftfreq(NFFT, 1 / RATE)
    bank = np.zeros((MELS, len(bins)))
    for i in range(MELS):
        lo, mid, hi = edges[i], edges[i + 1], edges[i + 2]
        bank[i] = np.clip(np.minimum((bins - lo) / (mid - lo), (hi - bins) / (hi - mid)), 0, None)
    return bank


BANK = mel_filterbank()
WINDOW = np.hanning(FRAME + 1)[:FRAME]   # periodic Hann


def deltas(c, n=2):
    """Regression deltas over +-n frames, edges repeated."""
    padded = np.pad(c, ((n, n), (0, 0)), mode="edge")
    t = len(c)
    return sum(k * (padded[n + k:n + k + t] - padded[n - k:n - k + t]) for k in range(1, n + 1)) / (2 * sum(k * k for k in range(1, n + 1)))


def mfcc(x):
    """(frames, CEPS) MFCCs of the clip's active span (frames within TRIM_DB of the loudest)."""
    x = x - x.mean()
    peak = np.abs(x).max()
    if peak > 0:
        x = x / peak
    x = np.append(x[0], x[1:] - PREEMPHASIS * x[:-1])
    if len(x) < FRAME:
        x = np.pad(x, (0, FRAME - len(x)))
    count = 1 + math.ceil((len(x) - FRAME) / HOP)
    x = np.pad(x, (0, (count - 1) * HOP + FRAME - len(x)))
    index = np.arange(FRAME)[None, :] + HOP * np.arange(count)[:, None]
    power = np.abs(rfft(x[index] * WINDOW, NFFT)) ** 2 / NFFT
    energies = power @ BANK.T
    log_mel = np.log(np.maximum(energies, 1e-10))
    loudness = 10 * np.log10(np.maximum(energies.sum(axis=1), 1e-10))
    active = np.flatnonzero(loudness > loudness.max() - TRIM_DB)
    log_mel = log_mel[active[0]:active[-1] + 1]
    return dct(log_mel, type=2, norm="ortho", axis=1)[:, :CEPS]


def speaker_features(c):
    """Mean and std over frames of c1..c19 and their deltas (timbre; c0 is only loudness)."""
    f = np.hstack([c[:, 1:], deltas(c[:, 1:])])
    return np.concatenate([f.mean(axis=0), f.std(axis=0)])


def digit_features(c):
    """c1..c12 (cepstral mean removed, for speaker independence) and deltas, averaged over DIGIT_SEGMENTS
    equal stretches of the active span: a fixed-length picture of the sequence."""
    c = c[:, 1:DIGIT_CEPS]
    c = c - c.mean(axis=0)
    f = np.hstack([c, deltas(c)])
    if len(f) < DIGIT_SEGMENTS:
        f = f[np.floor(np.arange(DIGIT_SEGMENTS) * len(f) / DIGIT_SEGMENTS).astype(int)]
    bounds = np.linspace(0, len(f), DIGIT_SEGMENTS + 1).round().astype(int)
    return np.concatenate([f[a:b].mean(axis=0) for a, b in zip(bounds[:-1], bounds[1:])])


def features(path):
    c = mfcc(read_wav(path))
    return digit_features(c), speaker_features(c)
