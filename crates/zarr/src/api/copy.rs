//! Copying arrays and hierarchies between any two stores, optionally
//! re-encoding them: `copy`, `copy_all` and `copy_store` of zarr-python's
//! API (which zarr-python 3.4.2 leaves unimplemented; these follow the
//! meaning they had in zarr-python 2).
//!
//! * [`copy`]: one array, or one group with everything below it, to a new
//!   node at the destination.
//! * [`copy_all`]: every member of a group into a destination group
//!   (created when missing), and the group's attributes.
//! * [`copy_store`]: every key under a path, byte for byte; with
//!   re-encoding options, every node under the path, as [`copy`].
//!
//! With default [`CopyOptions`] nothing is decoded: objects are copied
//! byte for byte. Options that change chunks, shards, compressors or the
//! Zarr format re-encode each array: data streams one destination chunk
//! (or shard) at a time, chunks in parallel, so memory stays bounded by a
//! few chunks per thread. An array whose target metadata equals its source
//! metadata is still copied byte for byte. The hierarchy is found by
//! listing metadata keys (`zarr.json`, `.zarray`, `.zgroup`), so V2 and V3
//! hierarchies, even mixed, copy alike.
//!
//! ```
//! use std::sync::Arc;
//! use zarr::api::copy::{copy, CopyOptions, Shards};
//! use zarr::array::{Array, ArrayBuilder};
//! use zarr::dtype::DataType;
//! use zarr::store::{MemoryStore, StoreRef};
//! let src: StoreRef = Arc::new(MemoryStore::new());
//! let a = ArrayBuilder::new(vec![8, 8], DataType::Int32).chunks(vec![4, 4]).zarr_format(2)
//!     .create(src.clone(), "g/a").unwrap();
//! a.write_slice(&zarr::chunk::Selection::all(), &(0..64).collect::<Vec<i32>>()).unwrap();
//! let dst: StoreRef = Arc::new(MemoryStore::new());
//! let opts = CopyOptions::default().zarr_format(3).chunks(vec![2, 2]).shards(Shards::Shape(vec![4, 8]));
//! let s = copy(&src, "g/a", &dst, "b", &opts).unwrap();
//! assert_eq!(s.reencoded, 1);
//! let b = Array::open(dst, "b").unwrap();
//! assert_eq!((b.zarr_format(), b.chunk_shape()), (3, &[4u64, 8][..]));
//! assert_eq!(b.read_vec::<i32>(&zarr::chunk::Selection::all()).unwrap(), (0..64).collect::<Vec<i32>>());
//! ```

use super::blocking::{blocking, run_blocking};
use crate::array::{stream_chunks, Array, ArrayBuilder, ArrayError, ProgressTracker, Result};
use crate::codec::{ChunkSpec, CodecChain, IndexLocation};
use crate::metadata::{
    ChunkKeyEncodingMetadata, CodecMetadata, GroupMetadata, GroupMetadataV2, NodeMetadata,
};
use crate::store::{AsyncStore, StoreRef};
use rayon::prelude::*;
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::sync::Arc;

pub use crate::array::{CopyProgress, ProgressFn};

/// The shard shape of copied arrays.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Shards {
    /// The source array's (none for an unsharded source, and always none
    /// for a Zarr V2 destination).
    #[default]
    Keep,
    /// Not sharded.
    None,
    /// Shards of this shape (Zarr V3 only); the chunk shape must divide it.
    Shape(Vec<u64>),
}

/// What to do when a node (or, for [`copy_store`], a key) exists at the
/// destination (zarr-python 2's `if_exists`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum IfExists {
    /// Fail with [`ArrayError::AlreadyExists`] (the default).
    #[default]
    Raise,
    /// Delete what is there first.
    Replace,
    /// Leave it and skip this node or key.
    Skip,
}

