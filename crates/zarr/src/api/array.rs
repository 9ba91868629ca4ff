//! The array functions of zarr-python's `zarr.api`: create ([`create`],
//! [`create_array`], [`array`](fn@array), [`empty`], [`zeros`], [`ones`], [`full`]
//! and their `_like` forms), open ([`open_array`], [`open_like`]), copy
//! ([`from_array`]), save ([`save_array`], [`save`]) and [`load`].
//!
//! Stores are [`StoreRef`]s (see [`crate::store::open_store`] for URLs and
//! paths); data in memory is an [`NDBuffer`]. Each function has an async
//! twin with an `_async` suffix over an [`AsyncStore`], returning an
//! [`AsyncArray`].
//!
//! ```
//! use std::sync::Arc;
//! use zarr::api::array::{load, save_array, zeros, CreateOptions};
//! use zarr::buffer::NDBuffer;
//! use zarr::dtype::DataType;
//! use zarr::store::{MemoryStore, StoreRef};
//! let store: StoreRef = Arc::new(MemoryStore::new());
//! let z = zeros(&store, vec![4, 4], &CreateOptions::new(DataType::Int16).path("z")).unwrap();
//! assert_eq!(z.read_vec::<i16>(&zarr::chunk::Selection::all()).unwrap(), vec![0; 16]);
//! let data = NDBuffer::from_vec(&[3], vec![1.5f64, 2.5, 3.5]).unwrap();
//! save_array(&store, "x", &data, 3).unwrap();
//! assert_eq!(load(&store, "x").unwrap().to_vec::<f64>().unwrap(), vec![1.5, 2.5, 3.5]);
//! ```

mod asynchronous;
mod options;

pub use asynchronous::{
    array_async, create_array_async, create_async, empty_async, empty_like_async, from_array_async,
    full_async, full_like_async, load_async, ones_async, ones_like_async, open_array_async,
    open_like_async, save_array_async, save_async, zeros_async, zeros_like_async,
};
pub use options::{Chunks, Compressor, CreateOptions};

use super::copy::{target_builder, CopyOptions, IfExists};
use super::AccessMode;
#[cfg(doc)]
use crate::array::AsyncArray;
use crate::array::{stream_array, Array, ArrayBuilder, ArrayError, ProgressTracker, Result};
use crate::buffer::NDBuffer;
use crate::chunk::Selection;
use crate::dtype::DataType;
use crate::metadata::GroupMetadata;
#[cfg(doc)]
use crate::store::AsyncStore;
use crate::store::{with_read_only, StoreRef};
use serde_json::{json, Value};

/// zarr-python's legacy `create`: an array of `shape` as `options` say,
/// at `options.path`. Fails with [`ArrayError::AlreadyExists`] when a node
/// is there, unless `options.overwrite`.
///
/// ```
/// use std::sync::Arc;
/// use zarr::api::array::{create, Chunks, CreateOptions};
/// use zarr::dtype::DataType;
/// use zarr::store::{MemoryStore, StoreRef};
/// let store: StoreRef = Arc::new(MemoryStore::new());
/// let o = CreateOptions::new(DataType::Int32).path("a").chunks(Chunks::Whole);
/// let a = create(&store, vec![10, 3], &o).unwrap();
/// assert_eq!(a.chunk_shape(), &[10, 3]);
/// assert!(create(&store, vec![10, 3], &o).is_err());
/// assert!(create(&store, vec![10, 3], &o.overwrite(true)).is_ok());
/// ```
pub fn create(store: &StoreRef, shape: Vec<u64>, options: &CreateOptions) -> Result<Array> {
    options.builder(shape)?.create(store.clone(), &options.path)
}

