//! Converting Zarr V2 arrays and hierarchies to V3.
//!
//! Conversion is metadata-only: the V3 `zarr.json` takes the codec chain
//! the V2 array maps onto ([`crate::metadata::ArrayMetadataV2::to_v3`]: the filters, a
//! `bytes` codec, a `transpose` for order F, the compressor, numcodecs
//! codecs under their `numcodecs.*` names) and keeps the `v2` chunk key
//! encoding, so every chunk keeps its key and its bytes. A null V2 fill
//! value becomes the data type's default. Arrays whose V2 codecs other V3
//! readers do not take in that form (`categorize`, `quantize` to another
//! type) are re-encoded instead, with the default V3 codecs, streaming one
//! chunk at a time (see [`super::stream_array`]). In place, the V2
//! documents are kept beside the `zarr.json` documents (both formats' readers
//! see the hierarchy) unless [`ConvertOptions::remove_v2`] is set;
//! [`ConvertOptions`] also makes dry runs and reports progress.
//!
//! ```
//! use std::sync::Arc;
//! use zarr::array::{convert_v2_to_v3, Array, ArrayBuilder};
//! use zarr::dtype::DataType;
//! use zarr::store::{MemoryStore, Store, StoreRef};
//! let store: StoreRef = Arc::new(MemoryStore::new());
//! let a = ArrayBuilder::new(vec![4], DataType::Int16).chunks(vec![2]).zarr_format(2)
//!     .create(store.clone(), "a").unwrap();
//! a.write_slice(&"0:4".parse().unwrap(), &[1i16, 2, 3, 4]).unwrap();
//! let n = convert_v2_to_v3(&store, "a", &store, "a", false).unwrap();
//! assert_eq!(n.arrays, 1);
//! let b = Array::open(store.clone(), "a").unwrap();
//! assert_eq!(b.zarr_format(), 3);
//! assert_eq!(b.read_vec::<i16>(&"0:4".parse().unwrap()).unwrap(), vec![1, 2, 3, 4]);
//! assert!(store.exists("a/.zarray").unwrap()); // kept
//! ```

use super::error::{ArrayError, Result};
use super::{node_key, normalize_path, parse_v2, v2_key, ProgressFn, ProgressTracker};
use crate::metadata::{GroupMetadata, GroupMetadataV2, NodeMetadata};
use crate::node_path::join;
use crate::store::StoreRef;

const V2_DOCS: [&str; 4] = [".zarray", ".zattrs", ".zgroup", ".zmetadata"];

/// What a conversion did (or, with [`ConvertOptions::dry_run`], would do).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ConvertSummary {
    /// Arrays converted.
    pub arrays: usize,
    /// Groups converted.
    pub groups: usize,
    /// Chunk objects copied (0 when converting in place).
    pub chunks_copied: usize,
    /// Arrays re-encoded (their data read and written with default V3 codecs).
    pub reencoded: usize,
    /// V2 documents (`.zarray`, `.zattrs`, `.zgroup`, `.zmetadata`) kept
    /// beside the new `zarr.json` documents of a conversion in place
    /// without [`ConvertOptions::remove_v2`].
    pub v2_documents_kept: usize,
    /// V2 keys deleted (in place with [`ConvertOptions::remove_v2`]): the
    /// documents, and the V2 chunk objects of re-encoded arrays.
    pub v2_keys_removed: usize,
    /// Each step, in the order done, one per node and one per removal.
    pub steps: Vec<ConvertStep>,
}

