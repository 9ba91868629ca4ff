//! Groups and hierarchies: the `Group` / `AsyncGroup` API, access modes,
//! consolidated metadata, `create_hierarchy`, `tree` and the group free
//! functions, and interoperability with zarr-python 3.4.2 (and 2.18 for V2
//! consolidated metadata, with `ZARR_TEST_PYTHON2`), which really runs.

#![allow(clippy::unwrap_used)]

mod common;

use common::counting::CountingStore;

use serde_json::{json, Map, Value};
use std::path::Path;
use std::sync::Arc;
use zarr::api::group as api;
use zarr::array::ArrayBuilder;
use zarr::buffer::{BufferPrototype, NDBuffer};
use zarr::chunk::Selection;
use zarr::dtype::DataType;
use zarr::group::{
    create_hierarchy, AccessMode, AnyMetadata, AsyncGroup, Group, GroupError, Node, UseConsolidated,
};
use zarr::store::{AsyncStore, LocalStore, MemoryStore, StoreRef, SyncToAsync};

fn attrs(v: Value) -> Map<String, Value> {
    v.as_object().unwrap().clone()
}

fn mem() -> StoreRef {
    Arc::new(MemoryStore::new())
}

fn local(dir: &Path) -> StoreRef {
    Arc::new(LocalStore::new(dir, false).unwrap())
}

fn py(code: &str, dir: &Path) -> String {
    common::run_code(&common::python(), code, &[dir])
}

fn names(members: &[(String, AnyMetadata)]) -> Vec<&str> {
    members.iter().map(|(k, _)| k.as_str()).collect()
}

/// A hierarchy written by zarr-python (V3 or V2, consolidated or not):
/// nested groups, attributes, an empty group, arrays with data. Prints the
/// tree, then one JSON line with attributes and values.
const PY_WRITE: &str = r#"
import sys, json, numpy as np, zarr, warnings
warnings.simplefilter("ignore")
path, fmt, cons = sys.argv[1], int(sys.argv[2]), sys.argv[3] == "1"
g = zarr.open_group(path, mode="w", zarr_format=fmt, attributes={"title": "root", "n": [1, 2]})
a = g.create_group("a", attributes={"x": 1})
a.create_array("x", shape=(2, 3), dtype="i4", chunks=(1, 3))[:] = np.arange(6, dtype="i4").reshape(2, 3)
g.create_group("empty")
g.create_array("B", shape=(4,), dtype="f8")[:] = [0.5, 1.5, 2.5, 3.5]
a.create_group("sub").create_array("deep", shape=(3,), dtype="u1")[:] = [7, 8, 9]
if cons:
    zarr.consolidate_metadata(path)
g = zarr.open_group(path, mode="r")
print(g.tree(), end="")
print(json.dumps({"root": dict(g.attrs), "a": dict(g["a"].attrs),
                  "x": g["a/x"][:].tolist(), "B": g["B"][:].tolist(), "deep": g["a/sub/deep"][:].tolist()}))
"#;

#[test]
fn zarr_python_hierarchies_open_with_the_same_tree() {
    for fmt in ["3", "2"] {
        for cons in ["0", "1"] {
            let tmp = tempfile::tempdir().unwrap();
            let dir = tmp.path().join("h.zarr");
            let out = common::run_code(
                &common::python(),
                PY_WRITE,
                &[&dir, Path::new(fmt), Path::new(cons)],
            );
            let (tree_text, json_line) = out.trim_end().rsplit_once('\n').unwrap();
            let expected: Value = serde_json::from_str(json_line).unwrap();
            let store = local(&dir);
            let g = Group::open(store.clone(), "", None, UseConsolidated::Auto).unwrap();
            assert_eq!(g.zarr_format().to_string(), fmt);
            assert_eq!(
                g.consolidated_metadata().is_some(),
                cons == "1",
                "format {fmt} consolidated {cons}"
            );
            assert_eq!(
                g.tree(None).unwrap(),
                format!("{tree_text}\n"),
                "format {fmt} consolidated {cons}"
            );
            assert_eq!(Value::Object(g.attributes().clone()), expected["root"]);
            assert_eq!(
                Value::Object(g.group("a").unwrap().attributes().clone()),
                expected["a"]
            );
            let x = g
                .array("a/x")
                .unwrap()
                .read_vec::<i32>(&Selection::all())
                .unwrap();
            assert_eq!(
                json!(x),
                json!(expected["x"].as_array().unwrap().iter().flatten_json())
            );
            let b = g
                .array("B")
                .unwrap()
                .read_vec::<f64>(&Selection::all())
                .unwrap();
            assert_eq!(json!(b), expected["B"]);
            let deep = g
                .array("a/sub/deep")
                .unwrap()
                .read_vec::<u8>(&Selection::all())
                .unwrap();
            assert_eq!(json!(deep), expected["deep"]);
            // The empty group is a member with no members.
            assert!(g.group("empty").unwrap().keys().unwrap().is_empty());
            // Without consolidated metadata, the same tree from the store.
            let plain = Group::open(store, "", None, UseConsolidated::Never).unwrap();
            assert!(plain.consolidated_metadata().is_none());
            assert_eq!(plain.tree(None).unwrap(), format!("{tree_text}\n"));
        }
    }
}

trait FlattenJson {
    fn flatten_json(self) -> Vec<Value>;
}
impl<'a, I: Iterator<Item = &'a Value>> FlattenJson for I {
    fn flatten_json(self) -> Vec<Value> {
        self.flat_map(|v| v.as_array().cloned().unwrap_or_else(|| vec![v.clone()]))
            .collect()
    }
}