/// How to copy: what to re-encode, what to do with existing nodes, and a
/// progress callback. The default copies bytes unchanged.
///
/// ```
/// use zarr::api::copy::{CopyOptions, IfExists, Shards};
/// let o = CopyOptions::default();
/// assert!(o.is_byte_copy());
/// let o = o.chunks(vec![10, 10]).shards(Shards::Shape(vec![100, 100])).if_exists(IfExists::Replace);
/// assert!(!o.is_byte_copy());
/// ```
#[derive(Clone, Default)]
#[non_exhaustive]
pub struct CopyOptions {
    /// Chunk shape of copied arrays (the inner chunk shape when sharded);
    /// `None` keeps the source's (its inner chunk shape if it is sharded).
    pub chunks: Option<Vec<u64>>,
    /// Shard shape of copied arrays.
    pub shards: Shards,
    /// V3 bytes-to-bytes codecs (`compressors`); `None` keeps the source's
    /// (for a V2 source, its compressor's V3 form). An empty list: none.
    /// Ignored for V2 copies when [`CopyOptions::compressor_v2`] is set (and
    /// an error without it).
    pub compressors: Option<Vec<CodecMetadata>>,
    /// The V2 compressor as a numcodecs configuration (`Some(None)`: no
    /// compressor); `None` keeps a V2 source's and uses zarr-python's
    /// default (zstd) for a V3 source. Ignored for V3 copies.
    pub compressor_v2: Option<Option<Map<String, Value>>>,
    /// The Zarr format of copied nodes; `None` keeps each node's.
    pub zarr_format: Option<u8>,
    /// What to do with nodes already at the destination.
    pub if_exists: IfExists,
    /// Leave out user attributes.
    pub without_attrs: bool,
    /// Called from worker threads as chunks are copied.
    pub progress: Option<ProgressFn>,
}

impl std::fmt::Debug for CopyOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CopyOptions")
            .field("chunks", &self.chunks)
            .field("shards", &self.shards)
            .field("compressors", &self.compressors)
            .field("compressor_v2", &self.compressor_v2)
            .field("zarr_format", &self.zarr_format)
            .field("if_exists", &self.if_exists)
            .field("without_attrs", &self.without_attrs)
            .field("progress", &self.progress.is_some())
            .finish()
    }
}

impl CopyOptions {
    /// Set [`CopyOptions::chunks`].
    pub fn chunks(mut self, chunks: Vec<u64>) -> Self {
        self.chunks = Some(chunks);
        self
    }
    /// Set [`CopyOptions::shards`].
    pub fn shards(mut self, shards: Shards) -> Self {
        self.shards = shards;
        self
    }
    /// Set [`CopyOptions::compressors`].
    pub fn compressors(mut self, compressors: Vec<CodecMetadata>) -> Self {
        self.compressors = Some(compressors);
        self
    }
    /// Set [`CopyOptions::compressor_v2`].
    pub fn compressor_v2(mut self, compressor: Option<Map<String, Value>>) -> Self {
        self.compressor_v2 = Some(compressor);
        self
    }
    /// Set [`CopyOptions::zarr_format`].
    pub fn zarr_format(mut self, format: u8) -> Self {
        self.zarr_format = Some(format);
        self
    }
    /// Set [`CopyOptions::if_exists`].
    pub fn if_exists(mut self, if_exists: IfExists) -> Self {
        self.if_exists = if_exists;
        self
    }
    /// Set [`CopyOptions::without_attrs`].
    pub fn without_attrs(mut self, without: bool) -> Self {
        self.without_attrs = without;
        self
    }
    /// Set [`CopyOptions::progress`].
    pub fn progress(mut self, progress: ProgressFn) -> Self {
        self.progress = Some(progress);
        self
    }
    /// True when nothing is re-encoded or rewritten: every object is copied
    /// byte for byte.
    pub fn is_byte_copy(&self) -> bool {
        self.chunks.is_none()
            && self.shards == Shards::Keep
            && self.compressors.is_none()
            && self.compressor_v2.is_none()
            && self.zarr_format.is_none()
            && !self.without_attrs
    }
}

/// What a copy did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct CopySummary {
    /// Arrays copied.
    pub arrays: usize,
    /// Groups copied.
    pub groups: usize,
    /// Arrays re-encoded (decoded and encoded again).
    pub reencoded: usize,
    /// Objects copied byte for byte (chunks and metadata documents).
    pub objects_copied: usize,
    /// Nodes (or keys, for [`copy_store`]) skipped because they existed.
    pub skipped: usize,
}

impl CopySummary {
    fn add(&mut self, o: CopySummary) {
        self.arrays += o.arrays;
        self.groups += o.groups;
        self.reencoded += o.reencoded;
        self.objects_copied += o.objects_copied;
        self.skipped += o.skipped;
    }
}

