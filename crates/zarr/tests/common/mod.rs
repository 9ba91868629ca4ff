//! Helpers shared by the integration tests that run zarr-python.
#![allow(dead_code)] // each test crate uses a different subset
#![allow(clippy::unwrap_used)]

pub mod counting;

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The repository root.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

/// The Python with zarr-python 3.4.2: `ZARR_TEST_PYTHON`, else the `.venv`
/// that `scripts/test.sh` makes. Missing both is a test failure, not a skip.
pub fn python() -> PathBuf {
    if let Ok(p) = std::env::var("ZARR_TEST_PYTHON") {
        if !p.is_empty() {
            return PathBuf::from(p);
        }
    }
    let venv = repo_root().join(".venv/bin/python");
    assert!(
        venv.exists(),
        "no Python with zarr-python 3.4.2: run `bash scripts/test.sh` (it makes .venv) or set ZARR_TEST_PYTHON"
    );
    venv
}

/// The Python with zarr-python 2.18 (`ZARR_TEST_PYTHON2`), when set; else
/// `None`, with a note that the zarr-python 2.18 checks are skipped.
pub fn python2() -> Option<PathBuf> {
    let p = std::env::var_os("ZARR_TEST_PYTHON2").filter(|p| !p.is_empty());
    if p.is_none() {
        eprintln!("note: ZARR_TEST_PYTHON2 is unset: skipping the zarr-python 2.18 checks");
    }
    p.map(PathBuf::from)
}

/// Run `py` with `args`; asserts success and returns stdout then stderr.
///
/// Python's fault handler is on, so a crash inside an extension module
/// (a signal rather than an exception) still prints a traceback, and a
/// failure names the exit status or the signal.
pub fn run(py: &Path, args: &[&OsStr]) -> String {
    let out = Command::new(py)
        .args(args)
        .env("PYTHONFAULTHANDLER", "1")
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success(),
        "python {args:?} failed ({}):\n{text}",
        describe_status(&out.status)
    );
    text
}

/// The exit code, or on Unix the signal that ended the process.
fn describe_status(status: &std::process::ExitStatus) -> String {
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(sig) = status.signal() {
            return format!("killed by signal {sig}");
        }
    }
    match status.code() {
        Some(code) => format!("exit code {code}"),
        None => "no exit code".to_string(),
    }
}

/// Run inline Python `code` with `args`.
pub fn run_code(py: &Path, code: &str, args: &[&Path]) -> String {
    let mut all: Vec<&OsStr> = vec![OsStr::new("-c"), OsStr::new(code)];
    all.extend(args.iter().map(|a| a.as_os_str()));
    run(py, &all)
}

/// Run the script `tests/interop/<name>` with `args`.
pub fn run_script(py: &Path, name: &str, args: &[&Path]) -> String {
    let script = repo_root().join("tests/interop").join(name);
    let mut all: Vec<&OsStr> = vec![script.as_os_str()];
    all.extend(args.iter().map(|a| a.as_os_str()));
    run(py, &all)
}