/// One step of a conversion, as [`ConvertSummary::steps`] lists them;
/// `Display` writes it as one line.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConvertStep {
    /// A V3 `zarr.json` for the array at `src`, written at `dst` with the
    /// V2 codec chain and chunk keys: `chunks` chunk objects copied
    /// unchanged (0 in place, where they stay).
    Array {
        /// The V2 array's path.
        src: String,
        /// The V3 array's path.
        dst: String,
        /// Chunk objects copied.
        chunks: usize,
    },
    /// The array at `src` re-encoded at `dst` with the default V3 codecs
    /// (its V2 codecs have no V3 form other readers take): `chunks` chunks
    /// of the V3 array written.
    Reencode {
        /// The V2 array's path.
        src: String,
        /// The V3 array's path.
        dst: String,
        /// Chunks in the V3 array's grid.
        chunks: u64,
        /// Why the array is re-encoded (the codec at issue).
        reason: String,
    },
    /// A V3 group document for the group at `src`, written at `dst`.
    Group {
        /// The V2 group's path.
        src: String,
        /// The V3 group's path.
        dst: String,
    },
    /// V2 documents left beside the node's new `zarr.json` (in place
    /// without [`ConvertOptions::remove_v2`]): V2 readers still see the
    /// node.
    KeepV2 {
        /// The node's path.
        path: String,
        /// The documents kept (`.zarray`, `.zattrs`...).
        documents: Vec<String>,
    },
    /// V2 keys deleted once the node's `zarr.json` was written (in place
    /// with [`ConvertOptions::remove_v2`]).
    RemoveV2 {
        /// The node's path.
        path: String,
        /// The keys deleted (documents, and chunk objects of a re-encoded
        /// array).
        keys: Vec<String>,
    },
}

/// A node path for messages: `/` for the root.
fn shown(path: &str) -> &str {
    if path.is_empty() {
        "/"
    } else {
        path
    }
}

impl std::fmt::Display for ConvertStep {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let to = |src: &str, dst: &str| {
            if src == dst {
                String::new()
            } else {
                format!(" -> {}", shown(dst))
            }
        };
        match self {
            ConvertStep::Array { src, dst, chunks } => write!(
                f,
                "array {}{}: write zarr.json (metadata only, {})",
                shown(src),
                to(src, dst),
                if src == dst && *chunks == 0 {
                    "chunks stay".to_string()
                } else {
                    format!("{chunks} chunk objects copied")
                }
            ),
            ConvertStep::Reencode {
                src,
                dst,
                chunks,
                reason,
            } => write!(
                f,
                "array {}{}: re-encode {chunks} chunks with the default V3 codecs ({reason})",
                shown(src),
                to(src, dst)
            ),
            ConvertStep::Group { src, dst } => {
                write!(f, "group {}{}: write zarr.json", shown(src), to(src, dst))
            }
            ConvertStep::KeepV2 { path, documents } => write!(
                f,
                "{}: keep the V2 documents {}",
                shown(path),
                documents.join(", ")
            ),
            ConvertStep::RemoveV2 { path, keys } => {
                let docs: Vec<&str> = keys
                    .iter()
                    .map(|k| k.rsplit('/').next().unwrap_or(k))
                    .filter(|n| V2_DOCS.contains(n))
                    .collect();
                let others = keys.len() - docs.len();
                write!(
                    f,
                    "{}: delete the V2 documents {}",
                    shown(path),
                    docs.join(", ")
                )?;
                if others > 0 {
                    write!(f, " and {others} V2 chunk objects")?;
                }
                Ok(())
            }
        }
    }
}

/// How [`convert_v2_to_v3_with`] runs.
///
/// ```
/// use zarr::array::ConvertOptions;
/// let o = ConvertOptions::new().remove_v2(true).dry_run(true);
/// assert!(o.is_dry_run());
/// ```
#[derive(Clone, Default)]
#[non_exhaustive]
pub struct ConvertOptions {
    overwrite: bool,
    remove_v2: bool,
    dry_run: bool,
    progress: Option<ProgressFn>,
}

impl std::fmt::Debug for ConvertOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConvertOptions")
            .field("overwrite", &self.overwrite)
            .field("remove_v2", &self.remove_v2)
            .field("dry_run", &self.dry_run)
            .field("progress", &self.progress.is_some())
            .finish()
    }
}

