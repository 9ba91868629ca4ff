//! The advanced selections against zarr-python 3.4.2 on the same stores:
//! `oindex`, `vindex`, `blocks` and masks read by zarr-python (saved as
//! `.npy`) equal ours; the same writes done by zarr-python on one array
//! and by us on its twin leave equal arrays. Chunked and sharded layouts.
//! Also: each selection fetches every chunk (or inner-chunk range) it
//! touches once.

#![allow(clippy::unwrap_used)]

mod common;

use common::counting::CountingStore;
use ndarray::{ArrayD, IxDyn};
use std::sync::Arc;
use zarr::array::{Array, ArrayBuilder};
use zarr::chunk::{AxisSelection, Query, Selection};
use zarr::dtype::DataType;
use zarr::npy::read_npy;
use zarr::store::{LocalStore, StoreRef};

const SHAPE: [u64; 3] = [10, 9, 7];

fn value(ix: &[usize]) -> i32 {
    (ix[0] * 100 + ix[1] * 10 + ix[2]) as i32
}

fn mask() -> ArrayD<bool> {
    ArrayD::from_shape_fn(IxDyn(&[10, 9, 7]), |ix| {
        (ix[0] * 7 + ix[1] * 3 + ix[2]) % 5 == 0
    })
}

fn ints(v: &[i64]) -> ArrayD<i64> {
    ArrayD::from_shape_vec(IxDyn(&[v.len()]), v.to_vec()).unwrap()
}

/// The selections, as zarr-python spells them (`a` is the array) and as ours.
fn cases() -> Vec<(&'static str, Query)> {
    use AxisSelection as A;
    vec![
        (
            // zarr-python refuses negative steps (NegativeStepError): it gets the
            // same indices as a list.
            "a.oindex[[7, 0, 0, -1], np.arange(9)[::-2], 3]",
            Query::Orthogonal(vec![
                A::Indices(vec![7, 0, 0, -1]),
                A::Slice {
                    start: None,
                    stop: None,
                    step: Some(-2),
                },
                A::Index(3),
            ]),
        ),
        (
            "a.oindex[np.arange(10) % 3 == 1, [8, 1], 1:6]",
            Query::Orthogonal(vec![
                A::Mask((0..10).map(|i| i % 3 == 1).collect()),
                A::Indices(vec![8, 1]),
                A::Slice {
                    start: Some(1),
                    stop: Some(6),
                    step: None,
                },
            ]),
        ),
        (
            "a.vindex[[0, 9, 3, 3], [8, 0, 4, 4], [6, 0, 1, 1]]",
            Query::Coordinates(vec![
                ints(&[0, 9, 3, 3]),
                ints(&[8, 0, 4, 4]),
                ints(&[6, 0, 1, 1]),
            ]),
        ),
        (
            "a.vindex[np.array([[0], [5]]), np.array([1, 2, -1]), np.array([0, 0, 6])]",
            Query::Coordinates(vec![
                ArrayD::from_shape_vec(IxDyn(&[2, 1]), vec![0, 5]).unwrap(),
                ints(&[1, 2, -1]),
                ints(&[0, 0, 6]),
            ]),
        ),
        ("a.get_mask_selection(mask)", Query::Mask(mask())),
        ("a.blocks[1, 0:2]", Query::Blocks("1, 0:2".parse().unwrap())),
        ("a.blocks[-1]", Query::Blocks("-1".parse().unwrap())),
    ]
}

fn create(store: &StoreRef, name: &str, sharded: bool) -> Array {
    let mut b = ArrayBuilder::new(SHAPE.to_vec(), DataType::Int32).chunks(vec![3, 4, 7]);
    if sharded {
        b = b.shards(vec![6, 8, 7]);
    }
    let a = b.create(store.clone(), name).unwrap();
    let data = ArrayD::from_shape_fn(IxDyn(&[10, 9, 7]), |ix| value(ix.slice()));
    a.write(&Selection::all(), data.view()).unwrap();
    a
}

