"""WAV fixtures for Tests/VQDataTests/Audio/WAVFileTests.swift.

Run from the repository root:  python3 Tests/VQDataTests/Fixtures/wav/make_wav_fixtures.py
(needs numpy and scipy; the Swift tests never run Python, they read the files this script committed).

Writes tiny files (a few dozen frames each) into this folder: Python's `wave` module writes the integer
PCM files, scipy.io.wavfile the IEEE float ones (fmt of 18 bytes plus a `fact` chunk), and this script
by hand the forms neither writes (WAVE_FORMAT_EXTENSIBLE, LIST chunks, an odd-sized chunk with its pad
byte). Every file is read back with scipy.io.wavfile (and `wave` where it can) and must give the
sample values below, so those readers vouch for the files too.

The sample values follow two formulas that WAVFileTests restates:
- integer PCM of b bits, frame i, channel c:  code(i + 7c, b), where code(0...4, b) are the extremes and
  small values [-2^(b-1), 2^(b-1) - 1, 0, -1, 1] and code(i, b) = (i * 2654435761 mod 2^b) - 2^(b-1) after;
  the reader's value is code / 2^(b-1) (for 32 bits rounded to Float, then at most 1 - 2^-24), 8-bit
  files store code + 128 (unsigned);
- IEEE float, frame i, channel c:  real(i + 7c), where real(0...7) = [-1, 0, 0.5, -0.25, 1.0, 1.5, -3,
  1 - 2^-24] and real(i) = ((i * 37) mod 255 - 127) / 128 after; the reader clips to [-1, 1 - 2^-24].
"""
import os
import struct
import wave

import numpy as np
import scipy.io.wavfile as wavfile

HERE = os.path.dirname(os.path.abspath(__file__))


def code(i, bits):
    extremes = [-(1 << (bits - 1)), (1 << (bits - 1)) - 1, 0, -1, 1]
    if i < len(extremes):
        return extremes[i]
    return (i * 2654435761) % (1 << bits) - (1 << (bits - 1))


def real(i):
    first = [-1.0, 0.0, 0.5, -0.25, 1.0, 1.5, -3.0, 1.0 - 2.0 ** -24]
    return first[i] if i < len(first) else ((i * 37) % 255 - 127) / 128


def codes(frames, channels, bits):
    """(frames, channels) int64 array of code(i + 7c, bits)."""
    return np.array([[code(i + 7 * c, bits) for c in range(channels)] for i in range(frames)], dtype=np.int64)


def reals(frames, channels, dtype):
    return np.array([[real(i + 7 * c) for c in range(channels)] for i in range(frames)], dtype=dtype)


def pcm_bytes(values, bits):
    """Interleaved little-endian PCM bytes of integer codes (8-bit stored unsigned)."""
    flat = values.reshape(-1)
    if bits == 8:
        return bytes((flat + 128).astype(np.uint8))
    width = bits // 8
    return b"".join(int(v).to_bytes(width, "little", signed=True) for v in flat)


