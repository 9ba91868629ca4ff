//! Memory that a small hostile input could make unbounded (issue 11, item
//! 4): each case runs the `zarr` binary in a child process under an
//! address-space limit (`ulimit -v`), so an allocation that grows with the
//! input instead of with the limits in `zarr::limits` aborts the child and
//! fails the test.
#![allow(clippy::unwrap_used)]

mod common;

use common::text;
use std::path::Path;
use std::process::{Command, Output};

/// The address space the child may use: far below what the inputs below
/// would cost without the limits (8 GiB, 1 GiB, unbounded), far above what
/// the tool needs (about 100 MiB) plus one refused metadata document
/// (`ZARR_RS_MAX_METADATA_BYTES`, 256 MiB by default).
const ADDRESS_SPACE_KIB: u64 = 768 << 10;

/// Run `zarr args` under [`ADDRESS_SPACE_KIB`].
fn zarr_limited(args: &[&str]) -> Output {
    Command::new("sh")
        .arg("-c")
        .arg(format!(
            "ulimit -v {ADDRESS_SPACE_KIB} && exec \"$0\" \"$@\""
        ))
        .arg(env!("CARGO_BIN_EXE_zarr"))
        .args(args)
        .env_remove("ZARR_CLI_PROGRESS")
        .output()
        .expect("run the zarr binary under sh")
}

/// The child failed cleanly: status 1 and one `error:` line that contains
/// every one of `needles`.
#[track_caller]
fn refused(o: &Output, needles: &[&str]) {
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "stderr: {err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.starts_with("error: "), "{err}");
    for n in needles {
        assert!(err.contains(n), "{n:?} not in {err}");
    }
    assert!(!err.contains("internal error"), "{err}");
}

fn write(path: &Path, bytes: &[u8]) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, bytes).unwrap();
}

/// A group's `zarr.json` whose consolidated metadata holds `members`.
fn consolidated_root(members: &[&str]) -> Vec<u8> {
    let group = serde_json::json!({"zarr_format": 3, "node_type": "group", "attributes": {}});
    let metadata: serde_json::Map<String, serde_json::Value> = members
        .iter()
        .map(|m| (m.to_string(), group.clone()))
        .collect();
    serde_json::to_vec(&serde_json::json!({
        "zarr_format": 3, "node_type": "group", "attributes": {},
        "consolidated_metadata": {"kind": "inline", "must_understand": false, "metadata": metadata},
    }))
    .unwrap()
}

/// A sparse 8 GiB `zarr.json` costs at most the metadata limit to refuse,
/// for `info`, `tree` and `export` alike.
#[test]
fn a_huge_sparse_metadata_document_is_refused_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("s.zarr");
    std::fs::create_dir(&store).unwrap();
    let f = std::fs::File::create(store.join("zarr.json")).unwrap();
    f.set_len(8 << 30).unwrap();
    let s = store.to_str().unwrap();
    let npy = dir.path().join("out.npy");
    for args in [
        vec!["info", s],
        vec!["tree", s],
        vec!["export", s, "--output", npy.to_str().unwrap()],
    ] {
        refused(
            &zarr_limited(&args),
            &[
                "zarr.json",
                "larger than the limit",
                "ZARR_RS_MAX_METADATA_BYTES",
            ],
        );
    }
    // The limit is configurable: a small one refuses a small document.
    let small = dir.path().join("small.zarr");
    write(
        &small.join("zarr.json"),
        &consolidated_root(&["a", "b", "c"]),
    );
    let o = common::zarr_env(
        &["tree", small.to_str().unwrap()],
        &[("ZARR_RS_MAX_METADATA_BYTES", "64")],
    );
    refused(&o, &["larger than the limit of 64 bytes"]);
    common::ok(&["tree", small.to_str().unwrap()]);
}

/// A consolidated member named `""` (the group itself) or nested deeper
/// than the limit is refused by name instead of making `tree` recurse.
#[test]
fn consolidated_members_with_bad_names_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let deep = vec!["a"; 300].join("/");
    let long = "n".repeat(2000);
    for (i, (member, needle)) in [
        ("", "empty name"),
        ("/", "empty name"),
        ("a//b", "empty path segment"),
        ("a/../..", "'..'"),
        (deep.as_str(), "ZARR_RS_MAX_DEPTH"),
        (long.as_str(), "ZARR_RS_MAX_NAME_BYTES"),
    ]
    .into_iter()
    .enumerate()
    {
        let store = dir.path().join(format!("s{i}.zarr"));
        write(
            &store.join("zarr.json"),
            &consolidated_root(&["ok", member]),
        );
        for cmd in ["tree", "ls"] {
            refused(
                &zarr_limited(&[cmd, store.to_str().unwrap()]),
                &["zarr.json", needle],
            );
        }
        // `info` describes the group and says why its hierarchy is unreadable.
        let o = zarr_limited(&["info", store.to_str().unwrap()]);
        let out = text(&o.stdout);
        assert_eq!(o.status.code(), Some(0), "{member:?}: {}", text(&o.stderr));
        assert!(
            out.contains("not readable") && out.contains(needle),
            "{member:?}: {out}"
        );
    }
}

