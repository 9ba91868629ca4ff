//! `zarr info`, `zarr export` and `zarr import` on `raw_bytes` (numpy
//! `|V{n}`) and `struct` (numpy structured) arrays, against zarr-python
//! 3.4.2 and numpy: zarr-python writes the arrays, we describe and export
//! them, numpy loads the `.npy` files and compares; we import `.npy` files
//! and zarr-python reads the arrays.

mod common;

use common::{ok, python, s};
use serde_json::{json, Value};
use std::process::Command;

fn run_python(script: &str, args: &[&str]) -> String {
    let o = Command::new(python())
        .args(["-c", script])
        .args(args)
        .output()
        .expect("run python");
    let out = String::from_utf8_lossy(&o.stdout).into_owned();
    assert!(
        o.status.success() && out.contains("OK"),
        "python failed:\n{out}\n{}",
        String::from_utf8_lossy(&o.stderr)
    );
    out
}

const CREATE: &str = r#"
import sys, warnings
import numpy as np
import zarr
warnings.simplefilter("ignore")
root = sys.argv[1]
st = np.dtype([("a", ">i4"), ("b", "<f8"), ("n", [("x", "<u2"), ("s", "S3")]), ("t", "?")])
data = np.zeros((5, 3), dtype=st)
data["a"] = np.arange(15).reshape(5, 3) - 7
data["b"] = np.linspace(-1, 1, 15).reshape(5, 3)
data["n"]["x"] = np.arange(15).reshape(5, 3) * 1000
data["n"]["s"] = [[b"ab", b"", b"xyz"]] * 5
data["t"] = np.arange(15).reshape(5, 3) % 2 == 0
raw = np.frombuffer(bytes(range(7 * 4)), dtype="V4").copy()
for fmt in (2, 3):
    a = zarr.create_array(root, name=f"s{fmt}", shape=(5, 3), chunks=(2, 2), dtype=st,
                          zarr_format=fmt, fill_value=(1, 0.5, (2, b"q"), True))
    a[2:] = data[2:]
    # As a reader sees it (a V3 struct reopens with native-order fields).
    np.save(f"{root}/s{fmt}.expected.npy", zarr.open_array(root, path=f"s{fmt}")[...])
    r = zarr.create_array(root, name=f"r{fmt}", shape=(7,), chunks=(3,), dtype="V4", zarr_format=fmt)
    r[...] = raw
    np.save(f"{root}/r{fmt}.expected.npy", zarr.open_array(root, path=f"r{fmt}")[...])
print("OK")
"#;

/// numpy's answer to `--select SEL --fields F` on the array in argv[1]
/// (lists as orthogonal indices, one field as its own type, several
/// packed), saved to argv[4].
const FIELDS_EXPECTED: &str = r#"
import sys
import numpy as np
from numpy.lib.recfunctions import repack_fields
a = np.load(sys.argv[1])
parts = []
for p in sys.argv[2].split(",") if "[" not in sys.argv[2] else __import__("re").findall(r"\[[^]]*\]|[^,]+", sys.argv[2]):
    p = p.strip()
    if p.startswith("["):
        parts.append(np.array([int(v) for v in p[1:-1].split(",")]))
    else:
        parts.append(slice(*[int(v) if v else None for v in p.split(":")]))
for axis, p in enumerate(parts):
    a = a[(slice(None),) * axis + (p,)]
fields = sys.argv[3].split(",")
a = a[fields[0]] if len(fields) == 1 else repack_fields(a[fields])
np.save(sys.argv[4], np.ascontiguousarray(a))
print("OK")
"#;

const COMPARE: &str = r#"
import sys
import numpy as np
bad = []
for exported, expected in zip(sys.argv[1::2], sys.argv[2::2]):
    a, b = np.load(exported), np.load(expected)
    if a.dtype != b.dtype or a.shape != b.shape or a.tobytes() != b.tobytes():
        bad.append(f"{exported}: {a.dtype} {a.shape} vs {b.dtype} {b.shape}")
print("BAD" if bad else "OK", bad)
"#;

const READ_IMPORTED: &str = r#"
import sys
import numpy as np
import zarr
store = sys.argv[1]
bad = []
for path, npy in zip(sys.argv[2::2], sys.argv[3::2]):
    a = zarr.open_array(store, path=path, mode="r")[...]
    want = np.load(npy)
    if a.dtype.newbyteorder("=") != want.dtype.newbyteorder("=") or a.tobytes() != want.astype(a.dtype).tobytes():
        bad.append(f"{path}: {a.dtype} vs {want.dtype}")
