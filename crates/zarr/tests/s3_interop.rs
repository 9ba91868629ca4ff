//! Interop with zarr-python 3.4.2 through S3: arrays we write to a real S3
//! server on 127.0.0.1 are read by zarr-python (its `ObjectStore` over
//! obstore, pinned in scripts/requirements.txt) from the same server, and
//! arrays zarr-python writes there we read. Runs against both servers that
//! scripts/test.sh starts (`ZARR_TEST_S3_MOTO`, `ZARR_TEST_S3_S3S`); without
//! them it skips with a message, unless `CI` / `ZARR_REQUIRE_SERVERS` is set.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use ndarray::{ArrayD, IxDyn};
use std::ffi::OsStr;
use std::sync::Arc;
use zarr::array::{Array, ArrayBuilder};
use zarr::chunk::Selection;
use zarr::dtype::DataType;
use zarr::store::{ObjectStore, ObjectStoreOptions, StoreRef};

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

fn store(endpoint: &str, prefix: &str) -> StoreRef {
    let mut options = ObjectStoreOptions::default();
    options.from_env = false;
    for (k, v) in [
        ("aws_endpoint", endpoint),
        ("aws_access_key_id", "zarrtest"),
        ("aws_secret_access_key", "zarrtestsecret"),
        ("aws_region", "us-east-1"),
    ] {
        options.config.push((k.into(), v.into()));
    }
    Arc::new(ObjectStore::from_url(&format!("s3://zarr-test/{prefix}"), options).unwrap())
}

/// zarr-python's side: `python -c PY ENDPOINT PREFIX`: checks the arrays we
/// wrote (`ours`, sharded `ours_sharded`), then writes `py` and
/// `py_sharded` for us to read.
const PY: &str = r#"
import sys
import numpy as np
import zarr
from obstore.store import S3Store

endpoint, prefix = sys.argv[1], sys.argv[2]
s3 = S3Store("zarr-test", prefix=prefix, endpoint=endpoint, access_key_id="zarrtest",
             secret_access_key="zarrtestsecret", region="us-east-1",
             client_options={"allow_http": True})
store = zarr.storage.ObjectStore(s3)
want = np.arange(13 * 11, dtype="int32").reshape(13, 11) * 7 - 500
for name in ["ours", "ours_sharded"]:
    got = zarr.open_array(store, path=name, mode="r")[:]
    assert got.dtype == np.int32, got.dtype
    np.testing.assert_array_equal(got, want)
data = (np.arange(9 * 14, dtype="float64").reshape(9, 14) / 4.0) - 3.0
a = zarr.create_array(store, name="py", shape=data.shape, chunks=(4, 5), dtype="float64")
a[:] = data
b = zarr.create_array(store, name="py_sharded", shape=data.shape, chunks=(2, 5),
                      shards=(4, 10), dtype="float64")
b[:] = data
print("zarr-python read ours and wrote py")
"#;

fn round_trip(var: &str) {
    let Some(endpoint) = endpoint(var) else {
        return;
    };
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let prefix = format!("interop-{}-{nanos}", std::process::id());
    let s = store(&endpoint, &prefix);
    let ours = ArrayD::from_shape_fn(IxDyn(&[13, 11]), |ix| (ix[0] * 11 + ix[1]) as i32 * 7 - 500);
    for (name, sharded) in [("ours", false), ("ours_sharded", true)] {
        let mut b = ArrayBuilder::new(vec![13, 11], DataType::Int32).chunks(vec![4, 3]);
        if sharded {
            b = b.shards(vec![8, 6]);
        }
        b.create(s.clone(), name)
            .unwrap()
            .write(&Selection::all(), ours.view())
            .unwrap();
    }
    let out = common::run(
        &common::python(),
        &[
            OsStr::new("-c"),
            OsStr::new(PY),
            OsStr::new(&endpoint),
            OsStr::new(&prefix),
        ],
    );
    assert!(out.contains("zarr-python read ours and wrote py"), "{out}");
    let theirs = ArrayD::from_shape_fn(IxDyn(&[9, 14]), |ix| {
        (ix[0] * 14 + ix[1]) as f64 / 4.0 - 3.0
    });
    for name in ["py", "py_sharded"] {
        let got = Array::open(s.clone(), name)
            .unwrap()
            .read::<f64>(&Selection::all())
            .unwrap();
        assert_eq!(got, theirs, "{name}");
    }
}

#[test]
fn zarr_python_through_moto() {
    round_trip("ZARR_TEST_S3_MOTO");
}

#[test]
fn zarr_python_through_s3s_fs() {
    round_trip("ZARR_TEST_S3_S3S");
}