/// Copy the array or group at `src_path` in `src` (a group with every node
/// below it) to `dst_path` in `dst`, re-encoding as `options` say. Missing
/// parent groups of `dst_path` are created. A node already at `dst_path` is
/// handled by [`CopyOptions::if_exists`]. Fails with
/// [`ArrayError::NotFound`] when there is no node at `src_path`, and with
/// [`ArrayError::InvalidArgument`] when `src` and `dst` are the same store
/// and one path is inside the other.
///
/// ```
/// use std::sync::Arc;
/// use zarr::api::copy::{copy, CopyOptions, IfExists};
/// use zarr::array::{ArrayBuilder, ArrayError};
/// use zarr::dtype::DataType;
/// use zarr::store::{MemoryStore, Store, StoreRef};
/// let src: StoreRef = Arc::new(MemoryStore::new());
/// ArrayBuilder::new(vec![4], DataType::UInt8).create(src.clone(), "g/a").unwrap();
/// let dst: StoreRef = Arc::new(MemoryStore::new());
/// let s = copy(&src, "g", &dst, "h", &CopyOptions::default()).unwrap();
/// assert_eq!((s.arrays, s.groups), (1, 1));
/// assert!(dst.exists("h/a/zarr.json").unwrap());
/// assert!(matches!(copy(&src, "g", &dst, "h", &CopyOptions::default()), Err(ArrayError::AlreadyExists { .. })));
/// let s = copy(&src, "g", &dst, "h", &CopyOptions::default().if_exists(IfExists::Skip)).unwrap();
/// assert_eq!(s.skipped, 1);
/// ```
pub fn copy(
    src: &StoreRef,
    src_path: &str,
    dst: &StoreRef,
    dst_path: &str,
    options: &CopyOptions,
) -> Result<CopySummary> {
    let tracker = ProgressTracker::new(options.progress.clone());
    copy_node(src, src_path, dst, dst_path, options, &tracker)
}

/// Copy every member of the group at `src_path` (with everything below
/// it) into the group at `dst_path`, which is created (in the target
/// format) when missing; the source group's attributes replace the
/// destination group's unless [`CopyOptions::without_attrs`]. Members
/// already in the destination group are handled by
/// [`CopyOptions::if_exists`]. Fails with [`ArrayError::NotFound`] when
/// `src_path` is not a group.
///
/// ```
/// use std::sync::Arc;
/// use zarr::api::copy::{copy_all, CopyOptions};
/// use zarr::array::ArrayBuilder;
/// use zarr::dtype::DataType;
/// use zarr::store::{MemoryStore, Store, StoreRef};
/// let src: StoreRef = Arc::new(MemoryStore::new());
/// ArrayBuilder::new(vec![4], DataType::UInt8).create(src.clone(), "a").unwrap();
/// ArrayBuilder::new(vec![4], DataType::UInt8).create(src.clone(), "g/b").unwrap();
/// let dst: StoreRef = Arc::new(MemoryStore::new());
/// let s = copy_all(&src, "", &dst, "backup", &CopyOptions::default()).unwrap();
/// assert_eq!(s.arrays, 2);
/// assert!(dst.exists("backup/zarr.json").unwrap());
/// assert!(dst.exists("backup/g/b/zarr.json").unwrap());
/// ```
pub fn copy_all(
    src: &StoreRef,
    src_path: &str,
    dst: &StoreRef,
    dst_path: &str,
    options: &CopyOptions,
) -> Result<CopySummary> {
    let src_path = norm(src_path)?;
    let dst_path = norm(dst_path)?;
    check_overlap(src, &src_path, dst, &dst_path)?;
    let tracker = ProgressTracker::new(options.progress.clone());
    let kind = node_kind(src, &src_path)?;
    let Some(kind) = kind.filter(|k| !k.is_array()) else {
        return Err(match kind {
            Some(_) => ArrayError::InvalidArgument(format!(
                "copy_all copies the members of a group, and {src_path:?} is an array"
            )),
            None => not_found(&src_path),
        });
    };
    let format = options.zarr_format.unwrap_or(kind.format());
    ensure_parents(dst, &dst_path, format)?;
    let mut summary = CopySummary::default();
    match node_kind(dst, &dst_path)? {
        Some(k) if k.is_array() => {
            return Err(ArrayError::InvalidArgument(format!(
                "cannot copy members into {dst_path:?}: it is an array"
            )))
        }
        Some(_) if options.without_attrs => {}
        _ => {
            write_group(src, &src_path, kind, dst, &dst_path, format, options)?;
            summary.groups += 1;
        }
    }
    for child in members(src, &src_path)? {
        let s = copy_node(
            src,
            &join(&src_path, &child),
            dst,
            &join(&dst_path, &child),
            options,
            &tracker,
        )?;
        summary.add(s);
    }
    Ok(summary)
}

