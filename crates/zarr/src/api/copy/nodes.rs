//! The hierarchy side of copying: finding nodes by their metadata keys,
//! writing group metadata, parent groups, and what to do with nodes already
//! at the destination.

use super::{CopyOptions, IfExists};
use crate::array::{ArrayError, Result};
use crate::metadata::{GroupMetadata, GroupMetadataV2, NodeMetadata};
use crate::store::{overlap, Overlap, StoreRef};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Kind {
    ArrayV3,
    ArrayV2,
    GroupV3,
    GroupV2,
}

impl Kind {
    pub(super) fn is_array(self) -> bool {
        matches!(self, Kind::ArrayV3 | Kind::ArrayV2)
    }
    pub(super) fn format(self) -> u8 {
        match self {
            Kind::ArrayV3 | Kind::GroupV3 => 3,
            Kind::ArrayV2 | Kind::GroupV2 => 2,
        }
    }
}

pub(super) use crate::node_path::{doc_key as key, join, prefix};

pub(super) fn norm(path: &str) -> Result<String> {
    Ok(crate::node_path::normalize(path)?)
}

pub(super) fn not_found(path: &str) -> ArrayError {
    ArrayError::NotFound {
        path: path.to_string(),
        key: key(path, "zarr.json"),
    }
}

pub(super) fn get(store: &StoreRef, k: &str) -> Result<Option<crate::buffer::Buffer>> {
    Ok(crate::store::get_document(store.as_ref(), k)?)
}

/// The node at `path`: V3 (`zarr.json`) first, as [`Array::open`] does.
pub(super) fn node_kind(store: &StoreRef, path: &str) -> Result<Option<Kind>> {
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
pub(super) fn walk(store: &StoreRef, root: &str) -> Result<BTreeMap<String, Kind>> {
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
pub(super) fn members(store: &StoreRef, path: &str) -> Result<Vec<String>> {
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
pub(super) fn ensure_parents(store: &StoreRef, path: &str, format: u8) -> Result<()> {
    futures::executor::block_on(crate::group::ensure_parents_of_array(
        &crate::store::Inline(store.clone()),
        path,
        format,
    ))
    .map_err(crate::group::GroupError::into_array_error)
}

pub(super) fn write_group_metadata(
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
        let bytes = doc.to_json_bytes();
        store.set(&key(path, "zarr.json"), bytes.into())?;
    }
    Ok(())
}

/// The attributes of the group at `path`.
pub(super) fn group_attributes(
    store: &StoreRef,
    path: &str,
    kind: Kind,
) -> Result<Map<String, Value>> {
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
pub(super) fn write_group(
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
pub(super) fn claim(dst: &StoreRef, dst_path: &str, if_exists: IfExists) -> Result<bool> {
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

/// The source and destination paths of a copy, normalised; a copy of a
/// subtree onto itself or into itself (same store) is refused.
pub(super) fn copy_paths(
    src: &StoreRef,
    src_path: &str,
    dst: &StoreRef,
    dst_path: &str,
) -> Result<(String, String)> {
    let (src_path, dst_path) = (norm(src_path)?, norm(dst_path)?);
    check_overlap(src, &src_path, dst, &dst_path)?;
    Ok((src_path, dst_path))
}

/// Refuse copies of a subtree onto itself or into itself: the same storage,
/// however the two stores were opened (`S` and `file://S`, a folder and a
/// link to it, two handles on one zip archive).
fn check_overlap(src: &StoreRef, src_path: &str, dst: &StoreRef, dst_path: &str) -> Result<()> {
    if overlap(src, src_path, dst, dst_path) != Overlap::None {
        let at = |s: &StoreRef, p: &str| match s.location() {
            Some(l) => format!("{}", l.join(p)),
            None => format!("{p:?}"),
        };
        return Err(ArrayError::InvalidArgument(format!(
            "cannot copy {} to {}: the paths overlap (the same storage, or one inside the other)",
            at(src, src_path),
            at(dst, dst_path)
        )));
    }
    Ok(())
}