/// zarr-python's `create_array`: an array at `name` as `builder` says
/// (shape, data type, chunks, shards, filters, serializer, compressors,
/// fill value, format, attributes, overwrite). With `data`, its shape and
/// data type must match the builder's, and it is written.
///
/// ```
/// use std::sync::Arc;
/// use zarr::api::array::create_array;
/// use zarr::array::ArrayBuilder;
/// use zarr::buffer::NDBuffer;
/// use zarr::dtype::DataType;
/// use zarr::store::{MemoryStore, StoreRef};
/// let store: StoreRef = Arc::new(MemoryStore::new());
/// let data = NDBuffer::from_vec(&[2, 2], vec![1u8, 2, 3, 4]).unwrap();
/// let b = ArrayBuilder::new(vec![2, 2], DataType::UInt8).chunks(vec![1, 2]);
/// let a = create_array(&store, "a", &b, Some(&data)).unwrap();
/// assert_eq!(a.read_vec::<u8>(&zarr::chunk::Selection::all()).unwrap(), vec![1, 2, 3, 4]);
/// let wrong = NDBuffer::from_vec(&[4], vec![1u8, 2, 3, 4]).unwrap();
/// assert!(create_array(&store, "b", &b, Some(&wrong)).is_err());
/// ```
pub fn create_array(
    store: &StoreRef,
    name: &str,
    builder: &ArrayBuilder,
    data: Option<&NDBuffer>,
) -> Result<Array> {
    if let Some(d) = data {
        // The shape and type are the same in both forms; the V2 form fails
        // only for sharded arrays.
        let (shape, dtype) = match builder.build_metadata_v2() {
            Ok(m) => (m.shape, m.data_type),
            Err(_) => {
                let m = builder.build_metadata()?;
                (m.shape, m.data_type)
            }
        };
        let given: Vec<u64> = d.shape().iter().map(|&s| s as u64).collect();
        if given != shape || !d.data_type().same_elements(&dtype) {
            return Err(ArrayError::InvalidArgument(format!(
                "data of shape {given:?} and type {} given for an array of shape {shape:?} and type {dtype}",
                d.data_type()
            )));
        }
    }
    let a = builder.create(store.clone(), name)?;
    if let Some(d) = data {
        a.write_ndbuffer(&Selection::all(), d)?;
    }
    Ok(a)
}

/// zarr-python's `array`: a new array holding `data` (its shape and data
/// type; `options.dtype` is ignored), created as `options` say.
///
/// ```
/// use std::sync::Arc;
/// use zarr::api::array::{array, Chunks, CreateOptions};
/// use zarr::buffer::NDBuffer;
/// use zarr::store::{MemoryStore, StoreRef};
/// let store: StoreRef = Arc::new(MemoryStore::new());
/// let data = NDBuffer::from_vec(&[5], vec![1i64, 2, 3, 4, 5]).unwrap();
/// let a = array(&store, &data, &CreateOptions::default().chunks(Chunks::Each(2))).unwrap();
/// assert_eq!(a.chunk_shape(), &[2]);
/// assert_eq!(a.read_vec::<i64>(&zarr::chunk::Selection::all()).unwrap(), vec![1, 2, 3, 4, 5]);
/// ```
pub fn array(store: &StoreRef, data: &NDBuffer, options: &CreateOptions) -> Result<Array> {
    let mut o = options.clone();
    o.dtype = data.data_type();
    let shape = data.shape().iter().map(|&s| s as u64).collect();
    let a = create(store, shape, &o)?;
    a.write_ndbuffer(&Selection::all(), data)?;
    Ok(a)
}

/// zarr-python's `empty`: an array with nothing written; unwritten
/// elements read as the fill value (`options.fill_value`, else the data
/// type's default).
///
/// ```
/// use std::sync::Arc;
/// use zarr::api::array::{empty, CreateOptions};
/// use zarr::dtype::DataType;
/// use zarr::store::{MemoryStore, Store, StoreRef};
/// let store: StoreRef = Arc::new(MemoryStore::new());
/// let a = empty(&store, vec![3], &CreateOptions::new(DataType::UInt16)).unwrap();
/// assert_eq!(store.list().unwrap(), vec!["zarr.json".to_string()]);
/// assert_eq!(a.read_vec::<u16>(&zarr::chunk::Selection::all()).unwrap(), vec![0, 0, 0]);
/// ```
pub fn empty(store: &StoreRef, shape: Vec<u64>, options: &CreateOptions) -> Result<Array> {
    create(store, shape, options)
}