/// Copy every key under `src_path` in `src` to the same key under
/// `dst_path` in `dst`, byte for byte, in parallel (zarr-python 2's
/// `copy_store`); keys need not belong to Zarr nodes. With
/// [`CopyOptions::if_exists`] `Raise`, fails before copying anything when a
/// key to be written exists; `Replace` overwrites such keys; `Skip` leaves
/// them. With re-encoding options this is [`copy`] of the node at
/// `src_path`.
///
/// ```
/// use std::sync::Arc;
/// use zarr::api::copy::{copy_store, CopyOptions};
/// use zarr::store::{MemoryStore, Store, StoreRef};
/// let src: StoreRef = Arc::new(MemoryStore::new());
/// src.set("x/notes.txt", b"hi".to_vec().into()).unwrap();
/// let dst: StoreRef = Arc::new(MemoryStore::new());
/// let s = copy_store(&src, "x", &dst, "y", &CopyOptions::default()).unwrap();
/// assert_eq!(s.objects_copied, 1);
/// assert_eq!(dst.get("y/notes.txt", &Default::default(), None).unwrap().as_deref(), Some(&b"hi"[..]));
/// ```
pub fn copy_store(
    src: &StoreRef,
    src_path: &str,
    dst: &StoreRef,
    dst_path: &str,
    options: &CopyOptions,
) -> Result<CopySummary> {
    if !options.is_byte_copy() {
        return copy(src, src_path, dst, dst_path, options);
    }
    let tracker = ProgressTracker::new(options.progress.clone());
    let (sp, dp) = (norm(src_path)?, norm(dst_path)?);
    check_overlap(src, &sp, dst, &dp)?;
    copy_keys(src, &sp, dst, &dp, options.if_exists, &tracker)
}

// ---- nodes ----

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    ArrayV3,
    ArrayV2,
    GroupV3,
    GroupV2,
}

impl Kind {
    fn is_array(self) -> bool {
        matches!(self, Kind::ArrayV3 | Kind::ArrayV2)
    }
    fn format(self) -> u8 {
        match self {
            Kind::ArrayV3 | Kind::GroupV3 => 3,
            Kind::ArrayV2 | Kind::GroupV2 => 2,
        }
    }
}

fn norm(path: &str) -> Result<String> {
    let p = path.trim_matches('/');
    if !p.is_empty() {
        crate::store::validate_key(p)?;
    }
    Ok(p.to_string())
}

fn join(path: &str, child: &str) -> String {
    match (path.is_empty(), child.is_empty()) {
        (true, _) => child.to_string(),
        (_, true) => path.to_string(),
        _ => format!("{path}/{child}"),
    }
}

fn key(path: &str, name: &str) -> String {
    join(path, name)
}

fn prefix(path: &str) -> String {
    if path.is_empty() {
        String::new()
    } else {
        format!("{path}/")
    }
}

fn not_found(path: &str) -> ArrayError {
    ArrayError::NotFound {
        path: path.to_string(),
        key: key(path, "zarr.json"),
    }
}

fn get(store: &StoreRef, k: &str) -> Result<Option<crate::buffer::Buffer>> {
    Ok(store.get(k, &Default::default(), None)?)
}

/// The node at `path`: V3 (`zarr.json`) first, as [`Array::open`] does.
fn node_kind(store: &StoreRef, path: &str) -> Result<Option<Kind>> {
    let k = key(path, "zarr.json");
    if let Some(bytes) = get(store, &k)? {
        return match NodeMetadata::from_json_bytes(&bytes) {
            Ok(NodeMetadata::Array(_)) => Ok(Some(Kind::ArrayV3)),
            Ok(NodeMetadata::Group(_)) => Ok(Some(Kind::GroupV3)),
            Err(source) => Err(ArrayError::Metadata { key: k, source }),
        };
    }
    if store.exists(&key(path, ".zarray"))? {
        return Ok(Some(Kind::ArrayV2));
    }
    if store.exists(&key(path, ".zgroup"))? {
        return Ok(Some(Kind::GroupV2));
    }
    Ok(None)
}

/// Every node at or below `root`, by path relative to `root`, parents
/// before children, found by listing metadata keys.
fn walk(store: &StoreRef, root: &str) -> Result<BTreeMap<String, Kind>> {
    let pre = prefix(root);
    let mut paths = std::collections::BTreeSet::new();
    for k in store.list_prefix(&pre)? {
        let rel = &k[pre.len()..];
        let (parent, name) = rel.rsplit_once('/').unwrap_or(("", rel));
        if matches!(name, "zarr.json" | ".zarray" | ".zgroup") {
            paths.insert(parent.to_string());
        }
    }
    let mut nodes = BTreeMap::new();
    let mut arrays = std::collections::HashSet::new();
    // Shallow paths first, so arrays are known before anything below them.
    let mut paths: Vec<String> = paths.into_iter().collect();
    paths.sort_by_key(|p| {
        if p.is_empty() {
            0
        } else {
            p.matches('/').count() + 1
        }
    });
    for rel in paths {
        // Skip anything below an array (not a node of the hierarchy).
        let mut ancestors = std::iter::once("").chain(
            rel.match_indices('/')
                .map(|(i, _)| &rel[..i])
                .chain(std::iter::once(rel.as_str())),
        );
        if ancestors.any(|a| a != rel && arrays.contains(a)) {
            continue;
        }
        if let Some(kind) = node_kind(store, &join(root, &rel))? {
            if kind.is_array() {
                arrays.insert(rel.clone());
            }
            nodes.insert(rel, kind);
        }
    }
    Ok(nodes)
}

