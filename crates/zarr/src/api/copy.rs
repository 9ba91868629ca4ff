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

mod asynchronous;
mod nodes;
mod reencode;

pub use asynchronous::{copy_all_async, copy_async, copy_store_async};
use nodes::{
    claim, copy_paths, ensure_parents, get, join, key, members, node_kind, not_found, prefix, walk,
    write_group, Kind,
};
pub(crate) use reencode::target_builder;
use reencode::{is_unchanged, same_encoding};

use crate::array::{stream_chunks, Array, ArrayBuilder, ArrayError, ProgressTracker, Result};
use crate::metadata::CodecMetadata;
use crate::store::StoreRef;
use rayon::prelude::*;
use serde_json::{Map, Value};

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
    /// V3 array-to-array codecs (`filters`); `None` keeps the source's
    /// (for a V2 source, those of its filters zarr-python reads in V3).
    pub filters: Option<Vec<CodecMetadata>>,
    /// The V3 array-to-bytes codec (`serializer`); `None` keeps the source's.
    pub serializer: Option<CodecMetadata>,
    /// The fill value as written in `zarr.json` / `.zarray`; `None` keeps
    /// the source's.
    pub fill_value: Option<Value>,
    /// The user attributes of copied arrays; `None` keeps each source
    /// array's ([`CopyOptions::without_attrs`] still clears them).
    pub attributes: Option<Map<String, Value>>,
    /// The V2 compressor as a numcodecs configuration (`Some(None)`: no
    /// compressor); `None` keeps a V2 source's and uses zarr-python's
    /// default (zstd) for a V3 source. Ignored for V3 copies.
    pub compressor_v2: Option<Option<Map<String, Value>>>,
    /// The dimension names of copied arrays (one per dimension; in V2,
    /// xarray's `_ARRAY_DIMENSIONS` attribute); `None` keeps each source
    /// array's.
    pub dimension_names: Option<Vec<Option<String>>>,
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
            .field("filters", &self.filters)
            .field("serializer", &self.serializer)
            .field("fill_value", &self.fill_value)
            .field("attributes", &self.attributes)
            .field("compressor_v2", &self.compressor_v2)
            .field("dimension_names", &self.dimension_names)
            .field("zarr_format", &self.zarr_format)
            .field("if_exists", &self.if_exists)
            .field("without_attrs", &self.without_attrs)
            .field("progress", &self.progress.is_some())
            .finish()
    }
}

impl CopyOptions {
    crate::api::setters! { CopyOptions;
        chunks(chunks: Vec<u64>) => Some(chunks);
        shards(shards: Shards) => shards;
        compressors(compressors: Vec<CodecMetadata>) => Some(compressors);
        filters(filters: Vec<CodecMetadata>) => Some(filters);
        serializer(serializer: CodecMetadata) => Some(serializer);
        fill_value(fill_value: Value) => Some(fill_value);
        attributes(attributes: Map<String, Value>) => Some(attributes);
        compressor_v2(compressor: Option<Map<String, Value>>) => Some(compressor);
        zarr_format(format: u8) => Some(format);
        dimension_names(names: Vec<Option<String>>) => Some(names);
        if_exists(if_exists: IfExists) => if_exists;
        without_attrs(without: bool) => without;
        progress(progress: ProgressFn) => Some(progress);
    }
    /// True when nothing is re-encoded or rewritten: every object is copied
    /// byte for byte.
    pub fn is_byte_copy(&self) -> bool {
        self.chunks.is_none()
            && self.shards == Shards::Keep
            && self.compressors.is_none()
            && self.filters.is_none()
            && self.serializer.is_none()
            && self.fill_value.is_none()
            && self.attributes.is_none()
            && self.compressor_v2.is_none()
            && self.zarr_format.is_none()
            && self.dimension_names.is_none()
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
    let (src_path, dst_path) = copy_paths(src, src_path, dst, dst_path)?;
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
    let (sp, dp) = copy_paths(src, src_path, dst, dst_path)?;
    copy_keys(src, &sp, dst, &dp, options.if_exists, &tracker)
}

fn copy_node(
    src: &StoreRef,
    src_path: &str,
    dst: &StoreRef,
    dst_path: &str,
    options: &CopyOptions,
    tracker: &ProgressTracker,
) -> Result<CopySummary> {
    let (src_path, dst_path) = copy_paths(src, src_path, dst, dst_path)?;
    let nodes = walk(src, &src_path)?;
    let Some(&root) = nodes.get("") else {
        return Err(not_found(&src_path));
    };
    let mut summary = CopySummary::default();
    // Held until the copy is complete: concurrent copies onto one node run
    // one after another (see ArrayBuilder::overwrite).
    let _lock = dst.lock_node(&dst_path)?;
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
            } else if same_encoding(&a, &b, options)? {
                Job::Relabel {
                    s,
                    d,
                    b: Box::new(b),
                }
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
            Job::Raw { s, .. } | Job::Relabel { s, .. } => {
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
            Job::Relabel { s, d, b } => {
                // Chunks as they are, under the new metadata documents.
                let s = copy_keys(src, &s, dst, &d, IfExists::Replace, tracker)?;
                summary.objects_copied += s.objects_copied;
                summary.arrays += 1;
                if dst.exists(&key(&d, ".zarray"))? {
                    let m = b.build_metadata_v2()?;
                    dst.set(&key(&d, ".zarray"), m.zarray_bytes().into())?;
                    if m.attributes.is_empty() {
                        dst.delete(&key(&d, ".zattrs"))?;
                    } else {
                        dst.set(&key(&d, ".zattrs"), m.zattrs_bytes().into())?;
                    }
                } else {
                    let m = b.build_metadata()?;
                    dst.set(&key(&d, "zarr.json"), m.to_json_bytes().into())?;
                }
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
    /// Chunks copied unchanged, metadata rewritten (new attributes or
    /// dimension names).
    Relabel {
        s: String,
        d: String,
        b: Box<ArrayBuilder>,
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
