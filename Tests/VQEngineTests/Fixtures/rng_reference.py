"""Independent reference for VQEngine's RandomGenerator (SplitMix64 seeding, xoshiro256**,
top-24-bit floats, Lemire bounded integers, Marsaglia polar normals).

Prints the values pasted into Tests/VQEngineTests/Random/RandomGeneratorTests.swift:
    python3 Tests/VQEngineTests/Fixtures/rng_reference.py
"""
import math, struct

M = (1 << 64) - 1

def splitmix(seed):
    s = seed
    while True:
        s = (s + 0x9E3779B97F4A7C15) & M
        z = s
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M
        yield z ^ (z >> 31)

def rotl(x, k): return ((x << k) | (x >> (64 - k))) & M

class Xoshiro:
    def __init__(self, seed):
        g = splitmix(seed); self.s = [next(g) for _ in range(4)]
    def next(self):
        s = self.s; r = (rotl((s[1] * 5) & M, 7) * 9) & M; t = (s[1] << 17) & M
        s[2] ^= s[0]; s[3] ^= s[1]; s[1] ^= s[2]; s[0] ^= s[3]; s[2] ^= t; s[3] = rotl(s[3], 45)
        return r
    def uniform(self): return (self.next() >> 40) * 2.0 ** -24
    def uniform_double(self): return (self.next() >> 11) * 2.0 ** -53
    def index(self, bound):
        p = self.next() * bound; low = p & M
        if low < bound:
            threshold = ((1 << 64) - bound) % bound
            while low < threshold: p = self.next() * bound; low = p & M
        return p >> 64
    def normal(self):
        while True:
            u = 2 * self.uniform_double() - 1; v = 2 * self.uniform_double() - 1; s = u * u + v * v
            if 0 < s < 1: return struct.unpack("f", struct.pack("f", u * math.sqrt(-2 * math.log(s) / s)))[0]

for seed in (0, 42):
    g = Xoshiro(seed); print(f"seed {seed} next():", [hex(g.next()) for _ in range(3)])
g = Xoshiro(7); print("seed 7 uniform:", [g.uniform() for _ in range(4)])
g = Xoshiro(7); print("seed 7 index below 10:", [g.index(10) for _ in range(8)])
g = Xoshiro(3); print("seed 3 normal:", [g.normal() for _ in range(4)])
