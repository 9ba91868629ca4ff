"""TensorStore as an interoperability peer for crates/zarr/tests/tensorstore_interop.rs.

Usage:
  python tests/interop/tensorstore_peer.py write DIR   # TensorStore writes arrays + DIR/manifest.json
  python tests/interop/tensorstore_peer.py read DIR    # TensorStore reads the arrays listed in DIR/manifest.json

Each manifest entry: {"path", "driver" ("zarr3" or "zarr"), "expected": file of the expected values as
little-endian C-order bytes, "dtype": numpy type string of those bytes, "shape"}.
"""

import json
import os
import sys

import ml_dtypes
import numpy as np
import tensorstore as ts
from importlib.metadata import version

VERSION = version("tensorstore")


BF16 = np.dtype(ml_dtypes.bfloat16)


def le(a: np.ndarray) -> bytes:
    if a.dtype == BF16:  # ml_dtypes' bfloat16 is native (little-endian here)
        return np.ascontiguousarray(a).tobytes()
    return np.ascontiguousarray(a.astype(a.dtype.newbyteorder("<"))).tobytes()


def dtype_name(d: np.dtype) -> str:
    return "bfloat16" if d == BF16 else d.newbyteorder("<").str


def dtype_of(name: str) -> np.dtype:
    return BF16 if name == "bfloat16" else np.dtype(name)


def values(dtype: np.dtype, shape) -> np.ndarray:
    n = int(np.prod(shape))
    i = np.arange(n)
    if dtype.kind == "b":
        v = i % 3 == 1
    elif dtype.kind in "iu":
        v = (i * 7919 + 5) % (200 if dtype.itemsize == 1 else 60001)
        if dtype.kind == "i":
            v = v - (100 if dtype.itemsize == 1 else 30000)
    elif dtype == BF16:
        v = (i * 0.37 - 11.5).astype(np.float32)
        v[i % 11 == 3] = np.nan
        v[i % 11 == 7] = -np.inf
    elif dtype.kind == "c":
        v = i * 0.5 - 3.25 + 1j * (i % 7)
    else:
        v = i * 0.37 - 11.5
        v[i % 11 == 3] = np.nan
        v[i % 11 == 7] = np.inf
        v[i % 11 == 9] = -0.0
    return v.astype(dtype).reshape(shape)


def regular(shape):
    return {"name": "regular", "configuration": {"chunk_shape": list(shape)}}


