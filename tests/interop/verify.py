#!/usr/bin/env python3
"""Check, with zarr-python, the arrays listed in DIR/manifest.json.

Usage: python tests/interop/verify.py DIR

DIR is a folder store holding the arrays (written by our Rust library, or by generate.py)
and manifest.json describing them (see README.md). For every entry this opens the array
with zarr-python (any warning is an error, except zarr-python's UnstableSpecificationWarning
for data types without a V3 spec), and checks the data type, shape, chunk shape, fill value
(bit for bit), attributes, dimension names and chunk keys when the manifest gives them, and
that every value equals the expected one bit for bit (NaN payloads and -0.0 included).

Prints one line per failure and a closing count; exits 1 if anything failed, else 0.
"""

from __future__ import annotations

import json
import os
import sys
import traceback
import warnings
from typing import Any

import numpy as np
import zarr
from zarr.errors import UnstableSpecificationWarning

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import NUMPY_DTYPES, chunk_keys, from_b64_list, load_manifest  # noqa: E402


class Mismatch(Exception):
    pass


def check(cond: bool, msg: str) -> None:
    if not cond:
        raise Mismatch(msg)


def fixed_bytes(values: Any, dtype: np.dtype) -> bytes:
    return np.asarray(values, dtype=dtype).tobytes()  # tobytes() is always C order


def canonical(value: Any) -> str:
    """JSON text with sorted keys: unlike ==, tells 1, 1.0 and true apart."""
    return json.dumps(value, sort_keys=True, allow_nan=True)


def load_expected(directory: str, entry: dict[str, Any]) -> np.ndarray:
    shape = tuple(entry["shape"])
    if "expected_json_values" in entry:
        return from_b64_list(entry["expected_json_values"], list(shape))
    expected = np.load(os.path.join(directory, entry["expected"]), allow_pickle=False)
    check(expected.shape == shape, f"expected .npy has shape {expected.shape}, manifest says {shape}")
    return expected


def first_diff(a: list[Any], b: list[Any], shape: tuple[int, ...]) -> str:
    for i, (x, y) in enumerate(zip(a, b)):
        if x != y:
            idx = np.unravel_index(i, shape) if shape else ()
            return f"at index {tuple(int(j) for j in idx)}: got {x!r}, expected {y!r}"
    return f"lengths differ: got {len(a)}, expected {len(b)}"


def compare_values(dtype: str, actual: np.ndarray, expected: np.ndarray) -> None:
    shape = expected.shape
    check(actual.shape == shape, f"read shape {actual.shape}, expected {shape}")
    if dtype == "string":
        got = [str(v) for v in actual.reshape(-1).tolist()]
        exp = [str(v) for v in expected.reshape(-1).tolist()]
        check(got == exp, "values differ " + first_diff(got, exp, shape))
    elif dtype == "variable_length_bytes":
        got = [bytes(v) for v in actual.reshape(-1).tolist()]
        exp = [bytes(v) for v in expected.reshape(-1).tolist()]
        check(got == exp, "values differ " + first_diff(got, exp, shape))
    else:
        ndt = np.dtype(NUMPY_DTYPES[dtype])
        check(
            actual.dtype.kind == ndt.kind and actual.dtype.itemsize == ndt.itemsize,
            f"zarr-python read dtype {actual.dtype}, expected {ndt}",
        )
        check(
            expected.dtype.kind == ndt.kind and expected.dtype.itemsize == ndt.itemsize,
            f"expected .npy has dtype {expected.dtype}, manifest says {dtype}",
        )
        if fixed_bytes(actual, ndt) != fixed_bytes(expected, ndt):
            # compare as unsigned integers of the element (or component) size: bitwise
            comp = ndt.itemsize // 2 if ndt.kind == "c" else ndt.itemsize
            uint = np.dtype(f"<u{comp}")
            got = np.frombuffer(fixed_bytes(actual, ndt), dtype=uint).tolist()
            exp = np.frombuffer(fixed_bytes(expected, ndt), dtype=uint).tolist()
            per = 2 if ndt.kind == "c" else 1
            for i, (x, y) in enumerate(zip(got, exp)):
                if x != y:
                    flat = i // per
                    idx = tuple(int(j) for j in np.unravel_index(flat, shape)) if shape else ()
                    a = actual.reshape(-1)[flat]
                    e = expected.reshape(-1)[flat]
                    raise Mismatch(
                        f"values differ at index {idx}: got {a!r} (bits {x:#x}), expected {e!r} (bits {y:#x})"
                    )
            raise Mismatch("values differ")


