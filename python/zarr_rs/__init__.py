"""Zarr V2 and V3 arrays on a Rust engine.

``zarr_rs`` opens and creates arrays stored in folders, zip archives and
object storage (``s3://``, ``gs://``, ``az://``, ``http(s)://``) and moves
their elements to and from numpy. Everything between the store and numpy
memory (I/O, decoding, encoding) runs in Rust, in parallel, with the GIL
released.

>>> import numpy as np, zarr_rs
>>> a = zarr_rs.create_array("/tmp/doc.zarr", shape=(4, 6), dtype="uint16", chunks=(2, 3), overwrite=True)
>>> a[...] = np.arange(24, dtype="uint16").reshape(4, 6)
>>> a[1:3, ::-2].tolist()
[[11, 9, 7], [17, 15, 13]]
>>> a.oindex[[0, 3], [1, 2]].tolist()
[[1, 2], [19, 20]]
>>> a.vindex[[0, 3], [1, 2]].tolist()
[1, 20]
"""

from __future__ import annotations

import json
from typing import Any, Iterable, Sequence

import numpy as np

from . import _zarr_rs
from ._zarr_rs import __version__


def __getattr__(name: str) -> Any:
    # zarr_rs.CodecPipeline imports zarr-python only when asked for.
    if name == "CodecPipeline":
        from .pipeline import CodecPipeline

        return CodecPipeline
    raise AttributeError(f"module 'zarr_rs' has no attribute {name!r}")


__all__ = ["Array", "CodecPipeline", "open_array", "create_array", "open", "__version__"]

_MODES = ("r", "r+", "a", "w", "w-")


def _numpy_dtype(descr: str) -> np.dtype:
    """The numpy dtype of the engine's description of a data type."""
    if descr == "string":
        try:
            return np.dtypes.StringDType()
        except AttributeError:  # numpy < 2
            return np.dtype(object)
    if descr == "bytes":
        return np.dtype(object)
    if descr.startswith("["):

        def fields(items):
            out = []
            for name, t, *rest in items:
                t = fields(t) if isinstance(t, list) else t
                out.append((name, t, *[tuple(r) for r in rest]))
            return out

        return np.dtype(fields(json.loads(descr)))
    return np.dtype(descr)


def _descr(dtype: Any) -> str:
    """The engine's description of a numpy dtype (or anything np.dtype takes)."""
    if isinstance(dtype, str) and dtype in ("str", "string"):
        return "string"
    if dtype is str:
        return "string"
    if dtype is bytes:
        return "bytes"
    dt = np.dtype(dtype)
    if dt.kind == "T" or dt == np.dtype(object):
        return "string"
    if dt.fields is not None:
        return json.dumps(dt.descr)
    return dt.str


def _is_variable(dtype: np.dtype) -> bool:
    return dtype.kind in ("T", "O")


def _expand(key: Any, ndim: int) -> list:
    """A key as one entry per axis (``...`` expanded, missing axes full),
    new axes (``None``) kept where they stand."""
    if not isinstance(key, tuple):
        key = (key,)
    if sum(k is Ellipsis for k in key) > 1:
        raise IndexError("an index can only have a single ellipsis ('...')")
    real = sum(1 for k in key if k is not None and k is not Ellipsis)
    if real > ndim:
        raise IndexError(f"too many indices for an array of {ndim} dimensions: {real}")
    if any(k is Ellipsis for k in key):
        i = next(i for i, k in enumerate(key) if k is Ellipsis)
        key = key[:i] + (slice(None),) * (ndim - real) + key[i + 1 :]
        real = ndim
    return list(key) + [slice(None)] * (ndim - real)


def _axis_item(k: Any) -> Any:
    """One axis of an orthogonal selection as the engine takes it."""
    if k is None:
        return None
    if isinstance(k, slice):
        return (k.start, k.stop, k.step)
    if isinstance(k, (int, np.integer)) and not isinstance(k, (bool, np.bool_)):
        return int(k)
    a = np.asarray(k)
    if a.dtype == bool:
        return np.ascontiguousarray(a.reshape(-1))
    if a.dtype.kind in "iu":
        return np.ascontiguousarray(a.reshape(-1), dtype=np.int64)
    raise IndexError(f"unsupported selection {k!r}: integers, slices, integer arrays and boolean masks only")