/// Our hierarchy: the same shape as `PY_WRITE`'s, in `fmt`.
fn write_ours(store: &StoreRef, fmt: u8) -> Group {
    let g = Group::create(
        store.clone(),
        "",
        fmt,
        attrs(json!({"title": "ours"})),
        true,
    )
    .unwrap();
    let a = g.create_group("a", attrs(json!({"x": 1})), false).unwrap();
    let x = a
        .create_array(
            "x",
            &ArrayBuilder::new(vec![2, 3], DataType::Int32).chunks(vec![1, 3]),
        )
        .unwrap();
    x.write_slice(&Selection::all(), &[0i32, 1, 2, 3, 4, 5])
        .unwrap();
    // Non-ASCII text and small floats: written as Python's json writes them.
    g.create_group(
        "empty",
        attrs(json!({"unit": "°C", "eps": 1e-05, "big": 1e16})),
        false,
    )
    .unwrap();
    let b = g
        .create_array(
            "B",
            &ArrayBuilder::new(vec![4], DataType::Float64)
                .attribute("long_name", json!("température")),
        )
        .unwrap();
    b.write_slice(&Selection::all(), &[0.5f64, 1.5, 2.5, 3.5])
        .unwrap();
    // Implicit parent "a/sub" is created with the array.
    let d = g
        .create_array("a/sub/deep", &ArrayBuilder::new(vec![3], DataType::UInt8))
        .unwrap();
    d.write_slice(&Selection::all(), &[7u8, 8, 9]).unwrap();
    g
}

const PY_READ: &str = r#"
import sys, json, zarr, warnings
warnings.simplefilter("ignore")
path, mode = sys.argv[1], sys.argv[2]
if mode == "consolidated":
    g = zarr.open_consolidated(path)
    assert g.metadata.consolidated_metadata is not None
else:
    g = zarr.open_group(path, mode="r", use_consolidated=False)
print(g.tree(), end="")
print(json.dumps({"fmt": g.metadata.zarr_format, "root": dict(g.attrs), "a": dict(g["a"].attrs),
                  "x": g["a/x"][:].tolist(), "B": g["B"][:].tolist(), "deep": g["a/sub/deep"][:].tolist(),
                  "members": sorted(k for k, _ in g.members(max_depth=None))}))
"#;

#[test]
fn our_hierarchies_open_in_zarr_python_with_the_same_tree_and_values() {
    for fmt in [3u8, 2] {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("ours.zarr");
        let store = local(&dir);
        let g = write_ours(&store, fmt);
        let ours_tree = g.tree(None).unwrap();
        for mode in ["plain", "consolidated"] {
            if mode == "consolidated" {
                let c = zarr::group::consolidate_metadata(&store, "", None).unwrap();
                assert_eq!(c.consolidated_metadata().unwrap().len(), 6);
            }
            let out = common::run_code(&common::python(), PY_READ, &[&dir, Path::new(mode)]);
            let (tree_text, json_line) = out.trim_end().rsplit_once('\n').unwrap();
            let got: Value = serde_json::from_str(json_line).unwrap();
            assert_eq!(format!("{tree_text}\n"), ours_tree, "V{fmt} {mode}");
            assert_eq!(got["fmt"], json!(fmt));
            assert_eq!(got["root"], json!({"title": "ours"}));
            assert_eq!(got["a"], json!({"x": 1}));
            assert_eq!(got["x"], json!([[0, 1, 2], [3, 4, 5]]));
            assert_eq!(got["B"], json!([0.5, 1.5, 2.5, 3.5]));
            assert_eq!(got["deep"], json!([7, 8, 9]));
            assert_eq!(
                got["members"],
                json!(["B", "a", "a/sub", "a/sub/deep", "a/x", "empty"])
            );
        }
    }
}

/// Our consolidated metadata is byte for byte what zarr-python writes for
/// the same hierarchy, and zarr-python uses it (a member whose own metadata
/// is gone is still seen through it).
#[test]
fn our_consolidated_metadata_matches_zarr_python_and_is_used_by_it() {
    for fmt in [3u8, 2] {
        let tmp = tempfile::tempdir().unwrap();
        let ours = tmp.path().join("ours.zarr");
        let theirs = tmp.path().join("theirs.zarr");
        write_ours(&local(&ours), fmt);
        write_ours(&local(&theirs), fmt);
        zarr::group::consolidate_metadata(&local(&ours), "", Some(fmt)).unwrap();
        py(
            "import sys, zarr, warnings\nwarnings.simplefilter('ignore')\nzarr.consolidate_metadata(sys.argv[1])",
            &theirs,
        );
        let key = if fmt == 3 { "zarr.json" } else { ".zmetadata" };
        let a = std::fs::read_to_string(ours.join(key)).unwrap();
        let b = std::fs::read_to_string(theirs.join(key)).unwrap();
        assert_eq!(a, b, "V{fmt} {key}");
        // Remove the member's own metadata: only the consolidated metadata knows it.
        let gone = if fmt == 3 { "B/zarr.json" } else { "B/.zarray" };
        std::fs::remove_file(ours.join(gone)).unwrap();
        let out = py(
            "import sys, zarr, warnings\nwarnings.simplefilter('ignore')\ng = zarr.open_consolidated(sys.argv[1])\nprint(sorted(g.array_keys()), g['B'].shape)",
            &ours,
        );
        assert_eq!(out.trim(), "['B'] (4,)");
    }
}

#[test]
fn zarr_python_2_18_reads_our_v2_consolidated_metadata() {
    let Some(py2) = common::python2() else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("v2.zarr");
    let store = local(&dir);
    write_ours(&store, 2);
    zarr::group::consolidate_metadata(&store, "", None).unwrap();
    std::fs::remove_file(dir.join("B/.zarray")).unwrap();
    let out = common::run_code(
        Path::new(&py2),
        "import sys, zarr\ng = zarr.open_consolidated(sys.argv[1])\nprint(zarr.__version__[:4], sorted(g.array_keys()), g['B'][:].tolist(), g['a/x'][:].tolist(), dict(g.attrs))",
        &[&dir],
    );
    assert_eq!(
        out.trim(),
        "2.18 ['B'] [0.5, 1.5, 2.5, 3.5] [[0, 1, 2], [3, 4, 5]] {'title': 'ours'}"
    );
}

