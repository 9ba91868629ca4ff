//! [`CreateOptions`]: the keyword arguments of zarr-python's legacy
//! `create`, and the [`ArrayBuilder`] they make.

use crate::array::{guess_chunks, ArrayBuilder, ArrayError, Result};
use crate::buffer::Order;
use crate::codec::{ChunkSpec, CodecChain};
use crate::dtype::{DataType, FillValue};
use crate::metadata::{ChunkKeyEncodingMetadata, CodecMetadata};
use serde_json::{Map, Value};

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
/// functions that pass theirs to it: [`empty`](super::empty), [`zeros`](super::zeros), [`ones`](super::ones),
/// [`full`](super::full), [`array`](fn@super::array)). Defaults: path root, `float64`, auto chunks,
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
    crate::api::setters! { CreateOptions;
        path(path: &str) => path.to_string();
        chunks(chunks: Chunks) => chunks;
        shards(shards: Vec<u64>) => Some(shards);
        compressor(compressor: Compressor) => compressor;
        codecs(codecs: Vec<CodecMetadata>) => Some(codecs);
        fill_value(fill_value: Value) => Some(fill_value);
        order(order: Order) => order;
        overwrite(overwrite: bool) => overwrite;
        zarr_format(format: u8) => format;
        dimension_separator(separator: char) => Some(separator);
        attributes(attributes: Map<String, Value>) => attributes;
        dimension_names(names: Vec<Option<String>>) => Some(names);
        write_empty_chunks(write: bool) => write;
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