/// Bits for a raw deflate stream, least significant first (RFC 1951).
struct Bits {
    out: Vec<u8>,
    acc: u64,
    n: u32,
}

impl Bits {
    fn put(&mut self, value: u64, count: u32) {
        self.acc |= value << self.n;
        self.n += count;
        while self.n >= 8 {
            self.out.push(self.acc as u8);
            self.acc >>= 8;
            self.n -= 8;
        }
    }
    /// A Huffman code: sent most significant bit first.
    fn code(&mut self, code: u64, len: u32) {
        let rev = (0..len).fold(0, |r, i| r | ((code >> i) & 1) << (len - 1 - i));
        self.put(rev, len);
    }
}

/// A raw deflate stream (one block of fixed codes) that inflates to
/// `size` zero bytes: a literal zero, then back-references of 258 bytes
/// at distance 1, 13 bits each (about 1:160).
fn deflate_zeros(size: u64) -> Vec<u8> {
    let mut b = Bits {
        out: Vec::new(),
        acc: 0,
        n: 0,
    };
    b.put(1, 1); // BFINAL
    b.put(1, 2); // fixed Huffman codes
    b.code(0x30, 8); // literal 0
    let mut left = size - 1;
    while left >= 258 {
        b.code(0xC5, 8); // length code 285: 258 bytes
        b.code(0, 5); // distance code 0: distance 1
        left -= 258;
    }
    for _ in 0..left {
        b.code(0x30, 8);
    }
    b.code(0, 7); // end of block
    b.put(0, 7); // flush
    b.out
}

/// A zip archive holding one deflated entry `name` whose data is
/// `deflated` and which declares `size` inflated bytes.
fn zip_with(name: &str, deflated: &[u8], size: u32) -> Vec<u8> {
    let mut z = Vec::new();
    let le16 = |z: &mut Vec<u8>, v: u16| z.extend_from_slice(&v.to_le_bytes());
    let le32 = |z: &mut Vec<u8>, v: u32| z.extend_from_slice(&v.to_le_bytes());
    le32(&mut z, 0x0403_4b50);
    for v in [20u16, 0, 8, 0, 0] {
        le16(&mut z, v);
    }
    le32(&mut z, 0); // CRC-32 (never reached: the size is refused first)
    le32(&mut z, deflated.len() as u32);
    le32(&mut z, size);
    le16(&mut z, name.len() as u16);
    le16(&mut z, 0);
    z.extend_from_slice(name.as_bytes());
    z.extend_from_slice(deflated);
    let cd = z.len() as u32;
    le32(&mut z, 0x0201_4b50);
    for v in [20u16, 20, 0, 8, 0, 0] {
        le16(&mut z, v);
    }
    le32(&mut z, 0);
    le32(&mut z, deflated.len() as u32);
    le32(&mut z, size);
    le16(&mut z, name.len() as u16);
    for v in [0u16, 0, 0, 0] {
        le16(&mut z, v);
    }
    le32(&mut z, 0); // external attributes
    le32(&mut z, 0); // local header offset
    z.extend_from_slice(name.as_bytes());
    let cd_size = z.len() as u32 - cd;
    le32(&mut z, 0x0605_4b50);
    for v in [0u16, 0, 1, 1] {
        le16(&mut z, v);
    }
    le32(&mut z, cd_size);
    le32(&mut z, cd);
    le16(&mut z, 0);
    z
}

/// A few MiB of deflated data that declare (and inflate to) 1 GiB: the
/// metadata read inflates no more than the metadata limit before refusing.
#[test]
fn a_deflate_bomb_in_a_zip_archive_is_refused_before_it_is_inflated() {
    let dir = tempfile::tempdir().unwrap();
    let size = 1u64 << 30;
    let bomb = deflate_zeros(size);
    assert!(bomb.len() < 8 << 20, "{}", bomb.len());
    let archive = dir.path().join("bomb.zip");
    std::fs::write(&archive, zip_with("zarr.json", &bomb, size as u32)).unwrap();
    for cmd in ["info", "tree"] {
        refused(
            &zarr_limited(&[cmd, archive.to_str().unwrap()]),
            &["zarr.json", "larger than the limit"],
        );
    }
}
