//! Helpers shared by the end-to-end tests of the `zarr` binary.
#![allow(dead_code)] // each test crate uses a different subset

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Arc;
use zarr::store::{LocalStore, StoreRef};

/// Run the `zarr` binary with `args` and the extra environment `env`
/// (`ZARR_CLI_PROGRESS` removed unless given).
pub fn zarr_env(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_zarr"));
    c.args(args).env_remove("ZARR_CLI_PROGRESS");
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().expect("run the zarr binary")
}

/// Start `zarr ARGS` in the background (stdout discarded, stderr piped).
pub fn spawn(args: &[&str]) -> std::process::Child {
    Command::new(env!("CARGO_BIN_EXE_zarr"))
        .args(args)
        .env_remove("ZARR_CLI_PROGRESS")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("start the zarr binary")
}

/// Run the `zarr` binary with `args`.
pub fn zarr(args: &[&str]) -> Output {
    zarr_env(args, &[])
}

/// Bytes as text (lossy).
pub fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Run with `env` and require success; returns (stdout, stderr).
#[track_caller]
pub fn ok_env(args: &[&str], env: &[(&str, &str)]) -> (String, String) {
    let o = zarr_env(args, env);
    assert!(
        o.status.success(),
        "zarr {args:?} failed ({:?}):\nstdout: {}\nstderr: {}",
        o.status.code(),
        text(&o.stdout),
        text(&o.stderr)
    );
    (text(&o.stdout), text(&o.stderr))
}

/// Run and require success; returns stdout.
#[track_caller]
pub fn ok(args: &[&str]) -> String {
    ok_env(args, &[]).0
}

/// Run and require exit status 1 with one `error:` line on stderr (no
/// panic, no internal error); returns it.
#[track_caller]
pub fn fails(args: &[&str]) -> String {
    let o = zarr(args);
    let err = text(&o.stderr);
    assert_eq!(
        o.status.code(),
        Some(1),
        "zarr {args:?} should fail with status 1; stdout: {} stderr: {err}",
        text(&o.stdout)
    );
    assert_eq!(err.lines().count(), 1, "one line expected: {err:?}");
    assert!(err.starts_with("error: "), "{err:?}");
    assert!(
        !err.contains("panicked") && !err.contains("internal error"),
        "{err:?}"
    );
    err
}

/// A path as `&str` (the tests use UTF-8 temporary paths).
pub fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

/// A writable [`LocalStore`] over `dir`.
pub fn local(dir: &Path) -> StoreRef {
    Arc::new(LocalStore::new(dir, false).expect("store"))
}

/// The Python with zarr-python 3.4.2: `ZARR_TEST_PYTHON`, else the
/// repository's `.venv`. Missing both is a failure, not a skip.
pub fn python() -> PathBuf {
    if let Some(p) = std::env::var_os("ZARR_TEST_PYTHON").filter(|p| !p.is_empty()) {
        return PathBuf::from(p);
    }
    let venv = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.venv/bin/python");
    assert!(
        venv.exists(),
        "no Python with zarr-python 3.4.2: run `bash scripts/test.sh` (it makes .venv) or set ZARR_TEST_PYTHON"
    );
    venv
}
