"""``zarr_rs.CodecPipeline``: a zarr-python 3.4.2 codec pipeline on the Rust engine.

Enable it with ``zarr.config.set({"codec_pipeline.path": "zarr_rs.CodecPipeline"})`` or
the environment variable ``ZARR_CODEC_PIPELINE__PATH=zarr_rs.CodecPipeline``.

A batch of chunks is read by fetching the chunks through zarr-python's store
(concurrently), then decoding them in Rust, in parallel and with the GIL
released, straight into the output array's memory; a batch is written by
fetching the chunks a write covers only in part, merging and encoding in
Rust, then storing. Whatever the engine does not take (a codec it does not
implement, a variable-length data type, a non-native byte order, an output
that is not a C-contiguous numpy array, fancy selections) goes, batch by
batch, to zarr-python's own ``BatchedCodecPipeline``, so this pipeline works
wherever the default one does. :data:`STATS` counts the batches of each kind.
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from typing import Any, Iterable, Iterator

import numpy as np
from zarr.abc.codec import CodecPipeline as _CodecPipelineABC
from zarr.abc.codec import GetResult
from zarr.core.buffer import cpu as _cpu
from zarr.core.chunk_utils import fill_value_or_default
from zarr.core.codec_pipeline import BatchedCodecPipeline, codecs_from_list_unchecked
from zarr.core.common import concurrent_map
from zarr.core.config import config

from . import _zarr_rs

#: Batches handled per route: ``"read"`` / ``"write"`` (the engine) and
#: ``"read_fallback"`` / ``"write_fallback"`` (zarr-python's pipeline).
STATS: Counter = Counter()

_UNSUPPORTED = object()

# The codec methods and shard index lookups of zarr-python as imported; a
# batch whose codecs have had any of them replaced since (tests patch them
# to inject failures) goes to zarr-python's pipeline, which calls them.
_HOOKS = (
    "_decode_single",
    "_encode_single",
    "_decode_partial_single",
    "_encode_partial_single",
    "_load_shard_index_maybe",
    "_load_partial_shard_maybe",
)


def _codec_classes() -> dict:
    import zarr.codecs
    from zarr.codecs import sharding

    out = {}
    for cls in [c for c in vars(zarr.codecs).values() if isinstance(c, type)] + [sharding._ShardIndex]:
        for name in (*_HOOKS, "get_chunk_slice", "get_full_chunk_map"):
            out[(cls, name)] = getattr(cls, name, None)
    return out


_ORIGINAL = _codec_classes()


def _patched(codecs: Iterable[Any]) -> bool:
    """Whether these codecs are not zarr-python's (or numcodecs') own, as
    imported: a codec class registered by someone else (its behaviour is
    its own), or one whose methods were replaced since."""
    from zarr.codecs import sharding

    for c in codecs:
        cls = type(c)
        if cls.__module__.split(".")[0] not in ("zarr", "numcodecs"):
            return True
        if cls.__name__ == "V2Codec":
            parts = [*(c.filters or ()), *([c.compressor] if c.compressor is not None else [])]
            if any(type(p).__module__.split(".")[0] != "numcodecs" for p in parts):
                return True
        for name in _HOOKS:
            if (cls, name) in _ORIGINAL and getattr(cls, name, None) is not _ORIGINAL[(cls, name)]:
                return True
        if isinstance(c, sharding.ShardingCodec):
            index = sharding._ShardIndex
            for name in ("get_chunk_slice", "get_full_chunk_map"):
                if getattr(index, name, None) is not _ORIGINAL.get((index, name)):
                    return True
            if _patched(c.codecs) or _patched(c.index_codecs):
                return True
    return False


def _quiet_batched(codecs: tuple) -> BatchedCodecPipeline:
    """zarr-python's pipeline over codecs already validated (no warnings)."""
    aa, ab, bb = codecs_from_list_unchecked(codecs)
    return BatchedCodecPipeline(
        array_array_codecs=aa,
        array_bytes_codec=ab,
        bytes_bytes_codecs=bb,
        batch_size=config.get("codec_pipeline.batch_size"),
    )


