#!/usr/bin/env bash
# zarr-python 3.4.2's own test suite (from its sdist on the package index)
# run with zarr_rs.CodecPipeline as the codec pipeline.
#
#   bash scripts/zarr_python_suite.sh [PYTEST ARGS...]
#
# Makes its venv (target/zarr-python-suite/venv, exact pins of
# scripts/requirements-zarr-python-suite.txt), downloads and unpacks the
# sdist, installs our wheel (pip install ./python), and runs pytest in the
# unpacked tree with ZARR_CODEC_PIPELINE__PATH=zarr_rs.CodecPipeline
# (zarr-python's config reads it, and it survives the config.reset() of the
# suite's conftest). A conftest plugin (python/tests/suite_plugin.py) checks
# in the test process that the pipeline is ours and prints, at the end, how
# many tests sent chunk batches through the engine and how many through
# zarr-python's pipeline only.
#
# Without arguments: the whole suite (but tests/test_examples.py, which needs
# the network), two workers, 120 s per test, plus the pipeline battery
# (tests/test_codec_pipeline_suite.py's CodecPipelineTests subclassed for our
# pipeline, over its stores and LocalStore). With arguments: those pytest
# arguments instead, e.g. one file:
#   bash scripts/zarr_python_suite.sh tests/test_indexing.py
#
# Environment: ZARR_PYTHON (interpreter >= 3.12; default: found as
# scripts/test.sh finds it); HYPOTHESIS_PROFILE (default "ci", the suite's
# own derandomized profile, so a run is reproducible; "default" draws new
# examples each run).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
# shellcheck source=scripts/lib/python.sh
source "$ROOT/scripts/lib/python.sh"

WORK="$ROOT/target/zarr-python-suite"
mkdir -p "$WORK"
PYTHON="$(find_python)"
ensure_venv "$WORK/venv" "$ROOT/scripts/requirements-zarr-python-suite.txt" "$PYTHON"
PY="$WORK/venv/bin/python"

SRC="$WORK/zarr-3.4.2"
if [[ ! -f "$SRC/pyproject.toml" ]]; then
    rm -rf "$SRC" "$WORK/sdist"
    PIP_DISABLE_PIP_VERSION_CHECK=1 "$PY" -m pip download --quiet --no-deps --no-binary :all: \
        zarr==3.4.2 -d "$WORK/sdist"
    tar xzf "$WORK/sdist/zarr-3.4.2.tar.gz" -C "$WORK"
fi
# Our subclass of the pipeline battery, and the plugin.
cat >"$SRC/tests/test_zarr_rs_pipeline_suite.py" <<'PYEOF'
from tests.test_codec_pipeline_suite import CodecPipelineTests


class TestZarrRsPipeline(CodecPipelineTests):
    pipeline_path = "zarr_rs.CodecPipeline"
PYEOF
cp "$ROOT/python/tests/suite_plugin.py" "$SRC/tests/zarr_rs_suite_plugin.py"

CARGO_TARGET_DIR="${CARGO_TARGET_DIR_PY:-$ROOT/target/python}" PIP_DISABLE_PIP_VERSION_CHECK=1 \
    "$PY" -m pip install --quiet --no-input --no-deps --force-reinstall ./python

cd "$SRC"
if [[ "$#" -eq 0 ]]; then
    set -- -n 2 --timeout 120 --ignore=tests/test_examples.py tests
fi
rm -rf "$WORK/stats"
HYPOTHESIS_PROFILE="${HYPOTHESIS_PROFILE:-ci}" \
    ZARR_CODEC_PIPELINE__PATH=zarr_rs.CodecPipeline ZARR_RS_SUITE_STATS="$WORK/stats" \
    "$PY" -m pytest -q -p no:cacheprovider -p tests.zarr_rs_suite_plugin "$@"
