//! Bounded reads of metadata documents (`zarr.json`, `.zarray`, `.zgroup`,
//! `.zattrs`, `.zmetadata`): a document is read with a range request of
//! [`crate::limits::max_metadata_bytes`] plus one byte, so that a huge (or
//! sparse) file costs at most the limit to refuse, and a longer one is
//! refused by name ([`StoreError::DocumentTooLarge`]). The blocking and the
//! asynchronous read share [`request`] and [`check`].

use super::{AsyncStore, ByteRequest, Store, StoreError};
use crate::buffer::{Buffer, BufferPrototype};

/// The range that reads a document: one byte past the limit, so that a
/// document exactly at the limit is accepted and a longer one recognised.
fn request(limit: u64) -> ByteRequest {
    ByteRequest::Range {
        start: 0,
        end: limit.saturating_add(1),
    }
}

/// The value read with [`request`], refused when longer than `limit`.
fn check(key: &str, value: Option<Buffer>, limit: u64) -> Result<Option<Buffer>, StoreError> {
    match value {
        Some(v) if v.len() as u64 > limit => Err(StoreError::DocumentTooLarge {
            key: key.to_string(),
            limit,
        }),
        v => Ok(v),
    }
}

/// Read the metadata document at `key` from a blocking store, refusing one
/// longer than [`crate::limits::max_metadata_bytes`]. `Ok(None)` when the
/// key does not exist.
///
/// ```
/// use zarr::store::{get_document, MemoryStore, Store};
/// let s = MemoryStore::new();
/// s.set("zarr.json", br#"{"zarr_format": 3, "node_type": "group"}"#.to_vec().into()).unwrap();
/// assert!(get_document(&s, "zarr.json").unwrap().is_some());
/// assert!(get_document(&s, "a/zarr.json").unwrap().is_none());
/// ```
pub fn get_document(store: &dyn Store, key: &str) -> Result<Option<Buffer>, StoreError> {
    get_document_limited(store, key, crate::limits::max_metadata_bytes())
}

/// [`get_document`] with an explicit limit in bytes.
pub fn get_document_limited(
    store: &dyn Store,
    key: &str,
    limit: u64,
) -> Result<Option<Buffer>, StoreError> {
    let value = store.get(key, &BufferPrototype::default(), Some(request(limit)))?;
    check(key, value, limit)
}

/// The asynchronous [`get_document`].
pub async fn get_document_async(
    store: &dyn AsyncStore,
    key: &str,
) -> Result<Option<Buffer>, StoreError> {
    let limit = crate::limits::max_metadata_bytes();
    let value = store
        .get(key, &BufferPrototype::default(), Some(request(limit)))
        .await?;
    check(key, value, limit)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::MemoryStore;

    #[test]
    fn a_document_at_the_limit_is_read_and_a_longer_one_refused_by_name() {
        let s = MemoryStore::new();
        s.set("a/zarr.json", vec![b' '; 100].into()).unwrap();
        let v = get_document_limited(&s, "a/zarr.json", 100)
            .unwrap()
            .unwrap();
        assert_eq!(v.len(), 100);
        let e = get_document_limited(&s, "a/zarr.json", 99).unwrap_err();
        assert!(matches!(e, StoreError::DocumentTooLarge { .. }), "{e}");
        let m = e.to_string();
        assert!(
            m.contains("a/zarr.json") && m.contains("ZARR_RS_MAX_METADATA_BYTES"),
            "{m}"
        );
        assert!(get_document_limited(&s, "b/zarr.json", 10)
            .unwrap()
            .is_none());
    }
}
