"""Reads a .vqc codes file written by `vqvae encode`, following FORMATS.md only (an independent check
of the documented layout). Prints the header and the first grid; exits 1 with one line on a bad file.

    python3 Scripts/formats/read_vqc.py codes.vqc
"""
import struct
import sys
import zlib


def read_vqc(path):
    data = open(path, "rb").read()
    if len(data) < 28:
        raise ValueError(f"{path}: too short ({len(data)} bytes)")
    magic, version, flags, count, height, width, k = struct.unpack_from("<4sHHIIII", data, 0)
    if magic != b"VQC1" or version != 1 or flags & ~1:
        raise ValueError(f"{path}: bad magic, version or flags")
    bits = max(1, (k - 1).bit_length())
    values = count * height * width
    packed = (values * bits + 7) // 8
    labels_size = 4 * count if flags & 1 else 0
    if 24 + packed + labels_size + 4 != len(data):
        raise ValueError(f"{path}: length {len(data)} does not match the header")
    if zlib.crc32(data[:-4]) != struct.unpack_from("<I", data, len(data) - 4)[0]:
        raise ValueError(f"{path}: checksum mismatch")
    stream = int.from_bytes(data[24:24 + packed], "big")  # MSB first: the first code is the top bits
    shift = packed * 8 - bits
    indices = []
    for _ in range(values):
        indices.append((stream >> shift) & ((1 << bits) - 1))
        shift -= bits
    labels = list(struct.unpack_from(f"<{count}i", data, 24 + packed)) if flags & 1 else []
    if any(index >= k for index in indices):
        raise ValueError(f"{path}: an index is not below K")
    return dict(count=count, height=height, width=width, k=k, bits=bits, indices=indices, labels=labels)


if __name__ == "__main__":
    try:
        codes = read_vqc(sys.argv[1])
    except (OSError, ValueError) as error:
        print(error, file=sys.stderr)
        sys.exit(1)
    grid = codes["indices"][:codes["height"] * codes["width"]]
    print(f"{codes['count']} grids of {codes['height']}x{codes['width']}, K {codes['k']}, {codes['bits']} bits, labels {codes['labels'][:8]}")
    for row in range(codes["height"]):
        print(" ".join(f"{index:4d}" for index in grid[row * codes["width"]:(row + 1) * codes["width"]]))
