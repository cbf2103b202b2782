"""Reads a .vqc codes file written by `vqvae encode` (version 2, or version 1 from older releases),
following FORMATS.md only (an independent check of the documented layout). Prints the header and the
first grid; exits 1 with one line on a bad file.

    python3 Scripts/formats/read_vqc.py codes.vqc
"""
import struct
import sys
import zlib

INT64_MAX = 2**63 - 1


def read_vqc(path):
    data = open(path, "rb").read()
    if len(data) < 28:
        raise ValueError(f"{path}: too short ({len(data)} bytes)")
    magic, version, flags, count = struct.unpack_from("<4sHHI", data, 0)
    if magic != b"VQC1" or version not in (1, 2) or flags & ~1:
        raise ValueError(f"{path}: bad magic, version or flags")
    if version == 1:
        height, width, k = struct.unpack_from("<III", data, 12)
        shape, depth, start = [height, width], 1, 24
    else:
        rank, depth, k = struct.unpack_from("<III", data, 12)
        if not 1 <= rank <= 3 or depth < 1:
            raise ValueError(f"{path}: rank {rank} or depth {depth} out of range")
        start = 24 + 4 * rank
        if len(data) < start + 4:
            raise ValueError(f"{path}: too short for a header of rank {rank}")
        shape = list(struct.unpack_from(f"<{rank}I", data, 24))
    if min(shape) < 1 or k < 1:
        raise ValueError(f"{path}: a side or K is 0")
    positions = 1
    for side in shape:
        positions *= side
    if positions * depth > INT64_MAX:
        raise ValueError(f"{path}: a grid of {shape} and depth {depth} is too large")
    bits = max(1, (k - 1).bit_length())
    values = count * positions * depth
    packed = (values * bits + 7) // 8
    labels_size = 4 * count if flags & 1 else 0
    if start + packed + labels_size + 4 != len(data):  # Python's integers do not overflow
        raise ValueError(f"{path}: length {len(data)} does not match the header")
    if zlib.crc32(data[:-4]) != struct.unpack_from("<I", data, len(data) - 4)[0]:
        raise ValueError(f"{path}: checksum mismatch")
    stream = int.from_bytes(data[start:start + packed], "big")  # MSB first: the first code is the top bits
    shift = packed * 8 - bits
    indices = []
    for _ in range(values):
        indices.append((stream >> shift) & ((1 << bits) - 1))
        shift -= bits
    if stream & ((1 << (shift + bits)) - 1):
        raise ValueError(f"{path}: non-zero padding bits")
    labels = list(struct.unpack_from(f"<{count}i", data, start + packed)) if flags & 1 else []
    if any(index >= k for index in indices):
        raise ValueError(f"{path}: an index is not below K")
    return dict(version=version, count=count, shape=shape, depth=depth, k=k, bits=bits, indices=indices, labels=labels)


if __name__ == "__main__":
    try:
        codes = read_vqc(sys.argv[1])
    except (OSError, ValueError) as error:
        print(error, file=sys.stderr)
        sys.exit(1)
    shape, depth = codes["shape"], codes["depth"]
    print(f"version {codes['version']}: {codes['count']} grids of {'x'.join(map(str, shape))}, depth {depth}, "
          f"K {codes['k']}, {codes['bits']} bits, labels {codes['labels'][:8]}")
    if codes["count"]:
        # The first grid, one line per row of its last side; a position's D indices joined by "/".
        width = shape[-1]
        per_grid = len(codes["indices"]) // codes["count"]
        cells = ["/".join(map(str, codes["indices"][i:i + depth])) for i in range(0, per_grid, depth)]
        pad = max(4, max(map(len, cells)))
        for row in range(0, len(cells), width):
            print(" ".join(f"{cell:>{pad}}" for cell in cells[row:row + width]))
