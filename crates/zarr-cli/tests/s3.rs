//! The `zarr` binary on S3 URLs, against the real S3 servers that
//! `scripts/test.sh` starts on 127.0.0.1: `moto_server` (`ZARR_TEST_S3_MOTO`)
//! and `s3s-fs` (`ZARR_TEST_S3_S3S`, which checks request signatures). The
//! bucket `zarr-test` exists on both, with the access key `zarrtest` and the
//! secret `zarrtestsecret`.
//!
//! The command is exactly the one a user types,
//! `AWS_ENDPOINT_URL=http://127.0.0.1:PORT AWS_ALLOW_HTTP=true zarr import in.npy s3://bucket/a.zarr`,
//! with the settings in the environment only.
//!
//! Without the variables a test is skipped with a message, unless `CI` or
//! `ZARR_REQUIRE_SERVERS` is set: then it fails.

use std::path::Path;
use std::process::{Command, Output};
use zarr::buffer::NDBuffer;
use zarr::npy::{read_npy, write_npy};
use zarr::store::{ObjectStore, ObjectStoreOptions, Store};

fn endpoint(var: &str) -> Option<String> {
    match std::env::var(var) {
        Ok(v) if !v.is_empty() => Some(v),
        _ => {
            let required = ["CI", "ZARR_REQUIRE_SERVERS"]
                .iter()
                .any(|v| std::env::var_os(v).is_some_and(|x| !x.is_empty()));
            assert!(
                !required,
                "{var} is not set, but CI / ZARR_REQUIRE_SERVERS is: the S3 test server did not start"
            );
            eprintln!("skipping: {var} is not set (scripts/test.sh starts the S3 test servers)");
            None
        }
    }
}

/// Run the binary with the S3 settings in its environment only.
fn zarr(endpoint: &str, args: &[&str]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_zarr"));
    for (k, _) in std::env::vars_os() {
        if k.to_str().is_some_and(|k| k.starts_with("AWS_")) {
            cmd.env_remove(k);
        }
    }
    // `info` goes without AWS_ALLOW_HTTP: an http:// endpoint is allowed
    // by itself (the form of the command).
    if args.first() != Some(&"info") {
        cmd.env("AWS_ALLOW_HTTP", "true");
    }
    cmd.args(args)
        .env("AWS_ENDPOINT_URL", endpoint)
        .env("AWS_ACCESS_KEY_ID", "zarrtest")
        .env("AWS_SECRET_ACCESS_KEY", "zarrtestsecret")
        .env("AWS_REGION", "us-east-1")
        .output()
        .expect("run the zarr binary")
}

#[track_caller]
fn ok(endpoint: &str, args: &[&str]) -> String {
    let o = zarr(endpoint, args);
    let (out, err) = (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    );
    assert!(o.status.success(), "zarr {args:?} failed: {out} {err}");
    out
}

fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

/// Import, describe and export an array through `s3://`, then check the
/// objects on the server with the library.
fn import_info_export(var: &str) {
    let Some(endpoint) = endpoint(var) else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let prefix = format!("cli-{}-{nanos}/a.zarr", std::process::id());
    let url = format!("s3://zarr-test/{prefix}");
    let values: Vec<i32> = (0..120).map(|i| i * 7 - 300).collect();
    let input = NDBuffer::from_vec(&[10, 12], values).expect("an array");
    let npy = dir.path().join("in.npy");
    write_npy(&npy, &input).expect("write npy");

    ok(&endpoint, &["import", s(&npy), &url, "--chunks", "4,5"]);

    let info = ok(&endpoint, &["info", &url, "--json"]);
    let info: serde_json::Value = serde_json::from_str(&info).expect("info --json");
    assert_eq!(info["shape"], serde_json::json!([10, 12]), "{info}");
    let out = dir.path().join("out.npy");
    ok(&endpoint, &["export", &url, "-o", s(&out)]);
    assert_eq!(read_npy(&out).expect("read npy"), input);

    // The objects are on the server, under the prefix, one per chunk.
    let mut options = ObjectStoreOptions::default();
    options.from_env = false;
    for (k, v) in [
        ("aws_endpoint", endpoint.as_str()),
        ("aws_access_key_id", "zarrtest"),
        ("aws_secret_access_key", "zarrtestsecret"),
        ("aws_region", "us-east-1"),
        ("aws_allow_http", "true"),
    ] {
        options.config.push((k.into(), v.into()));
    }
    let store = ObjectStore::from_url(&url, options).expect("store");
    let keys = store.list().expect("list");
    assert!(keys.contains(&"zarr.json".to_string()), "{keys:?}");
    assert_eq!(keys.iter().filter(|k| k.starts_with("c/")).count(), 3 * 3);
}

#[test]
fn import_info_export_on_moto() {
    import_info_export("ZARR_TEST_S3_MOTO");
}

#[test]
fn import_info_export_on_s3s_fs() {
    import_info_export("ZARR_TEST_S3_S3S");
}

/// A server on 127.0.0.1 that accepts connections and never answers: each
/// command fails once the idle timeout and the retry bound have passed
/// (`ZARR_RS_IDLE_TIMEOUT`, `ZARR_RS_RETRY_TIMEOUT`), with one error line,
/// instead of stalling.
#[test]
fn a_silent_server_fails_after_the_timeouts() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    // Accept and hold every connection, reading nothing, answering nothing.
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for c in listener.incoming().flatten() {
            held.push(c);
        }
    });
    let endpoint = format!("http://127.0.0.1:{port}");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_zarr"));
    for (k, _) in std::env::vars_os() {
        if k.to_str().is_some_and(|k| k.starts_with("AWS_")) {
            cmd.env_remove(k);
        }
    }
    let started = std::time::Instant::now();
    let o = cmd
        .args(["info", "s3://zarr-test/silent.zarr"])
        .env("AWS_ENDPOINT_URL", &endpoint)
        .env("AWS_ACCESS_KEY_ID", "zarrtest")
        .env("AWS_SECRET_ACCESS_KEY", "zarrtestsecret")
        .env("AWS_REGION", "us-east-1")
        .env("ZARR_RS_IDLE_TIMEOUT", "500ms")
        .env("ZARR_RS_RETRY_TIMEOUT", "2s")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("zarr.json") && !err.contains("internal error"),
        "{err}"
    );
    // Not a timed test: only a guard against the old behaviour (minutes).
    assert!(
        started.elapsed() < std::time::Duration::from_secs(120),
        "{:?}",
        started.elapsed()
    );
}

/// An endpoint that is not a URL is refused by name (it used to panic
/// inside object_store and end as "internal error").
#[test]
fn a_bad_endpoint_url_is_refused_by_name() {
    for bad in [
        "not a url",
        "ftp://127.0.0.1:9",
        "http://",
        "127.0.0.1:9000",
    ] {
        let o = zarr(bad, &["info", "s3://zarr-test/x.zarr"]);
        let err = String::from_utf8_lossy(&o.stderr).into_owned();
        assert_eq!(o.status.code(), Some(1), "{bad:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{bad:?}: {err}");
        assert!(!err.contains("internal error"), "{bad:?}: {err}");
        assert!(err.contains(bad), "{bad:?}: {err}");
    }
}

/// A bucket that does not exist is named as such, not as a missing key.
#[test]
fn a_missing_bucket_is_named() {
    let Some(endpoint) = endpoint("ZARR_TEST_S3_MOTO") else {
        return;
    };
    let o = zarr(
        &endpoint,
        &["info", "s3://no-such-bucket-for-zarr-tests/x.zarr"],
    );
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("bucket does not exist"), "{err}");
}
