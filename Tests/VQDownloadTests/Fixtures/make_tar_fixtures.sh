#!/bin/sh
# Makes the tar fixtures of TarArchiveTests with the system's GNU tar, so the reader is checked against
# archives a real tar wrote (not only the test's own builder). Run from this folder; needs GNU tar, gzip.
# Each archive holds: cifar-10-batches-bin/ (folder), data_batch_1.bin (3073 bytes: byte i = i mod 251),
# readme.txt ("tiny CIFAR-like archive\n"), a 120-character file name (GNU long name / pax path), and a
# symbolic link (which the reader skips).
set -eu
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/cifar-10-batches-bin"
python3 -c "import sys; sys.stdout.buffer.write(bytes(i % 251 for i in range(3073)))" > "$work/cifar-10-batches-bin/data_batch_1.bin"
printf 'tiny CIFAR-like archive\n' > "$work/cifar-10-batches-bin/readme.txt"
long=$(printf 'n%.0s' $(seq 1 116)).txt
printf 'long\n' > "$work/cifar-10-batches-bin/$long"
ln -s data_batch_1.bin "$work/cifar-10-batches-bin/link.bin"
for format in gnu pax; do
    tar --format=$format --owner=0 --group=0 --numeric-owner --mtime=2020-01-01 --sort=name \
        -C "$work" -cf - cifar-10-batches-bin | gzip -n -9 > "tiny-$format.tar.gz"
done
tar --version | head -1
