#!/usr/bin/env python3
"""Benchmark peer using tensorstore (zarr3 driver).

  peer_tensorstore.py write INPUT.npy STORE CHUNKS ZSTD_LEVEL   (CHUNKS like 64,64,64)
  peer_tensorstore.py read STORE OUTPUT.npy

Same work as the other peers: see peer_zarr_python.py.
"""

import os
import sys

import numpy as np
import tensorstore as ts


def kvstore(store: str) -> dict:
    return {"driver": "file", "path": os.path.abspath(store) + "/"}


def write(inp: str, store: str, chunks: str, level: str) -> None:
    data = np.load(inp)
    spec = {
        "driver": "zarr3",
        "kvstore": kvstore(store),
        "metadata": {
            "shape": list(data.shape),
            "data_type": data.dtype.name,
            "chunk_grid": {
                "name": "regular",
                "configuration": {"chunk_shape": [int(c) for c in chunks.split(",")]},
            },
            "chunk_key_encoding": {"name": "default"},
            "fill_value": 0,
            "codecs": [
                {"name": "bytes", "configuration": {"endian": "little"}},
                {"name": "zstd", "configuration": {"level": int(level), "checksum": False}},
            ],
        },
        "create": True,
        "delete_existing": True,
    }
    arr = ts.open(spec).result()
    arr.write(data).result()


def read(store: str, out: str) -> None:
    arr = ts.open({"driver": "zarr3", "kvstore": kvstore(store), "open": True}, read=True).result()
    np.save(out, arr.read().result(), allow_pickle=False)


if __name__ == "__main__":
    if sys.argv[1] == "write":
        write(*sys.argv[2:6])
    else:
        read(*sys.argv[2:4])
