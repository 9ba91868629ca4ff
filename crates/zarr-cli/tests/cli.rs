//! End-to-end tests of the `zarr` binary on temporary folders.

mod common;

use common::{fails, ok, s, text, zarr};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::Command;
use zarr::buffer::{NDBuffer, NDData, Order};
use zarr::dtype::DataType;
use zarr::npy::{read_npy, write_npy};

fn info_json(store: &Path, path: &str) -> Value {
    let out = ok(&["info", s(store), "--path", path, "--json"]);
    // Python's JSON: NaN / Infinity in attributes are bare tokens.
    zarr::metadata::json::parse_str(&out)
        .unwrap_or_else(|e| panic!("info --json is not JSON ({e}): {out}"))
}

fn sample(dt: DataType, shape: &[usize]) -> NDBuffer {
    let n: usize = shape.iter().product();
    let data = match dt.size() {
        Some(size) => {
            let mut b: Vec<u8> = (0..n * size).map(|i| (i * 131 % 251) as u8).collect();
            match dt {
                DataType::Bool => b.iter_mut().for_each(|x| *x &= 1),
                // Keep floats finite and free of NaN payload surprises.
                DataType::Float16 | DataType::Float32 | DataType::Float64 => {
                    let c = dt.size().unwrap_or(1);
                    for (i, e) in b.chunks_mut(c).enumerate() {
                        let v = i as f64 * 0.25 - 3.0;
                        match c {
                            2 => e.copy_from_slice(&half::f16::from_f64(v).to_ne_bytes()),
                            4 => e.copy_from_slice(&(v as f32).to_ne_bytes()),
                            _ => e.copy_from_slice(&v.to_ne_bytes()),
                        }
                    }
                }
                DataType::Complex64 | DataType::Complex128 => {
                    let c = dt.size().unwrap_or(1) / 2;
                    for (i, e) in b.chunks_mut(c).enumerate() {
                        let v = i as f64 * -0.5 + 1.0;
                        if c == 4 {
                            e.copy_from_slice(&(v as f32).to_ne_bytes());
                        } else {
                            e.copy_from_slice(&v.to_ne_bytes());
                        }
                    }
                }
                _ => {}
            }
            NDData::Fixed(b)
        }
        None if dt == DataType::String => NDData::Variable(
            (0..n)
                .map(|i| format!("s{i}-{}", "äβ🌍".repeat(i % 3)).into_bytes())
                .collect(),
        ),
        None => NDData::Variable(
            (0..n)
                .map(|i| (0..i % 5).map(|j| (j * 7 + i) as u8 + 1).collect())
                .collect(),
        ),
    };
    NDBuffer::from_parts(shape.to_vec(), dt, Order::C, data).expect("sample buffer")
}

struct Dir {
    _tmp: tempfile::TempDir,
    root: PathBuf,
}

fn tmp() -> Dir {
    let t = tempfile::tempdir().expect("tempdir");
    let root = t.path().to_path_buf();
    Dir { _tmp: t, root }
}

#[test]
fn round_trip_every_data_type() {
    let d = tmp();
    for (i, dt) in DataType::ALL.iter().copied().enumerate() {
        let input = sample(dt, &[7, 5]);
        let npy = d.root.join(format!("in{i}.npy"));
        write_npy(&npy, &input).unwrap();
        let store = d.root.join(format!("s{i}.zarr"));
        ok(&["import", s(&npy), s(&store), "--chunks", "3,2"]);
        let info = info_json(&store, "");
        assert_eq!(info["data_type"], json!(dt.name()), "{info}");
        assert_eq!(info["shape"], json!([7, 5]));
        assert_eq!(info["chunk_shape"], json!([3, 2]));
        assert_eq!(info["metadata"]["node_type"], json!("array"));
        assert!(info["stored_size_bytes"].as_u64().unwrap() > 0);
        let text = ok(&["info", s(&store)]);
        assert!(
            text.contains(dt.name()) && text.contains("stored size"),
            "{text}"
        );
        let out = d.root.join(format!("out{i}.npy"));
        ok(&["export", s(&store), "-o", s(&out)]);
        assert_eq!(read_npy(&out).unwrap(), input, "{dt}");
    }
}

#[test]
fn default_codecs_and_auto_chunks_match_zarr_python() {
    let d = tmp();
    let npy = d.root.join("a.npy");
    write_npy(&npy, &sample(DataType::UInt16, &[256, 256, 256])).unwrap();
    let store = d.root.join("a.zarr");
    ok(&["import", s(&npy), s(&store), "--path", "vol"]);
    let info = info_json(&store, "vol");
    assert_eq!(info["chunk_shape"], json!([64, 64, 128]));
    assert_eq!(
        info["codecs"],
        json!([{"name": "bytes", "configuration": {"endian": "little"}},
               {"name": "zstd", "configuration": {"level": 0, "checksum": false}}])
    );
    // The root became a group listing the array.
    let g = info_json(&store, "");
    assert_eq!(g["node_type"], json!("group"));
    assert_eq!(g["members"][0]["name"], json!("vol"));
    assert_eq!(g["members"][0]["node_type"], json!("array"));
    let t = ok(&["info", s(&store)]);
    assert!(
        t.contains("Group") && t.contains("vol") && t.contains("uint16"),
        "{t}"
    );
    // Strings default to vlen-utf8 + zstd.
    let npy = d.root.join("s.npy");
    write_npy(&npy, &sample(DataType::String, &[10])).unwrap();
    ok(&["import", s(&npy), s(&store), "--path", "strings"]);
    let info = info_json(&store, "strings");
    assert_eq!(info["codecs"][0]["name"], json!("vlen-utf8"));
}