/// Direct members of the group at `path` (names).
fn members(store: &StoreRef, path: &str) -> Result<Vec<String>> {
    let mut out = Vec::new();
    for child in store.list_dir(path)? {
        if child.starts_with('.') || child == "zarr.json" {
            continue;
        }
        if node_kind(store, &join(path, &child))?.is_some() {
            out.push(child);
        }
    }
    Ok(out)
}

/// Create missing parent groups of `path` in `format`; fail when one is an array.
fn ensure_parents(store: &StoreRef, path: &str, format: u8) -> Result<()> {
    if path.is_empty() {
        return Ok(());
    }
    let parts: Vec<&str> = path.split('/').collect();
    for i in 0..parts.len() {
        let parent = parts[..i].join("/");
        match node_kind(store, &parent)? {
            Some(k) if k.is_array() => {
                return Err(ArrayError::InvalidArgument(format!(
                    "cannot copy to {path:?}: its parent {parent:?} is an array"
                )))
            }
            Some(_) => {}
            None => write_group_metadata(store, &parent, format, Map::new())?,
        }
    }
    Ok(())
}

fn write_group_metadata(
    store: &StoreRef,
    path: &str,
    format: u8,
    attributes: Map<String, Value>,
) -> Result<()> {
    if format == 2 {
        let g = GroupMetadataV2 { attributes };
        store.set(&key(path, ".zgroup"), g.zgroup_bytes().into())?;
        if !g.attributes.is_empty() {
            store.set(&key(path, ".zattrs"), g.zattrs_bytes().into())?;
        }
    } else {
        let doc = NodeMetadata::Group(GroupMetadata {
            attributes,
            ..Default::default()
        });
        let bytes = serde_json::to_vec_pretty(&doc.to_json()).unwrap_or_default();
        store.set(&key(path, "zarr.json"), bytes.into())?;
    }
    Ok(())
}

/// The attributes of the group at `path`.
fn group_attributes(store: &StoreRef, path: &str, kind: Kind) -> Result<Map<String, Value>> {
    if kind == Kind::GroupV3 {
        let k = key(path, "zarr.json");
        let bytes = get(store, &k)?.ok_or_else(|| not_found(path))?;
        return match NodeMetadata::from_json_bytes(&bytes) {
            Ok(NodeMetadata::Group(g)) => Ok(g.attributes),
            Ok(NodeMetadata::Array(_)) => Err(ArrayError::InvalidArgument(format!(
                "{path:?} is an array, not a group"
            ))),
            Err(source) => Err(ArrayError::Metadata { key: k, source }),
        };
    }
    let k = key(path, ".zgroup");
    let zgroup = get(store, &k)?.ok_or_else(|| not_found(path))?;
    let zattrs = get(store, &key(path, ".zattrs"))?;
    GroupMetadataV2::from_json_bytes(&zgroup, zattrs.as_deref())
        .map(|g| g.attributes)
        .map_err(|source| ArrayError::Metadata { key: k, source })
}

/// Write the group at `src_path` to `dst_path` in `format` (fresh metadata:
/// consolidated metadata is left out, as it would be stale).
fn write_group(
    src: &StoreRef,
    src_path: &str,
    kind: Kind,
    dst: &StoreRef,
    dst_path: &str,
    format: u8,
    options: &CopyOptions,
) -> Result<()> {
    let attributes = if options.without_attrs {
        Map::new()
    } else {
        group_attributes(src, src_path, kind)?
    };
    write_group_metadata(dst, dst_path, format, attributes)
}

/// Whether a node is at `dst_path`, and per `if_exists`: `Ok(true)` to go
/// on (cleared when replacing), `Ok(false)` to skip.
fn claim(dst: &StoreRef, dst_path: &str, if_exists: IfExists) -> Result<bool> {
    if node_kind(dst, dst_path)?.is_none() {
        return Ok(true);
    }
    match if_exists {
        IfExists::Raise => Err(ArrayError::AlreadyExists {
            path: dst_path.to_string(),
        }),
        IfExists::Skip => Ok(false),
        IfExists::Replace => {
            if dst_path.is_empty() {
                for k in dst.list()? {
                    dst.delete(&k)?;
                }
            } else {
                dst.delete_dir(dst_path)?;
                for name in ["zarr.json", ".zarray", ".zgroup", ".zattrs", ".zmetadata"] {
                    dst.delete(&key(dst_path, name))?;
                }
            }
            Ok(true)
        }
    }
}