class Array:
    """An array on the engine: zarr-python's ``Array`` for reading and writing.

    Indexing follows numpy: ``a[...]`` reads (integers, slices with any
    non-zero step, ``...``; integer arrays and masks as in zarr-python:
    orthogonal when per axis, vectorized for a whole-array mask or several
    arrays); ``a.oindex``, ``a.vindex`` and ``a.blocks`` as zarr-python's.
    """

    def __init__(self, inner: _zarr_rs.RsArray):
        self._a = inner
        self._dtype = _numpy_dtype(inner.dtype_descr)

    # --- metadata -------------------------------------------------------
    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(self._a.shape)

    @property
    def ndim(self) -> int:
        return len(self._a.shape)

    @property
    def size(self) -> int:
        return int(np.prod(self.shape, dtype=np.int64)) if self.shape else 1

    @property
    def dtype(self) -> np.dtype:
        return self._dtype

    @property
    def chunks(self) -> tuple[int, ...]:
        """The chunk shape (the inner chunks of a sharded array), as zarr-python's."""
        inner = self._a.inner_chunk_shape
        return tuple(inner if inner is not None else self._a.chunk_shape)

    @property
    def shards(self) -> tuple[int, ...] | None:
        """The shard shape of a sharded array, else ``None``."""
        return tuple(self._a.chunk_shape) if self._a.inner_chunk_shape is not None else None

    @property
    def zarr_format(self) -> int:
        return self._a.zarr_format

    @property
    def path(self) -> str:
        return self._a.path

    @property
    def read_only(self) -> bool:
        return self._a.read_only

    @property
    def dimension_names(self) -> tuple[str | None, ...] | None:
        n = self._a.dimension_names
        return None if n is None else tuple(n)

    @property
    def fill_value(self) -> Any:
        raw = self._a.fill_value_bytes
        if self._dtype.kind == "T" or self._dtype == np.dtype(object):
            return raw.decode() if self._a.data_type_name == "string" else raw
        return np.frombuffer(raw, dtype=self._dtype)[0]

    @property
    def attrs(self) -> dict:
        """The user attributes (a copy; assign ``a.attrs = {...}`` or call
        :meth:`update_attributes` to change them)."""
        return json.loads(self._a.attributes_json)

    @attrs.setter
    def attrs(self, value: dict) -> None:
        self._a.set_attributes_json(json.dumps(dict(value)))

    def update_attributes(self, new: dict) -> dict:
        merged = self.attrs
        merged.update(new)
        self.attrs = merged
        return merged

    def __len__(self) -> int:
        if not self.shape:
            raise TypeError("len() of a 0-d array")
        return self.shape[0]

    def __repr__(self) -> str:
        return f"<zarr_rs.Array {self.path or '/'} shape={self.shape} dtype={self._dtype}>"

    # --- element data ---------------------------------------------------
    def _read(self, kind: str, items: list) -> np.ndarray:
        data, shape = self._a.read(kind, items)
        if isinstance(data, list):
            out = np.empty(len(data), dtype=self._dtype)
            out[:] = data
            return out.reshape(shape)
        return data.view(self._dtype).reshape(shape)

    def _write(self, kind: str, items: list, value: Any, shape: Sequence[int]) -> None:
        if _is_variable(self._dtype):
            v = np.broadcast_to(np.asarray(value, dtype=object), tuple(shape))
            flat = [x if isinstance(x, (str, bytes)) else str(x) for x in v.reshape(-1)]
            self._a.write(kind, items, flat, list(shape))
            return
        v = np.asarray(value, dtype=self._dtype)
        v = np.ascontiguousarray(np.broadcast_to(v, tuple(shape)))
        self._a.write(kind, items, v.reshape(-1).view(np.uint8), list(shape))

    def _selection_shape(self, kind: str, items: list) -> tuple[int, ...]:
        """The shape a write of this selection takes (numpy's rules)."""
        if kind == "orthogonal":
            out = []
            shape = iter(self.shape)
            for it in items:
                if it is None:
                    out.append(1)
                    continue
                n = next(shape)
                if isinstance(it, int):
                    continue
                if isinstance(it, tuple):
                    out.append(len(range(*slice(*it).indices(n))))
                elif it.dtype == bool:
                    out.append(int(it.sum()))
                else:
                    out.append(len(it))
            return tuple(out)
        if kind == "vectorized":
            return np.broadcast_shapes(*[it.shape for it in items])
        if kind == "mask":
            return (int(items[0].sum()),)
        if kind == "blocks":
            grid = self._a.chunk_shape
            out = []
            for n, c, it in zip(self.shape, grid, items):
                nb = -(-n // c)
                if isinstance(it, int):
                    b = it + nb if it < 0 else it
                    out.append(max(0, min(n, (b + 1) * c) - b * c))
                else:
                    r = range(*slice(*it).indices(nb))
                    out.append(sum(min(n, (b + 1) * c) - b * c for b in r))
            return tuple(out)
        raise ValueError(kind)

    def _route(self, key: Any) -> tuple[str, list]:
        """How ``a[key]`` selects, as zarr-python's ``__getitem__`` decides:
        a boolean array of the array's shape is a mask; one integer array per
        dimension (nothing else) is vectorized; anything else orthogonal."""
        if isinstance(key, np.ndarray) and key.dtype == bool and key.shape == self.shape and self.ndim > 1:
            return "mask", [np.ascontiguousarray(key)]
        keys = key if isinstance(key, tuple) else (key,)

        def int_array(k: Any) -> bool:
            if isinstance(k, (slice, int, np.integer)) or k is Ellipsis or k is None:
                return False
            a = np.asarray(k)
            return a.ndim >= 1 and a.dtype.kind in "iu"

        if self.ndim > 1 and len(keys) == self.ndim and all(int_array(k) for k in keys):
            return "vectorized", [np.ascontiguousarray(np.asarray(k), dtype=np.int64) for k in keys]
        return "orthogonal", [_axis_item(k) for k in _expand(key, self.ndim)]

    def __getitem__(self, key: Any) -> Any:
        kind, items = self._route(key)
        out = self._read(kind, items)
        return out[()] if out.ndim == 0 else out

    def __setitem__(self, key: Any, value: Any) -> None:
        kind, items = self._route(key)
        self._write(kind, items, value, self._selection_shape(kind, items))

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        out = self._read("orthogonal", [(None, None, None)] * self.ndim)
        return out if dtype is None else out.astype(dtype, copy=False)

    def get_basic_selection(self, selection: Any = Ellipsis) -> Any:
        return self[selection]

    def set_basic_selection(self, selection: Any, value: Any) -> None:
        self[selection] = value

    def get_orthogonal_selection(self, selection: Any) -> np.ndarray:
        return self.oindex[selection]

    def set_orthogonal_selection(self, selection: Any, value: Any) -> None:
        self.oindex[selection] = value

    def get_coordinate_selection(self, selection: Any) -> np.ndarray:
        return self.vindex[selection]

    def set_coordinate_selection(self, selection: Any, value: Any) -> None:
        self.vindex[selection] = value

    def get_mask_selection(self, mask: Any) -> np.ndarray:
        return self._read("mask", [np.ascontiguousarray(np.asarray(mask, dtype=bool))])

    def set_mask_selection(self, mask: Any, value: Any) -> None:
        items = [np.ascontiguousarray(np.asarray(mask, dtype=bool))]
        self._write("mask", items, value, self._selection_shape("mask", items))

    def get_block_selection(self, selection: Any) -> np.ndarray:
        return self.blocks[selection]

    def set_block_selection(self, selection: Any, value: Any) -> None:
        self.blocks[selection] = value

    @property
    def oindex(self) -> "_Indexer":
        """Orthogonal indexing: per axis an integer, slice, integer array or mask."""
        return _Indexer(self, "orthogonal")

    @property
    def vindex(self) -> "_Indexer":
        """Vectorized (point) indexing: integer arrays broadcast together, or a mask."""
        return _Indexer(self, "vectorized")

    @property
    def blocks(self) -> "_Indexer":
        """Block indexing: chunk (shard) indices and slices of them."""
        return _Indexer(self, "blocks")

    def resize(self, *shape: Any) -> None:
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        self._a.resize([int(s) for s in shape])

    def append(self, data: Any, axis: int = 0) -> tuple[int, ...]:
        """Grow along ``axis`` and write ``data`` there; returns the new shape."""
        v = np.asarray(data, dtype=None if _is_variable(self._dtype) else self._dtype)
        if _is_variable(self._dtype):
            flat = [x if isinstance(x, (str, bytes)) else str(x) for x in v.reshape(-1)]
            return tuple(self._a.append(flat, list(v.shape), axis))
        v = np.ascontiguousarray(v)
        return tuple(self._a.append(v.reshape(-1).view(np.uint8), list(v.shape), axis))

    def close(self) -> None:
        """Commit buffered writes (a zip archive is written on close)."""
        self._a.close()


class _Indexer:
    def __init__(self, array: Array, kind: str):
        self._array = array
        self._kind = kind

    def _items(self, key: Any) -> tuple[str, list]:
        a = self._array
        if self._kind == "vectorized":
            if isinstance(key, np.ndarray) and key.dtype == bool:
                return "mask", [np.ascontiguousarray(key)]
            keys = key if isinstance(key, tuple) else (key,)
            if len(keys) != a.ndim:
                raise IndexError(f"vindex needs one index array per dimension ({a.ndim}), got {len(keys)}")
            return "vectorized", [np.ascontiguousarray(np.asarray(k), dtype=np.int64) for k in keys]
        items = []
        for k in _expand(key, a.ndim):
            if self._kind == "blocks":
                if isinstance(k, slice):
                    items.append((k.start, k.stop, k.step))
                else:
                    items.append(int(k))
            else:
                items.append(_axis_item(k))
        return self._kind, items

    def __getitem__(self, key: Any) -> np.ndarray:
        kind, items = self._items(key)
        out = self._array._read(kind, items)
        return out[()] if out.ndim == 0 else out

    def __setitem__(self, key: Any, value: Any) -> None:
        kind, items = self._items(key)
        self._array._write(kind, items, value, self._array._selection_shape(kind, items))


def _read_only(mode: str) -> bool:
    if mode not in _MODES:
        raise ValueError(f"mode must be one of {_MODES}, got {mode!r}")
    return mode == "r"


def open_array(store: str, path: str = "", mode: str = "r") -> Array:
    """Open the array at ``path`` in ``store`` (a folder, ``file://``,
    ``zip://``, ``s3://``, ``gs://``, ``az://`` or ``http(s)://`` URL).
    ``mode="r"`` refuses writes; ``"r+"`` and ``"a"`` allow them."""
    return Array(_zarr_rs.open_array(str(store), path=path, read_only=_read_only(mode)))


def open(store: str, path: str = "", mode: str = "r") -> Array:  # noqa: A001 (zarr-python's name)
    """``open_array`` (groups come in a later version of ``zarr_rs``)."""
    return open_array(store, path=path, mode=mode)


def create_array(
    store: str,
    *,
    shape: Iterable[int] | int,
    dtype: Any,
    path: str = "",
    name: str | None = None,
    chunks: Iterable[int] | None = None,
    shards: Iterable[int] | None = None,
    fill_value: Any = None,
    compressors: Any = "auto",
    zarr_format: int = 3,
    attributes: dict | None = None,
    dimension_names: Iterable[str | None] | None = None,
    overwrite: bool = False,
) -> Array:
    """Create an array, as zarr-python's ``create_array``: ``compressors``
    is ``"auto"`` (zstd, as zarr-python), ``None`` (none), or a list of codec
    entries (``{"name": "gzip", "configuration": {"level": 5}}``)."""
    if isinstance(shape, (int, np.integer)):
        shape = (int(shape),)
    if name is not None:
        path = name
    if fill_value is not None:
        fill = fill_value.item() if isinstance(fill_value, np.generic) else fill_value
        if isinstance(fill, float) and (np.isnan(fill) or np.isinf(fill)):
            fill = "NaN" if np.isnan(fill) else ("Infinity" if fill > 0 else "-Infinity")
        if isinstance(fill, bytes):
            fill = list(fill)
        fill_json = json.dumps(fill)
    else:
        fill_json = None
    if compressors == "auto":
        comp_json = None
    elif compressors is None:
        comp_json = "[]"
    else:
        comp_json = json.dumps(list(compressors))
    inner = _zarr_rs.create_array(
        str(store),
        path,
        [int(s) for s in shape],
        _descr(dtype),
        chunks=None if chunks is None else [int(c) for c in chunks],
        shards=None if shards is None else [int(s) for s in shards],
        fill_value=fill_json,
        compressors=comp_json,
        zarr_format=zarr_format,
        attributes=None if attributes is None else json.dumps(attributes),
        dimension_names=None if dimension_names is None else list(dimension_names),
        overwrite=overwrite,
    )
    return Array(inner)
