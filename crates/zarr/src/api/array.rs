//! The array functions of zarr-python's `zarr.api`: create ([`create`],
//! [`create_array`], [`array`], [`empty`], [`zeros`], [`ones`], [`full`]
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

use super::blocking::{blocking, run_blocking};
use super::copy::{target_builder, CopyOptions, IfExists};
use super::AccessMode;
use crate::array::{
    guess_chunks, stream_array, Array, ArrayBuilder, ArrayError, AsyncArray, ProgressTracker,
    Result,
};
use crate::buffer::{NDBuffer, Order};
use crate::chunk::Selection;
use crate::codec::{ChunkSpec, CodecChain};
use crate::dtype::{DataType, FillValue};
use crate::metadata::{ChunkKeyEncodingMetadata, CodecMetadata, GroupMetadata, NodeMetadata};
use crate::store::{with_read_only, AsyncStore, StoreRef, SyncToAsync};
use serde_json::{json, Map, Value};
use std::sync::Arc;

/// The chunk shape of zarr-python's legacy `create(chunks=...)`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Chunks {
    /// Guessed from the shape and data type (`chunks=True` or `None`).
    #[default]
    Auto,
    /// One chunk for the whole array (`chunks=False`).
    Whole,
    /// This size along every dimension (`chunks=100`), capped at the shape.
    Each(u64),
    /// An explicit shape.
    Shape(Vec<u64>),
}

/// The compressor of zarr-python's legacy `create(compressor=...)`.
#[derive(Clone, Debug, Default, PartialEq)]
pub enum Compressor {
    /// zarr-python's default (zstd level 0).
    #[default]
    Auto,
    /// No compression (`compressor=None`).
    None,
    /// V3 bytes-to-bytes codecs (for a V2 array, its single compressor is
    /// given with [`Compressor::V2`]).
    Codecs(Vec<CodecMetadata>),
    /// A V2 numcodecs configuration (`{"id": "zlib", "level": 1}`).
    V2(Map<String, Value>),
}

/// The keyword arguments of zarr-python's legacy `create` (and of the
/// functions that pass theirs to it: [`empty`], [`zeros`], [`ones`],
/// [`full`], [`array`]). Defaults: path root, `float64`, auto chunks,
/// default compressor and fill value, C order, Zarr V3, no overwrite.
///
/// ```
/// use zarr::api::array::{Chunks, CreateOptions};
/// use zarr::dtype::DataType;
/// let o = CreateOptions::new(DataType::UInt8).path("a/b").chunks(Chunks::Each(10)).zarr_format(2);
/// let b = o.builder(vec![25, 5]).unwrap();
/// assert_eq!(b.build_metadata_v2().unwrap().chunks, vec![10, 5]);
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct CreateOptions {
    /// The path of the array in the store (default: the root).
    pub path: String,
    /// The data type (default `float64`).
    pub dtype: DataType,
    /// The chunk shape (with shards, the inner chunk shape).
    pub chunks: Chunks,
    /// Store in shards of this shape (V3 only).
    pub shards: Option<Vec<u64>>,
    /// The compressor (V3: the compressors; V2: the one compressor).
    pub compressor: Compressor,
    /// The whole V3 codec chain (`codecs=`), overriding `compressor`.
    pub codecs: Option<Vec<CodecMetadata>>,
    /// The fill value as JSON (`None`: the data type's default; for V2,
    /// JSON `null` writes a null fill value).
    pub fill_value: Option<Value>,
    /// The memory order (V2: of stored chunks; V3: of reads).
    pub order: Order,
    /// Replace what is at the path.
    pub overwrite: bool,
    /// 3 (default) or 2.
    pub zarr_format: u8,
    /// The V2 dimension separator (default `.`).
    pub dimension_separator: Option<char>,
    /// The V3 chunk key encoding (default `default` with `/`).
    pub chunk_key_encoding: Option<ChunkKeyEncodingMetadata>,
    /// User attributes.
    pub attributes: Map<String, Value>,
    /// V3 dimension names.
    pub dimension_names: Option<Vec<Option<String>>>,
    /// Store chunks equal to the fill value.
    pub write_empty_chunks: bool,
}

impl Default for CreateOptions {
    fn default() -> Self {
        CreateOptions::new(DataType::Float64)
    }
}