def _region(sel: Any, n: int) -> tuple[int, int, int] | None:
    """One axis of a selection as ``(start, step, len)``, or None when it is
    not a slice or an integer."""
    if isinstance(sel, slice):
        start, stop, step = sel.indices(n)
        if step < 1:
            return None
        return (start, step, len(range(start, stop, step)))
    if isinstance(sel, (int, np.integer)) and not isinstance(sel, (bool, np.bool_)):
        i = int(sel)
        if i < 0:
            i += n
        return (i, 1, 1)
    return None


def _regions(
    chunk_shape: tuple[int, ...],
    chunk_sel: Any,
    out_shape: tuple[int, ...],
    out_sel: Any,
    drop_axes: tuple[int, ...],
) -> tuple[list, list] | None:
    """The chunk and output regions of one chunk, one ``(start, step, len)``
    per chunk axis (the output's shape gets a length-1 axis per dropped
    axis), or None when the selections are not basic."""
    if not isinstance(chunk_sel, tuple):
        chunk_sel = (chunk_sel,)
    if not isinstance(out_sel, tuple):
        out_sel = (out_sel,)
    if len(chunk_sel) != len(chunk_shape):
        return None
    src = []
    for s, n in zip(chunk_sel, chunk_shape):
        r = _region(s, n)
        if r is None:
            return None
        src.append(r)
    # Integer chunk selections drop their axis (numpy's indexing), as do
    # the orthogonal indexer's `drop_axes`.
    drop_axes = _dropped(chunk_sel, drop_axes)
    kept = [d for d in range(len(chunk_shape)) if d not in drop_axes]
    if len(out_sel) != len(kept) or len(out_shape) != len(kept):
        return None
    dst = [(0, 1, 1)] * len(chunk_shape)
    for d, s, n in zip(kept, out_sel, out_shape):
        r = _region(s, n)
        if r is None or r[2] != src[d][2]:
            return None
        dst[d] = r
    for d in drop_axes:
        if src[d][2] != 1:
            return None
    return src, dst


def _dropped(chunk_sel: Any, drop_axes: tuple[int, ...]) -> tuple[int, ...]:
    """The chunk axes absent from the output: the integers of the chunk
    selection and the indexer's ``drop_axes``."""
    if not isinstance(chunk_sel, tuple):
        chunk_sel = (chunk_sel,)
    ints = {
        d
        for d, s in enumerate(chunk_sel)
        if isinstance(s, (int, np.integer)) and not isinstance(s, (bool, np.bool_))
    }
    return tuple(sorted(ints | set(drop_axes)))


def _extended(shape: tuple[int, ...], ndim: int, drop_axes: tuple[int, ...]) -> list[int]:
    """``shape`` with a length-1 axis at each dropped axis."""
    it = iter(shape)
    return [1 if d in drop_axes else next(it) for d in range(ndim)]


def _zarray(codec: Any, spec: Any) -> dict:
    """The ``.zarray`` document of one chunk of a Zarr V2 array, from
    zarr-python's ``V2Codec`` (numcodecs filters and compressor) and the
    chunk's spec (its memory order is the chunks' order in V2; a null fill
    value is the data type's default, as zarr-python reads it)."""
    dtype = spec.dtype.to_json(zarr_format=2)  # {"name": ..., "object_codec_id": ...}
    return {
        "zarr_format": 2,
        "shape": list(spec.shape),
        "chunks": list(spec.shape),
        "dtype": dtype["name"] if isinstance(dtype, dict) else dtype,
        "fill_value": spec.dtype.to_json_scalar(fill_value_or_default(spec), zarr_format=2),
        "order": spec.order,
        "filters": [f.get_config() for f in codec.filters] if codec.filters else None,
        "compressor": codec.compressor.get_config() if codec.compressor is not None else None,
        "dimension_separator": ".",
    }


def _flat_bytes(a: np.ndarray) -> np.ndarray:
    return a.reshape(-1).view(np.uint8)


def _np_bytes(buf: Any) -> np.ndarray:
    """A zarr ``Buffer``'s bytes as a flat uint8 array (no copy)."""
    return buf.as_numpy_array().view(np.uint8).reshape(-1)


def _whole(regions: list, shape: tuple[int, ...]) -> bool:
    return all(r == (0, 1, n) for r, n in zip(regions, shape))


