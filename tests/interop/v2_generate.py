"""Write Zarr V2 fixtures with zarr-python 3.4.2 (or 2.18) for crates/zarr/tests/v2.rs.

Usage: v2_generate.py DIR. Writes DIR/<name> (a V2 array), DIR/<name>.bin
(the expected values: little-endian, C order) or DIR/<name>.json (strings,
bytes as latin-1), and DIR/manifest.json (the names).
"""
import json
import os
import sys

import numcodecs
import numpy as np
import zarr

ZARR2 = zarr.__version__.startswith("2.")
if ZARR2:
    VariableLengthUTF8 = lambda: "str"  # noqa: E731
    VariableLengthBytes = lambda: "bytes"  # noqa: E731
else:
    from zarr.dtype import VariableLengthBytes, VariableLengthUTF8

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
names = []

NUMERIC = ["|b1", "|i1", "|u1", "<i2", ">i2", "<i4", ">i4", "<i8", ">i8", "<u2", ">u4",
           "<u8", "<f2", ">f2", "<f4", ">f4", "<f8", ">f8", "<c8", ">c8", "<c16", ">c16",
           "|S1", "|S5", "<U1", "<U4", ">U3", "<M8[ns]", ">m8[s]", "<M8[D]", "<M8[10s]", "<m8[ms]"]