use ndarray::Dimension;

const READ_PY: &str = r#"
import sys, numpy as np, zarr
d = sys.argv[1]
exprs = sys.argv[2:]
g = zarr.open_group(d, mode="r")
x, y, z = np.meshgrid(np.arange(10), np.arange(9), np.arange(7), indexing="ij")
mask = (x * 7 + y * 3 + z) % 5 == 0
for name in ["chunked", "sharded"]:
    a = g[name]
    for i, e in enumerate(exprs):
        np.save(f"{d}/{name}-{i}.npy", np.asarray(eval(e)))
print("saved")
"#;

#[test]
fn reads_equal_zarr_python() {
    let dir = tempfile::tempdir().unwrap();
    let store: StoreRef = Arc::new(LocalStore::new(dir.path(), false).unwrap());
    let arrays = [
        create(&store, "chunked", false),
        create(&store, "sharded", true),
    ];
    let cases = cases();
    let mut args: Vec<&std::ffi::OsStr> = vec![
        std::ffi::OsStr::new("-c"),
        std::ffi::OsStr::new(READ_PY),
        dir.path().as_os_str(),
    ];
    args.extend(cases.iter().map(|(e, _)| std::ffi::OsStr::new(*e)));
    common::run(&common::python(), &args);
    for (a, name) in arrays.iter().zip(["chunked", "sharded"]) {
        for (i, (expr, q)) in cases.iter().enumerate() {
            let want = read_npy(dir.path().join(format!("{name}-{i}.npy"))).unwrap();
            let got = a.read_query::<i32>(q).unwrap();
            assert_eq!(got.shape(), want.shape(), "{name} {expr}");
            assert_eq!(
                got.iter().copied().collect::<Vec<_>>(),
                want.to_vec::<i32>().unwrap(),
                "{name} {expr}"
            );
        }
    }
}

const WRITE_PY: &str = r#"
import sys, numpy as np, zarr
d = sys.argv[1]
g = zarr.open_group(d, mode="r+")
x, y, z = np.meshgrid(np.arange(10), np.arange(9), np.arange(7), indexing="ij")
mask = (x * 7 + y * 3 + z) % 5 == 0
for name in ["py_chunked", "py_sharded"]:
    a = g[name]
    a.oindex[[7, 0, -1], np.arange(9)[::-2], 3] = np.arange(3 * 5).reshape(3, 5) + 1000
    a.vindex[[0, 9, 3], [8, 0, 4], [6, 0, 1]] = [-1, -2, -3]
    a.set_mask_selection(mask, -7)
    a.blocks[1, 0] = 5
    assert a.append(np.full((10, 2, 7), 3, dtype="int32"), axis=1) == (10, 11, 7)
print("written")
"#;

#[test]
fn writes_equal_zarr_python() {
    use AxisSelection as A;
    let dir = tempfile::tempdir().unwrap();
    let store: StoreRef = Arc::new(LocalStore::new(dir.path(), false).unwrap());
    for sharded in [false, true] {
        let suffix = if sharded { "sharded" } else { "chunked" };
        create(&store, &format!("py_{suffix}"), sharded);
        let ours = create(&store, &format!("rs_{suffix}"), sharded);
        let q = Query::Orthogonal(vec![
            A::Indices(vec![7, 0, -1]),
            A::Slice {
                start: None,
                stop: None,
                step: Some(-2),
            },
            A::Index(3),
        ]);
        let v = ArrayD::from_shape_fn(IxDyn(&[3, 5]), |ix| 1000 + (ix[0] * 5 + ix[1]) as i32);
        ours.write_query(&q, v.view()).unwrap();
        let q = Query::Coordinates(vec![ints(&[0, 9, 3]), ints(&[8, 0, 4]), ints(&[6, 0, 1])]);
        ours.write_query(&q, ints(&[-1, -2, -3]).mapv(|x| x as i32).view())
            .unwrap();
        ours.write_query(
            &Query::Mask(mask()),
            ArrayD::from_elem(IxDyn(&[]), -7).view(),
        )
        .unwrap();
        ours.write_query(
            &Query::Blocks("1, 0".parse().unwrap()),
            ArrayD::from_elem(IxDyn(&[]), 5).view(),
        )
        .unwrap();
        let mut ours = ours;
        // Refused: the other axes must match.
        let wrong = ArrayD::from_elem(IxDyn(&[9, 2, 7]), 3i32);
        assert!(ours.append(wrong.view(), 1).is_err());
        let more = ArrayD::from_elem(IxDyn(&[10, 2, 7]), 3i32);
        assert_eq!(ours.append(more.view(), 1).unwrap(), vec![10, 11, 7]);
    }
    let out = common::run_code(&common::python(), WRITE_PY, &[dir.path()]);
    assert!(out.contains("written"), "{out}");
    for suffix in ["chunked", "sharded"] {
        let theirs = Array::open(store.clone(), &format!("py_{suffix}")).unwrap();
        let ours = Array::open(store.clone(), &format!("rs_{suffix}")).unwrap();
        assert_eq!(
            ours.read::<i32>(&Selection::all()).unwrap(),
            theirs.read::<i32>(&Selection::all()).unwrap(),
            "{suffix}"
        );
    }
}

