//! The async twins of the array functions: each runs its blocking twin on
//! tokio's blocking pool over the async store (store calls driven on the
//! runtime) and returns an [`AsyncArray`] over the same async store.

use super::{
    array, create, create_array, from_array, full_like, like_builder, load, number_json,
    open_array, save, save_array, CreateOptions,
};
use crate::api::blocking::{blocking, run_blocking};
use crate::api::copy::CopyOptions;
use crate::api::AccessMode;
use crate::array::{Array, ArrayBuilder, AsyncArray, Result};
use crate::buffer::NDBuffer;
use crate::store::{with_read_only, AsyncStore, SyncToAsync};
use serde_json::Value;
use std::sync::Arc;

/// The async twin of [`create`](super::create).
///
/// ```
/// use std::sync::Arc;
/// use zarr::api::array::{create_async, CreateOptions};
/// use zarr::dtype::DataType;
/// use zarr::store::{MemoryStore, SyncToAsync};
/// let rt = tokio::runtime::Runtime::new().unwrap();
/// rt.block_on(async {
///     let store = Arc::new(SyncToAsync::new(Arc::new(MemoryStore::new())));
///     let a = create_async(store, vec![3], &CreateOptions::new(DataType::Int8).path("a")).await.unwrap();
///     assert_eq!(a.read_vec::<i8>(&zarr::chunk::Selection::all()).await.unwrap(), vec![0; 3]);
/// });
/// ```
pub async fn create_async(
    store: Arc<dyn AsyncStore>,
    shape: Vec<u64>,
    options: &CreateOptions,
) -> Result<AsyncArray> {
    let (s, o) = (store.clone(), options.clone());
    run_blocking(move |h| create(&blocking(s, h), shape, &o))
        .await?
        .to_async(store)
}

/// The async twin of [`create_array`](super::create_array).
pub async fn create_array_async(
    store: Arc<dyn AsyncStore>,
    name: &str,
    builder: &ArrayBuilder,
    data: Option<NDBuffer>,
) -> Result<AsyncArray> {
    let (s, n, b) = (store.clone(), name.to_string(), builder.clone());
    run_blocking(move |h| create_array(&blocking(s, h), &n, &b, data.as_ref()))
        .await?
        .to_async(store)
}

/// The async twin of [`array`](fn@super::array).
pub async fn array_async(
    store: Arc<dyn AsyncStore>,
    data: NDBuffer,
    options: &CreateOptions,
) -> Result<AsyncArray> {
    let (s, o) = (store.clone(), options.clone());
    run_blocking(move |h| array(&blocking(s, h), &data, &o))
        .await?
        .to_async(store)
}

/// The async twin of [`empty`](super::empty).
pub async fn empty_async(
    store: Arc<dyn AsyncStore>,
    shape: Vec<u64>,
    options: &CreateOptions,
) -> Result<AsyncArray> {
    create_async(store, shape, options).await
}

/// The async twin of [`zeros`](super::zeros).
pub async fn zeros_async(
    store: Arc<dyn AsyncStore>,
    shape: Vec<u64>,
    options: &CreateOptions,
) -> Result<AsyncArray> {
    let fill = number_json(options.dtype, 0)?;
    create_async(store, shape, &options.clone().fill_value(fill)).await
}

/// The async twin of [`ones`](super::ones).
pub async fn ones_async(
    store: Arc<dyn AsyncStore>,
    shape: Vec<u64>,
    options: &CreateOptions,
) -> Result<AsyncArray> {
    let fill = number_json(options.dtype, 1)?;
    create_async(store, shape, &options.clone().fill_value(fill)).await
}

/// The async twin of [`full`](super::full).
pub async fn full_async(
    store: Arc<dyn AsyncStore>,
    shape: Vec<u64>,
    fill_value: Value,
    options: &CreateOptions,
) -> Result<AsyncArray> {
    create_async(store, shape, &options.clone().fill_value(fill_value)).await
}

/// The template array `a` as a blocking [`Array`] (its metadata is all a
/// `_like` function reads).
pub(super) fn template(a: &AsyncArray) -> Result<Array> {
    a.to_blocking(Arc::new(crate::store::MemoryStore::new()))
}

/// The async twin of [`full_like`](super::full_like) (`None` keeps `a`'s fill value).
pub async fn full_like_async(
    a: &AsyncArray,
    store: Arc<dyn AsyncStore>,
    path: &str,
    fill_value: Option<Value>,
    overwrite: bool,
) -> Result<AsyncArray> {
    let (t, s, p) = (template(a)?, store.clone(), path.to_string());
    run_blocking(move |h| full_like(&t, &blocking(s, h), &p, fill_value, overwrite))
        .await?
        .to_async(store)
}

/// The async twin of [`empty_like`](super::empty_like).
///
/// ```
/// use std::sync::Arc;
/// use zarr::api::array::{empty_like_async, full_async, CreateOptions};
/// use zarr::dtype::DataType;
/// use zarr::store::{MemoryStore, SyncToAsync};
/// let rt = tokio::runtime::Runtime::new().unwrap();
/// rt.block_on(async {
///     let store = Arc::new(SyncToAsync::new(Arc::new(MemoryStore::new())));
///     let o = CreateOptions::new(DataType::UInt16).path("a");
///     let a = full_async(store.clone(), vec![2], serde_json::json!(4), &o).await.unwrap();
///     let b = empty_like_async(&a, store, "b", false).await.unwrap();
///     assert_eq!(b.read_vec::<u16>(&zarr::chunk::Selection::all()).await.unwrap(), vec![4, 4]);
/// });
/// ```
pub async fn empty_like_async(
    a: &AsyncArray,
    store: Arc<dyn AsyncStore>,
    path: &str,
    overwrite: bool,
) -> Result<AsyncArray> {
    full_like_async(a, store, path, None, overwrite).await
}