def compare_fill(arr: Any, entry: dict[str, Any]) -> None:
    zdt = arr.metadata.data_type
    want = zdt.from_json_scalar(entry["fill_value"], zarr_format=3)
    got = arr.metadata.fill_value
    dtype = entry["dtype"]
    if dtype in NUMPY_DTYPES:
        ndt = np.dtype(NUMPY_DTYPES[dtype])
        same = fixed_bytes(got, ndt) == fixed_bytes(want, ndt)
    elif dtype == "variable_length_bytes":
        same = bytes(got) == bytes(want)
    else:
        same = str(got) == str(want)
    check(same, f"fill_value is {got!r}, manifest says {entry['fill_value']!r} ({want!r})")


def verify_entry(directory: str, entry: dict[str, Any]) -> None:
    path = entry["path"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warnings.filterwarnings("ignore", category=UnstableSpecificationWarning)
        arr = zarr.open_array(store=directory, path=path, mode="r")
        md = arr.metadata.to_dict()
        check(md.get("zarr_format") == 3, f"zarr_format is {md.get('zarr_format')!r}, not 3")
        check(md.get("node_type") == "array", f"node_type is {md.get('node_type')!r}")

        dt_json = arr.metadata.data_type.to_json(zarr_format=3)
        check(dt_json == entry["dtype"], f"data_type is {dt_json!r}, manifest says {entry['dtype']!r}")
        check(tuple(arr.shape) == tuple(entry["shape"]), f"shape is {list(arr.shape)}, manifest says {entry['shape']}")
        if "chunks" in entry:
            check(list(arr.chunks) == list(entry["chunks"]), f"chunks are {list(arr.chunks)}, manifest says {entry['chunks']}")
        if "fill_value" in entry:
            compare_fill(arr, entry)
        if "attributes" in entry:
            check(canonical(md.get("attributes", {})) == canonical(entry["attributes"]),
                  f"attributes are {md.get('attributes')!r}, manifest says {entry['attributes']!r}")
        if "dimension_names" in entry:
            got = md.get("dimension_names")
            got = list(got) if got is not None else None
            check(got == entry["dimension_names"], f"dimension_names are {got!r}, manifest says {entry['dimension_names']!r}")
        if "chunk_keys" in entry:
            got_keys = chunk_keys(os.path.join(directory, path))
            check(got_keys == sorted(entry["chunk_keys"]),
                  f"chunk keys are {got_keys}, manifest says {sorted(entry['chunk_keys'])}")

        actual = np.asarray(arr[...])
    expected = load_expected(directory, entry)
    compare_values(entry["dtype"], actual, expected)


def main() -> int:
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    directory = sys.argv[1]
    try:
        entries = load_manifest(directory)
    except Exception as e:  # noqa: BLE001
        print(f"FAIL manifest: cannot read {os.path.join(directory, 'manifest.json')}: {e}")
        return 1
    passed = failed = 0
    for entry in entries:
        name = entry.get("path", "<no path>")
        try:
            verify_entry(directory, entry)
            passed += 1
        except Mismatch as e:
            failed += 1
            print(f"FAIL {name}: {e}")
        except Exception as e:  # noqa: BLE001
            failed += 1
            last = traceback.extract_tb(e.__traceback__)[-1]
            print(f"FAIL {name}: {type(e).__name__}: {e} ({os.path.basename(last.filename)}:{last.lineno})")
    if not entries:
        print("FAIL manifest: no arrays listed")
        failed += 1
    print(f"verify.py (zarr-python {zarr.__version__}): checked {len(entries)} arrays in {directory}")
    print(f"verify: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