async def _fetch_shard_parts(layout: Any, index: tuple, byte_getter: Any, spec: Any, region: list) -> Any:
    """The inner chunks of one shard that ``region`` needs, as zarr-python's
    sharding codec fetches them: the index with one ``get``, the chunks with
    one coalescing ``Store.get_ranges``. None when the shard is missing."""
    from zarr.abc.store import RangeByteRequest, SuffixByteRequest
    from zarr.storage._common import StorePath

    at_start, size = index
    request = RangeByteRequest(0, size) if at_start else SuffixByteRequest(size)
    index_buf = await byte_getter.get(prototype=spec.prototype, byte_range=request)
    if index_buf is None:
        return None
    plan = layout.plan_shard(_np_bytes(index_buf), region)
    wanted = [(k, r) for k, r in enumerate(plan) if r is not None]
    parts: list = [None] * len(plan)
    if not wanted:
        return parts
    ranges = [RangeByteRequest(start, end) for _, (start, end) in wanted]
    if isinstance(byte_getter, StorePath):
        try:
            async for group in byte_getter.store.get_ranges(
                byte_getter.path,
                ranges,
                prototype=spec.prototype,
                max_gap_bytes=spec.config.sharding_coalesce_max_gap_bytes,
                max_coalesced_bytes=spec.config.sharding_coalesce_max_bytes,
            ):
                for j, buf in group:
                    if buf is not None:
                        parts[wanted[j][0]] = _np_bytes(buf)
        except BaseExceptionGroup as eg:
            # The shard went missing after its index was read: as missing.
            _, rest = eg.split(FileNotFoundError)
            if rest is not None:
                raise rest from None
            return None
    else:
        for (k, _), request in zip(wanted, ranges):
            buf = await byte_getter.get(prototype=spec.prototype, byte_range=request)
            if buf is not None:
                parts[k] = _np_bytes(buf)
    return parts