/// The async twin of [`zeros_like`](super::zeros_like).
pub async fn zeros_like_async(
    a: &AsyncArray,
    store: Arc<dyn AsyncStore>,
    path: &str,
    overwrite: bool,
) -> Result<AsyncArray> {
    let fill = number_json(a.data_type(), 0)?;
    full_like_async(a, store, path, Some(fill), overwrite).await
}

/// The async twin of [`ones_like`](super::ones_like).
pub async fn ones_like_async(
    a: &AsyncArray,
    store: Arc<dyn AsyncStore>,
    path: &str,
    overwrite: bool,
) -> Result<AsyncArray> {
    let fill = number_json(a.data_type(), 1)?;
    full_like_async(a, store, path, Some(fill), overwrite).await
}

/// The async twin of [`open_array`](super::open_array); with mode `r` the returned array
/// refuses writes.
///
/// ```
/// use std::sync::Arc;
/// use zarr::api::{array::open_array_async, AccessMode};
/// use zarr::array::ArrayBuilder;
/// use zarr::dtype::DataType;
/// use zarr::store::{MemoryStore, SyncToAsync};
/// let rt = tokio::runtime::Runtime::new().unwrap();
/// rt.block_on(async {
///     let store = Arc::new(SyncToAsync::new(Arc::new(MemoryStore::new())));
///     let spec = ArrayBuilder::new(vec![2], DataType::UInt8);
///     open_array_async(store.clone(), "a", AccessMode::Create, Some(&spec)).await.unwrap();
///     let r = open_array_async(store, "a", AccessMode::Read, None).await.unwrap();
///     assert!(r.write_slice(&zarr::chunk::Selection::all(), vec![1u8, 2]).await.is_err());
/// });
/// ```
pub async fn open_array_async(
    store: Arc<dyn AsyncStore>,
    path: &str,
    mode: AccessMode,
    create: Option<&ArrayBuilder>,
) -> Result<AsyncArray> {
    let (s, p, c) = (store.clone(), path.to_string(), create.cloned());
    let handle = tokio::runtime::Handle::try_current().ok();
    let a = run_blocking(move |h| open_array(&blocking(s, h), &p, mode, c.as_ref())).await?;
    if mode == AccessMode::Read {
        // Reads through the blocking adapter, behind a read-only view.
        let ro = with_read_only(blocking(store, handle));
        return a.to_async(Arc::new(SyncToAsync::new(ro)));
    }
    a.to_async(store)
}

/// The async twin of [`open_like`](super::open_like).
pub async fn open_like_async(
    a: &AsyncArray,
    store: Arc<dyn AsyncStore>,
    path: &str,
    mode: AccessMode,
) -> Result<AsyncArray> {
    let b = like_builder(&template(a)?, false)?;
    open_array_async(store, path, mode, Some(&b)).await
}

/// The async twin of [`from_array`](super::from_array): `src` may live in another async store.
pub async fn from_array_async(
    store: Arc<dyn AsyncStore>,
    name: &str,
    src: &AsyncArray,
    options: &CopyOptions,
    write_data: bool,
) -> Result<AsyncArray> {
    let (s, n, o, src) = (
        store.clone(),
        name.to_string(),
        options.clone(),
        src.clone(),
    );
    run_blocking(move |h| {
        let from = src.to_blocking(blocking(src.async_store().clone(), h.clone()))?;
        from_array(&blocking(s, h), &n, &from, &o, write_data)
    })
    .await?
    .to_async(store)
}

/// The async twin of [`save_array`](super::save_array).
pub async fn save_array_async(
    store: Arc<dyn AsyncStore>,
    path: &str,
    data: NDBuffer,
    zarr_format: u8,
) -> Result<()> {
    let p = path.to_string();
    run_blocking(move |h| save_array(&blocking(store, h), &p, &data, zarr_format)).await
}

/// The async twin of [`save`](super::save).
pub async fn save_async(
    store: Arc<dyn AsyncStore>,
    path: &str,
    args: Vec<NDBuffer>,
    named: Vec<(String, NDBuffer)>,
    zarr_format: u8,
) -> Result<()> {
    let p = path.to_string();
    run_blocking(move |h| {
        let a: Vec<&NDBuffer> = args.iter().collect();
        let n: Vec<(&str, &NDBuffer)> = named.iter().map(|(k, v)| (k.as_str(), v)).collect();
        save(&blocking(store, h), &p, &a, &n, zarr_format)
    })
    .await
}

/// The async twin of [`load`](super::load).
///
/// ```
/// use std::sync::Arc;
/// use zarr::api::array::{load_async, save_array_async};
/// use zarr::buffer::NDBuffer;
/// use zarr::store::{MemoryStore, SyncToAsync};
/// let rt = tokio::runtime::Runtime::new().unwrap();
/// rt.block_on(async {
///     let store = Arc::new(SyncToAsync::new(Arc::new(MemoryStore::new())));
///     let d = NDBuffer::from_vec(&[2], vec![5i32, 6]).unwrap();
///     save_array_async(store.clone(), "a", d, 3).await.unwrap();
///     assert_eq!(load_async(store, "a").await.unwrap().to_vec::<i32>().unwrap(), vec![5, 6]);
/// });
/// ```
pub async fn load_async(store: Arc<dyn AsyncStore>, path: &str) -> Result<NDBuffer> {
    let p = path.to_string();
    run_blocking(move |h| load(&blocking(store, h), &p)).await
}
