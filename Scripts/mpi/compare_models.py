"""Compares two model files (safetensors) weight by weight: the relative difference of all
parameters and buffers laid end to end, ||a - b|| / ||b||, the largest absolute difference, and the
tensors that differ most. Exits with status 1 when the relative difference is above --tolerance.
For the data-parallel acceptance (issue 14): the model of `mpirun -np 2 vqvae train ...` against
the model of the same command in one process.

    python3 Scripts/mpi/compare_models.py runs/mpi2/model.safetensors runs/single/model.safetensors --tolerance 1e-5

Needs numpy only (the safetensors layout is read directly: an 8-byte little-endian header length,
a JSON header of dtype, shape and data offsets, then the data).
"""
import argparse, json, struct, sys

import numpy as np


def load(path):
    with open(path, "rb") as file:
        data = file.read()
    length = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8:8 + length])
    body = data[8 + length:]
    tensors = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        if entry["dtype"] != "F32":
            sys.exit(f"{path}: {name} is {entry['dtype']}, only F32 is compared")
        start, end = entry["data_offsets"]
        tensors[name] = np.frombuffer(body[start:end], dtype="<f4").astype(np.float64)
    return tensors, header.get("__metadata__", {})


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("a", help="a model file, e.g. the MPI run's")
    parser.add_argument("b", help="the reference model file, e.g. the single process's")
    parser.add_argument("--tolerance", type=float, default=1e-5, help="largest relative difference accepted (default 1e-5)")
    parser.add_argument("--show", type=int, default=5, help="tensors listed, largest relative difference first")
    args = parser.parse_args()
    a, metadata_a = load(args.a)
    b, metadata_b = load(args.b)
    if sorted(a) != sorted(b):
        sys.exit(f"the files hold different tensors: only in a {sorted(set(a) - set(b))}, only in b {sorted(set(b) - set(a))}")
    names = sorted(b)
    difference = np.concatenate([a[name] - b[name] for name in names])
    reference = np.concatenate([b[name] for name in names])
    relative = float(np.linalg.norm(difference) / np.linalg.norm(reference))
    print(f"{len(names)} tensors, {reference.size} values, steps {metadata_a.get('step', '?')} and {metadata_b.get('step', '?')}")
    print(f"relative difference ||a - b|| / ||b|| = {relative:.3e}; largest absolute difference {np.abs(difference).max():.3e}; "
          f"identical values {np.mean(difference == 0) * 100:.1f}%")
    ranked = sorted(names, key=lambda name: -np.linalg.norm(a[name] - b[name]) / max(np.linalg.norm(b[name]), 1e-30))
    for name in ranked[:args.show]:
        print(f"  {name}: relative {np.linalg.norm(a[name] - b[name]) / max(np.linalg.norm(b[name]), 1e-30):.3e}")
    verdict = "within" if relative <= args.tolerance else "ABOVE"
    print(f"{verdict} the tolerance {args.tolerance:g}")
    sys.exit(0 if relative <= args.tolerance else 1)


if __name__ == "__main__":
    main()
