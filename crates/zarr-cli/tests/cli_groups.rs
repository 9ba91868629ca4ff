//! End-to-end tests of `zarr tree`, `zarr ls`, `zarr consolidate`,
//! `zarr rm` and `zarr info` on groups.

mod common;

use common::{fails, local as store, ok, s};
use serde_json::{json, Map, Value};
use std::path::Path;
use zarr::array::ArrayBuilder;
use zarr::dtype::DataType;
use zarr::group::{Group, UseConsolidated};

/// `/`: `a/` (`x` int32 2x3, `sub/deep` uint8), `B` float64, `empty/`.
fn hierarchy(dir: &Path, fmt: u8) -> Group {
    let st = store(dir);
    let g = Group::create(st, "", fmt, Map::new(), true).expect("root");
    g.create_array("a/x", &ArrayBuilder::new(vec![2, 3], DataType::Int32))
        .expect("x");
    g.create_array("a/sub/deep", &ArrayBuilder::new(vec![3], DataType::UInt8))
        .expect("deep");
    g.create_array("B", &ArrayBuilder::new(vec![4], DataType::Float64))
        .expect("B");
    g.create_group("empty", Map::new(), false).expect("empty");
    g
}

#[test]
fn tree_prints_the_hierarchy_with_depth_limits() {
    for fmt in [3u8, 2] {
        let tmp = tempfile::tempdir().expect("tmp");
        let dir = tmp.path().join("h.zarr");
        let g = hierarchy(&dir, fmt);
        let full = ok(&["tree", s(&dir)]);
        assert_eq!(full, g.tree(None).expect("tree"));
        assert_eq!(
            full,
            "/\n├── B (4,) float64\n├── a\n│   ├── sub\n│   │   └── deep (3,) uint8\n│   └── x (2, 3) int32\n└── empty\n"
        );
        assert_eq!(
            ok(&["tree", s(&dir), "--depth", "0"]),
            "/\n├── B (4,) float64\n├── a\n└── empty\n"
        );
        assert_eq!(
            ok(&["tree", s(&dir), "--depth", "1"]),
            g.tree(Some(1)).expect("tree")
        );
    }
    let tmp = tempfile::tempdir().expect("tmp");
    let missing = tmp.path().join("nope");
    fails(&["tree", s(&missing)]);
}

#[test]
fn ls_lists_a_groups_members() {
    let tmp = tempfile::tempdir().expect("tmp");
    let dir = tmp.path().join("h.zarr");
    hierarchy(&dir, 3);
    let out = ok(&["ls", s(&dir)]);
    assert_eq!(out, "array  B  4  float64\ngroup  a\ngroup  empty\n");
    let out = ok(&["ls", s(&dir), "--path", "a"]);
    assert_eq!(out, "group  sub\narray  x  2 x 3  int32\n");
    assert_eq!(ok(&["ls", s(&dir), "--path", "empty"]), "");
    let e = fails(&["ls", s(&dir), "--path", "a/x"]);
    assert!(e.contains("not a group"), "{e}");
    let e = fails(&["ls", s(&dir), "--path", "zz"]);
    assert!(e.contains("no group"), "{e}");
}

#[test]
fn consolidate_then_rm_keeps_the_consolidated_metadata_right() {
    for fmt in [3u8, 2] {
        let tmp = tempfile::tempdir().expect("tmp");
        let dir = tmp.path().join("h.zarr");
        hierarchy(&dir, fmt);
        let out = ok(&["consolidate", s(&dir)]);
        assert!(out.contains("6 nodes"), "{out}");
        let g = Group::open(store(&dir), "", None, UseConsolidated::Required).expect("open");
        assert_eq!(g.consolidated_metadata().expect("consolidated").len(), 6);
        ok(&["rm", s(&dir), "--path", "a/sub"]);
        assert!(!dir.join("a/sub").exists());
        let g = Group::open(store(&dir), "", None, UseConsolidated::Required).expect("open");
        let keys: Vec<&String> = g.consolidated_metadata().expect("c").keys().collect();
        assert_eq!(keys, ["B", "a", "a/x", "empty"]);
        assert_eq!(ok(&["tree", s(&dir)]), g.tree(None).expect("tree"));
        let e = fails(&["rm", s(&dir), "--path", "a/sub"]);
        assert!(e.contains("no array or group named"), "{e}");
        fails(&["rm", s(&dir), "--path", ""]);
    }
}

#[test]
fn info_on_a_group_summarises_its_members() {
    let tmp = tempfile::tempdir().expect("tmp");
    let dir = tmp.path().join("h.zarr");
    hierarchy(&dir, 3);
    let t = ok(&["info", s(&dir)]);
    assert!(
        t.contains("hierarchy:    3 arrays, 3 groups below (all levels)"),
        "{t}"
    );
    ok(&["consolidate", s(&dir)]);
    let j: Value = serde_json::from_str(&ok(&["info", s(&dir), "--json"])).expect("json");
    assert_eq!(
        j["hierarchy"],
        json!({"arrays": 3, "groups": 3, "consolidated": true})
    );
    let j: Value =
        serde_json::from_str(&ok(&["info", s(&dir), "--path", "a", "--json"])).expect("json");
    assert_eq!(j["hierarchy"]["arrays"], 2);
}