impl ConvertOptions {
    /// The defaults: no overwriting, V2 documents kept, for real, silent.
    pub fn new() -> Self {
        Self::default()
    }

    /// Replace V3 nodes already at the destination (default: refuse).
    pub fn overwrite(mut self, overwrite: bool) -> Self {
        self.overwrite = overwrite;
        self
    }

    /// In place, delete the V2 documents (and a re-encoded array's V2
    /// chunk objects) once each node is converted. Default: keep them, so
    /// that V2 readers still see the hierarchy and nothing of the user's is
    /// deleted unasked (as zarr-python's `zarr migrate v3` does).
    pub fn remove_v2(mut self, remove_v2: bool) -> Self {
        self.remove_v2 = remove_v2;
        self
    }

    /// Check and plan only: nothing is written or deleted, and the summary
    /// lists the steps a real run would take (an error a real run would
    /// meet before writing, such as a V3 node in the way, is returned too).
    pub fn dry_run(mut self, dry_run: bool) -> Self {
        self.dry_run = dry_run;
        self
    }

    /// Report progress to `progress`: chunk objects copied (stored bytes)
    /// and chunks re-encoded (decoded bytes).
    pub fn progress(mut self, progress: ProgressFn) -> Self {
        self.progress = Some(progress);
        self
    }

    /// True for a dry run.
    pub fn is_dry_run(&self) -> bool {
        self.dry_run
    }
}

/// True when zarr-python reads the V3 form of this chain: `categorize` and
/// a `quantize` that changes the type are not.
fn portable(v3: &crate::metadata::ArrayMetadata) -> bool {
    v3.codecs.iter().all(portable_codec)
}

/// [`portable`] for one codec.
fn portable_codec(c: &crate::metadata::CodecMetadata) -> bool {
    match c.name.as_str() {
        "numcodecs.categorize" => false,
        "numcodecs.quantize" => c.get("astype").is_none() || c.get("astype") == c.get("dtype"),
        _ => true,
    }
}

/// The V3 form of a V2 struct array's metadata: its fields' V2 byte orders
/// (kept in the data type, with a `bytes` codec without `endian` that
/// follows them) become the `bytes` codec's `endian` when they all agree.
/// `None` when they differ: V3 cannot say that, the array is re-encoded.
fn struct_in_v3(
    mut v3: crate::metadata::ArrayMetadata,
) -> Result<Option<crate::metadata::ArrayMetadata>> {
    let crate::dtype::DataType::Struct(s) = v3.data_type else {
        return Ok(Some(v3));
    };
    if !s.has_declared_byte_orders() {
        return Ok(Some(v3));
    }
    let Ok(order) = s.uniform_byte_order() else {
        return Ok(None);
    };
    v3.data_type = v3
        .data_type
        .for_v3()
        .map_err(|e| ArrayError::InvalidArgument(e.to_string()))?;
    for c in v3.codecs.iter_mut().filter(|c| c.name == "bytes") {
        let mut config = serde_json::Map::new();
        if let Some(e) = order {
            config.insert("endian".into(), e.as_str().into());
        }
        *c = crate::metadata::CodecMetadata::new("bytes", Some(config));
    }
    Ok(Some(v3))
}

/// One conversion's context: the stores, the mode, what was done.
struct Run<'a> {
    src: &'a StoreRef,
    dst: &'a StoreRef,
    in_place: bool,
    opts: &'a ConvertOptions,
    summary: ConvertSummary,
    tracker: ProgressTracker,
}