impl CreateOptions {
    /// Defaults with this data type.
    pub fn new(dtype: DataType) -> Self {
        CreateOptions {
            path: String::new(),
            dtype,
            chunks: Chunks::Auto,
            shards: None,
            compressor: Compressor::Auto,
            codecs: None,
            fill_value: None,
            order: Order::C,
            overwrite: false,
            zarr_format: 3,
            dimension_separator: None,
            chunk_key_encoding: None,
            attributes: Map::new(),
            dimension_names: None,
            write_empty_chunks: false,
        }
    }
    /// Set [`CreateOptions::path`].
    pub fn path(mut self, path: &str) -> Self {
        self.path = path.to_string();
        self
    }
    /// Set [`CreateOptions::chunks`].
    pub fn chunks(mut self, chunks: Chunks) -> Self {
        self.chunks = chunks;
        self
    }
    /// Set [`CreateOptions::shards`].
    pub fn shards(mut self, shards: Vec<u64>) -> Self {
        self.shards = Some(shards);
        self
    }
    /// Set [`CreateOptions::compressor`].
    pub fn compressor(mut self, compressor: Compressor) -> Self {
        self.compressor = compressor;
        self
    }
    /// Set [`CreateOptions::codecs`].
    pub fn codecs(mut self, codecs: Vec<CodecMetadata>) -> Self {
        self.codecs = Some(codecs);
        self
    }
    /// Set [`CreateOptions::fill_value`].
    pub fn fill_value(mut self, fill_value: Value) -> Self {
        self.fill_value = Some(fill_value);
        self
    }
    /// Set [`CreateOptions::order`].
    pub fn order(mut self, order: Order) -> Self {
        self.order = order;
        self
    }
    /// Set [`CreateOptions::overwrite`].
    pub fn overwrite(mut self, overwrite: bool) -> Self {
        self.overwrite = overwrite;
        self
    }
    /// Set [`CreateOptions::zarr_format`].
    pub fn zarr_format(mut self, format: u8) -> Self {
        self.zarr_format = format;
        self
    }
    /// Set [`CreateOptions::dimension_separator`].
    pub fn dimension_separator(mut self, separator: char) -> Self {
        self.dimension_separator = Some(separator);
        self
    }
    /// Set [`CreateOptions::attributes`].
    pub fn attributes(mut self, attributes: Map<String, Value>) -> Self {
        self.attributes = attributes;
        self
    }
    /// Set [`CreateOptions::dimension_names`].
    pub fn dimension_names(mut self, names: Vec<Option<String>>) -> Self {
        self.dimension_names = Some(names);
        self
    }
    /// Set [`CreateOptions::write_empty_chunks`].
    pub fn write_empty_chunks(mut self, write: bool) -> Self {
        self.write_empty_chunks = write;
        self
    }