#[test]
fn a_consolidated_hierarchy_is_walked_with_one_metadata_read() {
    for fmt in [3u8, 2] {
        let counting = CountingStore::new(mem());
        let store: StoreRef = counting.clone();
        write_ours(&store, fmt);
        zarr::group::consolidate_metadata(&store, "", None).unwrap();
        counting.reset();
        let g = Group::open(store.clone(), "", Some(fmt), UseConsolidated::Auto).unwrap();
        let all = g.members(None).unwrap();
        assert_eq!(all.len(), 6);
        let tree = g.tree(None).unwrap();
        // Every member handle, arrays included, comes from that one document.
        for (_, node) in &all {
            if let Node::Group(sub) = node {
                sub.members(None).unwrap();
            }
        }
        assert_eq!(counting.gets(), 1, "V{fmt}");
        assert_eq!(counting.found(), 1, "V{fmt}");
        assert_eq!(counting.lists(), 0, "V{fmt}");
        // Without the format given, V2 costs one failed probe for zarr.json.
        counting.reset();
        let g = Group::open(store.clone(), "", None, UseConsolidated::Auto).unwrap();
        assert_eq!(g.tree(None).unwrap(), tree);
        assert_eq!(counting.found(), 1, "V{fmt}");
        assert_eq!(counting.lists(), 0, "V{fmt}");
        // Not consolidated: the walk lists and reads.
        counting.reset();
        let g = Group::open(store, "", Some(fmt), UseConsolidated::Never).unwrap();
        assert_eq!(g.tree(None).unwrap(), tree);
        assert!(counting.lists() > 0);
    }
}

#[test]
fn access_modes() {
    let store = mem();
    let opts = |mode: AccessMode| api::GroupOptions {
        mode,
        ..Default::default()
    };
    // r and r+ need an existing group.
    for m in [AccessMode::Read, AccessMode::ReadWrite] {
        assert!(matches!(
            api::open_group(&store, &opts(m)),
            Err(GroupError::NotFound { .. })
        ));
    }
    // a creates, then opens.
    let mut g = api::open_group(&store, &opts(AccessMode::Append)).unwrap();
    g.update_attributes(attrs(json!({"k": 1}))).unwrap();
    g.create_group("child", Map::new(), false).unwrap();
    let again = api::open_group(&store, &opts(AccessMode::Append)).unwrap();
    assert_eq!(again.attributes()["k"], 1);
    // w- fails on an existing node.
    assert!(matches!(
        api::open_group(&store, &opts(AccessMode::Create)),
        Err(GroupError::AlreadyExists { .. })
    ));
    // r refuses writes, at the group and at its arrays.
    let mut r = api::open_group(&store, &opts(AccessMode::Read)).unwrap();
    assert!(r.read_only());
    assert!(r.update_attributes(attrs(json!({"k": 2}))).is_err());
    assert!(r.create_group("x", Map::new(), false).is_err());
    assert!(r.delete("child").is_err());
    assert_eq!(
        api::open_group(&store, &opts(AccessMode::ReadWrite))
            .unwrap()
            .attributes()["k"],
        1
    );
    // w replaces what was there.
    let w = api::open_group(&store, &opts(AccessMode::Overwrite)).unwrap();
    assert!(w.attributes().is_empty());
    assert!(w.keys().unwrap().is_empty());
    // w- on an empty path creates.
    let fresh = mem();
    api::open_group(&fresh, &opts(AccessMode::Create)).unwrap();
    // A writing mode on a read-only store is refused; r works.
    let ro = zarr::store::with_read_only(store.clone());
    assert!(matches!(
        api::open_group(&ro, &opts(AccessMode::Append)),
        Err(GroupError::ModeNeedsWritableStore { .. })
    ));
    api::open_group(&ro, &opts(AccessMode::Read)).unwrap();
    // An array at the path is not a group.
    ArrayBuilder::new(vec![2], DataType::UInt8)
        .create(store.clone(), "arr")
        .unwrap();
    let at_array = api::GroupOptions {
        path: "arr".into(),
        ..Default::default()
    };
    assert!(matches!(
        api::open_group(&store, &at_array),
        Err(GroupError::NotAGroup { .. })
    ));
    assert!("rw".parse::<AccessMode>().is_err());
}

#[test]
fn node_names_follow_the_spec() {
    let g = Group::create(mem(), "", 3, Map::new(), false).unwrap();
    for bad in ["", "..", "...", "__x", "a//b", "a/../b", "ok/__reserved"] {
        let r = g.create_group(bad, Map::new(), false);
        assert!(
            matches!(
                r,
                Err(GroupError::InvalidName { .. }) | Err(GroupError::InvalidArgument(_))
            ),
            "{bad:?}: {r:?}"
        );
        assert!(g
            .create_array(bad, &ArrayBuilder::new(vec![1], DataType::UInt8))
            .is_err());
    }
    let e = g
        .create_group("a/__b", Map::new(), false)
        .unwrap_err()
        .to_string();
    assert!(e.contains("__b") && e.contains("reserved"), "{e}");
    g.create_group(".hidden.", Map::new(), false).unwrap();
}