impl Run<'_> {
    /// Write `key` unless this is a dry run.
    fn set(&self, key: &str, bytes: Vec<u8>) -> Result<()> {
        if !self.opts.dry_run {
            self.dst.set(key, bytes.into())?;
        }
        Ok(())
    }

    /// True when a conversion in place removes the V2 keys.
    fn removes(&self) -> bool {
        self.in_place && self.opts.remove_v2
    }

    /// Refuse a V3 node at `dst_path` unless overwriting, or in place when
    /// its `zarr.json` is already `doc` (converted before, V2 documents
    /// kept: converting again, to remove them, is no conflict).
    fn check_free(&self, dst_path: &str, doc: &[u8]) -> Result<()> {
        if self.opts.overwrite {
            return Ok(());
        }
        let key = node_key(dst_path);
        let Some(existing) = crate::store::get_document(self.dst.as_ref(), &key)? else {
            return Ok(());
        };
        if self.in_place && existing[..] == doc[..] {
            return Ok(());
        }
        Err(ArrayError::AlreadyExists {
            path: dst_path.to_string(),
        })
    }

    /// After the node at `path` (converted in place) has its `zarr.json`:
    /// delete `keys` with `remove_v2`, else record the documents kept.
    fn finish_v2(&mut self, path: &str, keys: Vec<String>) -> Result<()> {
        if !self.in_place {
            return Ok(());
        }
        let mut present = Vec::new();
        for k in keys {
            if self.src.exists(&k)? {
                present.push(k);
            }
        }
        if present.is_empty() {
            return Ok(());
        }
        if self.opts.remove_v2 {
            if !self.opts.dry_run {
                for k in &present {
                    self.src.delete(k)?;
                }
            }
            self.summary.v2_keys_removed += present.len();
            self.summary.steps.push(ConvertStep::RemoveV2 {
                path: path.to_string(),
                keys: present,
            });
        } else {
            let documents: Vec<String> = present
                .iter()
                .map(|k| k.rsplit('/').next().unwrap_or(k).to_string())
                .filter(|n| V2_DOCS.contains(&n.as_str()))
                .collect();
            self.summary.v2_documents_kept += documents.len();
            if !documents.is_empty() {
                self.summary.steps.push(ConvertStep::KeepV2 {
                    path: path.to_string(),
                    documents,
                });
            }
        }
        Ok(())
    }
}

/// Why an array is re-encoded: the first codec of `v3` that other readers
/// do not take in V3 (see [`portable`]), or the struct's byte orders.
fn reencode_reason(v3: &crate::metadata::ArrayMetadata, converted: bool) -> String {
    if !converted {
        return "its struct fields have different byte orders".into();
    }
    match v3.codecs.iter().find(|c| !portable_codec(c)) {
        Some(c) => format!("{} has no V3 form other readers take", c.name),
        None => "its codecs have no V3 form other readers take".into(),
    }
}

