#!/usr/bin/env python3
"""Write the benchmark input: a smooth, realistic 256x256x256 uint16 volume (.npy).

Usage: python bench/make_input.py OUT.npy [SIZE]

A dark background with bright smooth structures (a sum of sines on a few scales, like a
fluorescence microscopy volume) plus read and shot-like noise, seeded, uint16.
Compresses about 2x with zstd, like real data.
"""

import sys

import numpy as np


def make(n: int) -> np.ndarray:
    rng = np.random.default_rng(20240601)
    z, y, x = (np.arange(n, dtype=np.float32).reshape(s) for s in ((n, 1, 1), (1, n, 1), (1, 1, n)))
    # smooth field of sines on a few scales; its upper part becomes bright structures
    field = np.sin(x / 9.0) * np.cos(y / 11.0) * np.sin(z / 13.0 + x / 40.0) + 0.5 * np.sin((x + 2 * y + z) / 29.0)
    signal = 3000.0 * np.maximum(field - 0.3, 0.0) ** 1.5
    # dark background of 100 counts, read noise (sd 5) and shot-like noise (5% of the signal)
    noise = rng.normal(0.0, 5.0, size=field.shape) + 0.05 * signal * rng.standard_normal(field.shape)
    return np.clip(np.rint(100.0 + signal + noise), 0, 65535).astype("<u2")


def main() -> int:
    out = sys.argv[1]
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 256
    np.save(out, make(n), allow_pickle=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