print("BAD" if bad else "OK", bad)
"#;

#[test]
fn info_export_import_with_zarr_python() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("py.zarr");
    std::fs::create_dir_all(&root).unwrap();
    run_python(CREATE, &[s(&root)]);

    for fmt in [2, 3] {
        let info = ok(&["info", s(&root), "--path", &format!("s{fmt}"), "--json"]);
        let info: Value = serde_json::from_str(&info).unwrap();
        assert_eq!(info["data_type"], json!("struct"), "{info}");
        assert_eq!(
            info["fill_value"],
            json!({"a": 1, "b": 0.5, "n": {"x": 2, "s": "cQ=="}, "t": true}),
            "{info}"
        );
        assert_eq!(info["shape"], json!([5, 3]));
        let text = ok(&["info", s(&root), "--path", &format!("s{fmt}")]);
        assert!(
            text.contains(r#"struct{"a": int32, "b": float64, "n": struct{"x": uint16, "s": null_terminated_bytes[3]}, "t": bool}"#),
            "{text}"
        );
        let info = ok(&["info", s(&root), "--path", &format!("r{fmt}"), "--json"]);
        let info: Value = serde_json::from_str(&info).unwrap();
        assert_eq!(info["data_type"], json!("raw_bytes"), "{info}");
        assert_eq!(info["fill_value"], json!("AAAAAA=="), "{info}");
    }
    // zarr ls prints numpy's dtype names (the V3 arrays: the root is a V3 group).
    let ls = ok(&["ls", s(&root)]);
    assert!(
        ls.contains("[('a', '<i4'), ('b', '<f8'), ('n', [('x', '<u2'), ('s', 'S3')]), ('t', '?')]"),
        "{ls}"
    );
    assert!(ls.contains("|V4"), "{ls}");

    // Exports: numpy loads the same dtype (V2 keeps the big-endian field)
    // and the same bytes, the unwritten chunk rows holding the fill value.
    let mut pairs = Vec::new();
    for name in ["s2", "s3", "r2", "r3"] {
        let out = tmp.path().join(format!("{name}.npy"));
        ok(&["export", s(&root), "--path", name, "-o", s(&out)]);
        pairs.push(out);
        pairs.push(root.join(format!("{name}.expected.npy")));
    }
    let args: Vec<&str> = pairs.iter().map(|p| s(p)).collect();
    run_python(COMPARE, &args);

    // Fields of a selection (--fields), as numpy's field indexing gives them.
    let mut pairs = Vec::new();
    for (fields, select) in [("b", "[4,0],::-1"), ("n,a", "1:4,[2,0]")] {
        let out = tmp
            .path()
            .join(format!("f-{}.npy", fields.replace(',', "")));
        ok(&[
            "export",
            s(&root),
            "--path",
            "s3",
            "--select",
            select,
            "--fields",
            fields,
            "-o",
            s(&out),
        ]);
        let want = tmp
            .path()
            .join(format!("f-{}.expected.npy", fields.replace(',', "")));
        run_python(
            FIELDS_EXPECTED,
            &[s(&root.join("s3.expected.npy")), select, fields, s(&want)],
        );
        pairs.push(out);
        pairs.push(want);
    }
    let args: Vec<&str> = pairs.iter().map(|p| s(p)).collect();
    run_python(COMPARE, &args);
    let e = common::fails(&[
        "export",
        s(&root),
        "--path",
        "s3",
        "--fields",
        "zz",
        "-o",
        s(&tmp.path().join("x.npy")),
    ]);
    assert!(e.contains("\"zz\""), "{e}");

    // Imports, V2 and V3; zarr-python reads them.
    let store = tmp.path().join("ours.zarr");
    let mut args = vec![s(&store).to_string()];
    for (name, chunks) in [("s2", "2,2"), ("r2", "3")] {
        let npy = root.join(format!("{name}.expected.npy"));
        for fmt in ["2", "3"] {
            let path = format!("{name}_as_v{fmt}");
            ok(&[
                "import",
                s(&npy),
                s(&store),
                "--path",
                &path,
                "--chunks",
                chunks,
                "--zarr-format",
                fmt,
            ]);
            args.push(path);
            args.push(s(&npy).to_string());
        }
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    run_python(READ_IMPORTED, &args);
}