#[test]
fn implicit_parents_and_nodes_under_arrays() {
    for fmt in [3u8, 2] {
        let store = mem();
        let g = Group::create(store.clone(), "", fmt, Map::new(), false).unwrap();
        g.create_array("p/q/arr", &ArrayBuilder::new(vec![2], DataType::Int16))
            .unwrap();
        let keys: Vec<String> = g
            .members_metadata(None)
            .unwrap()
            .into_iter()
            .map(|(k, _)| k)
            .collect();
        assert_eq!(keys, ["p", "p/q", "p/q/arr"]);
        for k in ["p", "p/q"] {
            let Node::Group(sub) = g.get(k).unwrap() else {
                panic!("{k}")
            };
            assert_eq!(sub.zarr_format(), fmt);
        }
        if fmt == 2 {
            assert!(store.exists("p/q/.zgroup").unwrap());
            assert!(!store.exists("p/zarr.json").unwrap());
        }
        assert!(matches!(
            g.create_group("p/q/arr/inside", Map::new(), false),
            Err(GroupError::ParentIsArray { .. })
        ));
        assert!(matches!(
            g.create_array("p/q/arr/x", &ArrayBuilder::new(vec![1], DataType::UInt8)),
            Err(GroupError::ParentIsArray { .. })
        ));
        // Creating a group at a path also creates its parents.
        Group::create(store.clone(), "m/n/o", fmt, Map::new(), false).unwrap();
        assert!(g.contains("m/n").unwrap());
    }
}

#[test]
fn attributes_members_get_require_delete_move() {
    let store = mem();
    let mut g = Group::create(store.clone(), "root", 3, attrs(json!({"a": 1})), false).unwrap();
    assert_eq!(g.name(), "/root");
    g.update_attributes(attrs(json!({"b": 2}))).unwrap();
    assert_eq!(
        Value::Object(g.attributes().clone()),
        json!({"a": 1, "b": 2})
    );
    g.set_attributes(attrs(json!({"c": 3}))).unwrap();
    let reopened = Group::open(store.clone(), "root", None, UseConsolidated::Auto).unwrap();
    assert_eq!(
        Value::Object(reopened.attributes().clone()),
        json!({"c": 3})
    );

    let sub = g.require_group("s", false).unwrap();
    assert_eq!(sub.path(), "root/s");
    g.require_group("s", false).unwrap();
    let b = ArrayBuilder::new(vec![5], DataType::Float32);
    let arr = g.require_array("s/v", &b).unwrap();
    arr.write_slice(&Selection::all(), &[1f32, 2., 3., 4., 5.])
        .unwrap();
    let same = g.require_array("s/v", &b).unwrap();
    assert_eq!(
        same.read_vec::<f32>(&Selection::all()).unwrap(),
        [1., 2., 3., 4., 5.]
    );
    assert!(matches!(
        g.require_array("s/v", &ArrayBuilder::new(vec![6], DataType::Float32)),
        Err(GroupError::IncompatibleArray { .. })
    ));
    assert!(matches!(
        g.require_array("s/v", &ArrayBuilder::new(vec![5], DataType::Int32)),
        Err(GroupError::IncompatibleArray { .. })
    ));
    assert!(matches!(
        g.require_group("s/v", false),
        Err(GroupError::NotAGroup { .. })
    ));
    assert!(matches!(
        g.require_array("s", &b),
        Err(GroupError::NotAnArray { .. })
    ));
    assert!(matches!(
        g.create_group("s", Map::new(), false),
        Err(GroupError::AlreadyExists { .. })
    ));
    // require_group with overwrite replaces the group.
    g.require_group("s", true).unwrap();
    assert!(!g.contains("s/v").unwrap());

    g.create_group("t/u", Map::new(), false).unwrap();
    g.create_array("t/w", &ArrayBuilder::new(vec![2], DataType::UInt8))
        .unwrap();
    assert_eq!(g.keys().unwrap(), ["s", "t"]);
    assert_eq!(g.group("t").unwrap().array_keys().unwrap(), ["w"]);
    assert_eq!(g.group("t").unwrap().group_keys().unwrap(), ["u"]);
    assert_eq!(
        names(&g.members_metadata(Some(1)).unwrap()),
        ["s", "t", "t/u", "t/w"]
    );
    assert!(matches!(
        g.get("nope"),
        Err(GroupError::MemberNotFound { .. })
    ));
    assert!(matches!(g.array("t"), Err(GroupError::NotAnArray { .. })));

    let w = g.array("t/w").unwrap();
    w.write_slice(&Selection::all(), &[4u8, 2]).unwrap();
    g.move_member("t", "moved/t2").unwrap();
    assert!(!g.contains("t").unwrap());
    assert_eq!(
        g.array("moved/t2/w")
            .unwrap()
            .read_vec::<u8>(&Selection::all())
            .unwrap(),
        [4, 2]
    );
    assert!(matches!(
        g.move_member("t", "x"),
        Err(GroupError::MemberNotFound { .. })
    ));
    assert!(matches!(
        g.move_member("moved", "s"),
        Err(GroupError::AlreadyExists { .. })
    ));
    assert!(g.move_member("moved", "moved/inner").is_err());

    g.delete("moved").unwrap();
    assert!(!g.contains("moved").unwrap());
    assert!(store.list_prefix("root/moved").unwrap().is_empty());
    assert!(matches!(
        g.delete("moved"),
        Err(GroupError::MemberNotFound { .. })
    ));
}

#[test]
fn consolidated_metadata_follows_delete_and_move() {
    let store = mem();
    write_ours(&store, 3);
    let mut g = zarr::group::consolidate_metadata(&store, "", None).unwrap();
    g.delete("B").unwrap();
    g.move_member("a", "z").unwrap();
    let again = Group::open(store, "", None, UseConsolidated::Required).unwrap();
    assert_eq!(
        names(&again.members_metadata(None).unwrap()),
        ["empty", "z", "z/sub", "z/sub/deep", "z/x"]
    );
    // A child group opened through the consolidated parent carries its part.
    let z = again.group("z").unwrap();
    assert_eq!(
        names(&z.members_metadata(None).unwrap()),
        ["sub", "sub/deep", "x"]
    );
}

