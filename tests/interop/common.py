"""Shared helpers for the interop fixture scripts (generate.py, verify.py).

See README.md in this folder for the manifest format.
"""

from __future__ import annotations

import base64
import json
import os
import warnings
from typing import Any

import numpy as np

MANIFEST = "manifest.json"

# V3 data type name -> numpy dtype of the expected .npy (fixed-size types only).
NUMPY_DTYPES: dict[str, str] = {
    "bool": "|b1",
    "int8": "|i1",
    "int16": "<i2",
    "int32": "<i4",
    "int64": "<i8",
    "uint8": "|u1",
    "uint16": "<u2",
    "uint32": "<u4",
    "uint64": "<u8",
    "float16": "<f2",
    "float32": "<f4",
    "float64": "<f8",
    "complex64": "<c8",
    "complex128": "<c16",
}
VARIABLE_LENGTH = ("string", "variable_length_bytes")


def quiet_zarr_warnings() -> None:
    """Silence zarr-python's warning that variable_length_bytes has no V3 spec."""
    from zarr.errors import UnstableSpecificationWarning

    warnings.filterwarnings("ignore", category=UnstableSpecificationWarning)


def load_manifest(directory: str) -> list[dict[str, Any]]:
    with open(os.path.join(directory, MANIFEST), encoding="utf-8") as f:
        doc = json.load(f)
    if isinstance(doc, list):  # a bare list of entries is accepted too
        return doc
    return doc["arrays"]


def b64_list(values: np.ndarray) -> list[str]:
    """Flat C-order list of base64 strings for an array of bytes objects."""
    return [base64.b64encode(bytes(v)).decode("ascii") for v in values.reshape(-1)]


def from_b64_list(items: list[str], shape: list[int]) -> np.ndarray:
    out = np.empty(len(items), dtype=object)
    for i, s in enumerate(items):
        out[i] = base64.b64decode(s)
    return out.reshape(tuple(shape))


def chunk_keys(array_dir: str) -> list[str]:
    """Every file under an array's folder except its zarr.json, '/'-separated, sorted."""
    keys = []
    for root, _dirs, files in os.walk(array_dir):
        for name in files:
            rel = os.path.relpath(os.path.join(root, name), array_dir).replace(os.sep, "/")
            if rel != "zarr.json":
                keys.append(rel)
    return sorted(keys)