class CodecPipeline(_CodecPipelineABC):
    """A zarr-python ``CodecPipeline`` that decodes and encodes on the Rust engine."""

    def __init__(self, codecs: Iterable[Any], _fallback: BatchedCodecPipeline | None = None):
        self.codecs = tuple(codecs)
        self._fallback = _fallback if _fallback is not None else _quiet_batched(self.codecs)
        self._layouts: dict[Any, Any] = {}

    @property
    def _writes_ok(self) -> bool:
        """False when a sharding codec lays inner chunks out in another order
        than Morton's (``subchunk_write_order``, a setting zarr-python keeps
        outside the metadata): those writes stay with zarr-python."""

        def morton(codecs: Iterable[Any]) -> bool:
            for c in codecs:
                if type(c).__name__ == "ShardingCodec":
                    if getattr(c, "subchunk_write_order", "morton") != "morton":
                        return False
                    if not morton(c.codecs) or not morton(c.index_codecs):
                        return False
            return True

        return morton(self.codecs)

    # --- identity: by value, so arrays on the same data compare equal and pickle
    def __eq__(self, other: object) -> bool:
        return isinstance(other, CodecPipeline) and self.codecs == other.codecs

    def __hash__(self) -> int:
        return hash(self.codecs)

    def __repr__(self) -> str:
        return f"zarr_rs.CodecPipeline(codecs={self.codecs!r})"

    def __getstate__(self) -> dict:
        return {"codecs": self.codecs}

    def __setstate__(self, state: dict) -> None:
        self.codecs = tuple(state["codecs"])
        self._fallback = _quiet_batched(self.codecs)
        self._layouts = {}

    def __iter__(self) -> Iterator[Any]:
        return iter(self.codecs)

    # --- what zarr-python asks of a pipeline
    @classmethod
    def from_codecs(cls, codecs: Iterable[Any]) -> "CodecPipeline":
        fallback = BatchedCodecPipeline.from_codecs(codecs)  # validates and warns, once
        return cls(tuple(fallback), fallback)

    def evolve_from_array_spec(self, array_spec: Any) -> "CodecPipeline":
        fallback = self._fallback.evolve_from_array_spec(array_spec)
        return type(self)(tuple(fallback), fallback)

    @property
    def supports_partial_decode(self) -> bool:
        return self._fallback.supports_partial_decode

    @property
    def supports_partial_encode(self) -> bool:
        return self._fallback.supports_partial_encode

    def validate(self, *, shape: Any, dtype: Any, chunk_grid: Any) -> None:
        self._fallback.validate(shape=shape, dtype=dtype, chunk_grid=chunk_grid)

    def compute_encoded_size(self, byte_length: int, array_spec: Any) -> int:
        return self._fallback.compute_encoded_size(byte_length, array_spec)

    async def decode(self, chunk_bytes_and_specs: Iterable[Any]) -> Iterable[Any]:
        return await self._fallback.decode(chunk_bytes_and_specs)

    async def encode(self, chunk_arrays_and_specs: Iterable[Any]) -> Iterable[Any]:
        return await self._fallback.encode(chunk_arrays_and_specs)

    # --- the engine
    def _layout(self, spec: Any) -> Any:
        """The engine's layout for chunks of ``spec``, or None when it does
        not take them."""
        key = spec
        got = self._layouts.get(key)
        if got is None:
            got = _UNSUPPORTED
            try:
                native = spec.dtype.to_native_dtype()
                # Variable-length types (object, StringDType) and non-native
                # byte orders stay with zarr-python.
                if native.kind not in "OT" and native.isnative:
                    if len(self.codecs) == 1 and type(self.codecs[0]).__name__ == "V2Codec":
                        got = _zarr_rs.ChunkCodec.from_v2(
                            json.dumps(_zarray(self.codecs[0], spec)),
                            bool(spec.config.write_empty_chunks),
                        )
                    else:
                        got = _zarr_rs.ChunkCodec(
                            json.dumps([c.to_dict() for c in self.codecs]),
                            list(spec.shape),
                            json.dumps(spec.dtype.to_json(zarr_format=3)),
                            json.dumps(spec.dtype.to_json_scalar(fill_value_or_default(spec), zarr_format=3)),
                            bool(spec.config.write_empty_chunks),
                        )
                    if got.element_size != native.itemsize:
                        got = _UNSUPPORTED
            except Exception:  # anything the engine refuses: zarr-python's pipeline
                got = _UNSUPPORTED
            self._layouts[key] = got
        return None if got is _UNSUPPORTED else got

    def _plan(self, batch: list, array: Any, drop_axes: tuple[int, ...], writing: bool) -> Any:
        """(layout, chunk regions, array regions, extended array shape, the
        array as numpy, whether it is a scalar to broadcast) for a batch the
        engine takes, else None."""
        if not batch or not isinstance(array, _cpu.NDBuffer) or _patched(self.codecs):
            return None
        spec0 = batch[0][1]
        if any(item[1] != spec0 for item in batch):
            return None
        layout = self._layout(spec0)
        if layout is None:
            return None
        arr = array.as_numpy_array()
        if arr.dtype != spec0.dtype.to_native_dtype() or not arr.dtype.isnative:
            return None
        if not arr.flags.c_contiguous:
            return None
        ndim = len(spec0.shape)
        scalar = writing and arr.ndim == 0
        chunk_regions, array_regions = [], []
        if scalar:
            for _, spec, chunk_sel, _, _ in batch:
                sel = chunk_sel if isinstance(chunk_sel, tuple) else (chunk_sel,)
                if len(sel) != ndim:
                    return None
                r = [_region(x, n) for x, n in zip(sel, spec.shape)]
                if any(x is None for x in r):
                    return None
                chunk_regions.append(r)
                array_regions.append([])
            return layout, chunk_regions, array_regions, [], arr, True
        dropped = _dropped(batch[0][2], drop_axes)
        if arr.ndim + len(dropped) != ndim:
            return None
        ext = _extended(arr.shape, ndim, dropped)
        for _, spec, chunk_sel, out_sel, _ in batch:
            if _dropped(chunk_sel, drop_axes) != dropped:
                return None
            r = _regions(spec.shape, chunk_sel, arr.shape, out_sel, drop_axes)
            if r is None:
                return None
            chunk_regions.append(r[0])
            array_regions.append(r[1])
        return layout, chunk_regions, array_regions, ext, arr, False

    async def read(self, batch_info: Iterable[Any], out: Any, drop_axes: tuple[int, ...] = ()) -> tuple:
        batch = list(batch_info)
        plan = self._plan(batch, out, drop_axes, writing=False)
        if plan is None:
            STATS["read_fallback"] += 1
            return await self._fallback.read(batch, out, drop_axes)
        layout, chunk_regions, out_regions, ext, arr, _ = plan

        # Parts of shards: the index, then the inner chunks the read needs
        # (zarr-python's I/O: one `get` of the index, one coalescing
        # `get_ranges` per shard); everything else whole.
        index = layout.shard_index if self._fallback.supports_partial_decode else None
        partial = [
            index is not None
            and not _whole(regions, item[1].shape)
            and all(step == 1 or n == 1 for _, step, n in out_region)
            for regions, out_region, item in zip(chunk_regions, out_regions, batch)
        ]

        async def fetch(item: Any, part: bool, region: list) -> Any:
            byte_getter, spec = item[0], item[1]
            if part:
                return await _fetch_shard_parts(layout, index, byte_getter, spec, region)
            buf = await byte_getter.get(prototype=spec.prototype)
            return None if buf is None else _np_bytes(buf)

        fetched = await concurrent_map(
            list(zip(batch, partial, chunk_regions)), fetch, config.get("async.concurrency")
        )
        whole = [i for i, p in enumerate(partial) if not p or fetched[i] is None]
        parts = [i for i, p in enumerate(partial) if p and fetched[i] is not None]
        flat = _flat_bytes(arr)
        present = [False] * len(batch)
        if whole:
            got = await asyncio.to_thread(
                layout.read_into,
                [fetched[i] for i in whole],
                flat,
                ext,
                [chunk_regions[i] for i in whole],
                [out_regions[i] for i in whole],
            )
            for i, p in zip(whole, got):
                present[i] = p
        if parts:
            await asyncio.to_thread(
                layout.read_planned,
                [fetched[i] for i in parts],
                flat,
                ext,
                [chunk_regions[i] for i in parts],
                [out_regions[i] for i in parts],
            )
            for i in parts:
                present[i] = True
        STATS["read"] += 1
        return tuple(GetResult(status="present" if p else "missing") for p in present)

    async def write(self, batch_info: Iterable[Any], value: Any, drop_axes: tuple[int, ...] = ()) -> None:
        batch = list(batch_info)
        plan = self._plan(batch, value, drop_axes, writing=True) if self._writes_ok else None
        if plan is None:
            STATS["write_fallback"] += 1
            return await self._fallback.write(batch, value, drop_axes)
        layout, chunk_regions, value_regions, ext, arr, scalar = plan
        if self._fallback.supports_partial_encode:
            # A shard (zarr-python's partial encode) keeps what the write
            # does not cover, cells beyond the array's shape included: only
            # a write of the whole shard skips reading it.
            complete = [
                all(r == (0, 1, n) for r, n in zip(regions, item[1].shape))
                for regions, item in zip(chunk_regions, batch)
            ]
        else:
            complete = [bool(item[4]) for item in batch]

        async def fetch(item: Any, whole: bool) -> Any:
            if whole:
                return None
            byte_setter, spec = item[0], item[1]
            return await byte_setter.get(prototype=spec.prototype)

        existing = await concurrent_map(
            [(item, c) for item, c in zip(batch, complete)], fetch, config.get("async.concurrency")
        )
        existing = [None if b is None else b.as_numpy_array().view(np.uint8).reshape(-1) for b in existing]
        values = np.ascontiguousarray(arr).reshape(-1).view(np.uint8)
        encoded = await asyncio.to_thread(
            layout.encode_from,
            existing,
            complete,
            values,
            ext,
            chunk_regions,
            value_regions,
            scalar,
        )

        async def store(item: Any, data: Any) -> None:
            byte_setter, spec = item[0], item[1]
            if data is None:
                await byte_setter.delete()
            else:
                await byte_setter.set(spec.prototype.buffer.from_bytes(data))

        await concurrent_map(
            [(item, data) for item, data in zip(batch, encoded)], store, config.get("async.concurrency")
        )
        STATS["write"] += 1


# zarr-python finds pipelines by module and class name: this is the name
# its configuration uses ("zarr_rs.CodecPipeline"), and pickles refer to.
CodecPipeline.__module__ = "zarr_rs"
