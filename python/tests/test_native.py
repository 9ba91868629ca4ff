"""The native API (``zarr_rs.open_array``, ``create_array``, ``Array``)
against zarr-python 3.4.2 on the same stores: every data type numpy has,
V2 and V3, sharded, every selection kind both ways, errors, and the GIL
released while the engine works."""

import threading
import time

import numpy as np
import pytest
import zarr

import zarr_rs

RNG = np.random.default_rng(7)


def _data(dtype, shape):
    dt = np.dtype(dtype)
    n = int(np.prod(shape))
    if dt.kind == "b":
        v = RNG.integers(0, 2, n).astype(bool)
    elif dt.kind in "iu":
        v = RNG.integers(0, 100, n).astype(dt)
    elif dt.kind == "f":
        v = RNG.standard_normal(n).astype(dt)
    elif dt.kind == "c":
        v = (RNG.standard_normal(n) + 1j * RNG.standard_normal(n)).astype(dt)
    elif dt.kind in "mM":
        v = RNG.integers(0, 10**6, n).astype(dt)
    elif dt.kind == "U":
        v = np.array([f"é{i % 17}" for i in range(n)], dtype=dt)
    elif dt.kind == "S":
        v = np.array([f"b{i % 13}".encode() for i in range(n)], dtype=dt)
    elif dt.kind == "V" and dt.fields:
        v = np.zeros(n, dtype=dt)
        for name in dt.names:
            v[name] = RNG.integers(0, 50, n).astype(dt[name])
    else:
        raise AssertionError(dtype)
    return v.reshape(shape)


DTYPES = [
    "bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
    "float16", "float32", "float64", "complex64", "complex128",
    "datetime64[ns]", "timedelta64[s]", "<U3", "|S2", [("a", "<i4"), ("b", "<f8")],
]


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("zarr_format", [2, 3])
def test_reads_what_zarr_python_writes(tmp_path, dtype, zarr_format):
    if zarr_format == 2 and isinstance(dtype, list):
        pass  # structured dtypes are V2's too
    shape = (9, 7)
    ref = _data(dtype, shape)
    z = zarr.create_array(tmp_path / "a.zarr", shape=shape, dtype=ref.dtype, chunks=(4, 3),
                          zarr_format=zarr_format, fill_value=None)
    z[...] = ref
    a = zarr_rs.open_array(str(tmp_path / "a.zarr"))
    assert a.shape == shape and a.chunks == (4, 3) and a.zarr_format == zarr_format
    assert a.dtype == z.dtype
    got = a[...]
    assert got.dtype == ref.dtype
    np.testing.assert_array_equal(got, ref)
    np.testing.assert_array_equal(a[1:8:3, ::-2], ref[1:8:3, ::-2])
    np.testing.assert_array_equal(np.asarray(a), ref)


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
def test_zarr_python_reads_what_we_write(tmp_path, dtype):
    shape = (9, 7)
    ref = _data(dtype, shape)
    a = zarr_rs.create_array(str(tmp_path / "a.zarr"), shape=shape, dtype=ref.dtype, chunks=(4, 3))
    a[...] = ref
    z = zarr.open_array(tmp_path / "a.zarr", mode="r")
    assert z.dtype == ref.dtype
    np.testing.assert_array_equal(z[...], ref)


def test_strings_both_ways(tmp_path):
    words = np.array(["", "a", "bé", "long word " * 5, "x"] * 3, dtype=object).reshape(3, 5)
    z = zarr.create_array(tmp_path / "z.zarr", shape=(3, 5), dtype=str, chunks=(2, 2))
    z[...] = words
    a = zarr_rs.open_array(str(tmp_path / "z.zarr"))
    assert a[...].tolist() == words.tolist()
    assert a.vindex[[0, 2], [1, 4]].tolist() == ["a", "x"]
    b = zarr_rs.create_array(str(tmp_path / "b.zarr"), shape=(3, 5), dtype=str, chunks=(2, 2))
    b[...] = words
    b[1, ::2] = "new"
    want = words.copy()
    want[1, ::2] = "new"
    assert zarr.open_array(tmp_path / "b.zarr")[...].tolist() == want.tolist()


