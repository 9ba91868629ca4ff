//! The async twins of [`copy`], [`copy_all`] and [`copy_store`].

use super::{copy, copy_all, copy_store, CopyOptions, CopySummary};
use crate::api::blocking::{blocking, run_blocking};
use crate::array::Result;
use crate::store::AsyncStore;
use std::sync::Arc;

/// The async twins: each runs its blocking function on tokio's blocking
/// pool over blocking views of the async stores.
macro_rules! async_twins {
    ($($(#[$doc:meta])* $name:ident => $blocking:ident;)*) => {$(
        $(#[$doc])*
        pub async fn $name(
            src: Arc<dyn AsyncStore>,
            src_path: &str,
            dst: Arc<dyn AsyncStore>,
            dst_path: &str,
            options: &CopyOptions,
        ) -> Result<CopySummary> {
            let (sp, dp, o) = (src_path.to_string(), dst_path.to_string(), options.clone());
            run_blocking(move |h| $blocking(&blocking(src, h.clone()), &sp, &blocking(dst, h), &dp, &o))
                .await
        }
    )*};
}

async_twins! {
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
    copy_async => copy;
    /// The async twin of [`copy_all`] (see [`copy_async`]).
    copy_all_async => copy_all;
    /// The async twin of [`copy_store`] (see [`copy_async`]).
    copy_store_async => copy_store;
}
