"""The resampler's reference: scipy.signal.resample_poly on in-band test signals, for
Tests/VQDataTests/Audio/ResamplerReferenceTests.swift.

Run from the repository root:  python3 Tests/VQDataTests/Fixtures/resample/make_resample_fixture.py
(needs numpy, scipy and safetensors; the Swift tests read the committed file, never Python).

For each pair of rates (from, to) below: `input.<from>_<to>`, float32, 3000 samples of four tones of
amplitudes 0.3, 0.25, 0.2, 0.15 at 0.05, 0.23, 0.41 and 0.62 of the lower Nyquist frequency, phases
0.1, 1.3, 2.2, 0.7 (all in the pass band of both filters); `output.<from>_<to>`, float32, the input
resampled in float64 by scipy.signal.resample_poly(x, up, down) with up/down = to/from in lowest
terms and scipy's default filter (Kaiser window, beta 5, 10 zero crossings on each side of the
cutoff at the lower Nyquist frequency), zero-phase: output sample n is at input time n * from / to,
ceil(3000 * to / from) samples. Both resamplers approximate the ideal band-limited interpolation, so
away from the ends (where each filter's own length meets the zero padding) they agree to the
pass-band error of the two filters.
"""
import os
from math import gcd

import numpy as np
import scipy
from scipy.signal import resample_poly
from safetensors.numpy import save_file

HERE = os.path.dirname(os.path.abspath(__file__))
PAIRS = [(16000, 8000), (44100, 16000), (22050, 8000), (8000, 16000), (8000, 11025)]
LENGTH = 3000
AMPLITUDES = [0.3, 0.25, 0.2, 0.15]
FRACTIONS = [0.05, 0.23, 0.41, 0.62]  # of the lower Nyquist frequency
PHASES = [0.1, 1.3, 2.2, 0.7]


def main():
    tensors = {}
    for source, target in PAIRS:
        nyquist = min(source, target) / 2
        t = np.arange(LENGTH) / source
        x = sum(a * np.sin(2 * np.pi * f * nyquist * t + p) for a, f, p in zip(AMPLITUDES, FRACTIONS, PHASES))
        x = x.astype(np.float32)
        divisor = gcd(source, target)
        y = resample_poly(x.astype(np.float64), target // divisor, source // divisor)
        tensors[f"input.{source}_{target}"] = x
        tensors[f"output.{source}_{target}"] = y.astype(np.float32)
    path = os.path.join(HERE, "resample_poly.safetensors")
    save_file(tensors, path, metadata={"generator": "Tests/VQDataTests/Fixtures/resample/make_resample_fixture.py",
                                       "scipy_version": scipy.__version__})
    print(f"wrote {len(tensors)} tensors to {path} ({os.path.getsize(path)} bytes)")


if __name__ == "__main__":
    main()