#[test]
fn use_consolidated_modes() {
    for fmt in [3u8, 2] {
        let store = mem();
        write_ours(&store, fmt);
        assert!(matches!(
            Group::open(store.clone(), "", None, UseConsolidated::Required),
            Err(GroupError::ConsolidatedMetadataMissing { .. })
        ));
        zarr::group::consolidate_metadata(&store, "", None).unwrap();
        // Members created after consolidating are not seen through it (as zarr-python).
        let g = Group::open(store.clone(), "", None, UseConsolidated::Never).unwrap();
        g.create_group("late", Map::new(), false).unwrap();
        let auto = Group::open(store.clone(), "", None, UseConsolidated::Auto).unwrap();
        assert!(!auto.contains("late").unwrap());
        let never = Group::open(store.clone(), "", None, UseConsolidated::Never).unwrap();
        assert!(never.contains("late").unwrap());
        let key = UseConsolidated::Key(".zmetadata".into());
        if fmt == 2 {
            // A custom key (zarr-python V2's use_consolidated="key").
            let bytes = store
                .get(".zmetadata", &BufferPrototype::default(), None)
                .unwrap()
                .unwrap();
            store.set("custom.json", bytes).unwrap();
            let g = Group::open(
                store.clone(),
                "",
                None,
                UseConsolidated::Key("custom.json".into()),
            )
            .unwrap();
            assert!(g.consolidated_metadata().is_some());
            assert!(matches!(
                Group::open(
                    store.clone(),
                    "",
                    None,
                    UseConsolidated::Key("missing".into())
                ),
                Err(GroupError::ConsolidatedMetadataMissing { .. })
            ));
        } else {
            assert!(Group::open(store.clone(), "", None, key).is_err());
        }
        let c = api::open_consolidated(&store, &Default::default()).unwrap();
        assert!(c.consolidated_metadata().is_some());
    }
}

#[test]
fn a_store_without_consolidation_support_refuses_it() {
    let inner = mem();
    write_ours(&inner, 3);
    zarr::group::consolidate_metadata(&inner, "", None).unwrap();
    let store: StoreRef = CountingStore::without_consolidation(inner);
    let e = zarr::group::consolidate_metadata(&store, "", None).unwrap_err();
    assert!(matches!(e, GroupError::ConsolidationUnsupported { .. }));
    assert_eq!(
        e.to_string(),
        "the Zarr store in use (CountingStore) doesn't support consolidated metadata"
    );
    assert!(matches!(
        Group::open(store.clone(), "", None, UseConsolidated::Required),
        Err(GroupError::ConsolidationUnsupported { .. })
    ));
    // Auto ignores the consolidated metadata that is there.
    let g = Group::open(store, "", None, UseConsolidated::Auto).unwrap();
    assert!(g.consolidated_metadata().is_none());
    assert_eq!(g.keys().unwrap(), ["B", "a", "empty"]);
}

#[test]
fn create_hierarchy_follows_zarr_python_rules() {
    let store = mem();
    let arr = ArrayBuilder::new(vec![3], DataType::Int8)
        .build_metadata()
        .unwrap();
    let nodes = vec![
        (
            "/a/b".to_string(),
            AnyMetadata::group(3, attrs(json!({"leaf": true}))),
        ),
        ("a/c/arr".to_string(), AnyMetadata::Array(arr.clone())),
    ];
    let made = create_hierarchy(&store, &nodes, false).unwrap();
    let keys: Vec<&str> = made.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(keys, ["", "a", "a/b", "a/c", "a/c/arr"]);
    assert!(matches!(made[4].1, Node::Array(_)));
    let root = Group::open(store.clone(), "", None, UseConsolidated::Auto).unwrap();
    assert_eq!(root.group("a/b").unwrap().attributes()["leaf"], true);
    // Existing explicit nodes: an error, unless overwrite.
    assert!(matches!(
        create_hierarchy(&store, &nodes, false),
        Err(GroupError::AlreadyExists { .. })
    ));
    // An existing group needed only as an implicit parent is kept as is.
    let mut a = root.group("a").unwrap();
    a.update_attributes(attrs(json!({"keep": 1}))).unwrap();
    let more = vec![("a/d".to_string(), AnyMetadata::group(3, Map::new()))];
    create_hierarchy(&store, &more, false).unwrap();
    assert_eq!(root.group("a").unwrap().attributes()["keep"], 1);
    assert!(root.contains("a/b").unwrap());
    create_hierarchy(&store, &nodes, true).unwrap();
    assert!(!root
        .group("a/b")
        .unwrap()
        .keys()
        .unwrap()
        .contains(&"x".to_string()));
    // Mixed formats and nodes under arrays are refused.
    let mixed = vec![
        ("x".to_string(), AnyMetadata::group(2, Map::new())),
        ("y".to_string(), AnyMetadata::group(3, Map::new())),
    ];
    assert!(matches!(
        create_hierarchy(&mem(), &mixed, false),
        Err(GroupError::MixedFormats { .. })
    ));
    let under = vec![
        ("x".to_string(), AnyMetadata::Array(arr)),
        ("x/y".to_string(), AnyMetadata::group(3, Map::new())),
    ];
    assert!(matches!(
        create_hierarchy(&mem(), &under, false),
        Err(GroupError::ParentIsArray { .. })
    ));
    assert!(create_hierarchy(&mem(), &[], false).unwrap().is_empty());
    // V2: .zgroup / .zarray documents.
    let v2 = ArrayBuilder::new(vec![2], DataType::UInt16)
        .zarr_format(2)
        .build_metadata_v2()
        .unwrap();
    let s2 = mem();
    create_hierarchy(&s2, &[("g/v".to_string(), AnyMetadata::ArrayV2(v2))], false).unwrap();
    for k in [".zgroup", "g/.zgroup", "g/v/.zarray", "g/v/.zattrs"] {
        assert!(s2.exists(k).unwrap(), "{k}");
    }
}