    /// The [`ArrayBuilder`] for an array of `shape` with these options.
    pub fn builder(&self, shape: Vec<u64>) -> Result<ArrayBuilder> {
        let size = self.dtype.size().unwrap_or(1) as u64;
        let chunks = match &self.chunks {
            Chunks::Auto => guess_chunks(&shape, size),
            Chunks::Whole => shape.iter().map(|&s| s.max(1)).collect(),
            Chunks::Each(n) => shape.iter().map(|&s| (*n).min(s.max(1))).collect(),
            Chunks::Shape(c) => c.clone(),
        };
        let mut b = ArrayBuilder::new(shape, self.dtype)
            .chunks(chunks.clone())
            .zarr_format(self.zarr_format)
            .storage_order(self.order)
            .order(self.order)
            .overwrite(self.overwrite)
            .attributes(self.attributes.clone())
            .write_empty_chunks(self.write_empty_chunks);
        if let Some(v) = &self.fill_value {
            b = b.fill_value_json(v.clone());
        }
        if let Some(s) = &self.shards {
            b = b.shards(s.clone());
        }
        if let Some(n) = &self.dimension_names {
            b = b.dimension_names(n.clone());
        }
        if self.zarr_format == 2 {
            b = b.chunk_key_encoding(ChunkKeyEncodingMetadata::V2 {
                separator: self.dimension_separator.unwrap_or('.'),
            });
            return Ok(match &self.compressor {
                Compressor::Auto => b,
                Compressor::None => b.compressor_v2(None),
                Compressor::V2(c) => b.compressor_v2(Some(c.clone())),
                Compressor::Codecs(_) => {
                    return Err(ArrayError::InvalidArgument(
                        "a Zarr V2 array takes a V2 compressor (Compressor::V2)".into(),
                    ))
                }
            });
        }
        if let Some(e) = &self.chunk_key_encoding {
            b = b.chunk_key_encoding(e.clone());
        }
        if let Some(codecs) = &self.codecs {
            let spec = ChunkSpec {
                shape: chunks,
                data_type: self.dtype,
                fill_value: FillValue::default_for(self.dtype),
            };
            let chain =
                CodecChain::from_metadata(codecs, &spec).map_err(|source| ArrayError::Codecs {
                    key: "codecs".into(),
                    source,
                })?;
            let all = chain.to_metadata();
            let n = chain.array_to_array().len();
            let Some(serializer) = all.get(n).cloned() else {
                return Err(ArrayError::InvalidArgument(
                    "codecs without serializer".into(),
                ));
            };
            return Ok(b
                .filters(all[..n].to_vec())
                .serializer(serializer)
                .compressors(all[n + 1..].to_vec()));
        }
        Ok(match &self.compressor {
            Compressor::Auto => b,
            Compressor::None => b.compressors(Vec::new()),
            Compressor::Codecs(c) => b.compressors(c.clone()),
            Compressor::V2(_) => {
                return Err(ArrayError::InvalidArgument(
                    "a Zarr V3 array takes V3 compressors (Compressor::Codecs)".into(),
                ))
            }
        })
    }
}

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
        if given != shape || d.data_type() != dtype {
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
                let key = if p.is_empty() {
                    k.to_string()
                } else {
                    format!("{p}/{k}")
                };
                if store.exists(&key)? {
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
    let join = |name: &str| {
        if p.is_empty() {
            name.to_string()
        } else {
            format!("{p}/{name}")
        }
    };
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
        store.set(&join(".zgroup"), br#"{"zarr_format": 2}"#.to_vec().into())?;
    } else {
        let g = NodeMetadata::Group(GroupMetadata::default());
        let bytes = serde_json::to_vec_pretty(&g.to_json()).unwrap_or_default();
        store.set(&join("zarr.json"), bytes.into())?;
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

// ---- async twins ----
//
// Each runs its blocking twin on tokio's blocking pool over the async
// store (store calls driven on the runtime) and returns an [`AsyncArray`]
// over the same async store.

/// The async twin of [`create`].
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

/// The async twin of [`create_array`].
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

/// The async twin of [`array`].
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

/// The async twin of [`empty`].
pub async fn empty_async(
    store: Arc<dyn AsyncStore>,
    shape: Vec<u64>,
    options: &CreateOptions,
) -> Result<AsyncArray> {
    create_async(store, shape, options).await
}

/// The async twin of [`zeros`].
pub async fn zeros_async(
    store: Arc<dyn AsyncStore>,
    shape: Vec<u64>,
    options: &CreateOptions,
) -> Result<AsyncArray> {
    let fill = number_json(options.dtype, 0)?;
    create_async(store, shape, &options.clone().fill_value(fill)).await
}

/// The async twin of [`ones`].
pub async fn ones_async(
    store: Arc<dyn AsyncStore>,
    shape: Vec<u64>,
    options: &CreateOptions,
) -> Result<AsyncArray> {
    let fill = number_json(options.dtype, 1)?;
    create_async(store, shape, &options.clone().fill_value(fill)).await
}

/// The async twin of [`full`].
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
fn template(a: &AsyncArray) -> Result<Array> {
    a.to_blocking(Arc::new(crate::store::MemoryStore::new()))
}

/// The async twin of [`full_like`] (`None` keeps `a`'s fill value).
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

/// The async twin of [`empty_like`].
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

/// The async twin of [`zeros_like`].
pub async fn zeros_like_async(
    a: &AsyncArray,
    store: Arc<dyn AsyncStore>,
    path: &str,
    overwrite: bool,
) -> Result<AsyncArray> {
    let fill = number_json(a.data_type(), 0)?;
    full_like_async(a, store, path, Some(fill), overwrite).await
}

/// The async twin of [`ones_like`].
pub async fn ones_like_async(
    a: &AsyncArray,
    store: Arc<dyn AsyncStore>,
    path: &str,
    overwrite: bool,
) -> Result<AsyncArray> {
    let fill = number_json(a.data_type(), 1)?;
    full_like_async(a, store, path, Some(fill), overwrite).await
}

/// The async twin of [`open_array`]; with mode `r` the returned array
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

/// The async twin of [`open_like`].
pub async fn open_like_async(
    a: &AsyncArray,
    store: Arc<dyn AsyncStore>,
    path: &str,
    mode: AccessMode,
) -> Result<AsyncArray> {
    let b = like_builder(&template(a)?, false)?;
    open_array_async(store, path, mode, Some(&b)).await
}

/// The async twin of [`from_array`]: `src` may live in another async store.
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

/// The async twin of [`save_array`].
pub async fn save_array_async(
    store: Arc<dyn AsyncStore>,
    path: &str,
    data: NDBuffer,
    zarr_format: u8,
) -> Result<()> {
    let p = path.to_string();
    run_blocking(move |h| save_array(&blocking(store, h), &p, &data, zarr_format)).await
}

/// The async twin of [`save`].
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

/// The async twin of [`load`].
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
