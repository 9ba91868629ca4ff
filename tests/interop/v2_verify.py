"""Check Zarr V2 arrays written by crates/zarr/tests/v2.rs with zarr-python 3.4.2 (or 2.18).

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
    return sorted(os.path.relpath(os.path.join(r, f), d) for r, _, fs in os.walk(d) for f in fs
                  if f != ".zattrs")


for name in names:
    a, b = os.path.join(fix, name), os.path.join(ours, name)
    for doc in [".zarray", ".zattrs"]:
        pa = os.path.join(a, doc)
        # zarr-python 2 writes no .zattrs without attributes.
        ja = json.load(open(pa)) if os.path.exists(pa) else {}
        jb = json.load(open(os.path.join(b, doc)))
        if doc == ".zarray":
            # zarr-python 2 leaves out the default separator; we always write it.
            ja.setdefault("dimension_separator", ".")
            # zarr-python 2 writes 0 as the fill value of object arrays.
            if ja["dtype"] == "|O" and not isinstance(ja["fill_value"], str):
                ja["fill_value"] = jb["fill_value"]
        if ja != jb:
            bad.append(f"{name}/{doc}: zarr-python {ja} ours {jb}")
    if zarr.__version__.startswith("2."):
        # zarr-python 2 also stores chunks that hold only the fill value.
        if not set(files(b)) <= set(files(a)):
            bad.append(f"{name}: keys {files(a)} vs ours {files(b)}")
    elif json.load(open(os.path.join(a, ".zarray")))["fill_value"] is None:
        # With a null fill value we store every chunk (zarr-python 2 would
        # read a missing one as uninitialized memory); zarr-python 3 does not.
        if not set(files(a)) <= set(files(b)):
            bad.append(f"{name}: keys {files(a)} vs ours {files(b)}")
    elif files(a) != files(b):
        bad.append(f"{name}: keys {files(a)} vs ours {files(b)}")
    x = zarr.open_array(a, mode="r")[...]
    y = zarr.open_array(b, mode="r")[...]
    if x.dtype != y.dtype or x.shape != y.shape:
        bad.append(f"{name}: {x.dtype}{x.shape} vs ours {y.dtype}{y.shape}")
    elif x.dtype.kind in "fcmM":  # NaN and NaT equal themselves
        if not np.array_equal(x, y, equal_nan=True):
            bad.append(f"{name}: values differ")
    elif not np.array_equal(x, y):
        bad.append(f"{name}: values differ")

for line in bad:
    print(line)
print(f"{len(names) - len(bad)} of {len(names)} ok" if not bad else f"{len(bad)} problems")
sys.exit(1 if bad else 0)