/// Re-encode with the default V3 codecs, streaming one destination chunk
/// at a time (never the whole array in memory). In place, the V3 chunks
/// (`c/...` keys) are written beside the V2 ones (plain numeric keys), the
/// `zarr.json` is written last, and only then, with `remove_v2`, are the
/// V2 documents and chunks deleted.
fn reencode(
    run: &mut Run<'_>,
    src_path: &str,
    dst_path: &str,
    v3: &crate::metadata::ArrayMetadata,
    reason: String,
) -> Result<()> {
    let (src, dst) = (run.src, run.dst);
    let builder = super::ArrayBuilder::new(v3.shape.clone(), v3.data_type)
        .chunks(v3.chunk_shape().to_vec())
        .fill_value_json(v3.data_type.fill_value_to_json(&v3.fill_value))
        .attributes(v3.attributes.clone());
    let builder = match &v3.dimension_names {
        Some(names) => builder.dimension_names(names.clone()),
        None => builder,
    };
    let metadata = builder.build_metadata()?;
    let doc = metadata.to_json_bytes();
    run.check_free(dst_path, &doc)?;
    let chunks = v3
        .shape
        .iter()
        .zip(v3.chunk_shape())
        .fold(1u64, |n, (&s, &c)| n.saturating_mul(s.div_ceil(c.max(1))));
    run.summary.steps.push(ConvertStep::Reencode {
        src: src_path.to_string(),
        dst: dst_path.to_string(),
        chunks,
        reason,
    });
    let prefix = if dst_path.is_empty() {
        String::new()
    } else {
        format!("{dst_path}/")
    };
    // With remove_v2, everything of the node but its V3 keys goes.
    let v2_keys = |dst: &StoreRef| -> Result<Vec<String>> {
        if !run.in_place {
            return Ok(Vec::new());
        }
        let mut keys: Vec<String> = V2_DOCS
            .iter()
            .filter(|d| **d != ".zgroup")
            .map(|d| v2_key(src_path, d))
            .collect();
        if run.opts.remove_v2 {
            for key in dst.list_prefix(&prefix)? {
                let rel = &key[prefix.len()..];
                if rel != "zarr.json" && !rel.starts_with("c/") && !V2_DOCS.contains(&rel) {
                    keys.push(key);
                }
            }
        }
        Ok(keys)
    };
    if run.opts.dry_run {
        let keys = v2_keys(dst)?;
        return run.finish_v2(src_path, keys);
    }
    let zarray_key = v2_key(src_path, ".zarray");
    let zarray = src
        .get(&zarray_key, &Default::default(), None)?
        .ok_or_else(|| ArrayError::NotFound {
            path: src_path.to_string(),
            key: zarray_key.clone(),
        })?;
    let zattrs = crate::store::get_document(src.as_ref(), &v2_key(src_path, ".zattrs"))?;
    let (meta, v2) = parse_v2(&zarray, zattrs.as_deref(), &zarray_key)?;
    let a = super::Array::from_metadata_v2(src.clone(), src_path, v2, meta, Default::default())?;
    if !run.in_place {
        let b = builder
            .overwrite(run.opts.overwrite)
            .create(dst.clone(), dst_path)?;
        return super::stream_array(&a, &b, &run.tracker);
    }
    // Chunks of a V3 array being replaced (overwrite) would mix in.
    let c_prefix = format!("{}/", join(dst_path, "c"));
    if dst.supports_deletes() {
        dst.delete_dir(&join(dst_path, "c"))?;
    } else if !dst.list_prefix(&c_prefix)?.is_empty() {
        return Err(ArrayError::InvalidArgument(format!(
            "cannot re-encode {:?} in place: V3 chunks are there already and the store \
             cannot delete them (a zip archive); convert into another store",
            shown(dst_path)
        )));
    }
    let b = super::Array::from_metadata(dst.clone(), dst_path, metadata, Default::default())?;
    super::stream_array(&a, &b, &run.tracker)?;
    dst.set(&node_key(dst_path), doc.into())?;
    let keys = v2_keys(dst)?;
    run.finish_v2(src_path, keys)
}

/// The V2 documents that a conversion in place deletes after a node's
/// `.zarray` or `.zgroup`, and so may leave behind when it is killed
/// in between.
const STRAY_V2_DOCS: [&str; 2] = [".zattrs", ".zmetadata"];

/// True when the node at `path` is V3 (a `zarr.json`), has no `.zarray`
/// or `.zgroup`, and has V2 documents left by an interrupted conversion in
/// place (its `zarr.json` holds what they said).
fn has_stray_v2_documents(store: &StoreRef, path: &str) -> Result<bool> {
    if !store.exists(&node_key(path))?
        || store.exists(&v2_key(path, ".zarray"))?
        || store.exists(&v2_key(path, ".zgroup"))?
    {
        return Ok(false);
    }
    for d in STRAY_V2_DOCS {
        if store.exists(&v2_key(path, d))? {
            return Ok(true);
        }
    }
    Ok(false)
}