#[test]
fn hierarchies_from_create_hierarchy_open_in_zarr_python() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("h.zarr");
    let store = local(&dir);
    let arr = ArrayBuilder::new(vec![2, 2], DataType::Float32)
        .build_metadata()
        .unwrap();
    create_hierarchy(
        &store,
        &[
            (
                "a/b".to_string(),
                AnyMetadata::group(3, attrs(json!({"k": "v"}))),
            ),
            ("a/arr".to_string(), AnyMetadata::Array(arr)),
        ],
        false,
    )
    .unwrap();
    let out = py(
        "import sys, zarr\ng = zarr.open_group(sys.argv[1], mode='r')\nprint(g.tree(), end='')\nprint(dict(g['a/b'].attrs))",
        &dir,
    );
    let g = Group::open(store, "", None, UseConsolidated::Auto).unwrap();
    assert_eq!(out, format!("{}{{'k': 'v'}}\n", g.tree(None).unwrap()));
}

#[test]
fn tree_matches_zarr_python_with_depth_limits_and_dtypes() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("t.zarr");
    let out = py(
        r#"
import sys, zarr, warnings
warnings.simplefilter("ignore")
g = zarr.open_group(sys.argv[1], mode="w")
a = g.create_group("a")
a.create_array("x", shape=(2, 3), dtype="i4")
g.create_array("s", shape=(), dtype="float64")
g.create_array("str", shape=(4,), dtype=str)
g.create_array("c", shape=(1,), dtype="complex64")
g.create_array("b", shape=(2,), dtype="bool")
g.create_group("b2").create_group("c").create_array("y", shape=(5,), dtype="u1")
h = zarr.open_group(sys.argv[1] + "_v2", mode="w", zarr_format=2)
h.create_array("be", shape=(3,), dtype=">i2")
h.create_array("le", shape=(3,), dtype="<f4")
h.create_array("fs", shape=(3,), dtype="S4")
h.create_array("u", shape=(2,), dtype=">U3")
h.create_array("s", shape=(2,), dtype=str)
h.create_array("vb", shape=(2,), dtype=zarr.dtype.VariableLengthBytes())
g.create_array("be", shape=(2,), dtype=">i2", serializer=zarr.codecs.BytesCodec(endian="big"))
g.create_array("fixed", shape=(2,), dtype="S4")
g.create_array("u3", shape=(2,), dtype="U3")
g.create_array("vb", shape=(2,), dtype=zarr.dtype.VariableLengthBytes())
g.create_array("f16", shape=(2, 1), dtype="f2")
for level in (None, 0, 1):
    print(g.tree(level=level), end="")
    print("--")
print(zarr.open_group(sys.argv[1] + "_v2").tree(), end="")
print(g["b2"].tree(), end="")
"#,
        &dir,
    );
    let store = local(&dir);
    let g = Group::open(store.clone(), "", None, UseConsolidated::Auto).unwrap();
    let mut ours = String::new();
    for level in [None, Some(0), Some(1)] {
        ours += &g.tree(level).unwrap();
        ours += "--\n";
    }
    let v2 = local(&tmp.path().join("t.zarr_v2"));
    ours += &Group::open(v2, "", None, UseConsolidated::Auto)
        .unwrap()
        .tree(None)
        .unwrap();
    ours += &g.group("b2").unwrap().tree(None).unwrap();
    assert_eq!(ours, out);
}

/// Past `max_nodes` zarr-python prints a note and that many nodes; at
/// exactly `max_nodes` the whole tree. Which nodes zarr-python keeps depends
/// on the order its concurrent walk yields them, so past the limit the note
/// and the number of lines are compared, and our choice (the shallowest,
/// then by path) is checked on its own.
#[test]
fn tree_truncates_past_max_nodes_like_zarr_python() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("t.zarr");
    let out = py(
        r#"
import sys, zarr
g = zarr.open_group(sys.argv[1], mode="w")
a = g.create_group("a")
a.create_array("x", shape=(2,), dtype="i4")
a.create_array("y", shape=(2,), dtype="i4")
g.create_array("b", shape=(3,), dtype="i4")
g.create_group("c").create_group("d").create_array("z", shape=(1,), dtype="u1")
print(g.tree(max_nodes=7), end="")
print("--")
print(g.tree(max_nodes=5), end="")
print("==end==")
"#,
        &dir,
    );
    // Only standard output: stopping zarr-python's concurrent walk early can
    // leave asyncio warnings on standard error, which the helper appends.
    let (out, _stderr) = out.split_once("==end==\n").unwrap();
    let (whole, truncated) = out.split_once("--\n").unwrap();
    let g = Group::open(local(&dir), "", None, UseConsolidated::Auto).unwrap();
    assert_eq!(g.tree_max_nodes(None, 7).unwrap(), whole);
    assert_eq!(g.tree(None).unwrap(), whole, "under the default limit");
    let ours = g.tree_max_nodes(None, 5).unwrap();
    assert_eq!(ours.lines().next(), truncated.lines().next(), "the note");
    assert_eq!(ours.lines().count(), truncated.lines().count());
    assert_eq!(
        ours,
        "Truncated at max_nodes=5, some nodes and their children may be missing\n\
         /\n├── a\n│   ├── x (2,) int32\n│   └── y (2,) int32\n├── b (3,) int32\n└── c\n"
    );
}

