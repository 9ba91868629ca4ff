"""Check Zarr V2 arrays written by crates/zarr/tests/v2.rs with zarr-python 3.4.2.

Usage: v2_verify.py FIXTURES OURS. For every name in FIXTURES/manifest.json,
OURS/<name> must have the same .zarray and .zattrs documents as the
zarr-python fixture, the same chunk keys, and read back the same values.
"""
import json
import os
import sys

import numpy as np
import zarr

fix, ours = sys.argv[1], sys.argv[2]
names = json.load(open(os.path.join(fix, "manifest.json")))
bad = []


def files(d):
    return sorted(os.path.relpath(os.path.join(r, f), d) for r, _, fs in os.walk(d) for f in fs)


for name in names:
    a, b = os.path.join(fix, name), os.path.join(ours, name)
    for doc in [".zarray", ".zattrs"]:
        ja, jb = json.load(open(os.path.join(a, doc))), json.load(open(os.path.join(b, doc)))
        if ja != jb:
            bad.append(f"{name}/{doc}: zarr-python {ja} ours {jb}")
    if files(a) != files(b):
        bad.append(f"{name}: keys {files(a)} vs ours {files(b)}")
    x = zarr.open_array(a, mode="r")[...]
    y = zarr.open_array(b, mode="r")[...]
    if x.dtype != y.dtype or x.shape != y.shape:
        bad.append(f"{name}: {x.dtype}{x.shape} vs ours {y.dtype}{y.shape}")
    elif x.dtype.kind in "fc":
        if not np.array_equal(x, y, equal_nan=True):
            bad.append(f"{name}: values differ")
    elif not np.array_equal(x, y):
        bad.append(f"{name}: values differ")

for line in bad:
    print(line)
print(f"{len(names) - len(bad)} of {len(names)} ok" if not bad else f"{len(bad)} problems")
sys.exit(1 if bad else 0)