/// Convert the V2 array or group at `src_path` in `src` (and, for a group,
/// every V2 node below it) to V3 at `dst_path` in `dst`, metadata only:
/// `zarr.json` documents are written and chunk objects are copied
/// unchanged; the V2 documents are kept. `overwrite` replaces V3 nodes at
/// the destination. See [`convert_v2_to_v3_with`] for the details and the
/// options (removing the V2 documents in place, dry runs, progress).
pub fn convert_v2_to_v3(
    src: &StoreRef,
    src_path: &str,
    dst: &StoreRef,
    dst_path: &str,
    overwrite: bool,
) -> Result<ConvertSummary> {
    convert_v2_to_v3_with(
        src,
        src_path,
        dst,
        dst_path,
        &ConvertOptions::new().overwrite(overwrite),
    )
}

/// [`convert_v2_to_v3`], reporting progress to `progress`: chunk objects
/// copied (stored bytes) and chunks re-encoded (decoded bytes). Totals grow
/// as each array is reached.
///
/// ```
/// use std::sync::{atomic::{AtomicU64, Ordering}, Arc};
/// use zarr::array::{convert_v2_to_v3_with_progress, ArrayBuilder, CopyProgress, ProgressFn};
/// use zarr::dtype::DataType;
/// use zarr::store::{MemoryStore, StoreRef};
/// let (src, dst): (StoreRef, StoreRef) = (Arc::new(MemoryStore::new()), Arc::new(MemoryStore::new()));
/// let a = ArrayBuilder::new(vec![4], DataType::UInt8).chunks(vec![2]).zarr_format(2)
///     .create(src.clone(), "a").unwrap();
/// a.write_slice(&"0:4".parse().unwrap(), &[1u8, 2, 3, 4]).unwrap();
/// let done = Arc::new(AtomicU64::new(0));
/// let d = done.clone();
/// let cb: ProgressFn = Arc::new(move |p: &CopyProgress| d.store(p.chunks_done, Ordering::Relaxed));
/// convert_v2_to_v3_with_progress(&src, "a", &dst, "a", false, Some(cb)).unwrap();
/// assert_eq!(done.load(Ordering::Relaxed), 2);
/// ```
pub fn convert_v2_to_v3_with_progress(
    src: &StoreRef,
    src_path: &str,
    dst: &StoreRef,
    dst_path: &str,
    overwrite: bool,
    progress: Option<ProgressFn>,
) -> Result<ConvertSummary> {
    let mut opts = ConvertOptions::new().overwrite(overwrite);
    opts.progress = progress;
    convert_v2_to_v3_with(src, src_path, dst, dst_path, &opts)
}

