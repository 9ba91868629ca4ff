#!/usr/bin/env python3
"""Whole-process benchmark harness (called by scripts/bench.sh, runs in bench/.venv).

Every tool runs as a separate process doing the same work:
  write: read INPUT.npy, create a Zarr V3 array (chunks 64^3, bytes little + zstd level 0,
         no checksum), write all of it;
  read:  open the array, read all of it into memory, write an .npy.
Each is timed by wall clock around the subprocess (time.perf_counter), WARMUP untimed runs
then REPEAT timed runs, median reported. Every tool reads the same reference store (written
by zarr-python) so reads decode identical bytes. Every read output is compared with the
input (.npy data bytes, dtype and shape), and every written store is read back with
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
class Tool:
    name: str
    write_cmd: list[str]  # with {input} {store}
    read_cmd: list[str]  # with {store} {output}
    write_times: list[float] = field(default_factory=list)
    read_times: list[float] = field(default_factory=list)
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


def check_store(store: str, expected: np.ndarray) -> str:
    try:
        arr = zarr.open_array(store, mode="r")
        got = arr[...]
    except Exception as e:  # noqa: BLE001
        return f"zarr-python cannot read the written store: {e}"
    if got.dtype != expected.dtype or got.shape != expected.shape or not np.array_equal(got, expected):
        return "zarr-python reads different values from the written store"
    codecs = [c["name"] for c in arr.metadata.to_dict()["codecs"]]
    if codecs != ["bytes", "zstd"]:
        return f"written store uses codecs {codecs}, not bytes + zstd"
    if tuple(arr.chunks) != (64, 64, 64):
        return f"written store has chunks {arr.chunks}"
    return ""


def dir_size(path: str) -> int:
    total = 0
    for root, _dirs, files in os.walk(path):
        for name in files:
            total += os.path.getsize(os.path.join(root, name))
    return total


def run(cmd: list[str]) -> tuple[float, str]:
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    dt = time.perf_counter() - t0
    if proc.returncode != 0:
        tail = proc.stdout.decode(errors="replace").strip().splitlines()[-5:]
        return dt, f"exit {proc.returncode}: " + " | ".join(tail)
    return dt, ""


def fmt(cmd: list[str], **kw: str) -> list[str]:
    return [c.format(**kw) for c in cmd]


def bench_tool(tool: Tool, args: argparse.Namespace, ref: tuple, ref_array: np.ndarray, ref_store: str) -> None:
    data = args.data_dir
    slug = tool.name.split()[0]
    store = os.path.join(data, f"store-{slug}.zarr")
    out = os.path.join(data, f"out-{slug}.npy")
    print(f"--- {tool.name}", flush=True)
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
    err = check_store(store, ref_array)
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
    if not args.keep:
        shutil.rmtree(store, ignore_errors=True)
        os.remove(out)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--input", required=True, help="input .npy")
    p.add_argument("--data-dir", required=True, help="scratch folder for stores and outputs")
    p.add_argument("--repeat", type=int, default=5)
    p.add_argument("--warmup", type=int, default=1)
    p.add_argument("--ours", help="path of our zarr CLI binary (left out: not benchmarked)")
    p.add_argument("--zarrs", help="path of the zarrs-peer binary")
    p.add_argument("--no-python-peers", action="store_true")
    p.add_argument("--keep", action="store_true", help="keep the written stores and outputs")
    args = p.parse_args()

    py = sys.executable
    tools: list[Tool] = []
    if args.ours:
        tools.append(Tool(
            "zarr (ours)",
            [args.ours, "import", "{input}", "{store}", "--chunks", "64,64,64", "--compressor", "zstd:0", "--overwrite"],
            [args.ours, "export", "{store}", "-o", "{output}"],
        ))
    if args.zarrs:
        tools.append(Tool(
            "zarrs",
            [args.zarrs, "write", "{input}", "{store}", "--chunks", "64,64,64", "--zstd-level", "0"],
            [args.zarrs, "read", "{store}", "{output}"],
        ))
    if not args.no_python_peers:
        tools.append(Tool(
            "tensorstore",
            [py, os.path.join(HERE, "peer_tensorstore.py"), "write", "{input}", "{store}", "64,64,64", "0"],
            [py, os.path.join(HERE, "peer_tensorstore.py"), "read", "{store}", "{output}"],
        ))
        tools.append(Tool(
            "zarr-python",
            [py, os.path.join(HERE, "peer_zarr_python.py"), "write", "{input}", "{store}", "64,64,64", "0"],
            [py, os.path.join(HERE, "peer_zarr_python.py"), "read", "{store}", "{output}"],
        ))
    if not tools:
        print("no tools to benchmark", file=sys.stderr)
        return 2

    os.makedirs(args.data_dir, exist_ok=True)
    ref = npy_data(args.input)
    ref_array = np.load(args.input)
    print(f"input: {args.input} {ref_array.dtype} {ref_array.shape} ({ref_array.nbytes / 2**20:.0f} MiB); "
          f"{args.warmup} warm-up + {args.repeat} timed runs each, median wall clock")

    # The reference store every tool reads: written once by zarr-python, untimed.
    ref_store = os.path.join(args.data_dir, "reference.zarr")
    shutil.rmtree(ref_store, ignore_errors=True)
    _, err = run([py, os.path.join(HERE, "peer_zarr_python.py"), "write", args.input, ref_store, "64,64,64", "0"])
    if err or check_store(ref_store, ref_array):
        print(f"cannot write the reference store with zarr-python: {err or check_store(ref_store, ref_array)}")
        return 1

    for tool in tools:
        bench_tool(tool, args, ref, ref_array, ref_store)

    ours = tools[0] if args.ours and not tools[0].error else None
    ours_w = statistics.median(ours.write_times) if ours and ours.write_times else None
    ours_r = statistics.median(ours.read_times) if ours and ours.read_times else None

    def ratio(t: float | None, base: float | None) -> str:
        return f"{t / base:.2f}x" if t is not None and base else "n/a"

    print()
    print(f"{'tool':<14} {'write s':>9} {'read s':>9} {'write/ours':>11} {'read/ours':>10} {'store MiB':>10}")
    print("-" * 68)
    failed = 0
    for t in tools:
        if t.error:
            failed += 1
            print(f"{t.name:<14} FAILED: {t.error}")
            continue
        w = statistics.median(t.write_times)
        r = statistics.median(t.read_times)
        print(f"{t.name:<14} {w:>9.3f} {r:>9.3f} {ratio(w, ours_w):>11} {ratio(r, ours_r):>10} "
              f"{t.store_bytes / 2**20:>10.1f}")
    if not ours:
        print("(our zarr CLI was not benchmarked or failed: ratios vs ours are n/a)")
    print("ratio = tool time / our time: above 1.00x means ours is faster")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