#[test]
fn each_touched_chunk_is_fetched_once() {
    let counting = Arc::new(CountingStore::default());
    let store: StoreRef = counting.clone();
    let chunked = create(&store, "chunked", false);
    // 100,000 points in one chunk decode that chunk once.
    let n = 100_000usize;
    let q = Query::Coordinates(vec![
        ints(&(0..n).map(|k| (k % 3) as i64).collect::<Vec<_>>()),
        ints(&(0..n).map(|k| (k % 4) as i64).collect::<Vec<_>>()),
        ints(&(0..n).map(|k| (k % 7) as i64).collect::<Vec<_>>()),
    ]);
    counting.reset();
    let got = chunked.read_query::<i32>(&q).unwrap();
    assert_eq!(got.len(), n);
    assert_eq!(got[[12]], value(&[0, 0, 5]));
    assert_eq!(counting.gets(), 1, "one chunk, one request");
    // Orthogonal rows spread over chunk rows 0 and 3 (of 4), two columns
    // in chunk column 0 (of 3): 2 x 1 x 1 chunks.
    counting.reset();
    let q = Query::Orthogonal(vec![
        AxisSelection::Indices(vec![9, 0, 1, 9]),
        AxisSelection::Indices(vec![3, 0]),
    ]);
    chunked.read_query::<i32>(&q).unwrap();
    assert_eq!(counting.gets(), 2);
    assert_eq!(counting.most_reads(""), 1, "no chunk read twice");
    // Sharded: part of one shard is its index and the ranges of the inner
    // chunks touched, each once; a mask touching every element of every
    // shard reads each shard whole, once.
    let sharded = create(&store, "sharded", true);
    counting.reset();
    let q = Query::Coordinates(vec![ints(&[0, 1, 2]), ints(&[0, 1, 3]), ints(&[0, 6, 2])]);
    sharded.read_query::<i32>(&q).unwrap();
    assert_eq!(counting.gets(), 2, "index + one inner chunk range");
    counting.reset();
    let all = ArrayD::from_elem(IxDyn(&[10, 9, 7]), true);
    sharded.read_query::<i32>(&Query::Mask(all)).unwrap();
    assert_eq!(counting.gets(), 4, "four shards, each whole");
    assert_eq!(counting.most_reads(""), 1);
}

