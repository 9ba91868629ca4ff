#!/usr/bin/env bash
# Whole-process benchmark: our `zarr` CLI vs zarrs, tensorstore and zarr-python.
#
# Writing (import from .npy) and reading (export to .npy) a 256x256x256 uint16 array, in two
# layouts: chunks 64^3, and shards 256^3 of inner chunks 32^3; zstd level 0 without checksum.
# For the sharded layout also 100 reads of random 16^3 boxes in one process; for both layouts
# 100,000 random points (vindex) and 1,000 random rows of axis 0 (oindex). Each tool is a
# separate process; wall clock, median of N runs (after one warm-up run). See bench/run.py.
#
# Usage: scripts/bench.sh [--repeat N] [--warmup N] [--keep] [--only-select]
#   BENCH_REPEAT=N works too (default 5). ZARR_PYTHON picks the Python used for bench/.venv.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
# shellcheck source=scripts/lib/python.sh
source "$ROOT/scripts/lib/python.sh"

REPEAT="${BENCH_REPEAT:-5}"
WARMUP=1
EXTRA=()
while [[ $# -gt 0 ]]; do
    case "$1" in
        --repeat) REPEAT="$2"; shift 2 ;;
        --warmup) WARMUP="$2"; shift 2 ;;
        --keep) EXTRA+=(--keep); shift ;;
        --only-select) EXTRA+=(--only-select); shift ;;
        -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
        *) echo "unknown argument: $1" >&2; exit 2 ;;
    esac
done

DATA="$ROOT/bench/data"
mkdir -p "$DATA"

echo "=== python venv (bench/.venv from bench/requirements.txt)"
PYTHON="$(find_python)"
ensure_venv "$ROOT/bench/.venv" "$ROOT/bench/requirements.txt" "$PYTHON"
BPY="$ROOT/bench/.venv/bin/python"

echo "=== input data"
if [[ ! -f "$DATA/input.npy" ]]; then
    "$BPY" bench/make_input.py "$DATA/input.npy"
fi
ls -l "$DATA/input.npy"

echo "=== build: zarrs peer (release)"
ZARRS_ARGS=()
if cargo build --release --locked --manifest-path bench/zarrs-peer/Cargo.toml; then
    ZARRS_ARGS=(--zarrs "$ROOT/bench/zarrs-peer/target/release/zarrs-peer")
else
    echo "WARNING: the zarrs peer did not build: it is left out" >&2
fi

echo "=== build: our zarr CLI (release)"
OURS_ARGS=()
OURS="$ROOT/target/release/zarr"
# Smoke test on a tiny array: the binary must round-trip it exactly, else ours is skipped.
ours_smoke() {
    local d="$DATA/smoke"
    rm -rf "$d" && mkdir -p "$d"
    "$BPY" -c 'import sys, numpy as np; np.save(sys.argv[1], np.arange(5 * 70 * 7, dtype="<u2").reshape(5, 70, 7))' "$d/in.npy"
    "$OURS" import "$d/in.npy" "$d/store.zarr" --chunks 64,64,64 --compressor zstd:0 --overwrite \
        && "$OURS" export "$d/store.zarr" -o "$d/out.npy" \
        && [[ -f "$d/out.npy" ]] \
        && "$BPY" -c 'import sys, numpy as np; a, b = np.load(sys.argv[1]), np.load(sys.argv[2]); sys.exit(0 if a.dtype == b.dtype and a.shape == b.shape and np.array_equal(a, b) else 1)' "$d/in.npy" "$d/out.npy"
}
if ! cargo build --release -p zarr-cli; then
    echo "SKIPPING OURS: 'cargo build --release -p zarr-cli' failed; only the peers are benchmarked." >&2
elif ! ours_smoke; then
    echo "SKIPPING OURS: target/release/zarr failed the smoke test (import a tiny .npy, export it," >&2
    echo "              compare); only the peers are benchmarked (ratios vs ours are n/a)." >&2
else
    OURS_ARGS=(--ours "$OURS")
    # The random box reads of the sharded layout: a small example binary on the library.
    if cargo build --release -p zarr --example bench_boxes; then
        OURS_ARGS+=(--ours-boxes "$ROOT/target/release/examples/bench_boxes")
    else
        echo "WARNING: crates/zarr/examples/bench_boxes.rs did not build: ours does no box reads" >&2
    fi
    # The point and row selections: another example binary on the library.
    if cargo build --release -p zarr --example bench_select; then
        OURS_ARGS+=(--ours-select "$ROOT/target/release/examples/bench_select")
    else
        echo "WARNING: crates/zarr/examples/bench_select.rs did not build: ours does no selections" >&2
    fi
fi
rm -rf "$DATA/smoke"

echo "=== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
echo "=== benchmark"
"$BPY" bench/run.py --input "$DATA/input.npy" --data-dir "$DATA" --repeat "$REPEAT" --warmup "$WARMUP" \
    "${OURS_ARGS[@]}" "${ZARRS_ARGS[@]}" "${EXTRA[@]}"