#[test]
fn select_exports_numpy_style_selections() {
    let d = tmp();
    let (a, b, c) = (6usize, 5usize, 4usize);
    let v: Vec<i32> = (0..(a * b * c) as i32).collect();
    let input = NDBuffer::from_vec(&[a, b, c], v.clone()).unwrap();
    let npy = d.root.join("in.npy");
    write_npy(&npy, &input).unwrap();
    let store = d.root.join("s.zarr");
    ok(&["import", s(&npy), s(&store), "--chunks", "4,2,3"]);
    let at = |i: usize, j: usize, k: usize| v[(i * b + j) * c + k];
    let cases: Vec<(&str, Vec<usize>, Vec<i32>)> = vec![
        (
            "1:3,:,-1",
            vec![2, 5],
            (1..3)
                .flat_map(|i| (0..b).map(move |j| (i, j)))
                .map(|(i, j)| at(i, j, c - 1))
                .collect(),
        ),
        ("-1,-2,1", vec![], vec![at(a - 1, b - 2, 1)]),
        (
            "::2,1,1:",
            vec![3, 3],
            [0, 2, 4]
                .iter()
                .flat_map(|&i| (1..c).map(move |k| (i, k)))
                .map(|(i, k)| at(i, 1, k))
                .collect(),
        ),
        ("...,0", vec![a, b], (0..a * b).map(|f| v[f * c]).collect()),
        // Integer lists (orthogonal) and negative steps.
        (
            "[2,0,2],-1,::-2",
            vec![3, c.div_ceil(2)],
            [2, 0, 2]
                .iter()
                .flat_map(|&i| (0..c).rev().step_by(2).map(move |k| (i, k)))
                .map(|(i, k)| at(i, b - 1, k))
                .collect(),
        ),
        (
            "::-1,[1],0",
            vec![a, 1],
            (0..a).rev().map(|i| at(i, 1, 0)).collect(),
        ),
    ];
    for (sel, shape, want) in cases {
        let out = d.root.join("out.npy");
        ok(&["export", s(&store), "--select", sel, "-o", s(&out)]);
        let got = read_npy(&out).unwrap();
        assert_eq!(got.shape(), shape.as_slice(), "{sel}");
        assert_eq!(got.to_vec::<i32>().unwrap(), want, "{sel}");
    }
    // Points: one list per axis, broadcast with integers.
    let out = d.root.join("points.npy");
    ok(&[
        "export",
        s(&store),
        "--select",
        "[0,2,2],[1,0,1],-1",
        "--select-mode",
        "vectorized",
        "-o",
        s(&out),
    ]);
    let got = read_npy(&out).unwrap();
    assert_eq!(got.shape(), &[3]);
    assert_eq!(
        got.to_vec::<i32>().unwrap(),
        vec![at(0, 1, c - 1), at(2, 0, c - 1), at(2, 1, c - 1)]
    );
}

#[test]
fn every_compressor_form() {
    let d = tmp();
    let input = sample(DataType::Float32, &[40, 30]);
    let npy = d.root.join("in.npy");
    write_npy(&npy, &input).unwrap();
    let store = d.root.join("s.zarr");
    let cases: Vec<(&str, Value)> = vec![
        (
            "zstd",
            json!([{"name": "zstd", "configuration": {"level": 0, "checksum": false}}]),
        ),
        (
            "zstd:7",
            json!([{"name": "zstd", "configuration": {"level": 7, "checksum": false}}]),
        ),
        (
            "gzip",
            json!([{"name": "gzip", "configuration": {"level": 5}}]),
        ),
        (
            "gzip:1",
            json!([{"name": "gzip", "configuration": {"level": 1}}]),
        ),
        (
            "blosc",
            json!([{"name": "blosc", "configuration": {"typesize": 4, "cname": "zstd", "clevel": 5, "shuffle": "shuffle", "blocksize": 0}}]),
        ),
        (
            "blosc:lz4",
            json!([{"name": "blosc", "configuration": {"typesize": 4, "cname": "lz4", "clevel": 5, "shuffle": "shuffle", "blocksize": 0}}]),
        ),
        (
            "blosc:zlib:3",
            json!([{"name": "blosc", "configuration": {"typesize": 4, "cname": "zlib", "clevel": 3, "shuffle": "shuffle", "blocksize": 0}}]),
        ),
        (
            "blosc:zstd:5:bitshuffle",
            json!([{"name": "blosc", "configuration": {"typesize": 4, "cname": "zstd", "clevel": 5, "shuffle": "bitshuffle", "blocksize": 0}}]),
        ),
        (
            "blosc:blosclz:1:noshuffle",
            json!([{"name": "blosc", "configuration": {"typesize": 4, "cname": "blosclz", "clevel": 1, "shuffle": "noshuffle", "blocksize": 0}}]),
        ),
        (
            "blosc:lz4hc:9:shuffle",
            json!([{"name": "blosc", "configuration": {"typesize": 4, "cname": "lz4hc", "clevel": 9, "shuffle": "shuffle", "blocksize": 0}}]),
        ),
        (
            "blosc:snappy",
            json!([{"name": "blosc", "configuration": {"typesize": 4, "cname": "snappy", "clevel": 5, "shuffle": "shuffle", "blocksize": 0}}]),
        ),
        ("none", json!([])),
    ];
    for (i, (form, want)) in cases.iter().enumerate() {
        let path = format!("c{i}");
        ok(&[
            "import",
            s(&npy),
            s(&store),
            "--path",
            &path,
            "--chunks",
            "16,16",
            "--compressor",
            form,
        ]);
        let info = info_json(&store, &path);
        let codecs = info["codecs"].as_array().unwrap();
        assert_eq!(codecs[0]["name"], json!("bytes"), "{form}");
        assert_eq!(json!(codecs[1..]), *want, "{form}");
        let out = d.root.join("out.npy");
        ok(&["export", s(&store), "--path", &path, "-o", s(&out)]);
        assert_eq!(read_npy(&out).unwrap(), input, "{form}");
    }
    for bad in [
        "lzma",
        "zstd:x",
        "gzip:12",
        "blosc:lzma",
        "blosc:lz4:5:byteshuffle",
        "zstd:1:2",
    ] {
        let e = fails(&[
            "import",
            s(&npy),
            s(&store),
            "--path",
            "bad",
            "--compressor",
            bad,
        ]);
        assert!(e.contains("--compressor"), "{e}");
    }
    // A refused argument wrote nothing.
    assert!(!store.join("bad").exists());
}

