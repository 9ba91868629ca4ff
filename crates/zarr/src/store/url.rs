//! [`open_store`]: a store from a URL or a path.

use super::{
    LocalStore, MemoryStore, ObjectStore, ObjectStoreOptions, StoreError, StoreRef, ZipMode,
    ZipStore,
};
use std::path::Path;
use std::sync::Arc;

/// Open the store a URL names:
///
/// * a folder path, or `file://PATH` (`file:///abs/path`): a [`LocalStore`];
/// * `zip://PATH`, or any path ending in `.zip`: a [`ZipStore`], opened to
///   read when `read_only`, otherwise to append (created when missing).
///   Call [`Store::close`](super::Store::close) after writing to it;
/// * `memory://` (anything after it is ignored): a fresh, empty
///   [`MemoryStore`];
/// * `s3://bucket/prefix`, `gs://bucket/prefix`, `az://container/prefix`
///   (also `abfs[s]://`), `http://` and `https://`: an [`ObjectStore`]
///   (see [`ObjectStore::from_url`]: S3 settings come from the usual `AWS_*`
///   environment variables; HTTP stores are read-only and cannot list).
///
/// Other `scheme://` prefixes are refused ([`StoreError::Other`]).
///
/// ```
/// use zarr::store::open_store;
/// let dir = tempfile::tempdir().unwrap();
/// let zip = dir.path().join("a.zip");
/// let store = open_store(zip.to_str().unwrap(), false).unwrap();
/// store.set("zarr.json", b"{}".to_vec().into()).unwrap();
/// store.close().unwrap();
/// let store = open_store(&format!("zip://{}", zip.display()), true).unwrap();
/// assert_eq!(store.list().unwrap(), vec!["zarr.json".to_string()]);
/// // Object storage: opening builds a client, requests happen on use.
/// let s3 = open_store("s3://bucket/a.zarr", true).unwrap();
/// assert!(s3.read_only());
/// let web = open_store("https://example.com/a.zarr", false).unwrap();
/// assert!(web.read_only() && !web.supports_listing());
/// assert!(open_store("ftp://example.com/a.zarr", true).is_err());
/// ```
pub fn open_store(url: &str, read_only: bool) -> Result<StoreRef, StoreError> {
    let (scheme, rest) = match url.split_once("://") {
        Some((s, rest))
            if !s.is_empty()
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.')) =>
        {
            (Some(s.to_ascii_lowercase()), rest)
        }
        _ => (None, url),
    };
    match scheme.as_deref() {
        None | Some("file") => {
            if rest.is_empty() {
                return Err(StoreError::Other {
                    key: url.to_string(),
                    message: "empty store path".into(),
                });
            }
            if has_zip_extension(rest) {
                open_zip(rest, read_only)
            } else {
                Ok(Arc::new(LocalStore::new(rest, read_only)?))
            }
        }
        Some("zip") => {
            if rest.is_empty() {
                return Err(StoreError::Other {
                    key: url.to_string(),
                    message: "zip:// needs the archive's path".into(),
                });
            }
            open_zip(rest.strip_prefix("file://").unwrap_or(rest), read_only)
        }
        Some("memory") => Ok(Arc::new(MemoryStore::from_map(
            Default::default(),
            read_only,
        ))),
        Some(
            "s3" | "s3a" | "gs" | "gcs" | "az" | "abfs" | "abfss" | "azure" | "adl" | "http"
            | "https",
        ) => {
            let options = ObjectStoreOptions {
                read_only,
                ..ObjectStoreOptions::default()
            };
            Ok(Arc::new(ObjectStore::from_url(url, options)?))
        }
        Some(other) => Err(StoreError::Other {
            key: url.to_string(),
            message: format!(
                "unknown store URL scheme {other}://; expected a folder path, file://, \
                 memory://, zip://, a path ending in .zip, s3://, gs://, az:// or http(s)://"
            ),
        }),
    }
}

fn has_zip_extension(path: &str) -> bool {
    Path::new(path)
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("zip"))
}

fn open_zip(path: &str, read_only: bool) -> Result<StoreRef, StoreError> {
    let mode = if read_only {
        ZipMode::Read
    } else {
        ZipMode::Append
    };
    Ok(Arc::new(ZipStore::open(path, mode)?))
}