/// zarr-python's `zeros`: an array whose fill value is 0 (`false` for
/// bool).
///
/// ```
/// use std::sync::Arc;
/// use zarr::api::array::{zeros, CreateOptions};
/// use zarr::dtype::DataType;
/// use zarr::store::{MemoryStore, StoreRef};
/// let store: StoreRef = Arc::new(MemoryStore::new());
/// let a = zeros(&store, vec![2], &CreateOptions::new(DataType::Float32)).unwrap();
/// assert_eq!(a.read_vec::<f32>(&zarr::chunk::Selection::all()).unwrap(), vec![0.0, 0.0]);
/// ```
pub fn zeros(store: &StoreRef, shape: Vec<u64>, options: &CreateOptions) -> Result<Array> {
    let fill = number_json(options.dtype, 0)?;
    create(store, shape, &options.clone().fill_value(fill))
}

/// zarr-python's `ones`: an array whose fill value is 1 (`true` for bool,
/// `1+0j` for complex). Fails for string and bytes types.
///
/// ```
/// use std::sync::Arc;
/// use zarr::api::array::{ones, CreateOptions};
/// use zarr::dtype::DataType;
/// use zarr::store::{MemoryStore, StoreRef};
/// let store: StoreRef = Arc::new(MemoryStore::new());
/// let a = ones(&store, vec![2], &CreateOptions::new(DataType::Bool)).unwrap();
/// assert_eq!(a.read_vec::<bool>(&zarr::chunk::Selection::all()).unwrap(), vec![true, true]);
/// assert!(ones(&store, vec![2], &CreateOptions::new(DataType::String).path("s")).is_err());
/// ```
pub fn ones(store: &StoreRef, shape: Vec<u64>, options: &CreateOptions) -> Result<Array> {
    let fill = number_json(options.dtype, 1)?;
    create(store, shape, &options.clone().fill_value(fill))
}

/// zarr-python's `full`: an array whose fill value is `fill_value` (JSON as
/// in `zarr.json`: `1.5`, `"NaN"`, `"abc"`...).
///
/// ```
/// use std::sync::Arc;
/// use zarr::api::array::{full, CreateOptions};
/// use zarr::dtype::DataType;
/// use zarr::store::{MemoryStore, StoreRef};
/// let store: StoreRef = Arc::new(MemoryStore::new());
/// let a = full(&store, vec![2], serde_json::json!(-7), &CreateOptions::new(DataType::Int8)).unwrap();
/// assert_eq!(a.read_vec::<i8>(&zarr::chunk::Selection::all()).unwrap(), vec![-7, -7]);
/// ```
pub fn full(
    store: &StoreRef,
    shape: Vec<u64>,
    fill_value: Value,
    options: &CreateOptions,
) -> Result<Array> {
    create(store, shape, &options.clone().fill_value(fill_value))
}

/// 0 or 1 as the fill-value JSON of `dtype`.
fn number_json(dtype: DataType, n: u8) -> Result<Value> {
    Ok(match dtype {
        DataType::Bool => json!(n == 1),
        DataType::String | DataType::Bytes => {
            return Err(ArrayError::InvalidArgument(format!(
                "{dtype} arrays have no numeric fill value {n}"
            )))
        }
        // All zero bytes for zeros; no value stands for "one".
        DataType::RawBytes(_) | DataType::Struct(_) if n == 0 => {
            dtype.fill_value_to_json(&crate::dtype::FillValue::default_for(dtype))
        }
        DataType::RawBytes(_) | DataType::Struct(_) => {
            return Err(ArrayError::InvalidArgument(format!(
                "{dtype} arrays have no numeric fill value {n}"
            )))
        }
        d if d.name().starts_with("complex") => json!([f64::from(n), 0.0]),
        d if d.name().starts_with("float") => json!(f64::from(n)),
        _ => json!(n),
    })
}