#[test]
fn fill_values_and_attributes() {
    let d = tmp();
    let store = d.root.join("s.zarr");
    let cases: Vec<(DataType, &str, Value)> = vec![
        (DataType::Float64, "NaN", json!("NaN")),
        (DataType::Float32, "\"NaN\"", json!("NaN")),
        (DataType::Float32, "-Infinity", json!("-Infinity")),
        (DataType::Float64, "1.5", json!(1.5)),
        (DataType::Float64, "-0.0", json!(-0.0)),
        (DataType::Float32, "0x7fc00001", json!("0x7fc00001")),
        (DataType::Int16, "-7", json!(-7)),
        (
            DataType::UInt64,
            "18446744073709551615",
            json!(18446744073709551615u64),
        ),
        (DataType::Bool, "true", json!(true)),
        (DataType::Complex128, "[1.0, -2.0]", json!([1.0, -2.0])),
        (DataType::String, "abc", json!("abc")),
        (DataType::String, "\"\"", json!("")),
    ];
    for (i, (dt, arg, want)) in cases.iter().enumerate() {
        let npy = d.root.join(format!("in{i}.npy"));
        write_npy(&npy, &sample(*dt, &[4])).unwrap();
        let path = format!("f{i}");
        ok(&[
            "import",
            s(&npy),
            s(&store),
            "--path",
            &path,
            "--fill-value",
            arg,
        ]);
        let info = info_json(&store, &path);
        assert_eq!(info["fill_value"], *want, "{dt} {arg}");
        assert_eq!(info["metadata"]["fill_value"], *want, "{dt} {arg}");
    }
    let npy = d.root.join("in0.npy");
    let e = fails(&[
        "import",
        s(&npy),
        s(&store),
        "--path",
        "x",
        "--fill-value",
        "abc",
    ]);
    assert!(e.contains("fill value"), "{e}");
    let e = fails(&[
        "import",
        s(&npy),
        s(&store),
        "--path",
        "x",
        "--fill-value",
        "[1, 2]",
    ]);
    assert!(e.contains("fill value"), "{e}");

    ok(&[
        "import",
        s(&npy),
        s(&store),
        "--path",
        "attrs",
        "--attrs",
        r#"{"units": "m", "scale": [1, 2.5], "nested": {"ok": true}}"#,
    ]);
    let info = info_json(&store, "attrs");
    assert_eq!(
        info["attributes"],
        json!({"units": "m", "scale": [1, 2.5], "nested": {"ok": true}})
    );
    let t = ok(&["info", s(&store), "--path", "attrs"]);
    assert!(t.contains("\"units\": \"m\""), "{t}");

    // Non-finite numbers, as Python's json writes them (and zarr-python reads).
    ok(&[
        "import",
        s(&npy),
        s(&store),
        "--path",
        "nonfinite",
        "--attrs",
        r#"{"valid_max": NaN, "range": [-Infinity, Infinity], "s": "NaN"}"#,
    ]);
    let doc = std::fs::read_to_string(store.join("nonfinite/zarr.json")).unwrap();
    assert!(
        doc.contains("\"valid_max\": NaN,") && doc.contains("    -Infinity,\n      Infinity\n"),
        "{doc}"
    );
    let info = info_json(&store, "nonfinite");
    let attrs = &info["attributes"];
    assert!(zarr::metadata::json::as_f64(&attrs["valid_max"]).is_some_and(f64::is_nan));
    assert_eq!(
        zarr::metadata::json::as_f64(&attrs["range"][1]),
        Some(f64::INFINITY)
    );
    assert_eq!(attrs["s"], "NaN");
    let t = ok(&["info", s(&store), "--path", "nonfinite"]);
    assert!(
        t.contains(r#"{"valid_max": NaN, "range": [-Infinity, Infinity], "s": "NaN"}"#),
        "{t}"
    );
    for bad in ["[1, 2]", "{oops"] {
        let e = fails(&["import", s(&npy), s(&store), "--path", "x", "--attrs", bad]);
        assert!(e.contains("--attrs"), "{e}");
    }
}

#[test]
fn overwrite_is_refused_without_the_flag() {
    let d = tmp();
    let store = d.root.join("s.zarr");
    let a = d.root.join("a.npy");
    let b = d.root.join("b.npy");
    let first = NDBuffer::from_vec(&[3], vec![1i64, 2, 3]).unwrap();
    let second = NDBuffer::from_vec(&[2, 2], vec![1.0f32, 2.0, 3.0, 4.0]).unwrap();
    write_npy(&a, &first).unwrap();
    write_npy(&b, &second).unwrap();
    ok(&["import", s(&a), s(&store)]);
    let e = fails(&["import", s(&b), s(&store)]);
    assert!(
        e.contains("already exists") && e.contains("--overwrite"),
        "{e}"
    );
    assert!(e.contains("zarr.json"), "{e}");
    let out = d.root.join("out.npy");
    ok(&["export", s(&store), "-o", s(&out)]);
    assert_eq!(
        read_npy(&out).unwrap(),
        first,
        "unchanged after the refusal"
    );
    ok(&["import", s(&b), s(&store), "--overwrite"]);
    ok(&["export", s(&store), "-o", s(&out)]);
    assert_eq!(read_npy(&out).unwrap(), second);
    // Nested paths too.
    ok(&["import", s(&a), s(&d.root.join("t.zarr")), "--path", "g/x"]);
    fails(&["import", s(&a), s(&d.root.join("t.zarr")), "--path", "g/x"]);
}

#[test]
fn dtype_conversion() {
    let d = tmp();
    let store = d.root.join("s.zarr");
    let npy = d.root.join("f.npy");
    write_npy(
        &npy,
        &NDBuffer::from_vec(&[4], vec![-1.5f64, 0.0, 2.9, 300.0]).unwrap(),
    )
    .unwrap();
    ok(&[
        "import",
        s(&npy),
        s(&store),
        "--path",
        "i",
        "--dtype",
        "int16",
    ]);
    let out = d.root.join("out.npy");
    ok(&["export", s(&store), "--path", "i", "-o", s(&out)]);
    assert_eq!(
        read_npy(&out).unwrap().to_vec::<i16>().unwrap(),
        vec![-1, 0, 2, 300]
    );
    ok(&[
        "import",
        s(&npy),
        s(&store),
        "--path",
        "h",
        "--dtype",
        "float16",
    ]);
    assert_eq!(info_json(&store, "h")["data_type"], json!("float16"));
    let e = fails(&[
        "import",
        s(&npy),
        s(&store),
        "--path",
        "x",
        "--dtype",
        "string",
    ]);
    assert!(
        e.contains("cannot convert float64 to string") && e.contains("f.npy"),
        "{e}"
    );
    let e = fails(&[
        "import",
        s(&npy),
        s(&store),
        "--path",
        "x",
        "--dtype",
        "int128",
    ]);
    assert!(e.contains("--dtype") && e.contains("int128"), "{e}");
    // Bytes and strings convert to each other.
    let sn = d.root.join("s.npy");
    write_npy(&sn, &sample(DataType::String, &[5])).unwrap();
    ok(&[
        "import",
        s(&sn),
        s(&store),
        "--path",
        "b",
        "--dtype",
        "bytes",
    ]);
    assert_eq!(
        info_json(&store, "b")["data_type"],
        json!("variable_length_bytes")
    );
}

/// A reader that goes away (`zarr info ... | head -1`) ends the tool quietly
/// by SIGPIPE, as other Unix tools end, not with an "internal error".
#[cfg(unix)]
#[test]
fn closed_standard_output_ends_quietly() {
    use std::os::unix::process::ExitStatusExt;
    let d = tmp();
    let store = d.root.join("s.zarr");
    let npy = d.root.join("in.npy");
    write_npy(&npy, &sample(DataType::UInt8, &[10, 3])).unwrap();
    ok(&["import", s(&npy), s(&store)]);
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader); // closed before the tool writes anything
    let o = Command::new(env!("CARGO_BIN_EXE_zarr"))
        .args(["info", s(&store), "--json"])
        .stdout(writer)
        .stderr(std::process::Stdio::piped())
        .output()
        .unwrap();
    assert_eq!(o.status.signal(), Some(13), "SIGPIPE: {o:?}");
    assert!(o.stderr.is_empty(), "{}", text(&o.stderr));
}