/// `require_array` accepts an existing array exactly when NumPy's
/// `np.can_cast(existing, asked)` does, as zarr-python's `require_array`:
/// the whole matrix of data types, with NumPy's answers from zarr-python's
/// own NumPy types for them.
#[test]
fn require_array_accepts_the_data_types_numpy_casts_safely() {
    use DataType as D;
    let types = [
        D::Bool,
        D::Int8,
        D::Int16,
        D::Int32,
        D::Int64,
        D::UInt8,
        D::UInt16,
        D::UInt32,
        D::UInt64,
        D::Float16,
        D::Float32,
        D::Float64,
        D::Complex64,
        D::Complex128,
        D::String,
        D::Bytes,
        D::FixedBytes(3),
        D::FixedBytes(5),
        D::FixedBytes(21),
        D::FixedUtf32(4),
        D::FixedUtf32(11),
        D::FixedUtf32(32),
        D::FixedUtf32(64),
    ];
    let names = Value::Array(types.iter().map(DataType::to_json).collect()).to_string();
    let out = common::run_code(
        &common::python(),
        r#"
import json, sys
import numpy as np
from zarr.core.dtype import parse_data_type
ts = [parse_data_type(t, zarr_format=3).to_native_dtype() for t in json.loads(sys.argv[1])]
for a in ts:
    print("".join("1" if np.can_cast(a, b) else "." for b in ts))
"#,
        &[Path::new(&names)],
    );
    let store = mem();
    let g = Group::create(store, "", 3, Map::new(), true).unwrap();
    let mut ours = String::new();
    for (i, &from) in types.iter().enumerate() {
        g.create_array(&format!("a{i}"), &ArrayBuilder::new(vec![2], from))
            .unwrap();
        for &to in &types {
            match g.require_array(&format!("a{i}"), &ArrayBuilder::new(vec![2], to)) {
                Ok(a) => {
                    assert_eq!(a.data_type(), from, "the existing array");
                    ours.push('1');
                }
                Err(GroupError::IncompatibleArray { .. }) => ours.push('.'),
                Err(e) => panic!("{from} as {to}: {e}"),
            }
        }
        ours.push('\n');
    }
    assert_eq!(ours, out);
}

#[test]
fn free_functions() {
    let store = mem();
    // group / create_group
    let g = api::group(&store, "g", false, None, attrs(json!({"a": 1}))).unwrap();
    assert_eq!(g.zarr_format(), 3);
    let same = api::group(&store, "g", false, None, Map::new()).unwrap();
    assert_eq!(same.attributes()["a"], 1);
    assert!(api::group(&store, "g", true, None, Map::new())
        .unwrap()
        .attributes()
        .is_empty());
    assert!(matches!(
        api::create_group(&store, "g", false, None, Map::new()),
        Err(GroupError::AlreadyExists { .. })
    ));
    let v2 = api::create_group(&store, "v2", false, Some(2), Map::new()).unwrap();
    assert!(store.exists("v2/.zgroup").unwrap());
    assert!(api::create_group(&store, "bad", false, Some(4), Map::new()).is_err());
    // open: an array first, then a group
    v2.create_array("arr", &ArrayBuilder::new(vec![3], DataType::Int64))
        .unwrap();
    assert!(matches!(
        api::open(&store, "v2/arr", AccessMode::Read, None).unwrap(),
        Node::Array(_)
    ));
    assert!(matches!(
        api::open(&store, "v2", AccessMode::Read, None).unwrap(),
        Node::Group(_)
    ));
    assert!(api::open(&store, "missing", AccessMode::Read, None).is_err());
    assert!(matches!(
        api::open(&store, "new", AccessMode::Append, None).unwrap(),
        Node::Group(_)
    ));
    // save_group / load
    let x = NDBuffer::from_vec(&[2, 2], vec![1i32, 2, 3, 4]).unwrap();
    let y = NDBuffer::from_vec(&[3], vec![0.5f64, 1.0, 2.0]).unwrap();
    api::save_group(
        &store,
        "saved",
        None,
        &[("x".into(), x.clone()), ("arr_0".into(), y.clone())],
    )
    .unwrap();
    assert!(api::save_group(&store, "saved", None, &[]).is_err());
    let api::Loaded::Group(lazy) = api::load(&store, "saved", None).unwrap() else {
        panic!()
    };
    assert_eq!(lazy.names(), ["arr_0", "x"]);
    assert_eq!(
        lazy.get("x").unwrap().to_vec::<i32>().unwrap(),
        [1, 2, 3, 4]
    );
    assert_eq!(
        lazy.get("arr_0").unwrap().to_vec::<f64>().unwrap(),
        [0.5, 1.0, 2.0]
    );
    assert!(lazy.get("nope").is_err());
    let api::Loaded::Array(a) = api::load(&store, "saved/x", None).unwrap() else {
        panic!()
    };
    assert_eq!(a.shape(), [2, 2]);
    // tree
    let root = api::open_group(&store, &Default::default()).unwrap();
    assert!(api::tree(&root, Some(0)).unwrap().starts_with("/\n"));
    // consolidate / open_consolidated
    api::consolidate_metadata(&store, "saved", None).unwrap();
    let c = api::open_consolidated(
        &store,
        &api::GroupOptions {
            path: "saved".into(),
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(c.consolidated_metadata().unwrap().len(), 2);
    assert!(api::open_consolidated(
        &store,
        &api::GroupOptions {
            path: "g".into(),
            ..Default::default()
        }
    )
    .is_err());
}

#[test]
fn async_twins_behave_the_same() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let sync = mem();
        let store: Arc<dyn AsyncStore> = Arc::new(SyncToAsync::new(sync.clone()));
        let mut root = api::open_group_async(&store, &Default::default())
            .await
            .unwrap();
        root.update_attributes(attrs(json!({"t": 1})))
            .await
            .unwrap();
        let a = root
            .create_array("g/x", &ArrayBuilder::new(vec![4], DataType::UInt32))
            .await
            .unwrap();
        a.write_slice(&Selection::all(), vec![1u32, 2, 3, 4])
            .await
            .unwrap();
        root.require_group("h", false).await.unwrap();
        let names: Vec<String> = root
            .members(None)
            .await
            .unwrap()
            .into_iter()
            .map(|(k, _)| k)
            .collect();
        assert_eq!(names, ["g", "g/x", "h"]);
        assert_eq!(root.keys().await.unwrap(), ["g", "h"]);
        assert_eq!(root.group_keys().await.unwrap(), ["g", "h"]);
        assert!(root.array_keys().await.unwrap().is_empty());
        let c = api::consolidate_metadata_async(&store, "", None)
            .await
            .unwrap();
        assert_eq!(c.consolidated_metadata().unwrap().len(), 3);
        // The blocking API sees the same hierarchy, and the same tree.
        let blocking = Group::open(sync, "", None, UseConsolidated::Required).unwrap();
        assert_eq!(
            blocking.tree(None).unwrap(),
            api::tree_async(&c, None).await.unwrap()
        );
        let x = AsyncGroup::open(store.clone(), "", None, UseConsolidated::Auto)
            .await
            .unwrap()
            .array("g/x")
            .await
            .unwrap();
        assert_eq!(
            x.read_vec::<u32>(&Selection::all()).await.unwrap(),
            [1, 2, 3, 4]
        );
        // Mode r refuses writes through the async store too.
        let mut r = api::open_group_async(
            &store,
            &api::GroupOptions {
                mode: AccessMode::Read,
                ..Default::default()
            },
        )
        .await
        .unwrap();
        assert!(r.delete("h").await.is_err());
        assert!(matches!(
            api::open_group_async(
                &store,
                &api::GroupOptions {
                    mode: AccessMode::Create,
                    ..Default::default()
                }
            )
            .await,
            Err(GroupError::AlreadyExists { .. })
        ));
        assert!(matches!(
            api::open_async(&store, "g/x", AccessMode::Read, None)
                .await
                .unwrap(),
            zarr::group::AsyncNode::Array(_)
        ));
        let made = api::create_hierarchy_async(
            &store,
            &[("n/m".to_string(), AnyMetadata::group(3, Map::new()))],
            true,
        )
        .await
        .unwrap();
        assert_eq!(made.len(), 2); // "n" and "n/m"; the root group exists already
        api::create_group_async(&store, "cg", false, None, Map::new())
            .await
            .unwrap();
        api::group_async(&store, "cg", false, None, Map::new())
            .await
            .unwrap();
        api::open_consolidated_async(&store, &Default::default())
            .await
            .unwrap();
        // save_group / load
        let x = NDBuffer::from_vec(&[2], vec!["a".to_string(), "bc".to_string()]).unwrap();
        let y = NDBuffer::from_vec(&[2, 2], vec![1.5f32, 2.5, 3.5, 4.5]).unwrap();
        api::save_group_async(
            &store,
            "s",
            None,
            &[("x".into(), x.clone()), ("y".into(), y.clone())],
        )
        .await
        .unwrap();
        let api::LoadedAsync::Group(lazy) = api::load_async(&store, "s", None).await.unwrap()
        else {
            panic!()
        };
        assert_eq!(lazy.names(), ["x", "y"]);
        assert_eq!(lazy.get("x").await.unwrap(), x);
        assert_eq!(lazy.get("y").await.unwrap(), y);
        let api::LoadedAsync::Array(b) = api::load_async(&store, "s/y", None).await.unwrap() else {
            panic!()
        };
        assert_eq!(b, y);
        assert!(api::save_group_async(&store, "s", None, &[]).await.is_err());
    });
}