def write_with_wave(name, values, bits, rate):
    with wave.open(os.path.join(HERE, name), "wb") as out:
        out.setnchannels(values.shape[1])
        out.setsampwidth(bits // 8)
        out.setframerate(rate)
        out.writeframes(pcm_bytes(values, bits))


def chunk(identifier, payload):
    """One RIFF chunk: id, little-endian size, payload, and a zero pad byte when the size is odd."""
    return identifier + struct.pack("<I", len(payload)) + payload + (b"\x00" if len(payload) % 2 else b"")


def riff(chunks):
    body = b"WAVE" + b"".join(chunks)
    return b"RIFF" + struct.pack("<I", len(body)) + body


def fmt_payload(code_, channels, rate, bits):
    block = channels * bits // 8
    return struct.pack("<HHIIHH", code_, channels, rate, rate * block, block, bits)


def extensible_fmt(channels, rate, bits, valid_bits, mask, subformat):
    guid = struct.pack("<H", subformat) + bytes.fromhex("000000001000800000aa00389b71")
    return fmt_payload(0xFFFE, channels, rate, bits) + struct.pack("<HHI", 22, valid_bits, mask) + guid


def check(name, expected, bits=None):
    """scipy (and `wave` for plain PCM) must read `expected` back: codes for PCM, values for float."""
    path = os.path.join(HERE, name)
    _, data = wavfile.read(path)
    data = data.reshape(len(expected), -1)
    if bits == 8:
        assert (data.astype(np.int64) - 128 == expected).all(), name
    elif bits == 24:
        # scipy returns 24-bit samples left-justified in int32.
        assert (data.astype(np.int64) >> 8 == expected).all(), name
    else:
        assert (data == expected).all(), name
    print(f"{name}: {os.path.getsize(path)} bytes, {expected.shape[0]} frames x {expected.shape[1]} channels, scipy agrees")


def check_wave(name, expected, bits):
    with wave.open(os.path.join(HERE, name), "rb") as f:
        raw = f.readframes(f.getnframes())
    assert raw == pcm_bytes(expected, bits), name


# --- Written by Python's wave module (plain PCM, fmt of 16 bytes, no pad byte after odd data) --------
for name, bits, rate, frames, channels in [
    ("pcm8_mono.wav", 8, 8000, 33, 1),  # odd data size; `wave` writes no pad byte
    ("pcm16_mono.wav", 16, 16000, 40, 1),
    ("pcm24_mono.wav", 24, 44100, 36, 1),
    ("pcm32_mono.wav", 32, 48000, 36, 1),
    ("pcm16_stereo.wav", 16, 22050, 24, 2),
]:
    values = codes(frames, channels, bits)
    write_with_wave(name, values, bits, rate)
    check(name, values, bits)
    check_wave(name, values, bits)

# --- Written by scipy.io.wavfile (IEEE float, fmt of 18 bytes, fact chunk) -----------------------------
for name, dtype, rate, frames, channels in [
    ("float32_mono.wav", np.float32, 16000, 30, 1),
    ("float64_stereo.wav", np.float64, 11025, 20, 2),
]:
    values = reals(frames, channels, dtype)
    wavfile.write(os.path.join(HERE, name), rate, values if channels > 1 else values[:, 0])
    check(name, values)

# --- Written here: the forms neither module writes ---------------------------------------------------
# WAVE_FORMAT_EXTENSIBLE, PCM sub-format, 24 bits, 3 channels (mask FL FR FC).
values = codes(20, 3, 24)
with open(os.path.join(HERE, "extensible_pcm24_3ch.wav"), "wb") as f:
    f.write(riff([chunk(b"fmt ", extensible_fmt(3, 32000, 24, 24, 0x7, 1)), chunk(b"data", pcm_bytes(values, 24))]))
check("extensible_pcm24_3ch.wav", values, 24)

# WAVE_FORMAT_EXTENSIBLE, IEEE float sub-format, 32 bits, mono, with a fact chunk.
values = reals(25, 1, np.float32)
with open(os.path.join(HERE, "extensible_float32_mono.wav"), "wb") as f:
    f.write(riff([chunk(b"fmt ", extensible_fmt(1, 24000, 32, 32, 0x4, 3)),
                  chunk(b"fact", struct.pack("<I", 25)),
                  chunk(b"data", values.astype("<f4").tobytes())]))
check("extensible_float32_mono.wav", values)

# A LIST/INFO chunk of odd size (so a pad byte follows it) before the data, and another after it.
values = codes(30, 1, 16)
software = b"ISFT" + struct.pack("<I", 13) + b"vqvae fixture" + b"\x00"  # 13 bytes + the sub-chunk's pad
info = b"INFO" + software + b"INAM" + struct.pack("<I", 3) + b"abc"  # 3 bytes, no pad: odd total
assert len(info) % 2 == 1
with open(os.path.join(HERE, "list_chunk.wav"), "wb") as f:
    f.write(riff([chunk(b"fmt ", fmt_payload(1, 1, 16000, 16)), chunk(b"LIST", info),
                  chunk(b"data", pcm_bytes(values, 16)), chunk(b"LIST", b"INFO" + b"ICMT" + struct.pack("<I", 2) + b"ok")]))
check("list_chunk.wav", values, 16)
check_wave("list_chunk.wav", values, 16)

# 8-bit mono with an odd-sized data chunk followed by its pad byte and then another chunk, so a reader
# that forgot the pad would misread the next chunk's header.
values = codes(27, 1, 8)
with open(os.path.join(HERE, "odd_chunk.wav"), "wb") as f:
    f.write(riff([chunk(b"fmt ", fmt_payload(1, 1, 8000, 8)), chunk(b"junk", b"xyz"),
                  chunk(b"data", pcm_bytes(values, 8)), chunk(b"cue ", struct.pack("<I", 0))]))
check("odd_chunk.wav", values, 8)
check_wave("odd_chunk.wav", values, 8)
