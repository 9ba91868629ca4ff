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
//! chunk at a time (see [`super::stream_array`]);
//! [`convert_v2_to_v3_with_progress`] reports progress.
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
//! assert!(!store.exists("a/.zarray").unwrap());
//! ```

use super::error::{ArrayError, Result};
use super::{node_key, normalize_path, parse_v2, v2_key, ProgressFn, ProgressTracker};
use crate::metadata::{GroupMetadata, GroupMetadataV2, NodeMetadata};
use crate::node_path::join;
use crate::store::StoreRef;

const V2_DOCS: [&str; 4] = [".zarray", ".zattrs", ".zgroup", ".zmetadata"];

/// What a conversion did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ConvertSummary {
    /// Arrays converted.
    pub arrays: usize,
    /// Groups converted.
    pub groups: usize,
    /// Chunk objects copied (0 when converting in place).
    pub chunks_copied: usize,
    /// Arrays re-encoded (their data read and written with default V3 codecs).
    pub reencoded: usize,
}

/// True when zarr-python reads the V3 form of this chain: `categorize` and
/// a `quantize` that changes the type are not.
fn portable(v3: &crate::metadata::ArrayMetadata) -> bool {
    v3.codecs.iter().all(|c| match c.name.as_str() {
        "numcodecs.categorize" => false,
        "numcodecs.quantize" => c.get("astype").is_none() || c.get("astype") == c.get("dtype"),
        _ => true,
    })
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

/// Re-encode with the default V3 codecs, streaming one destination chunk
/// at a time (never the whole array in memory). In place, the V3 chunks
/// (`c/...` keys) are written beside the V2 ones (plain numeric keys), the
/// `zarr.json` is written last, and only then are the V2 documents and
/// chunks deleted.
#[allow(clippy::too_many_arguments)]
fn reencode(
    src: &StoreRef,
    src_path: &str,
    dst: &StoreRef,
    dst_path: &str,
    v3: &crate::metadata::ArrayMetadata,
    in_place: bool,
    overwrite: bool,
    tracker: &ProgressTracker,
) -> Result<()> {
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
    let builder = super::ArrayBuilder::new(v3.shape.clone(), v3.data_type)
        .chunks(v3.chunk_shape().to_vec())
        .fill_value_json(v3.data_type.fill_value_to_json(&v3.fill_value))
        .attributes(v3.attributes.clone());
    let builder = match &v3.dimension_names {
        Some(names) => builder.dimension_names(names.clone()),
        None => builder,
    };
    if !in_place {
        let b = builder.overwrite(overwrite).create(dst.clone(), dst_path)?;
        return super::stream_array(&a, &b, tracker);
    }
    let metadata = builder.build_metadata()?;
    // Chunks of a V3 array being replaced (overwrite) would mix in.
    dst.delete_dir(&join(dst_path, "c"))?;
    let b =
        super::Array::from_metadata(dst.clone(), dst_path, metadata.clone(), Default::default())?;
    super::stream_array(&a, &b, tracker)?;
    dst.set(&node_key(dst_path), metadata.to_json_bytes().into())?;
    let prefix = if dst_path.is_empty() {
        String::new()
    } else {
        format!("{dst_path}/")
    };
    for key in dst.list_prefix(&prefix)? {
        let rel = &key[prefix.len()..];
        if rel != "zarr.json" && !rel.starts_with("c/") {
            dst.delete(&key)?;
        }
    }
    Ok(())
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

/// Finish an interrupted conversion in place of the node at `path` (see
/// [`has_stray_v2_documents`]): delete its V2 documents. False when there
/// is nothing of the kind.
fn delete_stray_v2_documents(store: &StoreRef, path: &str) -> Result<bool> {
    if !has_stray_v2_documents(store, path)? {
        return Ok(false);
    }
    for d in STRAY_V2_DOCS {
        store.delete(&v2_key(path, d))?;
    }
    Ok(true)
}

/// Convert the V2 array or group at `src_path` in `src` (and, for a group,
/// every V2 node below it) to V3 at `dst_path` in `dst`, metadata only:
/// `zarr.json` documents are written and chunk objects are copied
/// unchanged. When `src` and `dst` name the same storage (the same store
/// object, or two stores over one folder, archive or bucket: see
/// [`Store::location`](crate::store::Store::location)) and the paths
/// are equal, the conversion is in place: chunks stay, and the V2 documents
/// (`.zarray`, `.zattrs`, `.zgroup`, `.zmetadata`) are deleted; a store
/// that cannot delete keys (a zip archive) cannot be converted in place
/// ([`ArrayError::InvalidArgument`], before anything is written). A V3 node
/// already at a destination is an error unless `overwrite`. Converting in
/// place again after an interrupted conversion finishes it (with
/// `overwrite` where V3 nodes were written already), down to the V2
/// documents a kill may have left beside a node's `zarr.json`.
pub fn convert_v2_to_v3(
    src: &StoreRef,
    src_path: &str,
    dst: &StoreRef,
    dst_path: &str,
    overwrite: bool,
) -> Result<ConvertSummary> {
    convert_v2_to_v3_with_progress(src, src_path, dst, dst_path, overwrite, None)
}

/// [`convert_v2_to_v3`], reporting progress to `progress`: chunk objects
/// copied (stored bytes) and chunks re-encoded (decoded bytes). Totals grow
/// as each array is reached.
///
/// ```
/// use std::sync::{atomic::{AtomicU64, Ordering}, Arc};
/// use zarr::array::{convert_v2_to_v3_with_progress, ArrayBuilder, CopyProgress};
/// use zarr::dtype::DataType;
/// use zarr::store::{MemoryStore, StoreRef};
/// let src: StoreRef = Arc::new(MemoryStore::new());
/// let a = ArrayBuilder::new(vec![4], DataType::Int16).chunks(vec![2]).zarr_format(2)
///     .create(src.clone(), "a").unwrap();
/// a.write_slice(&"0:4".parse().unwrap(), &[1i16, 2, 3, 4]).unwrap();
/// let dst: StoreRef = Arc::new(MemoryStore::new());
/// let chunks = Arc::new(AtomicU64::new(0));
/// let c = chunks.clone();
/// let cb = Arc::new(move |p: &CopyProgress| c.store(p.chunks_done, Ordering::Relaxed));
/// convert_v2_to_v3_with_progress(&src, "a", &dst, "a", false, Some(cb)).unwrap();
/// assert_eq!(chunks.load(Ordering::Relaxed), 2);
/// ```
pub fn convert_v2_to_v3_with_progress(
    src: &StoreRef,
    src_path: &str,
    dst: &StoreRef,
    dst_path: &str,
    overwrite: bool,
    progress: Option<ProgressFn>,
) -> Result<ConvertSummary> {
    let tracker = ProgressTracker::new(progress);
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
    // In place, each node's V2 documents are deleted once it is converted:
    // in a store that cannot delete (a zip archive) that would fail after
    // the first node, leaving the hierarchy half converted (a V3 root that
    // hides the V2 members), so nothing is written.
    if in_place && !dst.supports_deletes() {
        return Err(ArrayError::InvalidArgument(
            "cannot convert in place: the store does not support deletes (a zip archive \
             cannot remove the V2 documents); convert into another store"
                .into(),
        ));
    }
    // In place, both are one storage: read and write through the writable
    // handle (the source may have been opened read-only).
    let src = if in_place { dst } else { src };
    let mut summary = ConvertSummary::default();
    // Concurrent conversions onto one node run one after another.
    let _lock = dst.lock_node(&dst_path)?;
    convert_node(
        src,
        &src_path,
        dst,
        &dst_path,
        in_place,
        overwrite,
        &mut summary,
        &tracker,
    )?;
    Ok(summary)
}

#[allow(clippy::too_many_arguments)]
fn convert_node(
    src: &StoreRef,
    src_path: &str,
    dst: &StoreRef,
    dst_path: &str,
    in_place: bool,
    overwrite: bool,
    summary: &mut ConvertSummary,
    tracker: &ProgressTracker,
) -> Result<()> {
    let zattrs = crate::store::get_document(src.as_ref(), &v2_key(src_path, ".zattrs"))?;
    let zarray_key = v2_key(src_path, ".zarray");
    let zgroup_key = v2_key(src_path, ".zgroup");
    let dst_key = node_key(dst_path);
    let check_free = || -> Result<()> {
        if !overwrite && dst.exists(&dst_key)? {
            return Err(ArrayError::AlreadyExists {
                path: dst_path.to_string(),
            });
        }
        Ok(())
    };
    if let Some(zarray) = crate::store::get_document(src.as_ref(), &zarray_key)? {
        check_free()?;
        let (v3, _) = parse_v2(&zarray, zattrs.as_deref(), &zarray_key)?;
        // Check the chain builds before writing anything.
        super::Array::from_metadata(src.clone(), src_path, v3.clone(), Default::default())?;
        let converted = struct_in_v3(v3.clone())?;
        let Some(v3) = converted.filter(portable) else {
            reencode(
                src, src_path, dst, dst_path, &v3, in_place, overwrite, tracker,
            )?;
            summary.arrays += 1;
            summary.reencoded += 1;
            return Ok(());
        };
        if !in_place {
            let prefix = if src_path.is_empty() {
                String::new()
            } else {
                format!("{src_path}/")
            };
            let keys = src.list_prefix(&prefix)?;
            tracker.plan(keys.len() as u64, src.getsize_prefix(&prefix)?);
            for key in keys {
                let rel = &key[prefix.len()..];
                let name = rel.rsplit('/').next().unwrap_or(rel);
                if V2_DOCS.contains(&name) || name == "zarr.json" {
                    continue;
                }
                if let Some(bytes) = crate::store::get_document(src.as_ref(), &key)? {
                    let n = bytes.len() as u64;
                    dst.set(&join(dst_path, rel), bytes)?;
                    summary.chunks_copied += 1;
                    tracker.done(1, n);
                }
            }
        }
        dst.set(&dst_key, v3.to_json_bytes().into())?;
        if in_place {
            for d in [".zarray", ".zattrs"] {
                src.delete(&v2_key(src_path, d))?;
            }
        }
        summary.arrays += 1;
        return Ok(());
    }
    let Some(zgroup) = crate::store::get_document(src.as_ref(), &zgroup_key)? else {
        if in_place && delete_stray_v2_documents(src, src_path)? {
            return Ok(());
        }
        return Err(ArrayError::NotFound {
            path: src_path.to_string(),
            key: zarray_key,
        });
    };
    check_free()?;
    let g = GroupMetadataV2::from_json_bytes(&zgroup, zattrs.as_deref()).map_err(|source| {
        ArrayError::Metadata {
            key: zgroup_key.clone(),
            source,
        }
    })?;
    let doc = NodeMetadata::Group(GroupMetadata {
        attributes: g.attributes,
        ..Default::default()
    });
    dst.set(&dst_key, doc.to_json_bytes().into())?;
    summary.groups += 1;
    for child in src.list_dir(src_path)? {
        if V2_DOCS.contains(&child.as_str()) || child == "zarr.json" {
            continue;
        }
        let cs = join(src_path, &child);
        if src.exists(&v2_key(&cs, ".zarray"))?
            || src.exists(&v2_key(&cs, ".zgroup"))?
            || (in_place && has_stray_v2_documents(src, &cs)?)
        {
            convert_node(
                src,
                &cs,
                dst,
                &join(dst_path, &child),
                in_place,
                overwrite,
                summary,
                tracker,
            )?;
        }
    }
    if in_place {
        for d in [".zgroup", ".zattrs", ".zmetadata"] {
            src.delete(&v2_key(src_path, d))?;
        }
    }
    Ok(())
}