#[test]
fn zarr_python_2_18_consolidated_hierarchies_open_with_one_read() {
    let Some(py2) = common::python2() else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("z2.zarr");
    common::run_code(
        Path::new(&py2),
        r#"
import sys, zarr, numpy as np
g = zarr.open_group(sys.argv[1], mode="w")
g.attrs["t"] = 1
a = g.create_group("a")
a.attrs["x"] = 2
a.create_dataset("x", data=np.arange(6, dtype="i4").reshape(2, 3), chunks=(1, 3))
g.create_group("empty")
zarr.consolidate_metadata(sys.argv[1])
"#,
        &[&dir],
    );
    let counting = CountingStore::new(local(&dir));
    let store: StoreRef = counting.clone();
    let g = Group::open(store, "", Some(2), UseConsolidated::Required).unwrap();
    let all = g.members_metadata(None).unwrap();
    assert_eq!(names(&all), ["a", "a/x", "empty"]);
    assert_eq!(g.attributes()["t"], 1);
    assert_eq!(g.group("a").unwrap().attributes()["x"], 2);
    assert_eq!(counting.gets(), 1); // .zmetadata only
    assert_eq!(counting.found(), 1);
    let x = g.array("a/x").unwrap();
    assert_eq!(
        x.read_vec::<i32>(&Selection::all()).unwrap(),
        [0, 1, 2, 3, 4, 5]
    );
}

/// Group documents are byte for byte what zarr-python writes.
#[test]
fn group_documents_match_zarr_python_bytes() {
    let tmp = tempfile::tempdir().unwrap();
    let a = json!({"unit": "°C", "eps": 1e-05, "big": 1e16, "n": [1, 2.5], "nested": {"k": null}});
    for fmt in [3u8, 2] {
        let ours = tmp.path().join(format!("ours{fmt}"));
        let theirs = tmp.path().join(format!("theirs{fmt}"));
        Group::create(local(&ours), "g/h", fmt, attrs(a.clone()), false).unwrap();
        common::run_code(
            &common::python(),
            "import sys, json, zarr\nzarr.open_group(sys.argv[1], path='g/h', mode='w', zarr_format=int(sys.argv[2]), attributes=json.loads(sys.argv[3]))",
            &[&theirs, Path::new(&fmt.to_string()), Path::new(&a.to_string())],
        );
        let keys: &[&str] = if fmt == 3 {
            &["zarr.json", "g/zarr.json", "g/h/zarr.json"]
        } else {
            &[
                ".zgroup",
                ".zattrs",
                "g/.zgroup",
                "g/h/.zgroup",
                "g/h/.zattrs",
            ]
        };
        for k in keys {
            assert_eq!(
                std::fs::read_to_string(ours.join(k)).unwrap(),
                std::fs::read_to_string(theirs.join(k)).unwrap(),
                "{k}"
            );
        }
    }
}