/// Refuse copies of a subtree onto itself or into itself (same store).
fn check_overlap(src: &StoreRef, src_path: &str, dst: &StoreRef, dst_path: &str) -> Result<()> {
    let same = std::ptr::addr_eq(Arc::as_ptr(src), Arc::as_ptr(dst));
    let inside = |a: &str, b: &str| a.is_empty() || a == b || b.starts_with(&format!("{a}/"));
    if same && (inside(src_path, dst_path) || inside(dst_path, src_path)) {
        return Err(ArrayError::InvalidArgument(format!(
            "cannot copy {src_path:?} to {dst_path:?} in the same store: the paths overlap"
        )));
    }
    Ok(())
}

fn copy_node(
    src: &StoreRef,
    src_path: &str,
    dst: &StoreRef,
    dst_path: &str,
    options: &CopyOptions,
    tracker: &ProgressTracker,
) -> Result<CopySummary> {
    let src_path = norm(src_path)?;
    let dst_path = norm(dst_path)?;
    check_overlap(src, &src_path, dst, &dst_path)?;
    let nodes = walk(src, &src_path)?;
    let Some(&root) = nodes.get("") else {
        return Err(not_found(&src_path));
    };
    let mut summary = CopySummary::default();
    if !claim(dst, &dst_path, options.if_exists)? {
        summary.skipped += 1;
        return Ok(summary);
    }
    ensure_parents(dst, &dst_path, options.zarr_format.unwrap_or(root.format()))?;
    // Plan: open every array and decide how it is copied, so the progress
    // totals are known before any data moves.
    let mut jobs = Vec::new();
    for (rel, &kind) in &nodes {
        let (s, d) = (join(&src_path, rel), join(&dst_path, rel));
        if !kind.is_array() {
            jobs.push(Job::Group { s, d, kind });
            continue;
        }
        let a = Array::open(src.clone(), &s)?;
        let job = if options.is_byte_copy() {
            Job::Raw { s, d }
        } else {
            let b = target_builder(&a, options)?;
            if is_unchanged(&a, &b, options)? {
                Job::Raw { s, d }
            } else {
                Job::Reencode {
                    a: Box::new(a),
                    b: Box::new(b),
                    d,
                }
            }
        };
        jobs.push(job);
    }
    for job in &jobs {
        match job {
            Job::Raw { s, .. } => {
                let keys = src.list_prefix(&prefix(s))?;
                tracker.plan(keys.len() as u64, src.getsize_prefix(&prefix(s))?);
            }
            Job::Reencode { a, b, .. } => {
                let to_v2 = options.zarr_format.unwrap_or(a.zarr_format()) == 2;
                let chunk_shape = if to_v2 {
                    b.build_metadata_v2()?.chunks
                } else {
                    b.build_metadata()?.chunk_shape().to_vec()
                };
                let n: u64 = crate::chunk::grid_shape(a.shape(), &chunk_shape)
                    .iter()
                    .product();
                let bytes: u64 =
                    a.shape().iter().product::<u64>() * a.data_type().size().unwrap_or(0) as u64;
                tracker.plan(n, bytes);
            }
            Job::Group { .. } => {}
        }
    }
    for job in jobs {
        match job {
            Job::Group { s, d, kind } => {
                let format = options.zarr_format.unwrap_or(kind.format());
                if options.is_byte_copy() {
                    // Group documents (and consolidated metadata) as they are.
                    for name in ["zarr.json", ".zgroup", ".zattrs", ".zmetadata"] {
                        if let Some(bytes) = get(src, &key(&s, name))? {
                            dst.set(&key(&d, name), bytes)?;
                            summary.objects_copied += 1;
                        }
                    }
                } else {
                    write_group(src, &s, kind, dst, &d, format, options)?;
                }
                summary.groups += 1;
            }
            Job::Raw { s, d } => {
                let s = copy_keys(src, &s, dst, &d, IfExists::Replace, tracker)?;
                summary.objects_copied += s.objects_copied;
                summary.arrays += 1;
            }
            Job::Reencode { a, b, d } => {
                let target = b.create(dst.clone(), &d)?;
                // Totals were planned above.
                stream_chunks(&a, &target, tracker)?;
                summary.arrays += 1;
                summary.reencoded += 1;
            }
        }
    }
    Ok(summary)
}

enum Job {
    Group {
        s: String,
        d: String,
        kind: Kind,
    },
    Raw {
        s: String,
        d: String,
    },
    Reencode {
        a: Box<Array>,
        b: Box<ArrayBuilder>,
        d: String,
    },
}