/// Convert the V2 array or group at `src_path` in `src` (and, for a group,
/// every V2 node below it) to V3 at `dst_path` in `dst`, metadata only:
/// `zarr.json` documents are written and chunk objects are copied
/// unchanged. When `src` and `dst` name the same storage (the same store
/// object, or two stores over one folder, archive or bucket: see
/// [`Store::location`](crate::store::Store::location)) and the paths
/// are equal, the conversion is in place: chunks stay, the `zarr.json`
/// documents are written beside the V2 documents, and those are kept
/// (V2 readers still see the hierarchy) unless
/// [`ConvertOptions::remove_v2`], which deletes them (`.zarray`,
/// `.zattrs`, `.zgroup`, `.zmetadata`) once each node is converted; a
/// store that cannot delete keys (a zip archive) cannot be converted in
/// place with `remove_v2` ([`ArrayError::InvalidArgument`], before
/// anything is written). A V3 node already at a destination is an error
/// unless [`ConvertOptions::overwrite`], or, in place, when it is what
/// this conversion writes (converted before, V2 documents kept). Converting
/// in place again after an interrupted conversion finishes it (with
/// `overwrite` where V3 nodes were written already), down to the V2
/// documents a kill may have left beside a node's `zarr.json`.
/// [`ConvertOptions::dry_run`] writes nothing and returns the steps.
///
/// ```
/// use std::sync::Arc;
/// use zarr::array::{convert_v2_to_v3_with, Array, ArrayBuilder, ConvertOptions};
/// use zarr::dtype::DataType;
/// use zarr::store::{MemoryStore, Store, StoreRef};
/// let store: StoreRef = Arc::new(MemoryStore::new());
/// ArrayBuilder::new(vec![4], DataType::Int16).chunks(vec![2]).zarr_format(2)
///     .create(store.clone(), "a").unwrap();
/// // A dry run lists the steps and writes nothing.
/// let plan = convert_v2_to_v3_with(&store, "a", &store, "a", &ConvertOptions::new().dry_run(true))
///     .unwrap();
/// assert_eq!(plan.steps.len(), 2); // the array's zarr.json, the V2 documents kept
/// assert!(!store.exists("a/zarr.json").unwrap());
/// // In place: both formats' documents, then only V3.
/// convert_v2_to_v3_with(&store, "a", &store, "a", &ConvertOptions::new()).unwrap();
/// assert!(store.exists("a/zarr.json").unwrap() && store.exists("a/.zarray").unwrap());
/// let s = convert_v2_to_v3_with(&store, "a", &store, "a", &ConvertOptions::new().remove_v2(true))
///     .unwrap();
/// assert_eq!(s.v2_keys_removed, 2); // .zarray and .zattrs
/// assert!(!store.exists("a/.zarray").unwrap());
/// assert_eq!(Array::open(store.clone(), "a").unwrap().zarr_format(), 3);
/// ```
pub fn convert_v2_to_v3_with(
    src: &StoreRef,
    src_path: &str,
    dst: &StoreRef,
    dst_path: &str,
    options: &ConvertOptions,
) -> Result<ConvertSummary> {
    let src_path = normalize_path(src_path)?;
    let dst_path = normalize_path(dst_path)?;
    let in_place = match crate::store::overlap(src, &src_path, dst, &dst_path) {
        crate::store::Overlap::None => false,
        crate::store::Overlap::Same => true,
        crate::store::Overlap::Nested => {
            return Err(ArrayError::InvalidArgument(format!(
                "cannot convert {src_path:?} into {dst_path:?} of the same storage: \
                 one is inside the other"
            )))
        }
    };
    // In place with remove_v2, each node's V2 documents are deleted once it
    // is converted: in a store that cannot delete (a zip archive) that
    // would fail after the first node, leaving the hierarchy half
    // converted (a V3 root that hides the V2 members), so nothing is
    // written.
    if in_place && options.remove_v2 && !dst.supports_deletes() {
        return Err(ArrayError::InvalidArgument(
            "cannot convert in place removing the V2 documents: the store does not support \
             deletes (a zip archive); convert keeping them, or into another store"
                .into(),
        ));
    }
    // In place, both are one storage: read and write through the writable
    // handle (the source may have been opened read-only).
    let src = if in_place { dst } else { src };
    let mut run = Run {
        src,
        dst,
        in_place,
        opts: options,
        summary: ConvertSummary::default(),
        tracker: ProgressTracker::new(options.progress.clone()),
    };
    // Concurrent conversions onto one node run one after another.
    let _lock = if options.dry_run {
        None
    } else {
        dst.lock_node(&dst_path)?
    };
    convert_node(&mut run, &src_path, &dst_path)?;
    Ok(run.summary)
}