#[test]
fn export_to_standard_output() {
    let d = tmp();
    let store = d.root.join("s.zarr");
    let npy = d.root.join("in.npy");
    let input = sample(DataType::UInt8, &[10, 3]);
    write_npy(&npy, &input).unwrap();
    ok(&["import", s(&npy), s(&store)]);
    let o = zarr(&["export", s(&store), "--select", "2:4", "-o", "-"]);
    assert!(o.status.success());
    let got = zarr::npy::read_npy_from(&o.stdout[..]).unwrap();
    assert_eq!(got.shape(), &[2, 3]);
    assert!(text(&o.stderr).contains("exported"));
}

#[test]
fn errors_are_one_line_and_name_the_problem() {
    let d = tmp();
    let missing = d.root.join("nope.zarr");
    let e = fails(&["info", s(&missing)]);
    assert!(
        e.contains("nope.zarr") && e.contains("no such store"),
        "{e}"
    );
    let e = fails(&["export", s(&missing), "-o", s(&d.root.join("o.npy"))]);
    assert!(e.contains("nope.zarr"), "{e}");
    let e = fails(&[
        "import",
        s(&d.root.join("nope.npy")),
        s(&d.root.join("x.zarr")),
    ]);
    assert!(e.contains("nope.npy"), "{e}");
    assert!(
        !d.root.join("x.zarr").exists(),
        "nothing created on a bad input"
    );
    let notnpy = d.root.join("bad.npy");
    std::fs::write(&notnpy, b"hello world").unwrap();
    let e = fails(&["import", s(&notnpy), s(&d.root.join("x.zarr"))]);
    assert!(e.contains("bad.npy") && e.contains("not a .npy"), "{e}");

    // An empty folder is not an array.
    let empty = d.root.join("empty");
    std::fs::create_dir(&empty).unwrap();
    let e = fails(&["info", s(&empty)]);
    assert!(e.contains("zarr.json"), "{e}");

    let store = d.root.join("s.zarr");
    let npy = d.root.join("in.npy");
    write_npy(&npy, &sample(DataType::Int32, &[10, 10])).unwrap();
    ok(&[
        "import",
        s(&npy),
        s(&store),
        "--path",
        "a",
        "--chunks",
        "5,5",
    ]);
    let out = d.root.join("o.npy");
    for bad in ["0:10:0", "10", "0,0,0", "x", "-11", "[0,10]", "[0,1", "[x]"] {
        let e = fails(&[
            "export",
            s(&store),
            "--path",
            "a",
            "--select",
            bad,
            "-o",
            s(&out),
        ]);
        assert!(e.contains("--select"), "{bad}: {e}");
    }
    // Export of a group.
    let e = fails(&["export", s(&store), "-o", s(&out)]);
    assert!(e.contains("group"), "{e}");
    // Bad chunks argument.
    let e = fails(&["import", s(&npy), s(&store), "--path", "b", "--chunks", "5"]);
    assert!(e.contains("--chunks"), "{e}");

    // A corrupt chunk names the chunk key.
    std::fs::write(store.join("a/c/0/1"), b"garbage").unwrap();
    let e = fails(&["export", s(&store), "--path", "a", "-o", s(&out)]);
    assert!(e.contains("a/c/0/1"), "{e}");

    // Corrupt or invalid zarr.json names the key.
    let meta = store.join("a/zarr.json");
    std::fs::write(&meta, b"{ not json").unwrap();
    for args in [
        vec!["info", s(&store), "--path", "a"],
        vec!["export", s(&store), "--path", "a", "-o", s(&out)],
    ] {
        let e = fails(&args);
        assert!(e.contains("a/zarr.json") && e.contains("JSON"), "{e}");
    }
    std::fs::write(
        &meta,
        br#"{"zarr_format": 3, "node_type": "array", "shape": "x"}"#,
    )
    .unwrap();
    let e = fails(&["info", s(&store), "--path", "a"]);
    assert!(e.contains("a/zarr.json") && e.contains("shape"), "{e}");
    // A group member with bad metadata is reported, not fatal.
    let t = ok(&["info", s(&store)]);
    assert!(t.contains("invalid"), "{t}");
    std::fs::write(
        &meta,
        br#"{"zarr_format": 3, "node_type": "array", "shape": [4], "data_type": "int32",
            "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": [2]}},
            "chunk_key_encoding": {"name": "default"}, "fill_value": 0,
            "codecs": [{"name": "nosuchcodec"}]}"#,
    )
    .unwrap();
    let e = fails(&["export", s(&store), "--path", "a", "-o", s(&out)]);
    assert!(
        e.contains("a/zarr.json") && e.contains("nosuchcodec"),
        "{e}"
    );
    // Invalid node paths.
    let e = fails(&["info", s(&store), "--path", "../etc"]);
    assert!(e.contains(".."), "{e}");
}