const FIELDS_PY: &str = r#"
import sys, numpy as np, zarr
d, step = sys.argv[1], sys.argv[2]
dt = np.dtype([("a", "<i4"), ("b", "<f8"), ("c", "u1")])
if step == "create":
    data = np.zeros(10, dtype=dt)
    data["a"] = np.arange(10) * 3 - 7
    data["b"] = np.arange(10) / 4
    data["c"] = np.arange(10) + 200
    for name in ["py", "rs"]:
        a = zarr.create_array(d, name=name, shape=(10,), chunks=(4,), dtype=dt, zarr_format=3)
        a[:] = data
    a = zarr.open_array(d, path="py")
    # zarr-python 3.4.2's own fields= fails on V3 struct arrays (TypeError:
    # cannot cast the struct to the field's type): numpy's field indexing of
    # what zarr-python reads is the reference.
    np.save(f"{d}/b.npy", a[:]["b"])
    from numpy.lib.recfunctions import repack_fields
    got = repack_fields(a.oindex[[7, 0, 3]][["c", "a"]])
    open(f"{d}/ca.bin", "wb").write(got.tobytes())
    print(got.dtype, got.dtype.itemsize)
else:
    a = zarr.open_array(d, path="py", mode="r+")
    x = a[2:5]
    x["b"] = [1.5, 2.5, 3.5]
    a[2:5] = x
    x = a.oindex[[9, 0]]
    x["c"], x["a"] = [1, 2], [11, 22]
    a.oindex[[9, 0]] = x
    b = zarr.open_array(d, path="rs", mode="r")
    assert (a[:] == b[:]).all(), (a[:], b[:])
    print("fields equal")
"#;

#[test]
fn fields_equal_zarr_python() {
    use zarr::buffer::{NDBuffer, NDData, Order};
    let dir = tempfile::tempdir().unwrap();
    let py = common::python();
    let out = common::run(
        &py,
        &[
            std::ffi::OsStr::new("-c"),
            std::ffi::OsStr::new(FIELDS_PY),
            dir.path().as_os_str(),
            std::ffi::OsStr::new("create"),
        ],
    );
    assert!(out.contains("5"), "{out}"); // packed: 1 + 4 bytes
    let store: StoreRef = Arc::new(LocalStore::new(dir.path(), false).unwrap());
    let a = Array::open(store.clone(), "rs").unwrap();
    let b = a
        .read_fields(&Query::Basic(Selection::all()), &["b"])
        .unwrap();
    let want = read_npy(dir.path().join("b.npy")).unwrap();
    assert_eq!(b.data_type(), DataType::Float64);
    assert_eq!(b, want);
    let rows = Query::Orthogonal(vec![AxisSelection::Indices(vec![7, 0, 3])]);
    let ca = a.read_fields(&rows, &["c", "a"]).unwrap();
    let NDData::Fixed(bytes) = ca.data() else {
        panic!("fixed")
    };
    assert_eq!(bytes, &std::fs::read(dir.path().join("ca.bin")).unwrap());
    // Bad fields are refused by name.
    let e = a.read_fields(&rows, &["z"]).unwrap_err().to_string();
    assert!(e.contains("\"z\""), "{e}");
    assert!(a.read_fields(&rows, &["a", "a"]).is_err());
    // The same field writes as zarr-python's.
    let b_vals = NDBuffer::from_vec(&[3], vec![1.5f64, 2.5, 3.5]).unwrap();
    a.write_fields(
        &"2:5".parse::<Selection>().map(Query::Basic).unwrap(),
        &["b"],
        &b_vals,
    )
    .unwrap();
    let mut packed = Vec::new();
    for (c, v) in [(1u8, 11i32), (2, 22)] {
        packed.push(c);
        packed.extend(v.to_ne_bytes());
    }
    let two =
        NDBuffer::from_parts(vec![2], ca.data_type(), Order::C, NDData::Fixed(packed)).unwrap();
    a.write_fields(
        &Query::Orthogonal(vec![AxisSelection::Indices(vec![9, 0])]),
        &["c", "a"],
        &two,
    )
    .unwrap();
    let out = common::run(
        &py,
        &[
            std::ffi::OsStr::new("-c"),
            std::ffi::OsStr::new(FIELDS_PY),
            dir.path().as_os_str(),
            std::ffi::OsStr::new("write"),
        ],
    );
    assert!(out.contains("fields equal"), "{out}");
}