fn convert_node(run: &mut Run<'_>, src_path: &str, dst_path: &str) -> Result<()> {
    let src = run.src;
    let zattrs = crate::store::get_document(src.as_ref(), &v2_key(src_path, ".zattrs"))?;
    let zarray_key = v2_key(src_path, ".zarray");
    let zgroup_key = v2_key(src_path, ".zgroup");
    let dst_key = node_key(dst_path);
    if let Some(zarray) = crate::store::get_document(src.as_ref(), &zarray_key)? {
        let (v3, _) = parse_v2(&zarray, zattrs.as_deref(), &zarray_key)?;
        // Check the chain builds before writing anything.
        super::Array::from_metadata(src.clone(), src_path, v3.clone(), Default::default())?;
        let v3 = match struct_in_v3(v3.clone())? {
            Some(c) if portable(&c) => c,
            converted => {
                let reason =
                    reencode_reason(converted.as_ref().unwrap_or(&v3), converted.is_some());
                reencode(run, src_path, dst_path, &v3, reason)?;
                run.summary.arrays += 1;
                run.summary.reencoded += 1;
                return Ok(());
            }
        };
        let doc = v3.to_json_bytes();
        run.check_free(dst_path, &doc)?;
        let mut copied = 0;
        if !run.in_place {
            let prefix = if src_path.is_empty() {
                String::new()
            } else {
                format!("{src_path}/")
            };
            let keys: Vec<String> = src
                .list_prefix(&prefix)?
                .into_iter()
                .filter(|key| {
                    let rel = &key[prefix.len()..];
                    let name = rel.rsplit('/').next().unwrap_or(rel);
                    !V2_DOCS.contains(&name) && name != "zarr.json"
                })
                .collect();
            if run.opts.dry_run {
                copied = keys.len();
            } else {
                run.tracker
                    .plan(keys.len() as u64, src.getsize_prefix(&prefix)?);
                for key in keys {
                    let rel = &key[prefix.len()..];
                    if let Some(bytes) = crate::store::get_document(src.as_ref(), &key)? {
                        let n = bytes.len() as u64;
                        run.dst.set(&join(dst_path, rel), bytes)?;
                        copied += 1;
                        run.tracker.done(1, n);
                    }
                }
            }
        }
        run.summary.steps.push(ConvertStep::Array {
            src: src_path.to_string(),
            dst: dst_path.to_string(),
            chunks: copied,
        });
        run.summary.chunks_copied += copied;
        run.set(&dst_key, doc)?;
        run.finish_v2(src_path, vec![zarray_key, v2_key(src_path, ".zattrs")])?;
        run.summary.arrays += 1;
        return Ok(());
    }
    let Some(zgroup) = crate::store::get_document(src.as_ref(), &zgroup_key)? else {
        // A kill between deleting a node's `.zarray` (or `.zgroup`) and
        // its other V2 documents: finish the removal.
        if run.removes() && has_stray_v2_documents(src, src_path)? {
            let keys = STRAY_V2_DOCS.iter().map(|d| v2_key(src_path, d)).collect();
            return run.finish_v2(src_path, keys);
        }
        return Err(ArrayError::NotFound {
            path: src_path.to_string(),
            key: zarray_key,
        });
    };
    let g = GroupMetadataV2::from_json_bytes(&zgroup, zattrs.as_deref()).map_err(|source| {
        ArrayError::Metadata {
            key: zgroup_key.clone(),
            source,
        }
    })?;
    let doc = NodeMetadata::Group(GroupMetadata {
        attributes: g.attributes,
        ..Default::default()
    })
    .to_json_bytes();
    run.check_free(dst_path, &doc)?;
    run.set(&dst_key, doc)?;
    run.summary.groups += 1;
    run.summary.steps.push(ConvertStep::Group {
        src: src_path.to_string(),
        dst: dst_path.to_string(),
    });
    for child in src.list_dir(src_path)? {
        if V2_DOCS.contains(&child.as_str()) || child == "zarr.json" {
            continue;
        }
        let cs = join(src_path, &child);
        if src.exists(&v2_key(&cs, ".zarray"))?
            || src.exists(&v2_key(&cs, ".zgroup"))?
            || (run.removes() && has_stray_v2_documents(src, &cs)?)
        {
            convert_node(run, &cs, &join(dst_path, &child))?;
        }
    }
    let keys = [".zgroup", ".zattrs", ".zmetadata"]
        .iter()
        .map(|d| v2_key(src_path, d))
        .collect();
    run.finish_v2(src_path, keys)
}