#[test]
fn quickstart_writes_reads_and_describes_a_hierarchy() {
    let d = tmp();
    let dir = d.root.join("qs.zarr");
    let out = ok(&["quickstart", s(&dir)]);
    for word in [
        "temperature",
        "image",
        "counts",
        "labels",
        "MB/s",
        "identical",
        "zarr info",
    ] {
        assert!(out.contains(word), "{word} missing from:\n{out}");
    }
    let g = info_json(&dir, "");
    assert_eq!(g["node_type"], json!("group"));
    let names: Vec<&str> = g["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["counts", "image", "labels", "temperature"]);
    let t = info_json(&dir, "temperature");
    assert_eq!(t["data_type"], json!("float32"));
    assert_eq!(t["attributes"]["units"], json!("K"));
    let img = info_json(&dir, "image");
    assert_eq!(img["codecs"][1]["name"], json!("blosc"));
    // Runs again over its own output.
    ok(&["quickstart", s(&dir)]);
    // Refuses to replace a folder that is not a Zarr store.
    let other = d.root.join("precious");
    std::fs::create_dir(&other).unwrap();
    std::fs::write(other.join("notes.txt"), b"keep me").unwrap();
    let e = fails(&["quickstart", s(&other)]);
    assert!(
        e.contains("precious") && e.contains("not a Zarr store"),
        "{e}"
    );
    assert!(other.join("notes.txt").exists());
}

/// Usage errors are failures like any other: status 1, one `error:` line
/// naming the problem and the usage (the README's interface); help and the
/// version are printed to stdout with status 0.
#[test]
fn usage_errors_exit_1_with_one_line() {
    for args in [
        &["import"][..],
        &["frobnicate"],
        &[],
        &["copy", "a", "b", "--zarr-format", "4"],
        &["info", "x.zarr", "--no-such-flag"],
    ] {
        let o = zarr(args);
        let err = text(&o.stderr);
        assert_eq!(o.status.code(), Some(1), "{args:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{args:?}: {err:?}");
        assert!(
            err.starts_with("error: ") && err.contains("usage"),
            "{args:?}: {err}"
        );
    }
    let err = text(&zarr(&["frobnicate"]).stderr);
    assert!(err.contains("frobnicate"), "{err}");
    for args in [&["--help"][..], &["--version"], &["copy", "--help"]] {
        let o = zarr(args);
        assert_eq!(o.status.code(), Some(0), "{args:?}");
        assert!(!text(&o.stdout).is_empty(), "{args:?}");
    }
}

/// zarr-python reads what `zarr import` wrote (only with ZARR_TEST_PYTHON).
#[test]
fn zarr_python_reads_what_import_wrote() {
    let Ok(python) = std::env::var("ZARR_TEST_PYTHON") else {
        eprintln!("skipping zarr_python_reads_what_import_wrote: ZARR_TEST_PYTHON is not set");
        return;
    };
    let d = tmp();
    let store = d.root.join("s.zarr");
    let mut cases = Vec::new();
    let forms = ["zstd", "gzip:3", "blosc:lz4:5:bitshuffle", "none"];
    for (i, dt) in DataType::ALL.iter().copied().enumerate() {
        let input = sample(dt, &[9, 4]);
        let npy = d.root.join(format!("in{i}.npy"));
        write_npy(&npy, &input).unwrap();
        let path = format!("a{i}");
        let form = forms[i % forms.len()];
        ok(&[
            "import",
            s(&npy),
            s(&store),
            "--path",
            &path,
            "--chunks",
            "4,3",
            "--compressor",
            form,
            "--attrs",
            r#"{"k": 1}"#,
        ]);
        cases.push(json!({"path": path, "npy": s(&npy), "dtype": dt.name()}));
    }
    let script = r#"
import json, sys
import numpy as np
import zarr
store, cases = sys.argv[1], json.loads(sys.argv[2])
bad = []
for c in cases:
    a = zarr.open_array(store, path=c["path"], mode="r")
    got = a[...]
    want = np.load(c["npy"])
    if c["dtype"] == "string":
        ok = [str(x) for x in got.ravel()] == [str(x) for x in want.ravel()]
    elif c["dtype"] == "variable_length_bytes":
        ok = [bytes(x) for x in got.ravel()] == [bytes(x) for x in want.ravel()]
    else:
        ok = got.shape == want.shape and np.array_equal(got, want) and dict(a.attrs) == {"k": 1}
    if not ok:
        bad.append(c["path"] + " " + c["dtype"])
print("BAD" if bad else "OK", bad)
"#;
    let o = Command::new(python)
        .args(["-c", script, s(&store), &json!(cases).to_string()])
        .output()
        .expect("run python");
    let out = text(&o.stdout);
    assert!(
        o.status.success() && out.starts_with("OK"),
        "zarr-python check failed:\n{out}\n{}",
        text(&o.stderr)
    );
}

#[test]
fn slabbed_writes_with_progress_match() {
    // The progress-bar path writes in slabs of whole chunk rows; force it small.
    let d = tmp();
    let store = d.root.join("s.zarr");
    for (i, (dt, shape, chunks, order)) in [
        (DataType::UInt16, vec![37, 9, 5], "4,4,2", Order::C),
        (DataType::Float64, vec![20, 7], "3,7", Order::F),
        (DataType::String, vec![23, 3], "5,2", Order::C),
    ]
    .into_iter()
    .enumerate()
    {
        let input = sample(dt, &shape).to_order(order);
        let npy = d.root.join(format!("in{i}.npy"));
        write_npy(&npy, &input).unwrap();
        let path = format!("a{i}");
        let o = Command::new(env!("CARGO_BIN_EXE_zarr"))
            .args([
                "import",
                s(&npy),
                s(&store),
                "--path",
                &path,
                "--chunks",
                chunks,
            ])
            .env("ZARR_CLI_SLAB_BYTES", "64")
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", text(&o.stderr));
        let out = d.root.join("out.npy");
        ok(&["export", s(&store), "--path", &path, "-o", s(&out)]);
        assert_eq!(read_npy(&out).unwrap(), input.to_order(Order::C), "{dt}");
    }
}

/// `import` into `out.zip` (and `zip://`), then `info` and `export` from it;
/// a second import appends; the archive is complete and zarr-python reads
/// it (with ZARR_TEST_PYTHON).
#[test]
fn zip_archives_as_stores() {
    let d = tmp();
    let input = sample(DataType::Int32, &[9, 4]);
    let npy = d.root.join("in.npy");
    write_npy(&npy, &input).unwrap();
    let zip = d.root.join("out.zip");
    ok(&["import", s(&npy), s(&zip), "--path", "a", "--chunks", "4,3"]);
    let url = format!("zip://{}", s(&zip));
    ok(&["import", s(&npy), &url, "--path", "g/b", "--chunks", "5,5"]);
    // A complete archive: the end of central directory record is last.
    let bytes = std::fs::read(&zip).unwrap();
    assert_eq!(
        &bytes[bytes.len() - 22..][..4],
        &0x0605_4b50u32.to_le_bytes()
    );
    for store in [s(&zip), url.as_str()] {
        let info = info_json(Path::new(store), "a");
        assert_eq!(info["shape"], json!([9, 4]));
        assert_eq!(info["chunk_shape"], json!([4, 3]));
        assert!(info["stored_size_bytes"].as_u64().unwrap() > 0);
        let text = ok(&["info", store, "--path", "g/b"]);
        assert!(text.contains("int32"), "{text}");
        let out = d.root.join("out.npy");
        ok(&["export", store, "--path", "g/b", "-o", s(&out)]);
        assert_eq!(read_npy(&out).unwrap(), input);
        ok(&["export", store, "--path", "a", "-o", s(&out)]);
        assert_eq!(read_npy(&out).unwrap(), input);
    }
    // Existing arrays are refused; --overwrite cannot delete inside a zip.
    let e = fails(&["import", s(&npy), s(&zip), "--path", "a"]);
    assert!(e.contains("already exists"), "{e}");
    let e = fails(&["import", s(&npy), s(&zip), "--path", "a", "--overwrite"]);
    assert!(e.contains("delete") && e.contains("zip"), "{e}");
    // The failed run left a readable archive behind.
    let out = d.root.join("again.npy");
    ok(&["export", s(&zip), "--path", "a", "-o", s(&out)]);
    assert_eq!(read_npy(&out).unwrap(), input);

    if let Ok(python) = std::env::var("ZARR_TEST_PYTHON") {
        let script = r#"
import sys, zipfile, numpy as np, zarr
with zipfile.ZipFile(sys.argv[1]) as z:
    assert z.testzip() is None
store = zarr.storage.ZipStore(sys.argv[1], mode="r")
want = np.load(sys.argv[2])
for p in ["a", "g/b"]:
    assert np.array_equal(zarr.open_array(store=store, path=p, mode="r")[...], want), p
print("OK")
"#;
        let o = Command::new(python)
            .args(["-c", script, s(&zip), s(&npy)])
            .output()
            .expect("run python");
        assert!(
            text(&o.stdout).starts_with("OK"),
            "{}{}",
            text(&o.stdout),
            text(&o.stderr)
        );
    }
}

/// Store URLs: `file://`, `memory://`, and clear errors for object storage
/// and unknown schemes.
#[test]
fn store_urls() {
    let d = tmp();
    let input = sample(DataType::Float32, &[6]);
    let npy = d.root.join("in.npy");
    write_npy(&npy, &input).unwrap();
    let folder = d.root.join("f.zarr");
    let url = format!("file://{}", s(&folder));
    ok(&["import", s(&npy), &url]);
    assert!(folder.join("zarr.json").is_file());
    let out = d.root.join("out.npy");
    ok(&["export", &url, "-o", s(&out)]);
    assert_eq!(read_npy(&out).unwrap(), input);
    assert_eq!(info_json(&folder, "")["shape"], json!([6]));
    // memory:// is fresh each time: an import works, an info finds nothing.
    ok(&["import", s(&npy), "memory://"]);
    let e = fails(&["info", "memory://"]);
    assert!(e.contains("memory://"), "{e}");
    // Object storage URLs are opened (tests/s3.rs runs them against real
    // S3 servers); unknown schemes are refused.
    let e = fails(&["info", "ftp://x/y"]);
    assert!(e.contains("unknown store URL scheme"), "{e}");
    let e = fails(&["info", s(&d.root.join("missing.zip"))]);
    assert!(
        e.contains("missing.zip") && e.contains("no such store"),
        "{e}"
    );
}

#[test]
fn sharded_import_info_and_export() {
    let d = tmp();
    let store = d.root.join("s.zarr");
    let input = sample(DataType::UInt16, &[37, 20]);
    let npy = d.root.join("in.npy");
    write_npy(&npy, &input).unwrap();
    let out = ok(&[
        "import",
        s(&npy),
        s(&store),
        "--path",
        "a",
        "--chunks",
        "4,5",
        "--shards",
        "16,10",
    ]);
    assert!(out.contains("shards 16 x 10, inner chunks 4 x 5"), "{out}");
    let j = info_json(&store, "a");
    assert_eq!(j["shard_shape"], json!([16, 10]));
    assert_eq!(j["inner_chunk_shape"], json!([4, 5]));
    assert_eq!(j["chunk_shape"], json!([16, 10]));
    assert_eq!(j["chunk_grid_shape"], json!([3, 2]));
    assert_eq!(j["chunks_stored"], json!(6));
    assert_eq!(j["codecs"][0]["name"], json!("sharding_indexed"));
    let text_out = ok(&["info", s(&store), "--path", "a"]);
    assert!(
        text_out.contains("shards:           16 x 10 (6 shards in a 3 x 2 grid, 6 stored)"),
        "{text_out}"
    );
    assert!(
        text_out.contains("inner chunks:     4 x 5 (8 per shard)"),
        "{text_out}"
    );
    let exported = d.root.join("out.npy");
    ok(&["export", s(&store), "--path", "a", "-o", s(&exported)]);
    assert_eq!(read_npy(&exported).unwrap(), input);
    ok(&[
        "export",
        s(&store),
        "--path",
        "a",
        "--select",
        "3:20,7",
        "-o",
        s(&exported),
    ]);
    assert_eq!(read_npy(&exported).unwrap().shape(), &[17]);
    // Unsharded arrays report null shard shapes.
    ok(&[
        "import",
        s(&npy),
        s(&store),
        "--path",
        "b",
        "--chunks",
        "4,5",
    ]);
    let j = info_json(&store, "b");
    assert_eq!(j["shard_shape"], Value::Null);
    assert_eq!(j["inner_chunk_shape"], Value::Null);
    // The group listing shows both shapes for sharded members.
    let root = ok(&["info", s(&store)]);
    assert!(
        root.contains("shards 16 x 10  inner chunks 4 x 5"),
        "{root}"
    );
    let j = info_json(&store, "");
    let members = j["members"].as_array().unwrap();
    assert_eq!(members[0]["shard_shape"], json!([16, 10]));
    assert_eq!(members[0]["inner_chunk_shape"], json!([4, 5]));
    assert_eq!(members[1]["shard_shape"], Value::Null);
    // Slabbed (progress) writes of whole shard rows give the same array.
    let o = Command::new(env!("CARGO_BIN_EXE_zarr"))
        .args([
            "import",
            s(&npy),
            s(&store),
            "--path",
            "c",
            "--chunks",
            "2,5",
            "--shards",
            "4,20",
        ])
        .env("ZARR_CLI_SLAB_BYTES", "64")
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o.stderr));
    ok(&["export", s(&store), "--path", "c", "-o", s(&exported)]);
    assert_eq!(read_npy(&exported).unwrap(), input);
}

