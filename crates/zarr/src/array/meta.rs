//! The metadata operations of arrays, written once over any [`AsyncStore`]:
//! open (V3, else V2), create (V3 or V2, with overwrite and parent groups),
//! and storing the documents. [`AsyncArray`](super::AsyncArray) awaits them;
//! the blocking [`Array`](super::Array) drives them over
//! [`Inline`](crate::store::Inline) with `futures::executor::block_on`.

use super::builder::ArrayBuilder;
use super::core::ArrayCore;
use super::error::{ArrayError, Result};
use super::{node_key, normalize_path, parse_array_metadata, parse_v2, v2_key, ArrayConfig};
use crate::store::{get_document_async, AsyncStore};

/// Open the array at `path`: a V3 array (`zarr.json`) or, when there is
/// none, a V2 array (`.zarray` and `.zattrs`).
pub(crate) async fn open(
    store: &dyn AsyncStore,
    path: &str,
    config: ArrayConfig,
) -> Result<ArrayCore> {
    let path = normalize_path(path)?;
    let key = node_key(&path);
    if let Some(bytes) = get_document_async(store, &key).await? {
        let metadata = parse_array_metadata(&bytes, &path, &key)?;
        return ArrayCore::new(&path, metadata, config);
    }
    let zkey = v2_key(&path, ".zarray");
    let Some(zarray) = get_document_async(store, &zkey).await? else {
        if store.exists(&v2_key(&path, ".zgroup")).await? {
            return Err(ArrayError::NotAnArray { path });
        }
        return Err(ArrayError::NotFound { path, key });
    };
    let zattrs = get_document_async(store, &v2_key(&path, ".zattrs")).await?;
    let (metadata, v2) = parse_v2(&zarray, zattrs.as_deref(), &zkey)?;
    ArrayCore::new_v2(&path, v2, metadata, config)
}

/// Create the array `builder` describes at `path` (see
/// [`ArrayBuilder::create`]). The metadata is checked before anything is
/// locked or deleted; the node lock of `path` is held while the path is
/// cleared and written, and kept by the returned core when the array
/// replaced another node (`overwrite`).
pub(crate) async fn create(
    builder: &ArrayBuilder,
    store: &dyn AsyncStore,
    path: &str,
) -> Result<ArrayCore> {
    let path = normalize_path(path)?;
    let format = builder.check_format()?;
    let lock = store.lock_node(&path)?;
    let mut core = if format == 2 {
        let v2 = builder.build_metadata_v2()?;
        prepare_v2_path(store, &path, builder.is_overwrite()).await?;
        let metadata = v2.to_v3().map_err(|source| ArrayError::Metadata {
            key: v2_key(&path, ".zarray"),
            source,
        })?;
        let core = ArrayCore::new_v2(&path, v2, metadata, builder.config().clone())?;
        store_documents(store, &core).await?;
        core
    } else {
        let metadata = builder.build_metadata()?;
        prepare_node_path(store, &path, builder.is_overwrite()).await?;
        let key = node_key(&path);
        if !store
            .set_if_not_exists(&key, metadata.to_json_bytes().into())
            .await?
        {
            // Another writer created it since the check.
            return Err(ArrayError::AlreadyExists { path });
        }
        ArrayCore::new(&path, metadata, builder.config().clone())?
    };
    // Only a replacement holds the lock beyond its creation.
    core.lock = lock.filter(|_| builder.is_overwrite());
    Ok(core)
}

/// Store the metadata documents of `core` (`zarr.json`, or `.zarray` and
/// `.zattrs`).
pub(crate) async fn store_documents(store: &dyn AsyncStore, core: &ArrayCore) -> Result<()> {
    for (key, bytes) in core.documents() {
        store.set(&key, bytes.into()).await?;
    }
    Ok(())
}

/// The keys whose presence means a node exists at `path`.
fn node_keys(path: &str) -> [String; 3] {
    [
        node_key(path),
        v2_key(path, ".zarray"),
        v2_key(path, ".zgroup"),
    ]
}

/// True when a V2 or V3 node exists at `path`.
async fn node_exists(store: &dyn AsyncStore, path: &str) -> Result<bool> {
    for k in node_keys(path) {
        if store.exists(&k).await? {
            return Ok(true);
        }
    }
    Ok(false)
}

/// Delete everything at `path` (for an overwrite): the node's documents
/// first, so that a delete cut short leaves no node that opens with chunks
/// missing.
async fn clear(store: &dyn AsyncStore, path: &str) -> Result<()> {
    if path.is_empty() {
        for k in store.list_prefix("").await? {
            store.delete(&k).await?;
        }
        return Ok(());
    }
    for k in node_keys(path) {
        store.delete(&k).await?;
    }
    store.delete_dir(path).await?;
    Ok(())
}

/// Check the path is free of any V2 or V3 node (or clear it with
/// `overwrite`). As zarr-python does, no parent groups are created.
async fn prepare_v2_path(store: &dyn AsyncStore, path: &str, overwrite: bool) -> Result<()> {
    if node_exists(store, path).await? {
        if !overwrite {
            return Err(ArrayError::AlreadyExists {
                path: path.to_string(),
            });
        }
        clear(store, path).await?;
    }
    Ok(())
}

/// Check the path is free (or clear it with `overwrite`) and create the
/// missing parent groups (V3).
async fn prepare_node_path(store: &dyn AsyncStore, path: &str, overwrite: bool) -> Result<()> {
    prepare_v2_path(store, path, overwrite).await?;
    crate::group::ensure_parents_of_array(store, path, 3)
        .await
        .map_err(crate::group::GroupError::into_array_error)
}
