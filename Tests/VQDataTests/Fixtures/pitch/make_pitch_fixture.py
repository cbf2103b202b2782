"""The pitch tracker's reference: the PyTorch peer's numpy YIN (Scripts/bench/audio_ref.py, pitch_frames)
on a synthetic voice, for Tests/VQDataTests/Audio/PitchTrackerReferenceTests.swift, so that ours and the
peer's give the decoder the same F0.

Run from the repository root:  python3 Tests/VQDataTests/Fixtures/pitch/make_pitch_fixture.py
(needs numpy, torch (imported by the peer) and safetensors; the Swift tests read the committed file).

`input`, float32, 12000 samples at 8 kHz (1.5 s): 0.1 s of silence; 0.6 s of a voice whose F0 glides
from 90 to 230 Hz with a 5 Hz vibrato of ±3%, ten harmonics falling 4 dB each, amplitude 0.3; 0.2 s of
white noise of amplitude 0.1 (seed 3); 0.4 s of a voice at 160 Hz falling to 110 Hz; 0.2 s of silence.
`f0`, float32, its F0 per frame of 64 samples (188 frames), 0 where unvoiced, in float64 arithmetic.
"""
import os
import sys

import numpy as np
from safetensors.numpy import save_file

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "../../../../Scripts/bench"))
from audio_ref import pitch_frames  # noqa: E402

RATE = 8000


def voice(f0):
    phase = 2 * np.pi * np.cumsum(f0) / RATE
    return 0.3 * sum(10 ** (-4 * k / 20) * np.sin((k + 1) * phase) for k in range(10)) / 2.5


def main():
    t1 = np.arange(int(0.6 * RATE)) / RATE
    glide = (90 + (230 - 90) * t1 / 0.6) * (1 + 0.03 * np.sin(2 * np.pi * 5 * t1))
    t2 = np.arange(int(0.4 * RATE)) / RATE
    fall = 160 - 50 * t2 / 0.4
    noise = 0.1 * (np.random.default_rng(3).random(int(0.2 * RATE)) * 2 - 1)
    signal = np.concatenate([np.zeros(800), voice(glide), noise, voice(fall), np.zeros(1600)]).astype(np.float32)
    f0 = pitch_frames(signal[None, :])[0]
    save_file({"input": signal, "f0": f0}, os.path.join(HERE, "yin_reference.safetensors"))
    print(f"{len(signal)} samples, {len(f0)} frames, {int((f0 > 0).sum())} voiced")


if __name__ == "__main__":
    main()
