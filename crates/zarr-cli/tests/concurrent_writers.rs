//! Concurrent writers across processes (issue 11, item 6): real `zarr`
//! processes started together, repeated, on one folder store.
//!
//! The guarantee (README, "Trust"): concurrent replacements of one node
//! (`import --overwrite`, `copy --overwrite`, `convert --overwrite`) run
//! one after another under the store's node lock, so the node that remains
//! is one successful writer's, whole; concurrent deletions in a
//! consolidated hierarchy update its consolidated metadata with
//! conditional read-modify-writes, so no deletion is lost.
#![allow(clippy::unwrap_used)]

mod common;

use common::{s, spawn, text};
use serde_json::Value;
use std::path::Path;
use std::process::Child;
use std::sync::Arc;
use zarr::array::ArrayBuilder;
use zarr::buffer::NDBuffer;
use zarr::dtype::DataType;
use zarr::npy::{read_npy, write_npy};
use zarr::store::{LocalStore, StoreRef};

const ROUNDS: usize = 10;

/// Wait for every child: (exit code, stderr) each.
fn wait_all(children: Vec<Child>) -> Vec<(Option<i32>, String)> {
    children
        .into_iter()
        .map(|c| {
            let o = c.wait_with_output().unwrap();
            (o.status.code(), text(&o.stderr))
        })
        .collect()
}

/// Writer `w`'s input: its own shape, dtype and values.
fn input(w: usize) -> NDBuffer {
    let shape = vec![37 + 9 * w, 23 + 5 * w];
    let n = shape[0] * shape[1];
    match w % 2 {
        0 => NDBuffer::from_vec(
            &shape,
            (0..n)
                .map(|i| (i * 7 + w * 1000) as i32)
                .collect::<Vec<_>>(),
        ),
        _ => NDBuffer::from_vec(
            &shape,
            (0..n)
                .map(|i| i as f64 * 0.5 + w as f64)
                .collect::<Vec<_>>(),
        ),
    }
    .unwrap()
}

/// Writer `w`'s layout flags: chunks, shards, compressors and formats differ.
fn layout(w: usize) -> Vec<&'static str> {
    match w {
        0 => vec!["--chunks", "8,8"],
        1 => vec!["--chunks", "5,7", "--zarr-format", "2"],
        2 => vec!["--chunks", "4,4", "--shards", "16,16"],
        _ => vec!["--chunks", "13,3", "--compressor", "none"],
    }
}

/// Four concurrent `zarr import --overwrite` of one path, with different
/// shapes, dtypes and layouts, ten times: every writer succeeds (each waits
/// for the lock of the one before) and the array that remains is exactly
/// one writer's input, whole.
#[test]
fn concurrent_overwrites_leave_one_writers_array_whole() {
    const WRITERS: usize = 4;
    let dir = tempfile::tempdir().unwrap();
    let inputs: Vec<_> = (0..WRITERS)
        .map(|w| {
            let p = dir.path().join(format!("in{w}.npy"));
            write_npy(&p, &input(w)).unwrap();
            p
        })
        .collect();
    for round in 0..ROUNDS {
        let store = dir.path().join(format!("r{round}.zarr"));
        // Something to replace from the start.
        common::ok(&["import", s(&inputs[0]), s(&store), "--path", "a/x"]);
        let children = (0..WRITERS)
            .map(|w| {
                let mut args = vec!["import", s(&inputs[w]), s(&store), "--path", "a/x"];
                args.push("--overwrite");
                args.extend(layout(w));
                spawn(&args)
            })
            .collect();
        let results = wait_all(children);
        for (w, (code, err)) in results.iter().enumerate() {
            assert_eq!(*code, Some(0), "round {round}, writer {w}: {err}");
        }
        let out = dir.path().join(format!("out{round}.npy"));
        common::ok(&["export", s(&store), "--path", "a/x", "--output", s(&out)]);
        let got = read_npy(&out).unwrap();
        assert!(
            (0..WRITERS).any(|w| got == input(w)),
            "round {round}: the array is no writer's input (shape {:?})",
            got.shape()
        );
        // No lock files or temporary files are left.
        let mut leftovers = Vec::new();
        walk(&store, &mut leftovers);
        assert!(leftovers.is_empty(), "round {round}: {leftovers:?}");
    }
}

/// Files with reserved names (`.*.zarr-tmp`, `.*.zarr-lock`) under `dir`.
fn walk(dir: &Path, out: &mut Vec<String>) {
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            walk(&p, out);
        } else if zarr::store::is_temp_name(&e.file_name().to_string_lossy()) {
            out.push(p.display().to_string());
        }
    }
}

/// The member paths listed in the root's consolidated metadata.
fn consolidated_members(store: &Path) -> Vec<String> {
    let doc: Value =
        serde_json::from_slice(&std::fs::read(store.join("zarr.json")).unwrap()).unwrap();
    let mut m: Vec<String> = doc["consolidated_metadata"]["metadata"]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect();
    m.sort();
    m
}

/// Eight concurrent `zarr rm` of different arrays in a consolidated
/// hierarchy, ten times: every deletion reaches the consolidated metadata.
#[test]
fn concurrent_rm_in_a_consolidated_hierarchy_loses_no_update() {
    const ARRAYS: usize = 12;
    const REMOVERS: usize = 8;
    let dir = tempfile::tempdir().unwrap();
    for round in 0..ROUNDS {
        let path = dir.path().join(format!("r{round}.zarr"));
        let store: StoreRef = Arc::new(LocalStore::new(&path, false).unwrap());
        zarr::group::Group::create(store.clone(), "", 3, Default::default(), false).unwrap();
        for i in 0..ARRAYS {
            ArrayBuilder::new(vec![4], DataType::UInt8)
                .create(store.clone(), &format!("a{i:02}"))
                .unwrap();
        }
        common::ok(&["consolidate", s(&path)]);
        assert_eq!(consolidated_members(&path).len(), ARRAYS);
        let children = (0..REMOVERS)
            .map(|i| spawn(&["rm", s(&path), "--path", &format!("a{i:02}")]))
            .collect();
        for (i, (code, err)) in wait_all(children).iter().enumerate() {
            assert_eq!(*code, Some(0), "round {round}, rm a{i:02}: {err}");
        }
        let kept: Vec<String> = (REMOVERS..ARRAYS).map(|i| format!("a{i:02}")).collect();
        assert_eq!(consolidated_members(&path), kept, "round {round}");
        for i in 0..REMOVERS {
            assert!(
                !path.join(format!("a{i:02}")).exists(),
                "round {round}: a{i:02}"
            );
        }
        let mut leftovers = Vec::new();
        walk(&path, &mut leftovers);
        assert!(leftovers.is_empty(), "round {round}: {leftovers:?}");
    }
}