def values(dtype, shape):
    n = int(np.prod(shape))
    dt = np.dtype(dtype)
    if dt.kind == "b":
        v = (np.arange(n) % 3 == 1)
    elif dt.kind in "iu":
        v = (np.arange(n) * 37 + 5) % (100 if dt.itemsize == 1 else 30011)
        if dt.kind == "i":
            v = v - (50 if dt.itemsize == 1 else 15000)
    elif dt.kind in "mM":
        # Counts of the unit (elements are 64-bit integers), one NaT.
        i = (np.arange(n) * 37 + 5) % 30011 - 15000
        i[-1] = np.iinfo("i8").min
        i = i.astype("<i8").reshape(shape)
        i[:3, :2] = 0
        return i.view(dt.newbyteorder("<")).astype(dt)
    elif dt.kind == "S":
        v = np.array([[b"", b"a", b"abcdefg", b"\x01\x02\xff"][i % 4][:dt.itemsize] for i in range(n)], dtype=dt)
        v = v.reshape(shape)
        v[:3, :2] = b""
        return v
    elif dt.kind == "U":
        v = np.array([["", "a", "héllo wörld", "\U0001f30d!"][i % 4][:dt.itemsize // 4] for i in range(n)], dtype=dt)
        v = v.reshape(shape)
        v[:3, :2] = ""
        return v
    elif dt.kind == "f":
        v = np.arange(n) * 0.5 - 3.25
    else:
        v = np.arange(n) * 0.5 - 3.25 + 1j * (np.arange(n) % 7)
    v = v.astype(dt).reshape(shape)
    # The first chunk holds only the fill value (zero): it is not stored.
    v[:3, :2] = 0
    return v


def create_218(path, shape, dtype, chunks, order="C", chunk_key_encoding=None,
               attributes=None, compressors="default", filters=None, fill_value="default"):
    kw = {}
    if dtype in ("str", "bytes"):
        kw["object_codec"] = numcodecs.VLenUTF8() if dtype == "str" else numcodecs.VLenBytes()
        dtype = object
    if compressors != "default":
        kw["compressor"] = compressors
    if fill_value != "default":
        kw["fill_value"] = fill_value
    if chunk_key_encoding:
        kw["dimension_separator"] = chunk_key_encoding["separator"]
    a = zarr.open_array(path, mode="w", shape=shape, chunks=chunks, dtype=dtype, order=order,
                        filters=filters, **kw)
    if attributes:
        a.attrs.update(attributes)
    return a


def save(name, arr, data, **kw):
    path = os.path.join(out, name)
    if ZARR2:
        a = create_218(path, data.shape, arr, **kw)
    else:
        a = zarr.create_array(path, shape=data.shape, dtype=arr, zarr_format=2, **kw)
    a[...] = data
    if data.dtype.kind == "O":
        vals = [x if isinstance(x, str) else x.decode("latin-1") for x in data.ravel().tolist()]
        with open(path + ".json", "w") as f:
            json.dump(vals, f)
    else:
        le = data.astype(data.dtype.newbyteorder("<")) if data.dtype.kind != "S" else data
        with open(path + ".bin", "wb") as f:
            f.write(np.ascontiguousarray(le).tobytes())
    names.append(name)


shape, chunks = (7, 5), (3, 2)
for i, dt in enumerate(NUMERIC):
    order = "F" if i % 2 else "C"
    sep = "/" if i % 3 == 0 else "."
    save(f"dtype_{dt[1:]}{'be' if dt[0] == '>' else ''}_{order}", dt, values(dt, shape),
         chunks=chunks, order=order, chunk_key_encoding={"name": "v2", "separator": sep},
         attributes={"dtype": dt, "list": [1, 2.5, None]})

COMPRESSORS = {
    "none": None,
    "zlib": numcodecs.Zlib(level=1),
    "gzip": numcodecs.GZip(level=5),
    "zstd_checksum": numcodecs.Zstd(level=3, checksum=True),
    "lz4": numcodecs.LZ4(acceleration=1),
    "blosc_lz4_shuffle": numcodecs.Blosc(cname="lz4", clevel=5, shuffle=1),
    "blosc_zstd_bitshuffle": numcodecs.Blosc(cname="zstd", clevel=3, shuffle=2),
    "blosc_blosclz_noshuffle": numcodecs.Blosc(cname="blosclz", clevel=9, shuffle=0),
    "blosc_lz4hc_auto": numcodecs.Blosc(cname="lz4hc", clevel=1, shuffle=-1, blocksize=256),
    "blosc_zlib": numcodecs.Blosc(cname="zlib", clevel=4, shuffle=1),
    "bz2": numcodecs.BZ2(level=1),
    "lzma": numcodecs.LZMA(),
    "lzma_alone": numcodecs.LZMA(format=2, preset=1),
    "lzma_crc32": numcodecs.LZMA(check=1, preset=3),
}
for cname, comp in COMPRESSORS.items():
    for dt in ["<i4", ">f8", "|u1", "<c8", "|S3", ">U2"]:
        for order in "CF":
            save(f"comp_{cname}_{dt[1:]}_{order}", dt, values(dt, shape), chunks=chunks,
                 order=order, compressors=comp)

FILTERS = {
    "delta_i4": ("<i4", [numcodecs.Delta(dtype="<i4")]),
    "delta_f8be": (">f8", [numcodecs.Delta(dtype=">f8")]),
    "fso_f8": ("<f8", [numcodecs.FixedScaleOffset(offset=1, scale=4, dtype="<f8", astype="<i2")]),
    "astype_f8": ("<f8", [numcodecs.AsType(encode_dtype="<f4", decode_dtype="<f8")]),
    "shuffle_i8": ("<i8", [numcodecs.Shuffle(elementsize=8)]),
    "delta_shuffle_u2": ("<u2", [numcodecs.Delta(dtype="<u2"), numcodecs.Shuffle(elementsize=2)]),
    "crc32_i4": ("<i4", [numcodecs.CRC32()]),
    "quantize_f8": ("<f8", [numcodecs.Quantize(digits=2, dtype="<f8")]),
    "quantize_f4_f2": ("<f4", [numcodecs.Quantize(digits=1, dtype="<f4", astype="<f2")]),
    "packbits_b1": ("|b1", [numcodecs.PackBits()]),
    "adler32_end_f4": ("<f4", [numcodecs.Adler32(location="end")]),
    "delta_crc32_i8": (">i8", [numcodecs.Delta(dtype=">i8"), numcodecs.CRC32(location="end")]),
    "fletcher32_i2": ("<i2", [numcodecs.Fletcher32()]),
    "categorize_U4": ("<U4", [numcodecs.Categorize(labels=["a", "héll", "\U0001f30d!", ""], dtype="<U4",
                                                   astype="<u2")]),
    "shuffle_fletcher32_f8": (">f8", [numcodecs.Shuffle(elementsize=8), numcodecs.Fletcher32()]),
    "jenkins_i4": ("<i4", [numcodecs.JenkinsLookup3()]),
    "jenkins_seed_f8be": (">f8", [numcodecs.JenkinsLookup3(initval=7)]),
    # keepbits large enough to keep these values exact (the data is compared unrounded).
    "bitround_f4": ("<f4", [numcodecs.BitRound(keepbits=8)]),
    "bitround_f8": ("<f8", [numcodecs.BitRound(keepbits=8)]),
}
for fname, (dt, filters) in FILTERS.items():
    # zarr-python 3.4.2 scrambles F-order chunks through numcodecs' BitRound
    # (it reads back other values than it was given), so bitround is C only.
    for order in ("C" if fname.startswith("bitround") else "CF"):
        save(f"filt_{fname}_{order}", dt, values(dt, shape), chunks=chunks, order=order,
             filters=filters, compressors=numcodecs.Zlib(level=1))

# Null fill values, NaN / infinite fill values.
save("fill_null_i2", "<i2", values("<i2", shape), chunks=chunks, fill_value=None)
save("fill_null_f4", "<f4", values("<f4", shape), chunks=chunks, fill_value=None)
for fv in ["nan", "inf", "-inf"]:
    d = values("<f8", shape)
    d[:3, :2] = float(fv)
    save(f"fill_{fv}_f8", "<f8", d, chunks=chunks, fill_value=float(fv))
d = values("<c16", shape)
d[:3, :2] = 1 - 2j
save("fill_complex", "<c16", d, chunks=chunks, fill_value=1 - 2j)

for name, dt, fv in [("nat_M8s", "<M8[s]", np.datetime64("NaT")), ("td_m8ms", ">m8[ms]", np.timedelta64(5, "ms"))]:
    save(f"fill_{name}", dt, values(dt, shape), chunks=chunks, fill_value=fv)
save("fill_bytes_S3", "|S3", values("|S3", shape), chunks=chunks, fill_value=b"ab")
save("fill_str_U3", "<U3", values("<U3", shape), chunks=chunks, fill_value="hé")

# Object strings and bytes.
s = np.array([["", "a", "héllo", "x" * 40, "ü"][i % 5] for i in range(35)], dtype=object).reshape(shape)
s[:3, :2] = ""
for order in "CF":
    save(f"str_{order}", VariableLengthUTF8(), s, chunks=chunks, order=order)
b = np.array([[b"", b"\x00\x01", b"abc", b"\xff" * 9][i % 4] for i in range(35)], dtype=object).reshape(shape)
b[:3, :2] = b""
save("bytes_C", VariableLengthBytes(), b, chunks=chunks, compressors=numcodecs.Zlib(level=1))

# Object strings through a categorize filter (zarr-python 2 only: zarr-python 3 has no
# object codec for it).
if ZARR2:
    c = np.array([["", "male", "female", "x"][i % 4] for i in range(35)], dtype=object).reshape(shape)
    path = os.path.join(out, "categorize_O")
    a = zarr.open_array(path, mode="w", shape=shape, chunks=chunks, dtype=object,
                        object_codec=numcodecs.Categorize(labels=["female", "male", "x"], dtype=object),
                        compressor=numcodecs.Zlib(level=1))
    a[...] = c
    with open(path + ".json", "w") as f:
        json.dump(c.ravel().tolist(), f)
    names.append("categorize_O")

# 1-d and 0-d.
save("oned_u8", "<u8", values("<u8", (12, 1)).reshape(12), chunks=(5,))
z = np.array(3.5, dtype="<f8")
save("zerod_f8", "<f8", z, chunks=())

with open(os.path.join(out, "manifest.json"), "w") as f:
    json.dump(names, f)
print(len(names), "arrays")
