//! Consolidated metadata of Zarr V2 hierarchies: `.zmetadata`, one
//! document holding every `.zgroup`, `.zarray` and `.zattrs` below a group,
//! as zarr-python writes and reads it (`zarr_consolidated_format` 1).
//!
//! ```
//! use std::sync::Arc;
//! use zarr::array::{consolidate_metadata_v2, read_consolidated_metadata_v2, ArrayBuilder};
//! use zarr::dtype::DataType;
//! use zarr::store::{MemoryStore, Store, StoreRef};
//! let store: StoreRef = Arc::new(MemoryStore::new());
//! store.set(".zgroup", br#"{"zarr_format": 2}"#.to_vec().into()).unwrap();
//! ArrayBuilder::new(vec![4], DataType::UInt8).zarr_format(2).create(store.clone(), "a").unwrap();
//! assert_eq!(consolidate_metadata_v2(&store, "").unwrap(), 3);
//! let m = read_consolidated_metadata_v2(&store, "").unwrap().unwrap();
//! assert_eq!(m["a/.zarray"]["dtype"], "|u1");
//! ```

use super::error::{ArrayError, Result};
use super::{normalize_path, v2_key};
use crate::metadata::MetadataError;
use crate::store::StoreRef;
use serde_json::{json, Map, Value};

const DOCS: [&str; 3] = [".zgroup", ".zarray", ".zattrs"];

fn bad(key: &str, message: String) -> ArrayError {
    ArrayError::Metadata {
        key: key.to_string(),
        source: MetadataError::Json(message),
    }
}

/// Write `.zmetadata` for the V2 group at `path`: every `.zgroup`,
/// `.zarray` and `.zattrs` document below it (and its own), keyed relative
/// to the group. Returns the number of documents.
pub fn consolidate_metadata_v2(store: &StoreRef, path: &str) -> Result<usize> {
    let path = normalize_path(path)?;
    let zgroup = v2_key(&path, ".zgroup");
    if !store.exists(&zgroup)? {
        return Err(ArrayError::NotFound { path, key: zgroup });
    }
    let prefix = crate::node_path::prefix(&path);
    let mut metadata = Map::new();
    for key in store.list_prefix(&prefix)? {
        let rel = &key[prefix.len()..];
        let name = rel.rsplit('/').next().unwrap_or(rel);
        if !DOCS.contains(&name) {
            continue;
        }
        let Some(bytes) = crate::store::get_document(store.as_ref(), &key)? else {
            continue;
        };
        let doc: Value = crate::metadata::json::parse(&bytes)
            .map_err(|e| bad(&key, format!("invalid JSON: {e}")))?;
        metadata.insert(rel.to_string(), doc);
    }
    let n = metadata.len();
    let doc = json!({"metadata": metadata, "zarr_consolidated_format": 1});
    store.set(
        &v2_key(&path, ".zmetadata"),
        crate::metadata::pyjson::compact(&doc).into(),
    )?;
    Ok(n)
}

/// Read the `.zmetadata` of the V2 group at `path`: the documents by key
/// relative to the group, or `None` when there is no `.zmetadata`.
pub fn read_consolidated_metadata_v2(
    store: &StoreRef,
    path: &str,
) -> Result<Option<Map<String, Value>>> {
    let path = normalize_path(path)?;
    let key = v2_key(&path, ".zmetadata");
    let Some(bytes) = crate::store::get_document(store.as_ref(), &key)? else {
        return Ok(None);
    };
    let doc: Value = crate::metadata::json::parse(&bytes)
        .map_err(|e| bad(&key, format!("invalid JSON: {e}")))?;
    match doc.get("zarr_consolidated_format").and_then(Value::as_u64) {
        Some(1) => {}
        other => {
            return Err(bad(
                &key,
                format!("unsupported zarr_consolidated_format {other:?}"),
            ))
        }
    }
    match doc.get("metadata") {
        Some(Value::Object(m)) => Ok(Some(m.clone())),
        _ => Err(bad(&key, "\"metadata\" must be an object".into())),
    }
}
