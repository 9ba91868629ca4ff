#!/usr/bin/env python3
"""Benchmark peer using zarr-python.

  peer_zarr_python.py write INPUT.npy STORE CHUNKS ZSTD_LEVEL   (CHUNKS like 64,64,64)
  peer_zarr_python.py read STORE OUTPUT.npy

write: read the .npy, create a V3 array at the root of STORE (bytes little + zstd, no
checksum), write all of it. read: open the array, read all of it, write an .npy.
"""

import sys

import numpy as np
import zarr
from zarr.codecs import ZstdCodec


def write(inp: str, store: str, chunks: str, level: str) -> None:
    data = np.load(inp)
    arr = zarr.create_array(
        store,
        shape=data.shape,
        chunks=tuple(int(c) for c in chunks.split(",")),
        dtype=data.dtype,
        compressors=[ZstdCodec(level=int(level), checksum=False)],
        fill_value=0,
        overwrite=True,
    )
    arr[...] = data


def read(store: str, out: str) -> None:
    arr = zarr.open_array(store, mode="r")
    np.save(out, arr[...], allow_pickle=False)


if __name__ == "__main__":
    if sys.argv[1] == "write":
        write(*sys.argv[2:6])
    else:
        read(*sys.argv[2:4])
