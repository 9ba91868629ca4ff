#!/usr/bin/env python3
"""Whole-process benchmark harness (called by scripts/bench.sh, runs in bench/.venv).

Every tool runs as a separate process doing the same work, in two layouts:
  chunked: chunks 64^3, bytes little + zstd level 0, no checksum;
  sharded: shards 256^3 of inner chunks 32^3, sharding_indexed(bytes + zstd level 0; index
           bytes + crc32c at the end), as zarr-python's create_array(shards=, chunks=) writes it.
  write: read INPUT.npy, create a Zarr V3 array in the layout, write all of it;
  read:  open the array, read all of it into memory, write an .npy;
  boxes (sharded only): open the array, read BOXES small boxes (SIZE^3, fixed-seed random
         starts, the same for every tool) one read call each, stack them into an .npy.
  points / rows: open the array, read POINTS random points (one `vindex` selection) or
         ROWS random indices of axis 0, unsorted and repeated (one `oindex` selection),
         into an .npy; reported by each tool's own time (`inner_s:`). zarrs has no such
         selections and is left out of them.
Each is timed by wall clock around the subprocess (time.perf_counter), WARMUP untimed runs
then REPEAT timed runs, median reported; for boxes each tool also prints the time of its
own open + box reads (`inner_s:`), reported as a separate column (median). Every tool reads
the same reference store of the layout (written by zarr-python) so reads decode identical
bytes. Every read output is compared with the input (.npy data bytes, dtype and shape; the
boxes with the same boxes of the input), and every written store is read back with
zarr-python and compared too, so a tool can't look fast by doing the wrong work.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field

import numpy as np
import zarr

HERE = os.path.dirname(os.path.abspath(__file__))


@dataclass
class Layout:
    name: str
    chunks: tuple[int, ...]
    shards: tuple[int, ...] | None = None


CHUNKED = Layout("chunked", (64, 64, 64))
SHARDED = Layout("sharded", (32, 32, 32), (256, 256, 256))


@dataclass
class Tool:
    name: str
    write_cmd: list[str]  # with {input} {store}
    read_cmd: list[str]  # with {store} {output}
    boxes_cmd: list[str] | None = None  # with {store} {boxes} {size} {output}
    write_times: list[float] = field(default_factory=list)
    read_times: list[float] = field(default_factory=list)
    boxes_times: list[float] = field(default_factory=list)
    boxes_inner: list[float] = field(default_factory=list)
    select_cmd: list[str] | None = None  # with {store} {kind} {file} {output}
    select_inner: dict[str, list[float]] = field(default_factory=dict)
    store_bytes: int = 0
    error: str = ""


def npy_data(path: str) -> tuple[np.dtype, tuple[int, ...], bool, memoryview]:
    """dtype, shape, fortran_order and the raw data bytes of an .npy file."""
    with open(path, "rb") as f:
        version = np.lib.format.read_magic(f)
        if version == (1, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_1_0(f)
        else:
            shape, fortran, dtype = np.lib.format.read_array_header_2_0(f)
        data = f.read()
    return dtype, shape, fortran, memoryview(data)


def check_npy(path: str, ref: tuple) -> str:
    """'' if the .npy at path holds exactly the reference data, else why not."""
    if not os.path.exists(path):
        return f"{path} was not written"
    dtype, shape, fortran, data = npy_data(path)
    rdtype, rshape, _, rdata = ref
    if dtype != rdtype:
        return f"dtype {dtype} != {rdtype}"
    if shape != rshape:
        return f"shape {shape} != {rshape}"
    if fortran:
        return "fortran_order .npy"
    if data != rdata:
        return "data bytes differ from the input"
    return ""


def check_store(store: str, expected: np.ndarray, layout: Layout = CHUNKED) -> str:
    try:
        arr = zarr.open_array(store, mode="r")
        got = arr[...]
    except Exception as e:  # noqa: BLE001
        return f"zarr-python cannot read the written store: {e}"
    if got.dtype != expected.dtype or got.shape != expected.shape or not np.array_equal(got, expected):
        return "zarr-python reads different values from the written store"
    codecs = arr.metadata.to_dict()["codecs"]
    if layout.shards:
        if [c["name"] for c in codecs] != ["sharding_indexed"]:
            return f"written store uses codecs {[c['name'] for c in codecs]}, not sharding_indexed"
        inner = [c["name"] for c in codecs[0]["configuration"]["codecs"]]
        if inner != ["bytes", "zstd"]:
            return f"written store's shards use codecs {inner}, not bytes + zstd"
        if tuple(arr.shards or ()) != layout.shards:
            return f"written store has shards {arr.shards}"
    elif [c["name"] for c in codecs] != ["bytes", "zstd"]:
        return f"written store uses codecs {[c['name'] for c in codecs]}, not bytes + zstd"
    if tuple(arr.chunks) != layout.chunks:
        return f"written store has chunks {arr.chunks}"
    return ""


def check_boxes(path: str, expected: np.ndarray) -> str:
    if not os.path.exists(path):
        return f"{path} was not written"
    got = np.load(path)
    if got.dtype != expected.dtype or got.shape != expected.shape or not np.array_equal(got, expected):
        return f"boxes differ from the input's ({got.dtype} {got.shape})"
    return ""


def dir_size(path: str) -> int:
    total = 0
    for root, _dirs, files in os.walk(path):
        for name in files:
            total += os.path.getsize(os.path.join(root, name))
    return total


def run(cmd: list[str], stdout: list[str] | None = None) -> tuple[float, str]:
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    dt = time.perf_counter() - t0
    if stdout is not None:
        stdout.append(proc.stdout.decode(errors="replace"))
    if proc.returncode != 0:
        tail = proc.stdout.decode(errors="replace").strip().splitlines()[-5:]
        return dt, f"exit {proc.returncode}: " + " | ".join(tail)
    return dt, ""


def inner_seconds(text: str) -> float | None:
    for line in text.splitlines():
        if line.startswith("inner_s:"):
            return float(line.split(":", 1)[1])
    return None


def fmt(cmd: list[str], **kw: str) -> list[str]:
    return [c.format(**kw) for c in cmd]


def bench_tool(tool: Tool, args: argparse.Namespace, ref: tuple, ref_array: np.ndarray, ref_store: str,
               layout: Layout = CHUNKED, boxes: tuple[str, np.ndarray] | None = None,
               selections: dict[str, tuple[str, np.ndarray]] | None = None) -> None:
    data = args.data_dir
    slug = tool.name.split()[0] + ("" if layout is CHUNKED else f"-{layout.name}")
    store = os.path.join(data, f"store-{slug}.zarr")
    out = os.path.join(data, f"out-{slug}.npy")
    print(f"--- {tool.name} ({layout.name})", flush=True)
    if args.only_select:
        run_selections(tool, args, ref_store, out, selections)
        return
    for i in range(args.warmup + args.repeat):
        shutil.rmtree(store, ignore_errors=True)
        dt, err = run(fmt(tool.write_cmd, input=args.input, store=store))
        if err:
            tool.error = f"write failed: {err}"
            print(f"    {tool.error}")
            return
        if i >= args.warmup:
            tool.write_times.append(dt)
        print(f"    write run {i + 1}: {dt:.3f} s{' (warm-up)' if i < args.warmup else ''}", flush=True)
    err = check_store(store, ref_array, layout)
    if err:
        tool.error = f"wrong write: {err}"
        print(f"    {tool.error}")
        return
    tool.store_bytes = dir_size(store)
    for i in range(args.warmup + args.repeat):
        if os.path.exists(out):
            os.remove(out)
        dt, err = run(fmt(tool.read_cmd, store=ref_store, output=out))
        if not err:
            err = check_npy(out, ref)
        if err:
            tool.error = f"read failed: {err}"
            print(f"    {tool.error}")
            return
        if i >= args.warmup:
            tool.read_times.append(dt)
        print(f"    read run {i + 1}: {dt:.3f} s{' (warm-up)' if i < args.warmup else ''}", flush=True)
    if boxes is not None and tool.boxes_cmd:
        boxes_txt, expected = boxes
        for i in range(args.warmup + args.repeat):
            if os.path.exists(out):
                os.remove(out)
            stdout: list[str] = []
            dt, err = run(fmt(tool.boxes_cmd, store=ref_store, boxes=boxes_txt, size=str(args.box_size),
                              output=out), stdout)
            inner = inner_seconds(stdout[0])
            if not err and inner is None:
                err = "printed no inner_s: line"
            if not err:
                err = check_boxes(out, expected)
            if err:
                tool.error = f"boxes failed: {err}"
                print(f"    {tool.error}")
                return
            if i >= args.warmup:
                tool.boxes_times.append(dt)
                tool.boxes_inner.append(inner)
            print(f"    boxes run {i + 1}: {dt:.3f} s (inner {inner:.3f} s){' (warm-up)' if i < args.warmup else ''}",
                  flush=True)
    run_selections(tool, args, ref_store, out, selections)
    if not args.keep:
        shutil.rmtree(store, ignore_errors=True)
        if os.path.exists(out):
            os.remove(out)


def run_selections(tool: Tool, args: argparse.Namespace, ref_store: str, out: str,
                   selections: dict[str, tuple[str, np.ndarray]] | None) -> None:
    for kind, (path, expected) in (selections or {}).items():
        if not tool.select_cmd:
            break
        for i in range(args.warmup + args.repeat):
            if os.path.exists(out):
                os.remove(out)
            stdout = []
            dt, err = run(fmt(tool.select_cmd, store=ref_store, kind=kind, file=path, output=out), stdout)
            inner = inner_seconds(stdout[0]) if stdout else None
            if not err and inner is None:
                err = "printed no inner_s: line"
            if not err:
                got = np.load(out)
                if got.shape != expected.shape or not np.array_equal(got, expected):
                    err = f"{kind} differ from the input's ({got.dtype} {got.shape})"
            if err:
                tool.error = f"{kind} failed: {err}"
                print(f"    {tool.error}")
                return
            if i >= args.warmup:
                tool.select_inner.setdefault(kind, []).append(inner)
            print(f"    {kind} run {i + 1}: {dt:.3f} s (inner {inner:.3f} s){' (warm-up)' if i < args.warmup else ''}",
                  flush=True)
    if os.path.exists(out):
        os.remove(out)


def make_tools(args: argparse.Namespace, layout: Layout, boxes_bin: str | None,
               select_bin: str | None = None) -> list[Tool]:
    py = sys.executable
    chunks = ",".join(map(str, layout.chunks))
    shards = ",".join(map(str, layout.shards)) if layout.shards else None
    tools: list[Tool] = []
    if args.ours:
        tools.append(Tool(
            "zarr (ours)",
            [args.ours, "import", "{input}", "{store}", "--chunks", chunks]
            + (["--shards", shards] if shards else []) + ["--compressor", "zstd:0", "--overwrite"],
            [args.ours, "export", "{store}", "-o", "{output}"],
            [boxes_bin, "{store}", "{boxes}", "{size}", "{output}"] if boxes_bin else None,
            select_cmd=[select_bin, "{store}", "{kind}", "{file}", "{output}"] if select_bin else None,
        ))
    if args.zarrs:
        tools.append(Tool(
            "zarrs",
            [args.zarrs, "write", "{input}", "{store}", "--chunks", chunks]
            + (["--shards", shards] if shards else []) + ["--zstd-level", "0"],
            [args.zarrs, "read", "{store}", "{output}"],
            [args.zarrs, "boxes", "{store}", "{boxes}", "{size}", "{output}"],
        ))
    if not args.no_python_peers:
        for name, script in (("tensorstore", "peer_tensorstore.py"), ("zarr-python", "peer_zarr_python.py")):
            path = os.path.join(HERE, script)
            tools.append(Tool(
                name,
                [py, path, "write", "{input}", "{store}", chunks, "0"] + ([shards] if shards else []),
                [py, path, "read", "{store}", "{output}"],
                [py, path, "boxes", "{store}", "{boxes}", "{size}", "{output}"],
                select_cmd=[py, path, "select", "{store}", "{kind}", "{file}", "{output}"],
            ))
    return tools


def ratio(t: float | None, base: float | None) -> str:
    return f"{t / base:.2f}x" if t is not None and base else "n/a"


def print_table(title: str, tools: list[Tool], ours_given: bool, with_boxes: bool) -> int:
    ours = tools[0] if ours_given and tools and not tools[0].error else None

    def med(xs: list[float]) -> float | None:
        return statistics.median(xs) if xs else None

    print()
    print(title)
    head = f"{'tool':<14} {'write s':>9} {'read s':>9} {'write/ours':>11} {'read/ours':>10} {'store MiB':>10}"
    if with_boxes:
        head += f" {'boxes s':>9} {'boxes/ours':>11} {'inner s':>9} {'inner/ours':>11}"
    print(head)
    print("-" * len(head))
    failed = 0
    for t in tools:
        if t.error:
            failed += 1
            print(f"{t.name:<14} FAILED: {t.error}")
            continue
        if not t.write_times:
            continue
        w, r = med(t.write_times), med(t.read_times)
        line = (f"{t.name:<14} {w:>9.3f} {r:>9.3f} {ratio(w, ours and med(ours.write_times)):>11} "
                f"{ratio(r, ours and med(ours.read_times)):>10} {t.store_bytes / 2**20:>10.1f}")
        if with_boxes:
            b, bi = med(t.boxes_times), med(t.boxes_inner)
            line += (f" {'n/a' if b is None else f'{b:.3f}':>9} {ratio(b, ours and med(ours.boxes_times)):>11}"
                     f" {'n/a' if bi is None else f'{bi:.3f}':>9} {ratio(bi, ours and med(ours.boxes_inner)):>11}")
        print(line)
    if not ours:
        print("(our zarr CLI was not benchmarked or failed: ratios vs ours are n/a)")
    kinds = sorted({k for t in tools for k in t.select_inner})
    if kinds:
        print()
        head = f"{'tool':<14}" + "".join(f" {k + ' s':>10} {k + '/ours':>12}" for k in kinds)
        print(head)
        print("-" * len(head))
        for t in tools:
            if t.error or not t.select_inner:
                continue
            line = f"{t.name:<14}"
            for k in kinds:
                v = med(t.select_inner.get(k, []))
                base = ours and med(ours.select_inner.get(k, []))
                line += f" {'n/a' if v is None else f'{v:.3f}':>10} {ratio(v, base):>12}"
            print(line)
    return failed


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--input", required=True, help="input .npy")
    p.add_argument("--data-dir", required=True, help="scratch folder for stores and outputs")
    p.add_argument("--repeat", type=int, default=5)
    p.add_argument("--warmup", type=int, default=1)
    p.add_argument("--ours", help="path of our zarr CLI binary (left out: not benchmarked)")
    p.add_argument("--ours-boxes", help="path of our bench_boxes example binary (crates/zarr/examples)")
    p.add_argument("--ours-select", help="path of our bench_select example binary (crates/zarr/examples)")
    p.add_argument("--points", type=int, default=100_000, help="random points read by vindex")
    p.add_argument("--rows", type=int, default=1000, help="random axis-0 indices read by oindex")
    p.add_argument("--zarrs", help="path of the zarrs-peer binary")
    p.add_argument("--no-python-peers", action="store_true")
    p.add_argument("--layouts", default="chunked,sharded", help="which layouts: chunked, sharded or both")
    p.add_argument("--boxes", type=int, default=100, help="number of random boxes read (sharded layout)")
    p.add_argument("--box-size", type=int, default=16, help="box edge length")
    p.add_argument("--seed", type=int, default=1, help="seed of the box positions")
    p.add_argument("--keep", action="store_true", help="keep the written stores and outputs")
    p.add_argument("--only-select", action="store_true", help="only the point and row selections")
    args = p.parse_args()

    py = sys.executable
    layouts = [{"chunked": CHUNKED, "sharded": SHARDED}[n] for n in args.layouts.split(",")]
    if not (args.ours or args.zarrs or not args.no_python_peers):
        print("no tools to benchmark", file=sys.stderr)
        return 2

    os.makedirs(args.data_dir, exist_ok=True)
    ref = npy_data(args.input)
    ref_array = np.load(args.input)
    print(f"input: {args.input} {ref_array.dtype} {ref_array.shape} ({ref_array.nbytes / 2**20:.0f} MiB); "
          f"{args.warmup} warm-up + {args.repeat} timed runs each, median wall clock")

    failed = 0
    tables = []
    for layout in layouts:
        # The reference store every tool reads: written once by zarr-python, untimed.
        ref_store = os.path.join(args.data_dir, "reference.zarr" if layout is CHUNKED else f"reference-{layout.name}.zarr")
        shutil.rmtree(ref_store, ignore_errors=True)
        cmd = [py, os.path.join(HERE, "peer_zarr_python.py"), "write", args.input, ref_store,
               ",".join(map(str, layout.chunks)), "0"] + ([",".join(map(str, layout.shards))] if layout.shards else [])
        _, err = run(cmd)
        if err or check_store(ref_store, ref_array, layout):
            print(f"cannot write the {layout.name} reference store with zarr-python: "
                  f"{err or check_store(ref_store, ref_array, layout)}")
            return 1
        boxes = None
        if layout.shards:
            n = args.box_size
            rng = np.random.default_rng(args.seed)
            starts = rng.integers(0, np.array(ref_array.shape) - n + 1, size=(args.boxes, ref_array.ndim))
            boxes_txt = os.path.join(args.data_dir, "boxes.txt")
            with open(boxes_txt, "w") as f:
                f.writelines(",".join(map(str, b)) + "\n" for b in starts)
            expected = np.stack([ref_array[tuple(slice(s, s + n) for s in b)] for b in starts])
            boxes = (boxes_txt, expected)
            print(f"=== {layout.name} layout: shards {layout.shards}, inner chunks {layout.chunks}; "
                  f"{args.boxes} boxes of {n}^{ref_array.ndim}, seed {args.seed}")
        else:
            print(f"=== {layout.name} layout: chunks {layout.chunks}")
        rng = np.random.default_rng(args.seed + 1)
        points = rng.integers(0, np.array(ref_array.shape), size=(args.points, ref_array.ndim))
        rows = rng.integers(0, ref_array.shape[0], size=(args.rows, 1))
        selections = {}
        for kind, idx in (("points", points), ("rows", rows)):
            path = os.path.join(args.data_dir, f"{kind}.txt")
            np.savetxt(path, idx, fmt="%d", delimiter=",")
            expected = ref_array[tuple(idx.T)] if kind == "points" else ref_array[idx[:, 0]]
            selections[kind] = (path, expected)
        print(f"    selections: {args.points} random points (vindex), {args.rows} random rows of axis 0 (oindex)")
        tools = make_tools(args, layout, args.ours_boxes, args.ours_select)
        for tool in tools:
            bench_tool(tool, args, ref, ref_array, ref_store, layout, boxes, selections)
        tables.append((layout, tools))

    for layout, tools in tables:
        if layout.shards:
            title = (f"sharded: shards {'x'.join(map(str, layout.shards))}, inner chunks "
                     f"{'x'.join(map(str, layout.chunks))}, zstd 0; boxes = {args.boxes} reads of "
                     f"{args.box_size}^3 (whole process; inner = the tool's own open + reads)")
        else:
            title = f"chunked: chunks {'x'.join(map(str, layout.chunks))}, zstd 0"
        failed += print_table(title, tools, bool(args.ours), bool(layout.shards))
    print("ratio = tool time / our time: above 1.00x means ours is faster")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
