#!/usr/bin/env python3
"""Benchmark peer using zarr-python.

  peer_zarr_python.py write INPUT.npy STORE CHUNKS ZSTD_LEVEL [SHARDS]   (CHUNKS like 64,64,64)
  peer_zarr_python.py read STORE OUTPUT.npy
  peer_zarr_python.py boxes STORE BOXES.txt SIZE OUTPUT.npy
  peer_zarr_python.py select STORE points|rows FILE OUTPUT.npy

write: read the .npy, create a V3 array at the root of STORE (bytes little + zstd, no
checksum), write all of it; with SHARDS, sharded (shards SHARDS, inner chunks CHUNKS, the
zstd inside the sharding codec). read: open the array, read all of it, write an .npy.
boxes: open the array, read a SIZE^ndim box at each start of BOXES.txt (`z,y,x` a line),
one read each, stack them into OUTPUT.npy; prints `inner_s: SECONDS` (open + box reads).
select: open the array and read one selection: `points` (FILE: `z,y,x` a line) by
`vindex`, or `rows` (FILE: an index of axis 0 a line) by `oindex[rows]`; prints inner_s.
"""

import time

import sys

import numpy as np
import zarr
from zarr.codecs import ZstdCodec


def write(inp: str, store: str, chunks: str, level: str, shards: str | None = None) -> None:
    data = np.load(inp)
    arr = zarr.create_array(
        store,
        shape=data.shape,
        chunks=tuple(int(c) for c in chunks.split(",")),
        shards=tuple(int(c) for c in shards.split(",")) if shards else None,
        dtype=data.dtype,
        compressors=[ZstdCodec(level=int(level), checksum=False)],
        fill_value=0,
        overwrite=True,
    )
    arr[...] = data


def read(store: str, out: str) -> None:
    arr = zarr.open_array(store, mode="r")
    np.save(out, arr[...], allow_pickle=False)


def boxes(store: str, boxes_txt: str, size: str, out: str) -> None:
    n = int(size)
    starts = [tuple(int(v) for v in line.split(",")) for line in open(boxes_txt) if line.strip()]
    t = time.perf_counter()
    arr = zarr.open_array(store, mode="r")
    parts = [arr[tuple(slice(s, s + n) for s in b)] for b in starts]
    inner = time.perf_counter() - t
    np.save(out, np.stack(parts), allow_pickle=False)
    print(f"inner_s: {inner:.6f}")


def load_select(kind: str, path: str) -> np.ndarray:
    v = np.loadtxt(path, delimiter=",", dtype=np.int64, ndmin=2)
    return v if kind == "points" else v[:, 0]


def select(store: str, kind: str, path: str, out: str) -> None:
    idx = load_select(kind, path)
    t = time.perf_counter()
    arr = zarr.open_array(store, mode="r")
    got = arr.vindex[tuple(idx.T)] if kind == "points" else arr.oindex[idx]
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
