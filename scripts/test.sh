#!/usr/bin/env bash
# Runs every test of the project from a fresh clone:
#   Python venv (.venv, exact pins of scripts/requirements.txt) for the zarr-python interop tests,
#   a round trip of tests/interop/generate.py -> verify.py,
#   cargo fmt --check, cargo clippy -D warnings,
#   two S3 servers on 127.0.0.1 for the object-storage tests (scripts/lib/s3.sh: moto_server from
#   .venv and s3s-fs, built once into target/tools; stopped on exit),
#   cargo test --workspace (doc tests included),
#   the release-only shard memory test (crates/zarr/tests/shard_memory.rs: a 1 GiB
#   sharded read must peak below 1.25x its size),
#   the release-only streaming test of the tool (crates/zarr-cli/tests/streaming.rs: a 1 GiB
#   `zarr import` / `zarr export` must peak below 300 MiB and match a one-slab import),
#   the Python package (python/: fmt, clippy, `pip install ./python` into .venv, pytest python/tests),
#   zarr-python 3.4.2's own test suite (whole, but test_examples.py) on zarr_rs.CodecPipeline (scripts/zarr_python_suite.sh),
#   and every fuzz target for FUZZ_SECONDS (default 30) from its committed corpus
#   (scripts/fuzz.sh: installs cargo-fuzz from crates.io; nightly with AddressSanitizer
#   where nightly is installed, else stable without a sanitizer).
#
# Environment:
#   ZARR_PYTHON      interpreter (>= 3.12) used to build .venv (default: found automatically)
#   exported to the Rust tests:
#   ZARR_TEST_PYTHON      <repo>/.venv/bin/python, with zarr-python 3.4.2 installed
#   ZARR_TEST_PYTHON2     <repo>/.venv-zarr2/bin/python, with zarr-python 2.18 (Zarr V2 tests)
#   ZARR_TEST_FIXTURES    <repo>/target/interop/python-fixtures, written by generate.py
#   ZARR_CONCURRENT_REPEAT   rounds of the 4-process shard write test (default here: 10)
#   ZARR_TEST_S3_MOTO     endpoint of moto_server (from .venv) on 127.0.0.1, bucket zarr-test
#   ZARR_TEST_S3_S3S      endpoint of s3s-fs (installed into target/tools) on 127.0.0.1
#   ZARR_REQUIRE_SERVERS  set: the S3 tests fail (not skip) when an endpoint is missing
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
# shellcheck source=scripts/lib/python.sh
source "$ROOT/scripts/lib/python.sh"
# shellcheck source=scripts/lib/s3.sh
source "$ROOT/scripts/lib/s3.sh"

START=$SECONDS
phase() {
    echo
    echo "=== [$((SECONDS - START))s] $* ==="
}

phase "toolchain"
cargo --version
rustc --version
PYTHON="$(find_python)"
echo "python: $PYTHON ($("$PYTHON" --version 2>&1))"

phase "python venv (.venv from scripts/requirements.txt)"
ensure_venv "$ROOT/.venv" "$ROOT/scripts/requirements.txt" "$PYTHON"
export ZARR_TEST_PYTHON="$ROOT/.venv/bin/python"
"$ZARR_TEST_PYTHON" -c 'import zarr, numcodecs, numpy; print("zarr", zarr.__version__, "numcodecs", numcodecs.__version__, "numpy", numpy.__version__)'

phase "python venv (.venv-zarr2 from scripts/requirements-zarr2.txt)"
ensure_venv "$ROOT/.venv-zarr2" "$ROOT/scripts/requirements-zarr2.txt" "$PYTHON"
export ZARR_TEST_PYTHON2="$ROOT/.venv-zarr2/bin/python"
"$ZARR_TEST_PYTHON2" -c 'import zarr, numcodecs; print("zarr", zarr.__version__, "numcodecs", numcodecs.__version__)'

phase "python interop self-check (generate.py -> verify.py)"
export ZARR_TEST_FIXTURES="$ROOT/target/interop/python-fixtures"
mkdir -p "$ROOT/target/interop"
rm -rf "$ZARR_TEST_FIXTURES"
"$ZARR_TEST_PYTHON" tests/interop/generate.py "$ZARR_TEST_FIXTURES"
"$ZARR_TEST_PYTHON" tests/interop/verify.py "$ZARR_TEST_FIXTURES"

phase "cargo fmt --all --check"
cargo fmt --all --check

phase "cargo clippy --workspace --all-targets -- -D warnings"
cargo clippy --workspace --all-targets -- -D warnings

phase "S3 test servers on 127.0.0.1 (moto_server, s3s-fs)"
trap stop_s3_servers EXIT
start_s3_servers "$ROOT/.venv"
export ZARR_REQUIRE_SERVERS=1

phase "cargo test --workspace"
export ZARR_CONCURRENT_REPEAT="${ZARR_CONCURRENT_REPEAT:-10}"
cargo test --workspace

phase "shard memory test (release: 1 GiB sharded uint16 read, peak RSS < 1.25x)"
cargo test --release -p zarr --test shard_memory -- --nocapture

phase "streaming import/export test (release: 1 GiB through zarr import/export, peak RSS < 300 MiB)"
cargo test --release -p zarr-cli --test streaming -- --nocapture

phase "python package zarr_rs (python/): fmt, clippy, pip install ./python, pytest python/tests"
# Its own cargo workspace (a Python extension module); the target folder
# is shared by clippy and the wheel build.
export CARGO_TARGET_DIR_PY="$ROOT/target/python"
cargo fmt --manifest-path python/Cargo.toml --check
PYO3_PYTHON="$ZARR_TEST_PYTHON" CARGO_TARGET_DIR="$CARGO_TARGET_DIR_PY" \
    cargo clippy --manifest-path python/Cargo.toml --locked --all-targets -- -D warnings
CARGO_TARGET_DIR="$CARGO_TARGET_DIR_PY" PIP_DISABLE_PIP_VERSION_CHECK=1 \
    "$ZARR_TEST_PYTHON" -m pip install --quiet --no-input --no-deps --force-reinstall ./python
"$ZARR_TEST_PYTHON" -m pytest -q -p no:cacheprovider python/tests

phase "zarr-python 3.4.2 own test suite, whole, on zarr_rs.CodecPipeline (scripts/zarr_python_suite.sh)"
bash "$ROOT/scripts/zarr_python_suite.sh"

phase "fuzz: every target for ${FUZZ_SECONDS:-30} s from the committed corpus (scripts/fuzz.sh)"
FUZZ_SECONDS="${FUZZ_SECONDS:-30}" bash "$ROOT/scripts/fuzz.sh"

phase "all tests passed in $((SECONDS - START))s"