#[test]
fn shards_need_dividing_explicit_chunks() {
    let d = tmp();
    let store = d.root.join("s.zarr");
    let npy = d.root.join("in.npy");
    write_npy(&npy, &sample(DataType::Int32, &[10, 10])).unwrap();
    let base = ["import", s(&npy), s(&store)];
    let e = fails(&[&base[..], &["--shards", "10,10"]].concat());
    assert!(
        e.contains("--shards") && e.contains("needs --chunks"),
        "{e}"
    );
    let e = fails(&[&base[..], &["--shards", "10,10", "--chunks", "auto"]].concat());
    assert!(e.contains("needs --chunks"), "{e}");
    let e = fails(&[&base[..], &["--shards", "10,10", "--chunks", "4,5"]].concat());
    assert!(
        e.contains("not divisible") && e.contains("dimension 0"),
        "{e}"
    );
    let e = fails(&[&base[..], &["--shards", "10", "--chunks", "5,5"]].concat());
    assert!(
        e.contains("invalid --shards") && e.contains("2 dimensions"),
        "{e}"
    );
    let e = fails(&[&base[..], &["--shards", "10,x", "--chunks", "5,5"]].concat());
    assert!(e.contains("invalid --shards"), "{e}");
    assert!(!store.exists(), "nothing is written on a usage error");
}

