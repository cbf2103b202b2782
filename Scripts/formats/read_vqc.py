"""Reads a .vqc codes file written by `vqvae encode` (version 2, regular or ragged, or version 1 from
older releases), following FORMATS.md only (an independent check of the documented layout). Prints the
header, each item's length for a ragged file, and the first grid; exits 1 with one line on a bad file.

    python3 Scripts/formats/read_vqc.py codes.vqc
"""
import struct
import sys
import zlib

INT64_MAX = 2**63 - 1
LABELS, RAGGED, SPEAKERS = 1, 2, 4


def read_vqc(path):
    data = open(path, "rb").read()
    if len(data) < 28:
        raise ValueError(f"{path}: too short ({len(data)} bytes)")
    magic, version, flags, count = struct.unpack_from("<4sHHI", data, 0)
    known = LABELS if version == 1 else LABELS | RAGGED | SPEAKERS
    if magic != b"VQC1" or version not in (1, 2) or flags & ~known:
        raise ValueError(f"{path}: bad magic, version or flags")
    ragged = bool(flags & RAGGED)
    if version == 1:
        height, width, k = struct.unpack_from("<III", data, 12)
        shape, depth, start = [height, width], 1, 24
    else:
        rank, depth, k = struct.unpack_from("<III", data, 12)
        if not 1 <= rank <= 3 or depth < 1:
            raise ValueError(f"{path}: rank {rank} or depth {depth} out of range")
        if ragged and rank != 1:
            raise ValueError(f"{path}: ragged grids of rank {rank} (only rank 1 can be ragged)")
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
    lengths = None
    if ragged:
        if len(data) < start + 4 * count + 4:  # the lengths table must be there before it is read
            raise ValueError(f"{path}: too short for the lengths of {count} grids")
        lengths = list(struct.unpack_from(f"<{count}I", data, start))
        start += 4 * count
        longest = shape[0]
        if any(not 1 <= length <= longest for length in lengths):
            raise ValueError(f"{path}: a length is not in 1..{longest}")
        if longest != max(lengths, default=1):
            raise ValueError(f"{path}: the header's longest length {longest} is not the longest length")
        total = sum(lengths)
    else:
        total = count * positions
    if total * depth > INT64_MAX:
        raise ValueError(f"{path}: the grids hold too many indices")
    bits = max(1, (k - 1).bit_length())
    values = total * depth
    packed = (values * bits + 7) // 8
    tables = (bool(flags & LABELS) + bool(flags & SPEAKERS)) * 4 * count
    if start + packed + tables + 4 != len(data):  # Python's integers do not overflow
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
    offset = start + packed
    labels = speakers = []
    if flags & LABELS:
        labels = list(struct.unpack_from(f"<{count}i", data, offset))
        offset += 4 * count
    if flags & SPEAKERS:
        speakers = list(struct.unpack_from(f"<{count}i", data, offset))
    if any(index >= k for index in indices):
        raise ValueError(f"{path}: an index is not below K")
    return dict(version=version, count=count, shape=shape, depth=depth, k=k, bits=bits, indices=indices,
                lengths=lengths, labels=labels, speakers=speakers)


if __name__ == "__main__":
    try:
        codes = read_vqc(sys.argv[1])
    except (OSError, ValueError) as error:
        print(error, file=sys.stderr)
        sys.exit(1)
    shape, depth, lengths = codes["shape"], codes["depth"], codes["lengths"]
    grids = f"ragged sequences of at most {shape[0]}" if lengths is not None else f"grids of {'x'.join(map(str, shape))}"
    print(f"version {codes['version']}: {codes['count']} {grids}, depth {depth}, K {codes['k']}, {codes['bits']} bits, "
          f"labels {codes['labels'][:8]}, speakers {codes['speakers'][:8]}")
    if lengths is not None:
        for item, length in enumerate(lengths):
            print(f"item {item}: length {length}")
    if codes["count"]:
        # The first grid, one line per row of its last side (a ragged sequence: one line); a position's
        # D indices joined by "/".
        width = lengths[0] if lengths is not None else shape[-1]
        per_grid = width * depth if lengths is not None else len(codes["indices"]) // codes["count"]
        cells = ["/".join(map(str, codes["indices"][i:i + depth])) for i in range(0, per_grid, depth)]
        pad = max(4, max(map(len, cells)))
        for row in range(0, len(cells), width):
            print(" ".join(f"{cell:>{pad}}" for cell in cells[row:row + width]))