/// Copy every key under `src_path` to `dst_path`, in parallel.
fn copy_keys(
    src: &StoreRef,
    src_path: &str,
    dst: &StoreRef,
    dst_path: &str,
    if_exists: IfExists,
    tracker: &ProgressTracker,
) -> Result<CopySummary> {
    let (sp, dp) = (prefix(src_path), prefix(dst_path));
    let keys = src.list_prefix(&sp)?;
    let target = |k: &str| format!("{dp}{}", &k[sp.len()..]);
    if if_exists == IfExists::Raise {
        for k in &keys {
            if dst.exists(&target(k))? {
                return Err(ArrayError::AlreadyExists { path: target(k) });
            }
        }
    }
    let skipped = std::sync::atomic::AtomicUsize::new(0);
    keys.par_iter().try_for_each(|k| -> Result<()> {
        let t = target(k);
        if if_exists == IfExists::Skip && dst.exists(&t)? {
            skipped.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            return Ok(());
        }
        if let Some(bytes) = get(src, k)? {
            let n = bytes.len() as u64;
            dst.set(&t, bytes)?;
            tracker.done(1, n);
        }
        Ok(())
    })?;
    let skipped = skipped.into_inner();
    Ok(CopySummary {
        objects_copied: keys.len() - skipped,
        skipped,
        ..Default::default()
    })
}

// ---- re-encoding ----

/// The inner codecs of an array (inside its sharding codec when sharded)
/// split into filters, serializer and compressors.
fn split_codecs(a: &Array) -> Result<(Vec<CodecMetadata>, CodecMetadata, Vec<CodecMetadata>)> {
    let meta = a.metadata();
    let bad = |source| ArrayError::Codecs {
        key: key(a.path(), "zarr.json"),
        source,
    };
    let (codecs, shape) = match meta.codecs.iter().find(|c| c.name == "sharding_indexed") {
        Some(sh) => {
            let inner: Vec<CodecMetadata> = sh
                .get("codecs")
                .and_then(|v| serde_json::from_value(v.clone()).ok())
                .unwrap_or_default();
            (inner, a.inner_chunk_shape().unwrap_or_default())
        }
        None => (meta.codecs.clone(), a.chunk_shape().to_vec()),
    };
    let spec = ChunkSpec {
        shape,
        data_type: a.data_type(),
        fill_value: meta.fill_value.clone(),
    };
    let chain = CodecChain::from_metadata(&codecs, &spec).map_err(bad)?;
    let all = chain.to_metadata();
    let n = chain.array_to_array().len();
    let serializer = all.get(n).cloned().ok_or_else(|| {
        ArrayError::InvalidArgument(format!("{:?}: codec chain without serializer", a.path()))
    })?;
    Ok((all[..n].to_vec(), serializer, all[n + 1..].to_vec()))
}

/// True for codecs zarr-python cannot read in V3 (see [`crate::array::convert_v2_to_v3`]).
fn portable(c: &CodecMetadata) -> bool {
    match c.name.as_str() {
        "numcodecs.packbits" => false,
        "numcodecs.quantize" => c.get("astype").is_none() || c.get("astype") == c.get("dtype"),
        _ => true,
    }
}

/// The builder of the copy of `a` under `options`.
pub(crate) fn target_builder(a: &Array, options: &CopyOptions) -> Result<ArrayBuilder> {
    let src_format = a.zarr_format();
    let format = options.zarr_format.unwrap_or(src_format);
    let inner = a.inner_chunk_shape();
    let chunks = options
        .chunks
        .clone()
        .or_else(|| inner.clone())
        .unwrap_or_else(|| a.chunk_shape().to_vec());
    let shards = match &options.shards {
        Shards::Keep if format == 2 => None,
        Shards::Keep => inner.is_some().then(|| a.chunk_shape().to_vec()),
        Shards::None => None,
        Shards::Shape(s) => Some(s.clone()),
    };
    let attributes = if options.without_attrs {
        Map::new()
    } else {
        a.attributes().clone()
    };
    let mut b = ArrayBuilder::new(a.shape().to_vec(), a.data_type())
        .chunks(chunks)
        .attributes(attributes)
        .zarr_format(format);
    if let Some(s) = shards {
        b = b.shards(s);
    }
    let v2 = a.metadata_v2();
    if format == 2 {
        if options.compressors.is_some() && options.compressor_v2.is_none() {
            return Err(ArrayError::InvalidArgument(format!(
                "{:?}: compressors are V3 codecs; a Zarr V2 copy takes compressor_v2",
                a.path()
            )));
        }
        if let Some(v2) = v2 {
            b = b
                .compressor_v2(v2.compressor.clone())
                .filters_v2(v2.filters.clone().unwrap_or_default())
                .storage_order(v2.order)
                .fill_value_json(v2.fill_value.clone());
            if let Some(e) = v2.endian {
                b = b.endian_v2(e);
            }
        } else {
            let m = a.metadata();
            b = b.fill_value_json(m.data_type.fill_value_to_json(&m.fill_value));
        }
        if let Some(c) = &options.compressor_v2 {
            b = b.compressor_v2(c.clone());
        }
        let sep = match &a.metadata().chunk_key_encoding {
            ChunkKeyEncodingMetadata::V2 { separator } => *separator,
            _ => '.',
        };
        return Ok(b.chunk_key_encoding(ChunkKeyEncodingMetadata::V2 { separator: sep }));
    }
    let m = a.metadata();
    let (mut filters, serializer, compressors) = split_codecs(a)?;
    if src_format == 2 {
        filters.retain(portable);
    } else {
        b = b.chunk_key_encoding(m.chunk_key_encoding.clone());
        if let Some(names) = &m.dimension_names {
            b = b.dimension_names(names.clone());
        }
    }
    if let Some(sh) = m.codecs.iter().find(|c| c.name == "sharding_indexed") {
        if let Some(loc) = sh
            .get("index_location")
            .and_then(Value::as_str)
            .and_then(IndexLocation::from_name)
        {
            b = b.shard_index_location(loc);
        }
    }
    let compressors = options.compressors.clone().unwrap_or(compressors);
    Ok(b.filters(filters)
        .serializer(serializer)
        .compressors(compressors)
        .fill_value_json(m.data_type.fill_value_to_json(&m.fill_value)))
}