/// The builder of an array like `a` (shape, data type, chunks, shards,
/// codecs, fill value, format; no attributes) at a path.
fn like_builder(a: &Array, overwrite: bool) -> Result<ArrayBuilder> {
    let o = CopyOptions::default().without_attrs(true);
    Ok(target_builder(a, &o)?.overwrite(overwrite))
}

/// zarr-python's `empty_like`: a new array at `path` in `store` with the
/// shape, data type, chunks, shards, codecs, fill value and Zarr format of
/// `a` (not its attributes or data). Fails when a node is at `path` unless
/// `overwrite`.
///
/// ```
/// use std::sync::Arc;
/// use zarr::api::array::{empty_like, full, CreateOptions};
/// use zarr::dtype::DataType;
/// use zarr::store::{MemoryStore, StoreRef};
/// let store: StoreRef = Arc::new(MemoryStore::new());
/// let a = full(&store, vec![6], serde_json::json!(9), &CreateOptions::new(DataType::UInt8).path("a")).unwrap();
/// let b = empty_like(&a, &store, "b", false).unwrap();
/// assert_eq!((b.shape(), b.chunk_shape()), (a.shape(), a.chunk_shape()));
/// assert_eq!(b.read_vec::<u8>(&zarr::chunk::Selection::all()).unwrap(), vec![9; 6]);
/// ```
pub fn empty_like(a: &Array, store: &StoreRef, path: &str, overwrite: bool) -> Result<Array> {
    like_builder(a, overwrite)?.create(store.clone(), path)
}

/// zarr-python's `zeros_like`: [`empty_like`] with fill value 0.
///
/// ```
/// use std::sync::Arc;
/// use zarr::api::array::{ones, zeros_like, CreateOptions};
/// use zarr::dtype::DataType;
/// use zarr::store::{MemoryStore, StoreRef};
/// let store: StoreRef = Arc::new(MemoryStore::new());
/// let a = ones(&store, vec![2], &CreateOptions::new(DataType::Float64).path("a")).unwrap();
/// let b = zeros_like(&a, &store, "b", false).unwrap();
/// assert_eq!(b.read_vec::<f64>(&zarr::chunk::Selection::all()).unwrap(), vec![0.0, 0.0]);
/// ```
pub fn zeros_like(a: &Array, store: &StoreRef, path: &str, overwrite: bool) -> Result<Array> {
    let fill = number_json(a.data_type(), 0)?;
    full_like(a, store, path, Some(fill), overwrite)
}

/// zarr-python's `ones_like`: [`empty_like`] with fill value 1.
///
/// ```
/// use std::sync::Arc;
/// use zarr::api::array::{ones_like, zeros, CreateOptions};
/// use zarr::dtype::DataType;
/// use zarr::store::{MemoryStore, StoreRef};
/// let store: StoreRef = Arc::new(MemoryStore::new());
/// let a = zeros(&store, vec![2], &CreateOptions::new(DataType::Int32).path("a")).unwrap();
/// let b = ones_like(&a, &store, "b", false).unwrap();
/// assert_eq!(b.read_vec::<i32>(&zarr::chunk::Selection::all()).unwrap(), vec![1, 1]);
/// ```
pub fn ones_like(a: &Array, store: &StoreRef, path: &str, overwrite: bool) -> Result<Array> {
    let fill = number_json(a.data_type(), 1)?;
    full_like(a, store, path, Some(fill), overwrite)
}