/// zarr-python reads sharded arrays that `zarr import` wrote (only with ZARR_TEST_PYTHON).
#[test]
fn zarr_python_reads_sharded_import() {
    let Ok(python) = std::env::var("ZARR_TEST_PYTHON") else {
        eprintln!("skipping zarr_python_reads_sharded_import: ZARR_TEST_PYTHON is not set");
        return;
    };
    let d = tmp();
    let store = d.root.join("s.zarr");
    let mut cases = Vec::new();
    for (i, (dt, shape, chunks, shards, form)) in [
        (DataType::UInt16, vec![37, 20], "4,5", "16,10", "zstd"),
        (DataType::Float64, vec![9, 7, 5], "3,2,5", "6,4,5", "gzip:3"),
        (DataType::Int8, vec![30], "4", "12", "blosc:lz4:5:shuffle"),
        (DataType::String, vec![11, 6], "2,3", "4,6", "none"),
    ]
    .into_iter()
    .enumerate()
    {
        let npy = d.root.join(format!("in{i}.npy"));
        write_npy(&npy, &sample(dt, &shape)).unwrap();
        let path = format!("a{i}");
        ok(&[
            "import",
            s(&npy),
            s(&store),
            "--path",
            &path,
            "--chunks",
            chunks,
            "--shards",
            shards,
            "--compressor",
            form,
        ]);
        let csv = |t: &str| -> Vec<u64> { t.split(',').map(|x| x.parse().unwrap()).collect() };
        cases.push(json!({"path": path, "npy": s(&npy), "dtype": dt.name(),
                          "chunks": csv(chunks), "shards": csv(shards)}));
    }
    let script = r#"
import json, sys
import numpy as np
import zarr
store, cases = sys.argv[1], json.loads(sys.argv[2])
bad = []
for c in cases:
    a = zarr.open_array(store, path=c["path"], mode="r")
    got = a[...]
    want = np.load(c["npy"], allow_pickle=True)
    if c["dtype"] == "string":
        ok = [str(x) for x in got.ravel()] == [str(x) for x in want.ravel()]
    else:
        ok = got.shape == want.shape and np.array_equal(got, want)
    ok = ok and list(a.shards) == c["shards"] and list(a.chunks) == c["chunks"]
    if not ok:
        bad.append(c["path"] + " " + c["dtype"])
print("BAD" if bad else "OK", bad)
"#;
    let o = Command::new(python)
        .args(["-c", script, s(&store), &json!(cases).to_string()])
        .output()
        .expect("run python");
    let out = text(&o.stdout);
    assert!(
        o.status.success() && out.starts_with("OK"),
        "zarr-python check failed:\n{out}\n{}",
        text(&o.stderr)
    );
}

#[test]
fn zarr_format_2_import_info_export() {
    let d = tmp();
    let store = d.root.join("v2.zarr");
    let forms = [
        "zlib",
        "gzip:3",
        "zstd:5",
        "lz4",
        "blosc:zstd:3:2",
        "blosc:lz4:5:-1",
        "bz2:9",
        "lzma",
        "lzma:1",
        "none",
    ];
    let mut cases = Vec::new();
    for (i, dt) in DataType::ALL.iter().copied().enumerate() {
        let input = sample(dt, &[9, 4]);
        let npy = d.root.join(format!("in{i}.npy"));
        write_npy(&npy, &input).unwrap();
        let path = format!("a{i}");
        let order = if i % 2 == 0 { "C" } else { "F" };
        let out = ok(&[
            "import",
            s(&npy),
            s(&store),
            "--path",
            &path,
            "--chunks",
            "4,3",
            "--zarr-format",
            "2",
            "--order",
            order,
            "--compressor",
            forms[i % forms.len()],
            "--attrs",
            r#"{"k": 1}"#,
        ]);
        assert!(out.contains("Zarr V2"), "{out}");
        let zarray: Value =
            serde_json::from_slice(&std::fs::read(store.join(&path).join(".zarray")).unwrap())
                .unwrap();
        assert_eq!(zarray["zarr_format"], 2);
        assert_eq!(zarray["order"], order);
        let info = info_json(&store, &path);
        assert_eq!(info["zarr_format"], 2, "{info}");
        assert_eq!(info["attributes"]["k"], 1);
        let text_info = ok(&["info", s(&store), "--path", &path]);
        assert!(text_info.contains("Zarr V2"), "{text_info}");
        let back = d.root.join(format!("out{i}.npy"));
        ok(&["export", s(&store), "--path", &path, "-o", s(&back)]);
        let got = read_npy(&back).unwrap();
        assert_eq!(got.data(), input.data(), "{dt}");
        cases.push(json!({"path": path, "npy": s(&npy), "dtype": dt.name()}));
    }
    // A null fill value.
    let npy = d.root.join("in0.npy");
    ok(&[
        "import",
        s(&npy),
        s(&store),
        "--path",
        "nullfill",
        "--zarr-format",
        "2",
        "--fill-value",
        "null",
    ]);
    let zarray: Value =
        serde_json::from_slice(&std::fs::read(store.join("nullfill/.zarray")).unwrap()).unwrap();
    assert_eq!(zarray["fill_value"], Value::Null);
    // Errors.
    let e = fails(&[
        "import",
        s(&npy),
        s(&store),
        "--path",
        "x",
        "--zarr-format",
        "2",
        "--compressor",
        "bogus",
    ]);
    assert!(e.contains("bogus"), "{e}");
    let e = fails(&[
        "import",
        s(&npy),
        s(&store),
        "--path",
        "a0",
        "--zarr-format",
        "2",
    ]);
    assert!(e.contains("already exists"), "{e}");
    let e = fails(&["import", s(&npy), s(&store), "--path", "y", "--order", "F"]);
    assert!(e.contains("--order"), "{e}");
    // Convert a copy to V3 in another store and one in place.
    let v3 = d.root.join("v3.zarr");
    let out = ok(&["convert", s(&store), s(&v3), "--path", "a2"]);
    assert!(out.contains("1 arrays"), "{out}");
    assert_eq!(info_json(&v3, "a2")["zarr_format"], 3);
    let back = d.root.join("conv.npy");
    ok(&["export", s(&v3), "--path", "a2", "-o", s(&back)]);
    assert_eq!(
        read_npy(&back).unwrap().data(),
        read_npy(d.root.join("in2.npy")).unwrap().data()
    );
    ok(&[
        "import",
        s(&npy),
        s(&store),
        "--path",
        "inplace",
        "--zarr-format",
        "2",
        "--chunks",
        "2,2",
    ]);
    // A dry run lists the steps and changes nothing.
    let before = std::fs::read_dir(store.join("inplace")).unwrap().count();
    let out = ok(&[
        "convert",
        s(&store),
        s(&store),
        "--path",
        "inplace",
        "--dry-run",
    ]);
    assert!(
        out.contains("would convert")
            && out.contains("array inplace: write zarr.json (metadata only, chunks stay)")
            && out.contains("inplace: keep the V2 documents .zarray"),
        "{out}"
    );
    assert!(!store.join("inplace/zarr.json").exists());
    assert_eq!(
        std::fs::read_dir(store.join("inplace")).unwrap().count(),
        before
    );
    let out = ok(&[
        "convert",
        s(&store),
        s(&store),
        "--path",
        "inplace",
        "--dry-run",
        "--remove-v2",
    ]);
    assert!(
        out.contains("inplace: delete the V2 documents .zarray"),
        "{out}"
    );
    // Into a store that does not exist yet: nothing is created.
    let nowhere = d.root.join("nowhere.zarr");
    let out = ok(&[
        "convert",
        s(&store),
        s(&nowhere),
        "--path",
        "inplace",
        "--dry-run",
    ]);
    assert!(
        out.contains("array inplace: write zarr.json (metadata only, 8 chunk objects copied)"),
        "{out}"
    );
    assert!(!nowhere.exists());
    // In place: the V2 documents stay (V2 readers still work) unless
    // --remove-v2, which then needs no --overwrite.
    let out = ok(&["convert", s(&store), s(&store), "--path", "inplace"]);
    assert!(
        out.contains("in place") && out.contains("kept 2 V2 documents"),
        "{out}"
    );
    assert_eq!(info_json(&store, "inplace")["zarr_format"], 3);
    assert!(store.join("inplace/.zarray").exists());
    let out = ok(&[
        "convert",
        s(&store),
        s(&store),
        "--path",
        "inplace",
        "--remove-v2",
    ]);
    assert!(out.contains("removed 2 V2 keys"), "{out}");
    assert!(!store.join("inplace/.zarray").exists());
    assert!(store.join("inplace/0.1").exists());
    let e = fails(&["convert", s(&store), s(&v3), "--path", "nope"]);
    assert!(e.contains("nope"), "{e}");
    std::fs::write(store.join("nullfill/.zarray"), b"{\"zarr_format\": 2}").unwrap();
    let e = fails(&["info", s(&store), "--path", "nullfill"]);
    assert!(e.contains(".zarray"), "{e}");

    let Ok(python) = std::env::var("ZARR_TEST_PYTHON") else {
        eprintln!("skipping the zarr-python part: ZARR_TEST_PYTHON is not set");
        return;
    };
    let script = r#"
import json, sys
import numpy as np
import zarr
store, cases = sys.argv[1], json.loads(sys.argv[2])
bad = []
for c in cases:
    a = zarr.open_array(store, path=c["path"], mode="r", zarr_format=2)
    got = a[...]
    want = np.load(c["npy"])
    if c["dtype"] == "string":
        ok = [str(x) for x in got.ravel()] == [str(x) for x in want.ravel()]
    elif c["dtype"] == "variable_length_bytes":
        ok = [bytes(x) for x in got.ravel()] == [bytes(x) for x in want.ravel()]
    else:
        ok = got.shape == want.shape and np.array_equal(got, want) and dict(a.attrs) == {"k": 1}
    if not ok:
        bad.append(c["path"] + " " + c["dtype"])
print("BAD" if bad else "OK", bad)
"#;
    let o = Command::new(python)
        .args(["-c", script, s(&store), &json!(cases).to_string()])
        .output()
        .expect("run python");
    let out = text(&o.stdout);
    assert!(
        o.status.success() && out.starts_with("OK"),
        "zarr-python check failed:\n{out}\n{}",
        text(&o.stderr)
    );
}