@pytest.mark.parametrize("sharded", [False, True])
def test_every_selection_kind_equals_zarr_python(tmp_path, sharded):
    shape = (20, 17, 5)
    ref = np.arange(np.prod(shape), dtype="int32").reshape(shape)
    kw = dict(chunks=(3, 4, 5), shards=(6, 8, 5)) if sharded else dict(chunks=(3, 4, 5))
    z = zarr.create_array(tmp_path / "a.zarr", shape=shape, dtype="int32", **kw)
    z[...] = ref
    a = zarr_rs.open_array(str(tmp_path / "a.zarr"))
    assert a.shards == ((6, 8, 5) if sharded else None)
    rows, cols = [19, 0, 7, 7, -1], [3, 16, 0]
    np.testing.assert_array_equal(a.oindex[rows, cols, 2], z.oindex[rows, cols, 2])
    np.testing.assert_array_equal(a.oindex[ref[:, 0, 0] % 3 == 0, 1:9:2], z.oindex[ref[:, 0, 0] % 3 == 0, 1:9:2])
    pts = (np.array([0, 19, 5, 5]), np.array([16, 0, 3, 3]), np.array([4, 0, 1, 1]))
    np.testing.assert_array_equal(a.vindex[pts], z.vindex[pts])
    np.testing.assert_array_equal(a[pts], z[pts])
    mask = ref % 11 == 0
    np.testing.assert_array_equal(a[mask], z[mask])
    np.testing.assert_array_equal(a.vindex[mask], z.vindex[mask])
    np.testing.assert_array_equal(a.blocks[1, -1], z.blocks[1, -1])
    np.testing.assert_array_equal(a.blocks[0:2, 1:], z.blocks[0:2, 1:])
    np.testing.assert_array_equal(a[::-3, 5, ::-1], ref[::-3, 5, ::-1])
    assert a[3, 4, 2] == ref[3, 4, 2]
    np.testing.assert_array_equal(a[..., 1], ref[..., 1])
    np.testing.assert_array_equal(a[None, 2, :, None], ref[None, 2, :, None])
    np.testing.assert_array_equal(a.oindex[None, [3, 1], 0], ref[[3, 1], 0, :][None])

    # Writes of every kind, checked by zarr-python.
    b = zarr_rs.open_array(str(tmp_path / "a.zarr"), mode="r+")
    want = ref.copy()
    b.oindex[rows, cols, :] = -1
    want[np.ix_([19, 0, 7, 7, 19], cols, range(5))] = -1
    b.vindex[pts] = [100, 101, 102, 103]
    want[pts] = [100, 101, 102, 103]
    b[mask] = -2
    want[mask] = -2
    b.blocks[0, 0] = 9
    bs = (6, 8, 5) if sharded else (3, 4, 5)
    want[: bs[0], : bs[1], : bs[2]] = 9
    b[::-2, 0, 0] = np.arange(10)
    want[::-2, 0, 0] = np.arange(10)
    b[None, 1, None, 2:4] = [[[[5], [6]]]]
    want[1, 2:4] = [[5], [6]]
    np.testing.assert_array_equal(z[...], want)


def test_attributes_resize_append(tmp_path):
    a = zarr_rs.create_array(str(tmp_path / "a.zarr"), shape=(4, 3), dtype="float64", chunks=(2, 3),
                             fill_value=float("nan"), attributes={"units": "K"},
                             dimension_names=["time", "x"])
    assert a.attrs == {"units": "K"}
    assert a.dimension_names == ("time", "x")
    assert np.isnan(a.fill_value)
    assert np.isnan(a[...]).all()
    a.attrs = {"units": "C", "n": [1, 2]}
    z = zarr.open_array(tmp_path / "a.zarr")
    assert dict(z.attrs) == {"units": "C", "n": [1, 2]}
    a[...] = np.ones((4, 3))
    assert a.append(np.full((2, 3), 5.0)) == (6, 3)
    z = zarr.open_array(tmp_path / "a.zarr")
    assert z.shape == (6, 3)
    np.testing.assert_array_equal(z[4:], 5.0)
    a.resize(3, 3)
    assert zarr.open_array(tmp_path / "a.zarr").shape == (3, 3)
    with pytest.raises(ValueError):
        a.append(np.ones((2, 4)))


def test_errors(tmp_path):
    with pytest.raises(FileNotFoundError):
        zarr_rs.open_array(str(tmp_path / "missing.zarr"))
    a = zarr_rs.create_array(str(tmp_path / "a.zarr"), shape=(4,), dtype="uint8", chunks=(2,))
    with pytest.raises(FileExistsError):
        zarr_rs.create_array(str(tmp_path / "a.zarr"), shape=(4,), dtype="uint8", chunks=(2,))
    zarr_rs.create_array(str(tmp_path / "a.zarr"), shape=(5,), dtype="uint8", chunks=(2,), overwrite=True)
    r = zarr_rs.open_array(str(tmp_path / "a.zarr"))
    with pytest.raises(PermissionError):
        r[0] = 1
    with pytest.raises(IndexError):
        r[5]
    with pytest.raises(IndexError):
        r.oindex[[0, 9]]
    with pytest.raises(IndexError):
        r[0, 0]
    with pytest.raises(ValueError):
        r[::0]
    with pytest.raises(ValueError):
        r[np.array([True, False])]  # wrong mask length
    w = zarr_rs.open_array(str(tmp_path / "a.zarr"), mode="r+")
    with pytest.raises(ValueError):
        w[0:2] = [1, 2, 3]  # does not broadcast
    assert (w[...] == 0).all()  # nothing written
    with pytest.raises(ValueError):
        zarr_rs.open_array(str(tmp_path / "a.zarr"), mode="x")
    del a


def test_the_gil_is_released_while_the_engine_reads(tmp_path):
    shape = (512, 512, 64)
    a = zarr_rs.create_array(str(tmp_path / "big.zarr"), shape=shape, dtype="float32", chunks=(64, 64, 64),
                             compressors=[{"name": "gzip", "configuration": {"level": 6}}])
    a[...] = np.random.default_rng(0).standard_normal(shape, dtype="float32")
    ticks = []
    done = threading.Event()

    def spin():
        while not done.is_set():
            ticks.append(time.perf_counter())
            time.sleep(0.001)

    t = threading.Thread(target=spin)
    start = time.perf_counter()
    t.start()
    a[...]
    a[...]
    end = time.perf_counter()
    done.set()
    t.join()
    during = [x for x in ticks if start < x < end]
    # A Python thread kept running while the reads decoded (with the GIL
    # held it could not have run at all between start and end).
    assert len(during) >= 5, (len(during), end - start)