/// zarr-python's `full_like`: [`empty_like`] with fill value `fill_value`
/// (`None` keeps `a`'s).
///
/// ```
/// use std::sync::Arc;
/// use zarr::api::array::{full_like, zeros, CreateOptions};
/// use zarr::dtype::DataType;
/// use zarr::store::{MemoryStore, StoreRef};
/// let store: StoreRef = Arc::new(MemoryStore::new());
/// let a = zeros(&store, vec![2], &CreateOptions::new(DataType::Int32).path("a")).unwrap();
/// let b = full_like(&a, &store, "b", Some(serde_json::json!(5)), false).unwrap();
/// assert_eq!(b.read_vec::<i32>(&zarr::chunk::Selection::all()).unwrap(), vec![5, 5]);
/// ```
pub fn full_like(
    a: &Array,
    store: &StoreRef,
    path: &str,
    fill_value: Option<Value>,
    overwrite: bool,
) -> Result<Array> {
    let mut b = like_builder(a, overwrite)?;
    if let Some(f) = fill_value {
        b = b.fill_value_json(f);
    }
    b.create(store.clone(), path)
}

/// zarr-python's `open_array` with its file-like `mode`:
///
/// * `r`: the array must exist; the returned array refuses writes;
/// * `r+`: the array must exist;
/// * `a`: open the array, or create it with `create` when missing;
/// * `w`: create it with `create`, replacing whatever is at `path`;
/// * `w-`: create it with `create`; fail when a node is at `path`.
///
/// Creating without `create` is an [`ArrayError::InvalidArgument`] (the
/// shape and data type are needed); opening a missing array is
/// [`ArrayError::NotFound`].
///
/// ```
/// use std::sync::Arc;
/// use zarr::api::{array::open_array, AccessMode};
/// use zarr::array::{ArrayBuilder, ArrayError};
/// use zarr::dtype::DataType;
/// use zarr::store::{MemoryStore, StoreRef};
/// let store: StoreRef = Arc::new(MemoryStore::new());
/// let spec = ArrayBuilder::new(vec![4], DataType::UInt8);
/// assert!(matches!(open_array(&store, "a", AccessMode::Read, None), Err(ArrayError::NotFound { .. })));
/// let a = open_array(&store, "a", AccessMode::Append, Some(&spec)).unwrap();
/// a.write_slice(&"0:1".parse().unwrap(), &[7u8]).unwrap();
/// let r = open_array(&store, "a", AccessMode::Read, None).unwrap();
/// assert!(r.write_slice(&"0:1".parse().unwrap(), &[8u8]).is_err());
/// assert!(matches!(open_array(&store, "a", AccessMode::Create, Some(&spec)), Err(ArrayError::AlreadyExists { .. })));
/// ```
pub fn open_array(
    store: &StoreRef,
    path: &str,
    mode: AccessMode,
    create: Option<&ArrayBuilder>,
) -> Result<Array> {
    let need = || {
        create.ok_or_else(|| {
            ArrayError::InvalidArgument(format!(
                "mode {mode} creates the array at {path:?}: its shape and data type are needed"
            ))
        })
    };
    match mode {
        AccessMode::Read => Array::open(with_read_only(store.clone()), path),
        AccessMode::ReadWrite => Array::open(store.clone(), path),
        AccessMode::Append => match Array::open(store.clone(), path) {
            Err(ArrayError::NotFound { .. }) => {
                need()?.clone().overwrite(false).create(store.clone(), path)
            }
            other => other,
        },
        AccessMode::Overwrite => need()?.clone().overwrite(true).create(store.clone(), path),
        AccessMode::Create => {
            let b = need()?.clone().overwrite(false);
            let p = path.trim_matches('/');
            for k in ["zarr.json", ".zarray", ".zgroup"] {
                if store.exists(&crate::node_path::doc_key(p, k))? {
                    return Err(ArrayError::AlreadyExists {
                        path: p.to_string(),
                    });
                }
            }
            b.create(store.clone(), path)
        }
    }
}