/// bfloat16 (TensorStore's and zarrs' type, which numpy lacks): `import
/// --dtype bfloat16` converts, `export` refuses it without `--dtype` and
/// converts it with one.
#[test]
fn bfloat16_import_and_export() {
    let d = tmp();
    let store = d.root.join("s.zarr");
    let npy = d.root.join("in.npy");
    let x = vec![1.5f32, -2.25, 3.0e38, f32::NAN, 0.1, -0.0];
    write_npy(&npy, &NDBuffer::from_vec(&[6], x.clone()).unwrap()).unwrap();
    ok(&[
        "import",
        s(&npy),
        s(&store),
        "--dtype",
        "bfloat16",
        "--fill-value",
        "NaN",
    ]);
    let info = info_json(&store, "");
    assert_eq!(info["data_type"], "bfloat16");
    assert_eq!(info["metadata"]["data_type"], "bfloat16");
    let e = fails(&["export", s(&store), "-o", s(&d.root.join("x.npy"))]);
    assert!(
        e.contains("bfloat16") && e.contains("--dtype float32"),
        "{e}"
    );
    let out = d.root.join("out.npy");
    ok(&["export", s(&store), "-o", s(&out), "--dtype", "float32"]);
    let got = read_npy(&out).unwrap().to_vec::<f32>().unwrap();
    let want: Vec<f32> = x
        .iter()
        .map(|&v| half::bf16::from_f32(v).to_f32())
        .collect();
    assert_eq!(got.len(), want.len());
    for (g, w) in got.iter().zip(&want) {
        assert!(
            g.to_bits() == w.to_bits() || (g.is_nan() && w.is_nan()),
            "{got:?} vs {want:?}"
        );
    }
    assert_eq!(got[0], 1.5);
    // 0.1 rounded to bfloat16's 8 significant bits.
    assert_eq!(f64::from(got[4]), 0.10009765625);
    // Types that are not numbers do not convert.
    let e = fails(&["export", s(&store), "-o", s(&out), "--dtype", "string"]);
    assert!(e.contains("cannot convert bfloat16 to string"), "{e}");
}

/// Shapes whose element count overflows (it used to wrap: an export of
/// 2^80 elements exited 0 with an empty `.npy`, and one of 2^64 + 2 aborted
/// on a 5 GB allocation) and reads that cannot fit in memory fail with one
/// line naming the array, exit status 1.
#[test]
fn overflowing_shapes_and_huge_reads_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("h.zarr");
    let doc = |shape: Value, chunks: Value| {
        json!({
            "zarr_format": 3, "node_type": "array", "shape": shape, "data_type": "uint16",
            "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": chunks}},
            "chunk_key_encoding": {"name": "default"}, "fill_value": 0,
            "codecs": [{"name": "bytes", "configuration": {"endian": "little"}}],
        })
        .to_string()
    };
    for (name, shape, chunks) in [
        (
            "wraps0",
            json!([1u64 << 40, 1u64 << 40]),
            json!([1u64 << 20, 1u64 << 20]),
        ),
        ("wraps2", json!([(1u64 << 63) + 1, 2]), json!([1, 1])),
        (
            "huge",
            json!([1u64 << 40, 1u64 << 20]),
            json!([1, 1u64 << 20]),
        ),
    ] {
        std::fs::create_dir_all(root.join(name)).unwrap();
        std::fs::write(root.join(name).join("zarr.json"), doc(shape, chunks)).unwrap();
        let out = dir.path().join(format!("{name}.npy"));
        let err = fails(&["export", s(&root), "--path", name, "-o", s(&out)]);
        assert!(err.contains(name), "{name}: {err}");
        assert!(!out.exists(), "{name}: an .npy was written");
    }
}
