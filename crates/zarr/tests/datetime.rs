//! `datetime64` / `timedelta64` with units and scale factors, against
//! zarr-python 3.4.2 (V3 `numpy.datetime64` / `numpy.timedelta64` data
//! types, and V2 `<M8[ns]`-style type strings): its arrays read exactly as
//! `i64` counts (NaT = `i64::MIN`), ours have the same `zarr.json` /
//! `.zarray` and it reads them, and `.npy` export keeps the type.
//! (V2 fixtures from zarr-python 2.18 are in `tests/v2.rs`.)

#![allow(clippy::unwrap_used)]

mod common;

use serde_json::Value;
use std::sync::Arc;
use zarr::array::{Array, ArrayBuilder};
use zarr::chunk::Selection;
use zarr::dtype::{DataType, TimeKind, TimeType, TimeUnit, NAT};
use zarr::store::{LocalStore, StoreRef};

const WRITE: &str = r#"
import json, os, sys, warnings
import numpy as np
import zarr
warnings.simplefilter("ignore")
root = sys.argv[1]
cases = []
for fmt in (3, 2):
    for i, (dt, fill) in enumerate([("<M8[ns]", None), ("<m8[s]", None), ("<M8[D]", "NaT"),
                                    ("<M8[10s]", None), (">m8[ms]", 5), ("<m8[3us]", None)]):
        name = f"v{fmt}_{i}"
        kw = {}
        if fill == "NaT":
            kw["fill_value"] = np.datetime64("NaT")
        elif fill is not None:
            kw["fill_value"] = np.timedelta64(fill, "ms")
        if fmt == 3 and dt.startswith(">"):
            dt = "<" + dt[1:]
        a = zarr.create_array(os.path.join(root, "py"), name=name, shape=(5, 3), chunks=(2, 2),
                              dtype=dt, zarr_format=fmt, **kw)
        v = (np.arange(15, dtype="<i8") * 1000003 - 7000000).reshape(5, 3)
        v[1, 1] = np.iinfo("i8").min
        a[...] = v.view(np.dtype(dt).newbyteorder("<")).astype(dt)
        v.tofile(os.path.join(root, name + ".bin"))
        cases.append(name)
json.dump(cases, open(os.path.join(root, "cases.json"), "w"))
print("OK")
"#;

const VERIFY: &str = r#"
import json, os, sys, warnings
import numpy as np
import zarr
warnings.simplefilter("ignore")
root = sys.argv[1]
bad = []
for name in json.load(open(os.path.join(root, "cases.json"))):
    a = zarr.open_array(os.path.join(root, "py", name), mode="r")
    b = zarr.open_array(os.path.join(root, "rs", name), mode="r")
    doc = "zarr.json" if name.startswith("v3") else ".zarray"
    ja = json.load(open(os.path.join(root, "py", name, doc)))
    jb = json.load(open(os.path.join(root, "rs", name, doc)))
    if ja != jb:
        bad.append(f"{name}: metadata {ja} vs ours {jb}")
    x, y = a[...], b[...]
    if x.dtype != y.dtype or not np.array_equal(x, y, equal_nan=True):
        bad.append(f"{name}: values {x.dtype} {x} vs ours {y.dtype} {y}")
    n = np.load(os.path.join(root, name + ".npy"))
    if n.dtype != x.dtype.newbyteorder("=") or not np.array_equal(n, x, equal_nan=True):
        bad.append(f"{name}: exported .npy {n.dtype} {n}")
print("\n".join(bad) or "ALL OK")
"#;

#[test]
fn datetime_and_timedelta_both_directions() {
    let py = common::python();
    let dir = tempfile::tempdir().unwrap();
    let out = common::run_code(&py, WRITE, &[dir.path()]);
    assert!(out.contains("OK"), "{out}");
    let cases: Vec<String> =
        serde_json::from_slice(&std::fs::read(dir.path().join("cases.json")).unwrap()).unwrap();
    let theirs: StoreRef = Arc::new(LocalStore::new(dir.path().join("py"), true).unwrap());
    let ours: StoreRef = Arc::new(LocalStore::new(dir.path().join("rs"), false).unwrap());
    for name in &cases {
        let a = Array::open(theirs.clone(), name).unwrap();
        assert!(matches!(a.data_type(), DataType::Time(_)), "{name}");
        let want: Vec<i64> = std::fs::read(dir.path().join(format!("{name}.bin")))
            .unwrap()
            .chunks_exact(8)
            .map(|c| i64::from_le_bytes(c.try_into().unwrap()))
            .collect();
        let got = a.read_vec::<i64>(&Selection::all()).unwrap();
        assert_eq!(got, want, "{name}");
        assert_eq!(got[4], NAT);
        // Write the same array ourselves (same metadata), and export it.
        let b = match a.metadata_v2() {
            Some(m) => {
                let b = ArrayBuilder::new(a.shape().to_vec(), a.data_type())
                    .zarr_format(2)
                    .chunks(a.chunk_shape().to_vec())
                    .fill_value_json(m.fill_value.clone())
                    .compressor_v2(m.compressor.clone());
                match m.endian {
                    Some(e) => b.endian_v2(e),
                    None => b,
                }
            }
            None => ArrayBuilder::new(a.shape().to_vec(), a.data_type())
                .chunks(a.chunk_shape().to_vec())
                .fill_value_json(a.data_type().fill_value_to_json(&a.metadata().fill_value)),
        }
        .create(ours.clone(), name)
        .unwrap();
        b.write_slice(&Selection::all(), &got).unwrap();
        let nd = b.read_ndbuffer(&Selection::all()).unwrap();
        zarr::npy::write_npy(dir.path().join(format!("{name}.npy")), &nd).unwrap();
    }
    let out = common::run_code(&py, VERIFY, &[dir.path()]);
    assert!(out.contains("ALL OK"), "{out}");
}

#[test]
fn time_types_in_metadata_and_npy() {
    let t = TimeType {
        kind: TimeKind::TimeDelta,
        unit: TimeUnit::Millisecond,
        scale_factor: 1,
    };
    let dt = DataType::Time(t);
    assert_eq!(dt.size(), Some(8));
    assert_eq!(
        DataType::from_numpy_str(">m8[ms]").unwrap().0,
        dt,
        "V2 type string"
    );
    assert_eq!(
        dt.to_numpy_str(zarr::codec::Endian::Big).as_deref(),
        Some(">m8[ms]")
    );
    let fv = dt.fill_value_from_json(&Value::from("NaT")).unwrap();
    assert_eq!(dt.fill_value_to_json(&fv), Value::from(i64::MIN));
    assert!(dt.fill_value_from_json(&Value::from(1.5)).is_err());
    // .npy round trip keeps the type.
    let dir = tempfile::tempdir().unwrap();
    let store: StoreRef = Arc::new(LocalStore::new(dir.path(), false).unwrap());
    let a = ArrayBuilder::new(vec![4], dt)
        .chunks(vec![2])
        .create(store, "t")
        .unwrap();
    assert_eq!(a.metadata().fill_value.as_bytes(), NAT.to_ne_bytes());
    a.write_slice(&Selection::all(), &[1i64, NAT, -3, 4])
        .unwrap();
    let nd = a.read_ndbuffer(&Selection::all()).unwrap();
    let p = dir.path().join("t.npy");
    zarr::npy::write_npy(&p, &nd).unwrap();
    let back = zarr::npy::read_npy(&p).unwrap();
    assert_eq!(back.data_type(), dt);
    assert_eq!(back.data(), nd.data());
}
