#!/usr/bin/env python3
"""Write a matrix of Zarr V3 arrays with zarr-python into OUTDIR, plus OUTDIR/manifest.json.

Usage: python tests/interop/generate.py OUTDIR

OUTDIR is a folder store; each array lives at its manifest "path" inside it and its exact
values are saved as OUTDIR/expected/<name>.npy. See README.md for the manifest format.
The data is deterministic (seeded numpy RNG), so the same zarr-python version always writes
the same fixtures.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from typing import Any

import numcodecs
import numpy as np
import zarr
import zarr.codecs.numcodecs as zn
from zarr.codecs import (
    BloscCodec,
    BytesCodec,
    Crc32cCodec,
    GzipCodec,
    TransposeCodec,
    VLenBytesCodec,
    VLenUTF8Codec,
    ZstdCodec,
)
from zarr.core.dtype import VariableLengthBytes

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import MANIFEST, NUMPY_DTYPES, b64_list, chunk_keys, quiet_zarr_warnings  # noqa: E402

ALL_DTYPES = list(NUMPY_DTYPES) + ["string", "variable_length_bytes"]

STRING_POOL = [
    "",
    "a",
    "hello",
    "abc",
    "é",
    "naïve café",
    "中文字符",
    "🙂 emoji 🚀",
    "tab\tnew\nline",
    "mid\x00nul",
    'quote" back\\slash',
    "x" * 300,
    "Ünïcödé " * 20,
]
BYTES_POOL = [
    b"",
    b"a",
    b"\x00\x01\x02x",
    b"\xff\xfe\xfd",
    bytes(range(1, 256)),
    b"abc" * 100,
    b"mid\x00nul",
    b"xyz",
]


def make_values(dtype: str, shape: tuple[int, ...], seed: int) -> np.ndarray:
    """Deterministic values of `dtype` (a V3 data type name) with interesting specials."""
    rng = np.random.default_rng(seed)
    n = int(np.prod(shape, dtype=np.int64))
    if dtype == "bool":
        flat = rng.random(n) < 0.5
    elif dtype.startswith(("int", "uint")):
        dt = np.dtype(NUMPY_DTYPES[dtype])
        info = np.iinfo(dt)
        flat = rng.integers(info.min, info.max, size=n, dtype=dt, endpoint=True)
        flat[: min(n, 3)] = [info.min, info.max, 0][: min(n, 3)]
    elif dtype.startswith("float"):
        flat = float_values(dtype, n, rng)
    elif dtype.startswith("complex"):
        part = "float32" if dtype == "complex64" else "float64"
        re = float_values(part, n, rng)
        im = float_values(part, n, rng)[::-1].copy()
        flat = np.empty(n, dtype=NUMPY_DTYPES[dtype])
        flat.real = re
        flat.imag = im
    elif dtype == "string":
        idx = rng.integers(0, len(STRING_POOL) + 4, size=n)
        items = []
        for i, k in enumerate(idx):
            if k < len(STRING_POOL):
                items.append(STRING_POOL[k])
            else:  # some unique strings too
                items.append(f"s{i}-{rng.integers(0, 10**6)}")
        flat = np.array(items, dtype=f"<U{max([1] + [len(s) for s in items])}")
    elif dtype == "variable_length_bytes":
        idx = rng.integers(0, len(BYTES_POOL) + 4, size=n)
        flat = np.empty(n, dtype=object)
        for i, k in enumerate(idx):
            if k < len(BYTES_POOL):
                flat[i] = BYTES_POOL[k]
            else:  # random bytes that never end with NUL
                b = rng.integers(0, 256, size=int(rng.integers(1, 40)), dtype=np.uint8).tobytes()
                flat[i] = b + b"\x01"
    else:
        raise ValueError(dtype)
    return flat.reshape(shape)


def float_values(dtype: str, n: int, rng: np.random.Generator) -> np.ndarray:
    dt = np.dtype(NUMPY_DTYPES[dtype])
    flat = (rng.standard_normal(n) * 1000).astype(dt)
    finfo = np.finfo(dt)
    specials = [np.nan, -0.0, np.inf, -np.inf, 0.0, finfo.smallest_subnormal, finfo.max, finfo.min, -np.nan]
    specials = np.array(specials, dtype=dt)
    if dt.itemsize >= 4:  # NaNs with payloads, which must survive bit for bit
        ui = np.dtype(f"<u{dt.itemsize}")
        payload = np.array([0x7FC00001, 0xFFC00002] if dt.itemsize == 4 else [0x7FF8000000000001, 0xFFF8000000000abc], dtype=ui)
        specials = np.concatenate([specials, payload.view(dt)])
    k = min(n, len(specials))
    flat[:k] = specials[:k]
    # sprinkle more NaNs and negative zeros
    if n > 20:
        pos = rng.choice(np.arange(k, n), size=min(n - k, max(2, n // 20)), replace=False)
        half = len(pos) // 2
        flat[pos[:half]] = np.array(np.nan, dtype=dt)
        flat[pos[half:]] = np.array(-0.0, dtype=dt)
    return flat


def fill_array(dtype: str, shape: tuple[int, ...], fill: Any) -> np.ndarray:
    if dtype in ("string", "variable_length_bytes"):
        out = np.empty(shape, dtype=object)
        for idx in np.ndindex(shape):
            out[idx] = fill
        return out
    return np.full(shape, fill, dtype=NUMPY_DTYPES[dtype])


def zarr_dtype(dtype: str) -> Any:
    if dtype == "string":
        return str
    if dtype == "variable_length_bytes":
        return VariableLengthBytes()
    return NUMPY_DTYPES[dtype]


def default_fill(dtype: str) -> Any:
    if dtype == "string":
        return ""
    if dtype == "variable_length_bytes":
        return b""
    return np.zeros((), dtype=NUMPY_DTYPES[dtype])[()]


class Generator:
    def __init__(self, outdir: str) -> None:
        self.outdir = outdir
        self.entries: list[dict[str, Any]] = []
        self.seed = 0
        os.makedirs(os.path.join(outdir, "expected"), exist_ok=True)
        zarr.create_group(outdir, zarr_format=3, attributes={"generator": f"zarr-python {zarr.__version__}"})

    def add(
        self,
        path: str,
        dtype: str,
        shape: tuple[int, ...],
        chunks: tuple[int, ...] | None = None,
        *,
        fill_value: Any = None,
        writes: Any = "all",
        data: np.ndarray | None = None,
        compressors: Any = "auto",
        serializer: Any = "auto",
        filters: Any = "auto",
        chunk_key_encoding: Any = None,
        attributes: dict[str, Any] | None = None,
        dimension_names: list[str | None] | None = None,
        config: dict[str, Any] | None = None,
        edit_metadata: Any = None,
        expected_fill: Any = None,
        note: str = "",
    ) -> None:
        """Create one array and record it in the manifest.

        writes: "all" (write every element), None (never written: every chunk is missing)
        or a list of index tuples (only those regions are written; other chunks stay missing).
        """
        self.seed += 1
        if chunks is None:
            chunks = shape if all(s > 0 for s in shape) else tuple(max(1, s) for s in shape)
        if data is None:
            data = make_values(dtype, shape, self.seed)
        fill = default_fill(dtype) if fill_value is None else fill_value
        if expected_fill is not None:  # the fill value after edit_metadata
            fill = expected_fill
        kwargs: dict[str, Any] = {}
        if fill_value is not None:
            kwargs["fill_value"] = fill_value
        arr = zarr.create_array(
            self.outdir,
            name=path,
            shape=shape,
            chunks=chunks,
            dtype=zarr_dtype(dtype),
            compressors=compressors,
            serializer=serializer,
            filters=filters,
            chunk_key_encoding=chunk_key_encoding,
            attributes=attributes,
            dimension_names=dimension_names,
            config=config,
            **kwargs,
        )
        expected = fill_array(dtype, shape, fill)
        if writes == "all":
            arr[...] = data
            expected = data.astype(object) if dtype == "string" else data.copy()
        elif writes is not None:
            for region in writes:
                arr[region] = data[region]
                expected[region] = data[region]

        meta_path = os.path.join(self.outdir, path, "zarr.json")
        with open(meta_path, encoding="utf-8") as f:
            meta = json.load(f)
        if edit_metadata is not None:
            edit_metadata(meta)
            with open(meta_path, "w", encoding="utf-8") as f:
                json.dump(meta, f, indent=2)

        name = path.replace("/", "__")
        entry: dict[str, Any] = {
            "path": path,
            "dtype": dtype,
            "shape": list(shape),
            "expected": f"expected/{name}.npy",
            "chunks": list(chunks),
            "fill_value": meta["fill_value"],
            "codecs": meta["codecs"],
            "chunk_key_encoding": meta["chunk_key_encoding"],
            "chunk_keys": chunk_keys(os.path.join(self.outdir, path)),
        }
        if attributes is not None:
            entry["attributes"] = meta["attributes"]
        if dimension_names is not None:
            entry["dimension_names"] = meta["dimension_names"]
        if note:
            entry["note"] = note

        if dtype == "variable_length_bytes":
            flat = expected.reshape(-1)
            assert all(not bytes(v).endswith(b"\x00") for v in flat), "trailing NUL would be lost in |S"
            width = max([1] + [len(v) for v in flat])
            npy = np.array(list(flat), dtype=f"|S{width}").reshape(shape) if flat.size else np.zeros(shape, f"|S{width}")
            entry["expected_json_values"] = b64_list(expected)
        elif dtype == "string":
            flat = [str(v) for v in expected.reshape(-1)]
            assert all(not s.endswith("\x00") for s in flat), "trailing NUL would be lost in <U"
            width = max([1] + [len(s) for s in flat])
            npy = np.array(flat, dtype=f"<U{width}").reshape(shape)
        else:
            npy = np.array(expected, dtype=NUMPY_DTYPES[dtype], order="C")
        np.save(os.path.join(self.outdir, entry["expected"]), npy, allow_pickle=False)
        self.entries.append(entry)

    def write_manifest(self) -> None:
        doc = {
            "format": 1,
            "generator": f"zarr-python {zarr.__version__}, numpy {np.__version__}",
            "arrays": self.entries,
        }
        with open(os.path.join(self.outdir, MANIFEST), "w", encoding="utf-8") as f:
            json.dump(doc, f, indent=1)
            f.write("\n")


def remove_typesize(meta: dict[str, Any]) -> None:
    for codec in meta["codecs"]:
        if codec["name"] == "blosc":
            del codec["configuration"]["typesize"]


def set_fill(value: Any):
    def edit(meta: dict[str, Any]) -> None:
        meta["fill_value"] = value

    return edit


def generate(outdir: str) -> int:
    quiet_zarr_warnings()
    g = Generator(outdir)
    shape2, chunks2 = (20, 15), (8, 6)  # edge chunks in both dimensions

    # 1. Every data type with the default codecs, big-endian bytes and two compressors.
    for dt in ALL_DTYPES:
        var = dt in ("string", "variable_length_bytes")
        g.add(f"dtypes/{dt}/default", dt, shape2, chunks2)
        if var:
            vlen = VLenUTF8Codec() if dt == "string" else VLenBytesCodec()
            g.add(f"dtypes/{dt}/uncompressed", dt, shape2, chunks2, serializer=vlen, compressors=None)
            g.add(f"dtypes/{dt}/gzip", dt, shape2, chunks2, serializer=vlen, compressors=[GzipCodec(level=5)])
            g.add(f"dtypes/{dt}/blosc", dt, shape2, chunks2, serializer=vlen,
                  compressors=[BloscCodec(cname="lz4", clevel=5, shuffle="noshuffle", typesize=1)])
        else:
            g.add(f"dtypes/{dt}/big_endian", dt, shape2, chunks2, serializer=BytesCodec(endian="big"), compressors=None)
            g.add(f"dtypes/{dt}/gzip", dt, shape2, chunks2, compressors=[GzipCodec(level=5)])
            g.add(f"dtypes/{dt}/blosc", dt, shape2, chunks2, compressors=[BloscCodec(cname="zstd", clevel=5, shuffle="shuffle")])
            g.add(f"dtypes/{dt}/big_endian_zstd", dt, shape2, chunks2, serializer=BytesCodec(endian="big"),
                  compressors=[ZstdCodec(level=3, checksum=True)])

    # 2. Every codec with a few data types.
    for dt in ("int16", "float64", "complex64"):
        g.add(f"codecs/bytes_little/{dt}", dt, shape2, chunks2, serializer=BytesCodec(endian="little"), compressors=None)
    for dt in ("uint32", "float32", "complex128", "bool"):
        g.add(f"codecs/bytes_big/{dt}", dt, shape2, chunks2, serializer=BytesCodec(endian="big"), compressors=None)
    # single-byte types: bytes codec without an endian (it is optional for them)
    for dt in ("uint8", "int8", "bool"):
        g.add(f"codecs/bytes_no_endian/{dt}", dt, (9, 7), (4, 4), serializer=BytesCodec(endian=None), compressors=None)

    g.add("codecs/transpose/int32_2d", "int32", (12, 7), (5, 3), filters=[TransposeCodec(order=(1, 0))], compressors=None)
    g.add("codecs/transpose/float64_3d", "float64", (6, 5, 4), (4, 2, 3), filters=[TransposeCodec(order=(2, 0, 1))])
    g.add("codecs/transpose/uint16_3d_big", "uint16", (6, 5, 4), (3, 5, 2), filters=[TransposeCodec(order=(1, 2, 0))],
          serializer=BytesCodec(endian="big"), compressors=None)
    g.add("codecs/transpose/string_3d", "string", (4, 3, 5), (2, 3, 2), filters=[TransposeCodec(order=(2, 0, 1))])
    g.add("codecs/transpose/identity", "int64", (6, 5), (4, 4), filters=[TransposeCodec(order=(0, 1))])

    for level, dt in ((0, "int32"), (1, "float32"), (6, "uint8"), (9, "float64"), (9, "string")):
        g.add(f"codecs/gzip/level{level}_{dt}", dt, shape2, chunks2, compressors=[GzipCodec(level=level)])

    for level, checksum, dt in ((0, False, "int16"), (1, True, "float64"), (3, False, "uint64"), (-3, False, "int32"),
                                (19, True, "float32"), (5, True, "variable_length_bytes")):
        g.add(f"codecs/zstd/level{level}_checksum_{str(checksum).lower()}_{dt}", dt, shape2, chunks2,
              compressors=[ZstdCodec(level=level, checksum=checksum)])

    blosc_dtypes = ["int16", "float32", "float64", "uint8", "int64", "complex64"]
    i = 0
    # numcodecs' bundled c-blosc is built without snappy, so zarr-python can neither write
    # nor read blosc/snappy: it is left out here (and verify.py cannot check it either).
    for cname in ("lz4", "lz4hc", "blosclz", "zstd", "zlib"):
        for shuffle in ("noshuffle", "shuffle", "bitshuffle"):
            dt = blosc_dtypes[i % len(blosc_dtypes)]
            clevel = (1, 5, 9)[i % 3]
            i += 1
            g.add(f"codecs/blosc/{cname}_{shuffle}_{dt}", dt, shape2, chunks2,
                  compressors=[BloscCodec(cname=cname, clevel=clevel, shuffle=shuffle)])
    # typesize that differs from the element size
    g.add("codecs/blosc/typesize1_shuffle_int32", "int32", shape2, chunks2,
          compressors=[BloscCodec(cname="lz4", clevel=5, shuffle="shuffle", typesize=1)])
    g.add("codecs/blosc/typesize2_bitshuffle_float64", "float64", shape2, chunks2,
          compressors=[BloscCodec(cname="zstd", clevel=3, shuffle="bitshuffle", typesize=2)])
    # no typesize in the metadata at all (allowed for noshuffle)
    for dt in ("int32", "float64"):
        g.add(f"codecs/blosc/no_typesize_noshuffle_{dt}", dt, shape2, chunks2,
              compressors=[BloscCodec(cname="lz4", clevel=5, shuffle="noshuffle")], edit_metadata=remove_typesize)
    g.add("codecs/blosc/clevel0_zstd", "uint16", shape2, chunks2,
          compressors=[BloscCodec(cname="zstd", clevel=0, shuffle="shuffle")])

    for dt in ("int32", "float64", "string"):
        g.add(f"codecs/crc32c/{dt}", dt, shape2, chunks2, compressors=[Crc32cCodec()])
    g.add("codecs/crc32c/gzip_then_crc32c", "uint16", shape2, chunks2, compressors=[GzipCodec(level=1), Crc32cCodec()])

    # numcodecs' codecs under their V3 names (zarr.codecs.numcodecs), as zarr-python writes them.
    for dt in ("int32", "uint8", "float64"):
        g.add(f"codecs/numcodecs/gzip_{dt}", dt, shape2, chunks2, compressors=[zn.GZip(level=3)])
        g.add(f"codecs/numcodecs/zstd_{dt}", dt, shape2, chunks2, compressors=[zn.Zstd(level=1, checksum=True)])
        g.add(f"codecs/numcodecs/blosc_{dt}", dt, shape2, chunks2, compressors=[zn.Blosc()])
        g.add(f"codecs/numcodecs/jenkins_lookup3_{dt}", dt, shape2, chunks2, compressors=[zn.JenkinsLookup3(initval=3)])
    g.add("codecs/numcodecs/blosc_zstd_bitshuffle_uint16", "uint16", shape2, chunks2,
          compressors=[zn.Blosc(cname="zstd", clevel=3, shuffle=2)])
    g.add("codecs/numcodecs/jenkins_lookup3_default", "int16", shape2, chunks2, compressors=[zn.JenkinsLookup3()])
    g.add("codecs/numcodecs/packbits", "bool", (13, 7), (5, 3), filters=[zn.PackBits()])
    g.add("codecs/numcodecs/packbits_gzip", "bool", (41,), (17,), filters=[zn.PackBits()], compressors=[GzipCodec(level=1)])
    for dt, keep in (("float16", 3), ("float32", 4), ("float64", 9)):
        # The expected values are numcodecs' own rounding of the data (bitround is lossy).
        data = make_values(dt, shape2, 1000 + keep)
        rounded = numcodecs.BitRound(keepbits=keep).encode(data.copy()).view(data.dtype).reshape(shape2)
        g.add(f"codecs/numcodecs/bitround_{dt}", dt, shape2, chunks2, filters=[zn.BitRound(keepbits=keep)],
              data=rounded)

    g.add("codecs/vlen_utf8/uncompressed", "string", (37,), (10,), serializer=VLenUTF8Codec(), compressors=None)
    g.add("codecs/vlen_utf8/zstd_crc32c", "string", (37,), (10,), serializer=VLenUTF8Codec(),
          compressors=[ZstdCodec(level=1), Crc32cCodec()])
    g.add("codecs/vlen_bytes/uncompressed", "variable_length_bytes", (37,), (10,), serializer=VLenBytesCodec(), compressors=None)
    g.add("codecs/vlen_bytes/gzip_crc32c", "variable_length_bytes", (37,), (10,), serializer=VLenBytesCodec(),
          compressors=[GzipCodec(level=6), Crc32cCodec()])

    # chains: transpose + bytes big + blosc + crc32c, and more
    g.add("codecs/chain/transpose_big_blosc_crc32c_int32", "int32", (6, 7, 5), (4, 3, 5),
          filters=[TransposeCodec(order=(2, 1, 0))], serializer=BytesCodec(endian="big"),
          compressors=[BloscCodec(cname="lz4", clevel=5, shuffle="shuffle"), Crc32cCodec()])
    g.add("codecs/chain/transpose_big_blosc_crc32c_float64", "float64", (13, 9), (5, 4),
          filters=[TransposeCodec(order=(1, 0))], serializer=BytesCodec(endian="big"),
          compressors=[BloscCodec(cname="zstd", clevel=7, shuffle="bitshuffle"), Crc32cCodec()])
    g.add("codecs/chain/transpose_little_gzip_zstd_crc32c_complex128", "complex128", (5, 6), (2, 4),
          filters=[TransposeCodec(order=(1, 0))], serializer=BytesCodec(endian="little"),
          compressors=[GzipCodec(level=2), ZstdCodec(level=2, checksum=True), Crc32cCodec()])
    g.add("codecs/chain/two_transposes_uint16", "uint16", (4, 6, 8), (3, 4, 5),
          filters=[TransposeCodec(order=(1, 2, 0)), TransposeCodec(order=(2, 0, 1))], compressors=[GzipCodec(level=1)])

    # 3. Array features.
    g.add("features/edge_chunks/int32", "int32", (23, 17), (5, 4))
    g.add("features/edge_chunks/chunks_larger_than_shape", "float32", (3, 2), (10, 10))
    g.add("features/edge_chunks/chunk_size_one", "uint8", (3, 4), (1, 1))
    g.add("features/edge_chunks/1d", "int64", (101,), (10,))
    g.add("features/edge_chunks/4d", "int16", (3, 4, 5, 6), (2, 3, 2, 4))

    partial = [(slice(0, 5), slice(0, 10)), (slice(12, 17), slice(3, 8))]
    g.add("features/missing_chunks/int16_fill0", "int16", (20, 20), (5, 5), writes=partial)
    g.add("features/missing_chunks/int32_fill_m123", "int32", (20, 20), (5, 5), fill_value=-123, writes=partial)
    g.add("features/missing_chunks/float64_nan", "float64", (20, 20), (5, 5), fill_value=float("nan"), writes=partial)
    g.add("features/missing_chunks/string_abc", "string", (20, 20), (5, 5), fill_value="abc", writes=partial)
    g.add("features/missing_chunks/bytes_xyz", "variable_length_bytes", (20, 20), (5, 5), fill_value=b"xyz", writes=partial)
    g.add("features/missing_chunks/never_written", "uint16", (7, 9), (3, 3), fill_value=5, writes=None)

    part1d = [(slice(0, 4),), (slice(13, 15),)]
    for dt in ("float32", "float64"):
        for label, fv in (("nan", float("nan")), ("inf", float("inf")), ("minus_inf", float("-inf")), ("minus_zero", -0.0),
                          ("one_half", 1.5)):
            g.add(f"features/fill/{dt}_{label}", dt, (20,), (4,), fill_value=fv, writes=part1d)
    g.add("features/fill/float32_nan_payload_hex", "float32", (20,), (4,), fill_value=0.0,
          writes=[(slice(0, 4),), (slice(12, 16),)],  # whole chunks only
          edit_metadata=set_fill("0x7fc00001"), expected_fill=np.array(0x7FC00001, dtype="<u4").view("<f4")[()],
          note="fill_value edited to a hex NaN with a payload after writing; missing chunks read as that bit pattern")
    g.add("features/fill/float16_nan", "float16", (20,), (4,), fill_value=float("nan"), writes=part1d)
    g.add("features/fill/float16_2_5", "float16", (20,), (4,), fill_value=2.5, writes=part1d)
    g.add("features/fill/int8_m7", "int8", (20,), (4,), fill_value=-7, writes=part1d)
    g.add("features/fill/uint8_200", "uint8", (20,), (4,), fill_value=200, writes=part1d)
    g.add("features/fill/int64_min", "int64", (20,), (4,), fill_value=np.iinfo(np.int64).min, writes=part1d)
    g.add("features/fill/uint64_max", "uint64", (20,), (4,), fill_value=np.iinfo(np.uint64).max, writes=part1d)
    g.add("features/fill/bool_true", "bool", (20,), (4,), fill_value=True, writes=part1d)
    g.add("features/fill/complex64_1_nan", "complex64", (20,), (4,), fill_value=complex(1.0, float("nan")), writes=part1d)
    g.add("features/fill/complex128_1_nan", "complex128", (20,), (4,), fill_value=complex(1.0, float("nan")), writes=part1d)
    g.add("features/fill/complex128_minf_mzero", "complex128", (20,), (4,), fill_value=complex(float("-inf"), -0.0),
          writes=part1d)
    g.add("features/fill/string_abc", "string", (20,), (4,), fill_value="abc", writes=part1d)
    g.add("features/fill/string_unicode", "string", (20,), (4,), fill_value="中é🙂", writes=part1d)
    g.add("features/fill/bytes_xyz", "variable_length_bytes", (20,), (4,), fill_value=b"xyz", writes=part1d)

    g.add("features/zero_d/int32", "int32", (), data=np.array(-42, dtype="<i4"))
    g.add("features/zero_d/float64_minus_zero", "float64", (), data=np.array(-0.0))
    g.add("features/zero_d/float32_nan_never_written", "float32", (), fill_value=float("nan"), writes=None)
    g.add("features/zero_d/complex64_big", "complex64", (), data=np.array(1.5 - 2j, dtype="<c8"),
          serializer=BytesCodec(endian="big"), compressors=None)
    g.add("features/zero_d/string", "string", (), data=np.array("zero-d ✓"))
    g.add("features/zero_d/string_fill_never_written", "string", (), fill_value="abc", writes=None)
    # zarr-python 3.4.2 cannot write a 0-d variable_length_bytes array (its vlen-bytes encoder
    # gets an ndarray instead of bytes), so only the never-written case is covered.
    g.add("features/zero_d/bytes_fill_never_written", "variable_length_bytes", (), fill_value=b"xyz", writes=None)

    g.add("features/zero_length/int32_0x5", "int32", (0, 5), (2, 2))
    g.add("features/zero_length/float64_0", "float64", (0,), (3,))
    g.add("features/zero_length/string_4x0", "string", (4, 0), (2, 2))
    g.add("features/zero_length/uint8_3x0x2", "uint8", (3, 0, 2), (2, 1, 2))

    sep_slash = {"name": "default", "separator": "/"}
    sep_dot = {"name": "default", "separator": "."}
    g.add("features/key_encoding/default_slash", "int32", (10, 9), (4, 4), chunk_key_encoding=sep_slash)
    g.add("features/key_encoding/default_dot", "int32", (10, 9), (4, 4), chunk_key_encoding=sep_dot)
    g.add("features/key_encoding/default_dot_3d", "float32", (5, 4, 3), (2, 2, 2), chunk_key_encoding=sep_dot)
    g.add("features/key_encoding/v2_dot", "int32", (10, 9), (4, 4), chunk_key_encoding={"name": "v2", "separator": "."})
    g.add("features/key_encoding/v2_slash", "uint16", (10, 9), (4, 4), chunk_key_encoding={"name": "v2", "separator": "/"})
    g.add("features/key_encoding/v2_dot_0d", "int16", (), data=np.array(7, dtype="<i2"),
          chunk_key_encoding={"name": "v2", "separator": "."})
    g.add("features/key_encoding/default_dot_0d", "int16", (), data=np.array(8, dtype="<i2"), chunk_key_encoding=sep_dot)

    # write_empty_chunks: with false, chunks equal to the fill value are not stored
    wec = np.full((12, 12), 9, dtype="<i4")
    wec[0:4, 4:8] = np.arange(16).reshape(4, 4)
    wec[11, 11] = -1
    g.add("features/write_empty_chunks/false_int32", "int32", (12, 12), (4, 4), fill_value=9, data=wec,
          config={"write_empty_chunks": False})
    g.add("features/write_empty_chunks/true_int32", "int32", (12, 12), (4, 4), fill_value=9, data=wec,
          config={"write_empty_chunks": True})
    wecf = np.full((8, 8), np.nan)
    wecf[5, 5] = -0.0
    g.add("features/write_empty_chunks/false_float64_nan", "float64", (8, 8), (4, 4), fill_value=float("nan"), data=wecf,
          config={"write_empty_chunks": False})
    wecs = np.full((6,), "abc")
    wecs[4] = "d"
    g.add("features/write_empty_chunks/false_string", "string", (6,), (2,), fill_value="abc", data=wecs,
          config={"write_empty_chunks": False})

    attrs = {
        "title": "interop fixture",
        "unicode": "Grüße 中文 🙂",
        "int": 42,
        "big_int": 2**63,
        "float": 0.1,
        "neg": -1.5e-300,
        "bool": True,
        "null": None,
        "list": [1, "two", [3.0, None], {"four": 4}],
        "nested": {"a": {"b": {"c": []}}, "empty": {}},
    }
    g.add("features/metadata/attributes_and_dimension_names", "float32", (4, 5, 6), (2, 5, 3), attributes=attrs,
          dimension_names=["z", "y", "x"])
    g.add("features/metadata/dimension_names_with_null", "int16", (4, 5), (2, 2), dimension_names=["row", None])
    g.add("features/metadata/empty_attributes", "uint8", (4,), (2,), attributes={})

    g.write_manifest()
    return len(g.entries)


def main() -> int:
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    outdir = sys.argv[1]
    if os.path.exists(outdir):
        if os.path.isdir(outdir) and not os.listdir(outdir):
            pass
        elif os.path.exists(os.path.join(outdir, MANIFEST)):
            shutil.rmtree(outdir)  # a previous fixture set: regenerate from scratch
        else:
            print(f"error: {outdir} exists and is not a fixture folder", file=sys.stderr)
            return 2
    n = generate(outdir)
    print(f"generate.py: wrote {n} arrays to {outdir} (zarr-python {zarr.__version__})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