/// True when the copy's metadata equals the source's (its bytes can be copied).
fn is_unchanged(a: &Array, b: &ArrayBuilder, options: &CopyOptions) -> Result<bool> {
    if options.zarr_format.unwrap_or(a.zarr_format()) != a.zarr_format() {
        return Ok(false);
    }
    Ok(match a.metadata_v2() {
        Some(v2) => b.build_metadata_v2()? == *v2,
        None => b.build_metadata()? == *a.metadata(),
    })
}

// ---- async twins ----

/// The async twin of [`copy`], over async stores: the copy runs on tokio's
/// blocking pool (chunks in parallel), each store call driven on the
/// runtime.
///
/// ```
/// use std::sync::Arc;
/// use zarr::api::copy::{copy_async, CopyOptions};
/// use zarr::array::ArrayBuilder;
/// use zarr::dtype::DataType;
/// use zarr::store::{AsyncStore, MemoryStore, Store, StoreRef, SyncToAsync};
/// let src: StoreRef = Arc::new(MemoryStore::new());
/// ArrayBuilder::new(vec![4], DataType::UInt8).create(src.clone(), "a").unwrap();
/// let dst: StoreRef = Arc::new(MemoryStore::new());
/// let rt = tokio::runtime::Runtime::new().unwrap();
/// let s = rt.block_on(copy_async(
///     Arc::new(SyncToAsync::new(src)), "a",
///     Arc::new(SyncToAsync::new(dst.clone())), "b",
///     &CopyOptions::default().chunks(vec![2]),
/// )).unwrap();
/// assert_eq!(s.reencoded, 1);
/// assert!(dst.exists("b/zarr.json").unwrap());
/// ```
pub async fn copy_async(
    src: Arc<dyn AsyncStore>,
    src_path: &str,
    dst: Arc<dyn AsyncStore>,
    dst_path: &str,
    options: &CopyOptions,
) -> Result<CopySummary> {
    let (sp, dp, o) = (src_path.to_string(), dst_path.to_string(), options.clone());
    run_blocking(move |h| copy(&blocking(src, h.clone()), &sp, &blocking(dst, h), &dp, &o)).await
}

/// The async twin of [`copy_all`] (see [`copy_async`]).
pub async fn copy_all_async(
    src: Arc<dyn AsyncStore>,
    src_path: &str,
    dst: Arc<dyn AsyncStore>,
    dst_path: &str,
    options: &CopyOptions,
) -> Result<CopySummary> {
    let (sp, dp, o) = (src_path.to_string(), dst_path.to_string(), options.clone());
    run_blocking(move |h| copy_all(&blocking(src, h.clone()), &sp, &blocking(dst, h), &dp, &o))
        .await
}

/// The async twin of [`copy_store`] (see [`copy_async`]).
pub async fn copy_store_async(
    src: Arc<dyn AsyncStore>,
    src_path: &str,
    dst: Arc<dyn AsyncStore>,
    dst_path: &str,
    options: &CopyOptions,
) -> Result<CopySummary> {
    let (sp, dp, o) = (src_path.to_string(), dst_path.to_string(), options.clone());
    run_blocking(move |h| copy_store(&blocking(src, h.clone()), &sp, &blocking(dst, h), &dp, &o))
        .await
}