# (name, driver, metadata, region written (None: everything))
CASES = [
    ("v3/default_int16", "zarr3", {"shape": [10, 7], "chunk_grid": regular([4, 3]), "data_type": "int16"}, None),
    ("v3/sharded_float32", "zarr3", {
        "shape": [16, 9], "data_type": "float32", "chunk_grid": regular([8, 9]),
        "codecs": [{"name": "sharding_indexed", "configuration": {
            "chunk_shape": [4, 3],
            "codecs": [{"name": "bytes", "configuration": {"endian": "little"}},
                       {"name": "zstd", "configuration": {"level": 1}}],
            "index_codecs": [{"name": "bytes", "configuration": {"endian": "little"}}, {"name": "crc32c"}],
            "index_location": "end"}}]}, None),
    ("v3/sharded_start_partial", "zarr3", {
        "shape": [20, 10], "data_type": "uint8", "chunk_grid": regular([8, 8]), "fill_value": 9,
        "codecs": [{"name": "sharding_indexed", "configuration": {
            "chunk_shape": [4, 4], "codecs": [{"name": "bytes"}, {"name": "gzip", "configuration": {"level": 1}}],
            "index_codecs": [{"name": "bytes", "configuration": {"endian": "little"}}],
            "index_location": "start"}}]}, (slice(2, 11), slice(0, 5))),
    ("v3/transpose_big_blosc_uint32", "zarr3", {
        "shape": [5, 6, 7], "data_type": "uint32", "chunk_grid": regular([2, 3, 4]), "fill_value": 7,
        "codecs": [{"name": "transpose", "configuration": {"order": [2, 0, 1]}},
                   {"name": "bytes", "configuration": {"endian": "big"}},
                   {"name": "blosc", "configuration": {"cname": "lz4", "clevel": 5, "shuffle": "shuffle",
                                                       "typesize": 4}}],
        "dimension_names": ["z", "y", None]}, None),
    ("v3/bool_gzip", "zarr3", {"shape": [11], "data_type": "bool", "chunk_grid": regular([4]),
                               "codecs": [{"name": "bytes"}, {"name": "gzip", "configuration": {"level": 5}}]}, None),
    ("v3/complex64", "zarr3", {"shape": [6, 5], "data_type": "complex64", "chunk_grid": regular([4, 2])}, None),
    ("v3/float64_nan_fill_missing", "zarr3", {"shape": [9, 9], "data_type": "float64", "chunk_grid": regular([4, 4]),
                                              "fill_value": "NaN"}, (slice(0, 4), slice(0, 9))),
    ("v3/int64_crc32c_dot_keys", "zarr3", {
        "shape": [7, 3], "data_type": "int64", "chunk_grid": regular([3, 3]),
        "chunk_key_encoding": {"name": "default", "configuration": {"separator": "."}},
        "codecs": [{"name": "bytes", "configuration": {"endian": "little"}}, {"name": "crc32c"}]}, None),
    ("v3/bfloat16", "zarr3", {"shape": [7, 6], "data_type": "bfloat16", "chunk_grid": regular([4, 4]),
                               "fill_value": 1.5}, (slice(0, 4), slice(0, 6))),
    ("v2/default_f8", "zarr", {"shape": [10, 7], "chunks": [4, 3], "dtype": "<f8"}, None),
    ("v2/F_blosc_i4be_slash", "zarr", {"shape": [10, 7], "chunks": [4, 3], "dtype": ">i4", "order": "F",
                                       "compressor": {"id": "blosc", "cname": "zstd", "clevel": 3, "shuffle": 2},
                                       "dimension_separator": "/"}, None),
    ("v2/zlib_u2_fill", "zarr", {"shape": [13], "chunks": [5], "dtype": "<u2", "fill_value": 3,
                                 "compressor": {"id": "zlib", "level": 1}}, (slice(5, 10),)),
]


def write(d: str) -> None:
    manifest = []
    for name, driver, metadata, region in CASES:
        t = ts.open({"driver": driver, "kvstore": {"driver": "file", "path": os.path.join(d, name)},
                     "metadata": metadata}, create=True, delete_existing=True).result()
        dt = t.dtype.numpy_dtype
        data = values(dt, t.shape)
        if region is None:
            t[...].write(data).result()
        else:
            t[region].write(data[region]).result()
        expected = t.read().result()  # the fill value where nothing was written
        exp = f"{name.replace('/', '__')}.bin"
        with open(os.path.join(d, exp), "wb") as f:
            f.write(le(expected))
        manifest.append({"path": name, "driver": driver, "expected": exp,
                         "dtype": dtype_name(expected.dtype), "shape": list(t.shape)})
    with open(os.path.join(d, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)
    print(f"tensorstore {VERSION}: wrote {len(manifest)} arrays")


def read(d: str) -> None:
    with open(os.path.join(d, "manifest.json")) as f:
        manifest = json.load(f)
    failures = []
    for e in manifest:
        try:
            t = ts.open({"driver": e["driver"], "kvstore": {"driver": "file", "path": os.path.join(d, e["path"])}},
                        open=True).result()
            got = t.read().result()
            with open(os.path.join(d, e["expected"]), "rb") as f:
                want = np.frombuffer(f.read(), dtype=dtype_of(e["dtype"])).reshape(e["shape"])
            if list(got.shape) != e["shape"]:
                failures.append(f"{e['path']}: shape {got.shape} != {e['shape']}")
            elif le(got) != le(want.astype(got.dtype)) or dtype_name(got.dtype) != dtype_name(want.dtype):
                failures.append(f"{e['path']}: values or dtype differ ({got.dtype} vs {want.dtype})")
        except Exception as ex:  # one line per array, then fail at the end
            failures.append(f"{e['path']}: {type(ex).__name__}: {ex}")
    for f in failures:
        print("FAIL", f)
    print(f"tensorstore {VERSION}: read {len(manifest) - len(failures)}/{len(manifest)} arrays exactly")
    if failures:
        sys.exit(1)


if __name__ == "__main__":
    {"write": write, "read": read}[sys.argv[1]](sys.argv[2])
