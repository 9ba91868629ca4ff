//! `.npy` files against numpy itself (only with ZARR_TEST_PYTHON): numpy
//! writes every supported type (both byte orders, Fortran order, versions 1,
//! 2 and 3), we read them and write them back, numpy checks what we wrote.

use std::process::Command;
use zarr::buffer::{NDData, Order};
use zarr::dtype::DataType;
use zarr::npy::{read_npy, write_npy};

const GENERATE: &str = r#"
import json, sys, os
import numpy as np
out = sys.argv[1]
rng = np.random.default_rng(0)
cases = []
def add(name, a, version=None):
    p = os.path.join(out, name + ".npy")
    if version is None:
        np.save(p, a, allow_pickle=False)
    else:
        with open(p, "wb") as f:
            np.lib.format.write_array(f, a, version=version, allow_pickle=False)
    cases.append({"name": name, "dtype": a.dtype.str, "shape": list(a.shape),
                  "fortran": bool(a.flags.f_contiguous and not a.flags.c_contiguous)})
for t in ["?", "i1", "u1", "i2", "u2", "i4", "u4", "i8", "u8", "f2", "f4", "f8", "c8", "c16"]:
    base = (rng.random((5, 6)) * 200 - 100)
    if t == "?":
        a = base > 0
    elif t.startswith("c"):
        a = (base + 1j * base[::-1]).astype(t)
    else:
        a = base.astype(t)
    add("le_" + t, a.astype("<" + t if t != "?" else t))
    if t not in ("?", "i1", "u1"):
        add("be_" + t, a.astype(">" + t))
    add("f_" + t, np.asfortranarray(a))
add("nan_inf", np.array([np.nan, np.inf, -np.inf, -0.0, 1e-300], dtype="<f8"))
add("scalar", np.array(3.5, dtype="<f4"))
add("empty", np.zeros((0, 3), dtype="<i4"))
add("v2", np.arange(12, dtype="<u2").reshape(3, 4), version=(2, 0))
add("v3", np.arange(12, dtype="<i8").reshape(3, 4), version=(3, 0))
add("unicode", np.array([["ab", "é🌍", ""], ["x\0y", "long string here", "z"]]))
add("unicode_be", np.array(["ab", "çd"]).astype(">U4"))
add("bytes", np.array([b"ab", b"", b"\x00\xffz", b"q"]))
add("void", np.array([b"ab\x00cd\x00", b"\xff" * 6, b"xyzuvw"], dtype="V6"))
st = np.dtype([("a", ">i4"), ("b", "<f8"), ("n", [("x", ">u2"), ("s", "S3")]), ("t", "?"), ("v", "V2")])
add("struct", np.array([(1, 2.5, (3, b"ab"), True, b"\x01\x02"), (-4, -1e300, (65535, b"xyz"), False, b"\x00\xff")], dtype=st).reshape(2, 1))
json.dump(cases, open(os.path.join(out, "cases.json"), "w"))
"#;

const VERIFY: &str = r#"
import json, sys, os
import numpy as np
out = sys.argv[1]
bad = []
for c in json.load(open(os.path.join(out, "cases.json"))):
    a = np.load(os.path.join(out, c["name"] + ".npy"))
    b = np.load(os.path.join(out, c["name"] + ".rust.npy"))
    want = a.astype(a.dtype.newbyteorder("<")) if a.dtype.byteorder == ">" else a
    # Strings and bytes are written with the width of their longest element.
    same_type = b.dtype == want.dtype or (b.dtype.kind in "US" and b.dtype.kind == want.dtype.kind)
    if not same_type or b.shape != want.shape:
        bad.append(f"{c['name']}: {b.dtype} {b.shape} vs {want.dtype} {want.shape}")
    elif b.dtype.kind in "fc":
        if not np.array_equal(b, want, equal_nan=True) or not np.array_equal(np.signbit(b.real), np.signbit(want.real)):
            bad.append(c["name"] + ": values")
    elif not np.array_equal(b, want):
        bad.append(c["name"] + ": values")
    if c["fortran"] and not b.flags.f_contiguous:
        bad.append(c["name"] + ": lost fortran order")
print("BAD" if bad else "OK", bad)
"#;

#[test]
fn numpy_round_trip() {
    let Ok(python) = std::env::var("ZARR_TEST_PYTHON") else {
        eprintln!("skipping numpy_round_trip: ZARR_TEST_PYTHON is not set");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let run = |script: &str| {
        let o = Command::new(&python)
            .args(["-c", script])
            .arg(dir.path())
            .output()
            .expect("run python");
        assert!(
            o.status.success(),
            "python failed: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        String::from_utf8_lossy(&o.stdout).into_owned()
    };
    run(GENERATE);
    let cases: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("cases.json")).unwrap()).unwrap();
    for c in cases.as_array().unwrap() {
        let name = c["name"].as_str().unwrap();
        let a = read_npy(dir.path().join(format!("{name}.npy")))
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let shape: Vec<usize> = c["shape"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d.as_u64().unwrap() as usize)
            .collect();
        assert_eq!(a.shape(), shape.as_slice(), "{name}");
        if c["fortran"].as_bool().unwrap() {
            assert_eq!(a.order(), Order::F, "{name}");
        }
        match name {
            "unicode" => {
                let s = a.to_vec::<String>().unwrap();
                assert_eq!(s, ["ab", "é🌍", "", "x\0y", "long string here", "z"]);
            }
            "unicode_be" => assert_eq!(a.to_vec::<String>().unwrap(), ["ab", "çd"]),
            "bytes" => {
                let NDData::Variable(v) = a.data() else {
                    panic!()
                };
                assert_eq!(a.data_type(), DataType::Bytes);
                assert_eq!(
                    v,
                    &[b"ab".to_vec(), vec![], vec![0, 0xff, b'z'], b"q".to_vec()]
                );
            }
            "void" => {
                assert_eq!(a.data_type(), DataType::RawBytes(6));
                assert_eq!(
                    a.data(),
                    &NDData::Fixed(b"ab\0cd\0\xff\xff\xff\xff\xff\xffxyzuvw".to_vec())
                );
            }
            "struct" => {
                let DataType::Struct(s) = a.data_type() else {
                    panic!("{:?}", a.data_type())
                };
                assert_eq!(a.data_type().size(), Some(4 + 8 + 5 + 1 + 2));
                assert_eq!(s.fields()[0].name(), "a");
                let NDData::Fixed(b) = a.data() else { panic!() };
                // Native-endian fields in memory.
                assert_eq!(b[..4], 1i32.to_ne_bytes());
                assert_eq!(b[4..12], 2.5f64.to_ne_bytes());
                assert_eq!(b[12..14], 3u16.to_ne_bytes());
                assert_eq!(&b[14..20], b"ab\0\x01\x01\x02");
            }
            "v2" => assert_eq!(a.to_vec::<u16>().unwrap(), (0..12).collect::<Vec<u16>>()),
            "v3" => assert_eq!(a.to_vec::<i64>().unwrap(), (0..12).collect::<Vec<i64>>()),
            _ => {}
        }
        write_npy(dir.path().join(format!("{name}.rust.npy")), &a).unwrap();
    }
    let out = run(VERIFY);
    assert!(out.starts_with("OK"), "numpy disagrees: {out}");
}