/// zarr-python's `open_like`: [`open_array`] at `path` with `mode`,
/// creating (where the mode creates) an array like `a` (see
/// [`empty_like`]).
///
/// ```
/// use std::sync::Arc;
/// use zarr::api::{array::{open_like, zeros, CreateOptions}, AccessMode};
/// use zarr::dtype::DataType;
/// use zarr::store::{MemoryStore, StoreRef};
/// let store: StoreRef = Arc::new(MemoryStore::new());
/// let a = zeros(&store, vec![3, 3], &CreateOptions::new(DataType::Int8).path("a")).unwrap();
/// let b = open_like(&a, &store, "b", AccessMode::Append).unwrap();
/// assert_eq!(b.shape(), &[3, 3]);
/// ```
pub fn open_like(a: &Array, store: &StoreRef, path: &str, mode: AccessMode) -> Result<Array> {
    let b = like_builder(a, false)?;
    open_array(store, path, mode, Some(&b))
}

/// zarr-python's `from_array`: a new array at `name` in `store` from the
/// array `src`, its data copied chunk by chunk (parallel, bounded memory).
/// Chunks, shards, compressors and the Zarr format "keep" `src`'s unless
/// `options` give them (see [`CopyOptions`]); attributes are kept unless
/// `options.without_attrs`. A node at `name` is replaced only with
/// [`IfExists::Replace`]. With `write_data` false only the metadata is
/// written.
///
/// ```
/// use std::sync::Arc;
/// use zarr::api::array::from_array;
/// use zarr::api::copy::CopyOptions;
/// use zarr::array::ArrayBuilder;
/// use zarr::dtype::DataType;
/// use zarr::store::{MemoryStore, StoreRef};
/// let store: StoreRef = Arc::new(MemoryStore::new());
/// let a = ArrayBuilder::new(vec![6], DataType::Int16).chunks(vec![2]).shards(vec![6])
///     .create(store.clone(), "a").unwrap();
/// a.write_slice(&zarr::chunk::Selection::all(), &[1i16, 2, 3, 4, 5, 6]).unwrap();
/// let b = from_array(&store, "b", &a, &CopyOptions::default(), true).unwrap();
/// assert_eq!((b.chunk_shape(), b.inner_chunk_shape()), (&[6u64][..], Some(vec![2])));
/// assert_eq!(b.read_vec::<i16>(&zarr::chunk::Selection::all()).unwrap(), vec![1, 2, 3, 4, 5, 6]);
/// ```
pub fn from_array(
    store: &StoreRef,
    name: &str,
    src: &Array,
    options: &CopyOptions,
    write_data: bool,
) -> Result<Array> {
    let b = target_builder(src, options)?;
    let overwrite = match options.if_exists {
        IfExists::Replace => true,
        IfExists::Raise => false,
        IfExists::Skip => {
            if let Ok(a) = Array::open(store.clone(), name) {
                return Ok(a);
            }
            false
        }
    };
    let dst = b.overwrite(overwrite).create(store.clone(), name)?;
    if write_data {
        let tracker = ProgressTracker::new(options.progress.clone());
        stream_array(src, &dst, &tracker)?;
    }
    Ok(dst)
}

/// zarr-python's `save_array`: store `data` as an array at `path`
/// (replacing whatever is there), in Zarr format `zarr_format`, with
/// default chunks and codecs.
///
/// ```
/// use std::sync::Arc;
/// use zarr::api::array::{load, save_array};
/// use zarr::buffer::NDBuffer;
/// use zarr::store::{MemoryStore, StoreRef};
/// let store: StoreRef = Arc::new(MemoryStore::new());
/// let d = NDBuffer::from_vec(&[2], vec![1u32, 2]).unwrap();
/// save_array(&store, "a", &d, 2).unwrap();
/// save_array(&store, "a", &d, 2).unwrap(); // replaced
/// assert_eq!(load(&store, "a").unwrap().to_vec::<u32>().unwrap(), vec![1, 2]);
/// ```
pub fn save_array(store: &StoreRef, path: &str, data: &NDBuffer, zarr_format: u8) -> Result<()> {
    let o = CreateOptions::new(data.data_type())
        .path(path)
        .overwrite(true)
        .zarr_format(zarr_format);
    array(store, data, &o).map(|_| ())
}

