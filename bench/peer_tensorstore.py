#!/usr/bin/env python3
"""Benchmark peer using tensorstore (zarr3 driver).

  peer_tensorstore.py write INPUT.npy STORE CHUNKS ZSTD_LEVEL [SHARDS]   (CHUNKS like 64,64,64)
  peer_tensorstore.py read STORE OUTPUT.npy
  peer_tensorstore.py boxes STORE BOXES.txt SIZE OUTPUT.npy
  peer_tensorstore.py select STORE points|rows FILE OUTPUT.npy

Same work as the other peers: see peer_zarr_python.py.
"""

import os
import sys
import time

import numpy as np
import tensorstore as ts


def kvstore(store: str) -> dict:
    return {"driver": "file", "path": os.path.abspath(store) + "/"}


def write(inp: str, store: str, chunks: str, level: str, shards: str | None = None) -> None:
    data = np.load(inp)
    chunk_shape = [int(c) for c in chunks.split(",")]
    codecs = [
        {"name": "bytes", "configuration": {"endian": "little"}},
        {"name": "zstd", "configuration": {"level": int(level), "checksum": False}},
    ]
    if shards:
        # As zarr-python writes it: inner chunks inside sharding_indexed, crc32c index at the end.
        codecs = [{
            "name": "sharding_indexed",
            "configuration": {
                "chunk_shape": chunk_shape,
                "codecs": codecs,
                "index_codecs": [{"name": "bytes", "configuration": {"endian": "little"}}, {"name": "crc32c"}],
                "index_location": "end",
            },
        }]
        chunk_shape = [int(c) for c in shards.split(",")]
    spec = {
        "driver": "zarr3",
        "kvstore": kvstore(store),
        "metadata": {
            "shape": list(data.shape),
            "data_type": data.dtype.name,
            "chunk_grid": {
                "name": "regular",
                "configuration": {"chunk_shape": chunk_shape},
            },
            "chunk_key_encoding": {"name": "default"},
            "fill_value": 0,
            "codecs": codecs,
        },
        "create": True,
        "delete_existing": True,
    }
    arr = ts.open(spec).result()
    arr.write(data).result()


def read(store: str, out: str) -> None:
    arr = ts.open({"driver": "zarr3", "kvstore": kvstore(store), "open": True}, read=True).result()
    np.save(out, arr.read().result(), allow_pickle=False)


def boxes(store: str, boxes_txt: str, size: str, out: str) -> None:
    n = int(size)
    starts = [tuple(int(v) for v in line.split(",")) for line in open(boxes_txt) if line.strip()]
    t = time.perf_counter()
    arr = ts.open({"driver": "zarr3", "kvstore": kvstore(store), "open": True}, read=True).result()
    parts = [arr[tuple(slice(s, s + n) for s in b)].read().result() for b in starts]
    inner = time.perf_counter() - t
    np.save(out, np.stack(parts), allow_pickle=False)
    print(f"inner_s: {inner:.6f}")


def select(store: str, kind: str, path: str, out: str) -> None:
    v = np.loadtxt(path, delimiter=",", dtype=np.int64, ndmin=2)
    t = time.perf_counter()
    arr = ts.open({"driver": "zarr3", "kvstore": kvstore(store), "open": True}, read=True).result()
    if kind == "points":
        got = arr.vindex[tuple(v.T)].read().result()
    else:
        got = arr.oindex[v[:, 0]].read().result()
    inner = time.perf_counter() - t
    np.save(out, got, allow_pickle=False)
    print(f"inner_s: {inner:.6f}")


if __name__ == "__main__":
    if sys.argv[1] == "select":
        select(*sys.argv[2:6])
    elif sys.argv[1] == "write":
        write(*sys.argv[2:7])
    elif sys.argv[1] == "boxes":
        boxes(*sys.argv[2:6])
    else:
        read(*sys.argv[2:4])
