"""A pytest plugin for zarr-python's own suite run on ``zarr_rs.CodecPipeline``
(``scripts/zarr_python_suite.sh`` loads it with ``-p``; not a test module).

It checks, in the test process, that zarr-python's configured pipeline is
ours, and counts per test whether chunk batches went through the engine
(``zarr_rs.pipeline.STATS`` "read"/"write"), only through zarr-python's own
pipeline (the fallbacks), or neither (no chunk I/O). Each process writes
its counts to ``$ZARR_RS_SUITE_STATS`` (a folder); the controlling process
sums them in the terminal summary."""

import json
import os
import uuid

import pytest

_counts = {"engine": 0, "fallback_only": 0, "no_chunk_io": 0}


def pytest_configure(config):
    import zarr

    path = zarr.config.get("codec_pipeline.path")
    if path != "zarr_rs.CodecPipeline":
        raise pytest.UsageError(f"the codec pipeline is {path!r}, not zarr_rs.CodecPipeline")
    from zarr.registry import get_pipeline_class

    cls = get_pipeline_class()
    if cls.__module__ != "zarr_rs" or cls.__name__ != "CodecPipeline":
        raise pytest.UsageError(f"zarr-python's pipeline class is {cls!r}")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    from zarr_rs.pipeline import STATS

    before = dict(STATS)
    try:
        return (yield)
    finally:
        delta = {k: STATS[k] - before.get(k, 0) for k in STATS}
        if delta.get("read", 0) or delta.get("write", 0):
            _counts["engine"] += 1
        elif delta.get("read_fallback", 0) or delta.get("write_fallback", 0):
            _counts["fallback_only"] += 1
        else:
            _counts["no_chunk_io"] += 1


def pytest_sessionfinish(session):
    folder = os.environ.get("ZARR_RS_SUITE_STATS")
    if folder:
        os.makedirs(folder, exist_ok=True)
        with open(os.path.join(folder, f"{uuid.uuid4().hex}.json"), "w") as f:
            json.dump(_counts, f)


def pytest_terminal_summary(terminalreporter):
    folder = os.environ.get("ZARR_RS_SUITE_STATS")
    total = dict.fromkeys(_counts, 0)
    if folder and os.path.isdir(folder):
        for name in os.listdir(folder):
            with open(os.path.join(folder, name)) as f:
                for k, v in json.load(f).items():
                    total[k] = total.get(k, 0) + v
    else:
        total = dict(_counts)
    terminalreporter.write_line(
        "zarr_rs.CodecPipeline: tests whose chunk batches reached the engine: "
        f"{total['engine']}; only zarr-python's pipeline: {total['fallback_only']}; "
        f"no chunk I/O: {total['no_chunk_io']}"
    )