/// zarr-python's `save`: one array without a name (`args` of length 1 and
/// no `named`) is saved with [`save_array`]; otherwise a group is written
/// at `path` (replacing what is there) holding `args` as `arr_0`,
/// `arr_1`... and `named` under their names. No arrays at all is an error.
///
/// ```
/// use std::sync::Arc;
/// use zarr::api::array::{load, save};
/// use zarr::buffer::NDBuffer;
/// use zarr::store::{MemoryStore, Store, StoreRef};
/// let store: StoreRef = Arc::new(MemoryStore::new());
/// let x = NDBuffer::from_vec(&[2], vec![1i8, 2]).unwrap();
/// let y = NDBuffer::from_vec(&[1], vec![3.0f32]).unwrap();
/// save(&store, "g", &[&x], &[("y", &y)], 3).unwrap();
/// assert!(store.exists("g/zarr.json").unwrap());
/// assert_eq!(load(&store, "g/arr_0").unwrap().to_vec::<i8>().unwrap(), vec![1, 2]);
/// assert_eq!(load(&store, "g/y").unwrap().to_vec::<f32>().unwrap(), vec![3.0]);
/// assert!(save(&store, "h", &[], &[], 3).is_err());
/// ```
pub fn save(
    store: &StoreRef,
    path: &str,
    args: &[&NDBuffer],
    named: &[(&str, &NDBuffer)],
    zarr_format: u8,
) -> Result<()> {
    if args.is_empty() && named.is_empty() {
        return Err(ArrayError::InvalidArgument(
            "at least one array must be provided".into(),
        ));
    }
    if let ([one], []) = (args, named) {
        return save_array(store, path, one, zarr_format);
    }
    let p = path.trim_matches('/');
    let join = |name: &str| crate::node_path::join(p, name);
    // Replace what is there with a group.
    if p.is_empty() {
        for k in store.list()? {
            store.delete(&k)?;
        }
    } else {
        store.delete_dir(p)?;
        for k in ["zarr.json", ".zarray", ".zgroup", ".zattrs"] {
            store.delete(&join(k))?;
        }
    }
    if zarr_format == 2 {
        // zarr-python writes both documents of a V2 group.
        let g = crate::metadata::GroupMetadataV2::default();
        store.set(&join(".zgroup"), g.zgroup_bytes().into())?;
        store.set(&join(".zattrs"), g.zattrs_bytes().into())?;
    } else {
        let g = GroupMetadata::default();
        store.set(&join("zarr.json"), g.to_json_bytes().into())?;
    }
    let names: Vec<String> = (0..args.len()).map(|i| format!("arr_{i}")).collect();
    let all = names
        .iter()
        .map(String::as_str)
        .zip(args.iter().copied())
        .chain(named.iter().copied());
    for (name, data) in all {
        save_array(store, &join(name), data, zarr_format)?;
    }
    Ok(())
}

/// zarr-python's `load` of an array: all of it, in memory. A group at
/// `path` is an [`ArrayError::NotAnArray`].
///
/// ```
/// use std::sync::Arc;
/// use zarr::api::array::{load, save};
/// use zarr::array::ArrayError;
/// use zarr::buffer::NDBuffer;
/// use zarr::store::{MemoryStore, StoreRef};
/// let store: StoreRef = Arc::new(MemoryStore::new());
/// let x = NDBuffer::from_vec(&[1], vec![1u8]).unwrap();
/// save(&store, "g", &[&x, &x], &[], 3).unwrap();
/// assert!(matches!(load(&store, "g"), Err(ArrayError::NotAnArray { .. })));
/// assert!(matches!(load(&store, "none"), Err(ArrayError::NotFound { .. })));
/// ```
pub fn load(store: &StoreRef, path: &str) -> Result<NDBuffer> {
    Array::open(store.clone(), path)?.read_ndbuffer(&Selection::all())
}
