//! [`ArrayBuilder`]: the parameters of zarr-python's `create_array` that
//! apply to V3 arrays.

use super::error::{ArrayError, Result};
use super::{Array, ArrayConfig};
use crate::buffer::Order;
use crate::codec::{ChunkSpec, CodecChain, CodecTraits, IndexLocation, ShardingCodec};
use crate::dtype::{DataType, FillValue};
use crate::metadata::{
    ArrayMetadata, ArrayMetadataV2, ChunkGridMetadata, ChunkKeyEncodingMetadata, CodecMetadata,
};
use crate::store::StoreRef;
use serde_json::{json, Map, Value};

/// How to choose the chunk shape.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub enum ChunkShape {
    /// zarr-python's heuristic (`chunks="auto"`).
    #[default]
    Auto,
    /// An explicit shape.
    Explicit(Vec<u64>),
}

/// Which codecs to use at a position of the chain: zarr-python's default, none, or a list.
#[derive(Clone, Debug, PartialEq, Default)]
pub enum CodecChoice {
    /// The default (zstd level 0 for compressors; bytes or vlen for the serializer; no filters).
    #[default]
    Auto,
    /// These codecs (an empty list means none).
    Codecs(Vec<CodecMetadata>),
}

/// Creates a V3 array with the parameters of zarr-python's `create_array`.
///
/// ```
/// use std::sync::Arc;
/// use zarr::array::ArrayBuilder;
/// use zarr::chunk::Selection;
/// use zarr::dtype::DataType;
/// use zarr::store::MemoryStore;
/// let store = Arc::new(MemoryStore::new());
/// let a = ArrayBuilder::new(vec![100, 100], DataType::Float32)
///     .chunks(vec![10, 10])
///     .fill_value_json(serde_json::json!("NaN"))
///     .attribute("units", serde_json::json!("m"))
///     .create(store, "data/temperature")
///     .unwrap();
/// assert_eq!(a.chunk_shape(), &[10, 10]);
/// let v = a.read::<f32>(&"0, 0:3".parse::<Selection>().unwrap()).unwrap();
/// assert!(v.iter().all(|x| x.is_nan()));
/// ```
#[derive(Clone, Debug)]
pub struct ArrayBuilder {
    shape: Vec<u64>,
    data_type: DataType,
    chunks: ChunkShape,
    shards: Option<Vec<u64>>,
    shard_index_location: IndexLocation,
    filters: CodecChoice,
    serializer: CodecChoice,
    compressors: CodecChoice,
    fill_value: Option<Value>,
    attributes: Map<String, Value>,
    chunk_key_encoding: ChunkKeyEncodingMetadata,
    dimension_names: Option<Vec<Option<String>>>,
    overwrite: bool,
    config: ArrayConfig,
    zarr_format: u8,
    compressor_v2: Option<Option<Map<String, Value>>>,
    filters_v2: Option<Vec<Map<String, Value>>>,
    storage_order: Order,
    endian_v2: crate::codec::Endian,
}

impl ArrayBuilder {
    /// An array of `shape` and `data_type` with every other parameter at zarr-python's default.
    pub fn new(shape: Vec<u64>, data_type: DataType) -> Self {
        ArrayBuilder {
            shape,
            data_type,
            chunks: ChunkShape::Auto,
            shards: None,
            shard_index_location: IndexLocation::End,
            filters: CodecChoice::Auto,
            serializer: CodecChoice::Auto,
            compressors: CodecChoice::Auto,
            fill_value: None,
            attributes: Map::new(),
            chunk_key_encoding: ChunkKeyEncodingMetadata::Default { separator: '/' },
            dimension_names: None,
            overwrite: false,
            config: ArrayConfig::default(),
            zarr_format: 3,
            compressor_v2: None,
            filters_v2: None,
            storage_order: Order::C,
            endian_v2: crate::codec::Endian::Little,
        }
    }

    /// The Zarr format to write: 3 (default) or 2. A V2 array takes its
    /// codecs from [`ArrayBuilder::compressor_v2`] and
    /// [`ArrayBuilder::filters_v2`] (zarr-python's V2 defaults: zstd level 0,
    /// no filters; `vlen-utf8` / `vlen-bytes` for strings and bytes), its
    /// dimension separator from a `v2` [`ArrayBuilder::chunk_key_encoding`]
    /// (default `.`), and its memory order from [`ArrayBuilder::storage_order`].
    /// A fill value of JSON `null` is written as `null`.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use zarr::array::{Array, ArrayBuilder};
    /// use zarr::dtype::DataType;
    /// use zarr::store::{MemoryStore, Store};
    /// let store = Arc::new(MemoryStore::new());
    /// let a = ArrayBuilder::new(vec![4], DataType::Int16)
    ///     .chunks(vec![2])
    ///     .zarr_format(2)
    ///     .compressor_v2(Some(serde_json::json!({"id": "zlib", "level": 1}).as_object().unwrap().clone()))
    ///     .create(store.clone(), "a")
    ///     .unwrap();
    /// a.write_slice(&"0:4".parse().unwrap(), &[1i16, 2, 3, 4]).unwrap();
    /// assert!(store.exists("a/.zarray").unwrap());
    /// assert!(store.exists("a/1").unwrap());
    /// let b = Array::open(store, "a").unwrap();
    /// assert_eq!(b.zarr_format(), 2);
    /// assert_eq!(b.read_vec::<i16>(&"1:3".parse().unwrap()).unwrap(), vec![2, 3]);
    /// ```
    pub fn zarr_format(mut self, format: u8) -> Self {
        self.zarr_format = format;
        self
    }
    /// The V2 compressor as a numcodecs configuration (`{"id": "zlib", "level": 1}`),
    /// or `None` for no compressor.
    pub fn compressor_v2(mut self, compressor: Option<Map<String, Value>>) -> Self {
        self.compressor_v2 = Some(compressor);
        self
    }
    /// The V2 filters as numcodecs configurations.
    pub fn filters_v2(mut self, filters: Vec<Map<String, Value>>) -> Self {
        self.filters_v2 = Some(filters);
        self
    }
    /// The memory order of stored V2 chunks (`order` in `.zarray`; default C).
    pub fn storage_order(mut self, order: Order) -> Self {
        self.storage_order = order;
        self
    }

    /// The byte order of stored V2 elements (the dtype's `<` or `>`; default little).
    pub fn endian_v2(mut self, endian: crate::codec::Endian) -> Self {
        self.endian_v2 = endian;
        self
    }

    /// The attributes of a V2 array: with dimension names, xarray's
    /// `_ARRAY_DIMENSIONS` attribute holds them (V2 has no field for them).
    fn v2_attributes(&self) -> Result<Map<String, Value>> {
        let mut attributes = self.attributes.clone();
        if let Some(names) = &self.dimension_names {
            if names.len() != self.shape.len() {
                return Err(ArrayError::InvalidArgument(format!(
                    "{} dimension names for {} dimensions",
                    names.len(),
                    self.shape.len()
                )));
            }
            let names: Option<Vec<Value>> =
                names.iter().map(|n| n.clone().map(Value::String)).collect();
            let Some(names) = names else {
                return Err(ArrayError::InvalidArgument(
                    "a Zarr V2 array keeps dimension names in xarray's _ARRAY_DIMENSIONS attribute, which needs a name for every dimension".into(),
                ));
            };
            attributes.insert(
                crate::metadata::ARRAY_DIMENSIONS.into(),
                Value::Array(names),
            );
        }
        Ok(attributes)
    }

    /// The V2 metadata this builder would write (with
    /// [`ArrayBuilder::zarr_format`] 2).
    pub fn build_metadata_v2(&self) -> Result<ArrayMetadataV2> {
        if self.shards.is_some() {
            return Err(ArrayError::InvalidArgument(
                "Zarr V2 arrays cannot be sharded".into(),
            ));
        }
        let ndim = self.shape.len();
        let chunks = match &self.chunks {
            ChunkShape::Auto => {
                guess_chunks(&self.shape, self.data_type.size().unwrap_or(1) as u64)
            }
            ChunkShape::Explicit(c) => c.clone(),
        };
        if chunks.len() != ndim || chunks.contains(&0) {
            return Err(ArrayError::InvalidArgument(format!(
                "chunks {chunks:?} must have {ndim} dimensions of at least 1"
            )));
        }
        // A struct's fields without a byte order take `endian_v2`.
        let data_type = self
            .data_type
            .for_v2(self.endian_v2)
            .map_err(|e| ArrayError::InvalidArgument(e.to_string()))?;
        let (dtype, vlen) = match data_type {
            DataType::String => (json!("|O"), Some("vlen-utf8")),
            DataType::Bytes => (json!("|O"), Some("vlen-bytes")),
            d => (d.to_v2_dtype(self.endian_v2).unwrap_or_default(), None),
        };
        let mut filters = self.filters_v2.clone().unwrap_or_default();
        if let Some(id) = vlen {
            // An object codec among the filters (vlen-*, or categorize for
            // strings) stands for the default one.
            if !filters.iter().any(|f| {
                let fid = f.get("id").and_then(Value::as_str);
                fid == Some(id) || (id == "vlen-utf8" && fid == Some("categorize"))
            }) {
                filters.insert(0, json_map(json!({ "id": id })));
            }
        }
        // Written as the data type holds it, as zarr-python does: a float32
        // fill value of 1e-05 is written 9.999999747378752e-06. A value the
        // data type does not read (`null`, or the `0` zarr-python 2 writes
        // for object arrays) is kept as given; `to_v3` below checks it.
        let fill_value = match &self.fill_value {
            None => data_type.fill_value_to_json_v2(&FillValue::default_for(data_type)),
            Some(v) => match data_type.fill_value_from_json_v2(v) {
                Ok(f) => data_type.fill_value_to_json_v2(&f),
                Err(_) => v.clone(),
            },
        };
        let dimension_separator = match self.chunk_key_encoding {
            ChunkKeyEncodingMetadata::V2 { separator } => separator,
            _ => '.',
        };
        let m = ArrayMetadataV2 {
            shape: self.shape.clone(),
            chunks,
            dtype,
            data_type,
            endian: (data_type.component_size().unwrap_or(1) > 1).then_some(self.endian_v2),
            fill_value,
            order: self.storage_order,
            filters: (!filters.is_empty()).then_some(filters),
            compressor: match &self.compressor_v2 {
                None => Some(json_map(json!({"id": "zstd", "level": 0}))),
                Some(c) => c.clone(),
            },
            dimension_separator: Some(dimension_separator),
            attributes: self.v2_attributes()?,
        };
        // Validate: the fill value, the codec ids and their configurations.
        let v3 = m.to_v3().map_err(|source| ArrayError::Metadata {
            key: ".zarray".into(),
            source,
        })?;
        let spec = ChunkSpec {
            shape: v3.chunk_shape().to_vec(),
            data_type: v3.data_type,
            fill_value: v3.fill_value.clone(),
        };
        CodecChain::from_metadata(&v3.codecs, &spec).map_err(|source| ArrayError::Codecs {
            key: ".zarray".into(),
            source,
        })?;
        Ok(m)
    }

    /// Explicit chunk shape.
    pub fn chunks(mut self, chunks: Vec<u64>) -> Self {
        self.chunks = ChunkShape::Explicit(chunks);
        self
    }
    /// Store the array in shards of this shape (zarr-python's `shards=`):
    /// the chunk grid then uses the shard shape, [`ArrayBuilder::chunks`]
    /// gives the inner chunk shape (it must be explicit and divide the shard
    /// shape), and the filters, serializer and compressors encode each inner
    /// chunk inside one `sharding_indexed` codec, whose index uses the
    /// default `index_codecs` (`bytes` little-endian, `crc32c`).
    ///
    /// ```
    /// use std::sync::Arc;
    /// use zarr::array::ArrayBuilder;
    /// use zarr::dtype::DataType;
    /// use zarr::store::MemoryStore;
    /// let a = ArrayBuilder::new(vec![100, 100], DataType::UInt16)
    ///     .chunks(vec![10, 10])
    ///     .shards(vec![50, 50])
    ///     .create(Arc::new(MemoryStore::new()), "a")
    ///     .unwrap();
    /// assert_eq!(a.chunk_shape(), &[50, 50]);
    /// assert_eq!(a.inner_chunk_shape(), Some(vec![10, 10]));
    /// ```
    pub fn shards(mut self, shards: Vec<u64>) -> Self {
        self.shards = Some(shards);
        self
    }
    /// Where sharded arrays store each shard's index (zarr-python's
    /// `shards={"shape": ..., "index_location": ...}`; default end).
    pub fn shard_index_location(mut self, location: IndexLocation) -> Self {
        self.shard_index_location = location;
        self
    }
    /// Chunk shape choice (explicit or auto).
    pub fn chunk_shape(mut self, chunks: ChunkShape) -> Self {
        self.chunks = chunks;
        self
    }
    /// Array-to-array codecs (`filters`).
    pub fn filters(mut self, filters: Vec<CodecMetadata>) -> Self {
        self.filters = CodecChoice::Codecs(filters);
        self
    }
    /// The array-to-bytes codec (`serializer`).
    pub fn serializer(mut self, serializer: CodecMetadata) -> Self {
        self.serializer = CodecChoice::Codecs(vec![serializer]);
        self
    }
    /// Bytes-to-bytes codecs (`compressors`); an empty list stores raw bytes.
    pub fn compressors(mut self, compressors: Vec<CodecMetadata>) -> Self {
        self.compressors = CodecChoice::Codecs(compressors);
        self
    }
    /// The fill value as written in `zarr.json` (`0`, `"NaN"`, `[1.0, 0.0]`, `"abc"`...).
    pub fn fill_value_json(mut self, value: Value) -> Self {
        self.fill_value = Some(value);
        self
    }
    /// All user attributes (non-finite numbers through
    /// [`crate::metadata::json::float`]).
    pub fn attributes(mut self, attributes: Map<String, Value>) -> Self {
        self.attributes = attributes;
        self
    }
    /// One user attribute.
    pub fn attribute(mut self, key: &str, value: Value) -> Self {
        self.attributes.insert(key.to_string(), value);
        self
    }
    /// The chunk key encoding (default: `default` with `/`).
    pub fn chunk_key_encoding(mut self, encoding: ChunkKeyEncodingMetadata) -> Self {
        self.chunk_key_encoding = encoding;
        self
    }
    /// Names of the dimensions.
    pub fn dimension_names(mut self, names: Vec<Option<String>>) -> Self {
        self.dimension_names = Some(names);
        self
    }
    /// Replace any node already at the path. The replacement holds the
    /// store's node lock of the path ([`crate::store::Store::lock_node`];
    /// across processes for [`crate::store::LocalStore`]) from before the
    /// old node is deleted until the returned [`Array`] and its clones are
    /// dropped: concurrent replacements of one node run one after another,
    /// and the array that remains is the last one's, whole (a writer that
    /// waits longer than [`crate::store::lock_timeout`] fails instead).
    /// Without `overwrite`, creation is atomic: of two writers creating
    /// one array, one fails with [`ArrayError::AlreadyExists`].
    pub fn overwrite(mut self, overwrite: bool) -> Self {
        self.overwrite = overwrite;
        self
    }
    /// Memory order of buffers returned by reads (`config={"order": ...}`).
    pub fn order(mut self, order: Order) -> Self {
        self.config.order = order;
        self
    }
    /// Store chunks whose elements all equal the fill value (`config={"write_empty_chunks": ...}`).
    pub fn write_empty_chunks(mut self, write: bool) -> Self {
        self.config.write_empty_chunks = write;
        self
    }

    /// True when an existing node will be replaced.
    pub fn is_overwrite(&self) -> bool {
        self.overwrite
    }
    /// The runtime settings the created array gets.
    pub fn config(&self) -> &ArrayConfig {
        &self.config
    }
    /// Which memory reads of the created array allocate.
    pub fn prototype(mut self, prototype: crate::buffer::BufferPrototype) -> Self {
        self.config.prototype = prototype;
        self
    }

    /// The metadata this builder would write (codecs resolved as zarr-python resolves them).
    /// A struct data type loses its fields' V2 byte orders (V3 has none).
    pub fn build_metadata(&self) -> Result<ArrayMetadata> {
        let data_type = self
            .data_type
            .for_v3()
            .map_err(|e| ArrayError::InvalidArgument(e.to_string()))?;
        let this = ArrayBuilder {
            data_type,
            ..self.clone()
        };
        this.build_metadata_v3()
    }

    fn build_metadata_v3(&self) -> Result<ArrayMetadata> {
        let ndim = self.shape.len();
        let chunk_shape = match &self.chunks {
            ChunkShape::Auto if self.shards.is_some() => {
                return Err(ArrayError::InvalidArgument(
                    "a sharded array needs an explicit inner chunk shape (chunks)".into(),
                ))
            }
            ChunkShape::Auto => {
                guess_chunks(&self.shape, self.data_type.size().unwrap_or(1) as u64)
            }
            ChunkShape::Explicit(c) => c.clone(),
        };
        if chunk_shape.len() != ndim {
            return Err(ArrayError::InvalidArgument(format!(
                "chunks {chunk_shape:?} must have {ndim} dimensions like the shape {:?}",
                self.shape
            )));
        }
        if chunk_shape.contains(&0) {
            return Err(ArrayError::InvalidArgument(format!(
                "chunk sizes must be at least 1, got {chunk_shape:?}"
            )));
        }
        if let Some(names) = &self.dimension_names {
            if names.len() != ndim {
                return Err(ArrayError::InvalidArgument(format!(
                    "{} dimension names for {ndim} dimensions",
                    names.len()
                )));
            }
        }
        let fill_value = match &self.fill_value {
            None | Some(Value::Null) => FillValue::default_for(self.data_type),
            Some(v) => self.data_type.fill_value_from_json(v)?,
        };
        let mut codecs = match &self.filters {
            CodecChoice::Auto => Vec::new(),
            CodecChoice::Codecs(c) => c.clone(),
        };
        match &self.serializer {
            CodecChoice::Auto => codecs.push(match self.data_type {
                DataType::String => CodecMetadata::new("vlen-utf8", Some(Map::new())),
                DataType::Bytes => CodecMetadata::new("vlen-bytes", Some(Map::new())),
                _ => CodecMetadata::new("bytes", Some(json_map(json!({"endian": "little"})))),
            }),
            CodecChoice::Codecs(c) => codecs.extend(c.iter().cloned()),
        }
        match &self.compressors {
            CodecChoice::Auto => codecs.push(CodecMetadata::new(
                "zstd",
                Some(json_map(json!({"level": 0, "checksum": false}))),
            )),
            CodecChoice::Codecs(c) => codecs.extend(c.iter().cloned()),
        }
        let (chunk_shape, codecs) = match &self.shards {
            None => (chunk_shape, codecs),
            Some(shards) => {
                if shards.len() != ndim || shards.contains(&0) {
                    return Err(ArrayError::InvalidArgument(format!(
                        "shards {shards:?} must have {ndim} dimensions of at least 1"
                    )));
                }
                if let Some(d) = (0..ndim).find(|&d| shards[d] % chunk_shape[d] != 0) {
                    return Err(ArrayError::InvalidArgument(format!(
                        "the shard shape {shards:?} is not divisible by the chunk shape {chunk_shape:?} (dimension {d})"
                    )));
                }
                let shard_spec = ChunkSpec {
                    shape: shards.clone(),
                    data_type: self.data_type,
                    fill_value: fill_value.clone(),
                };
                let sharding = ShardingCodec::new(
                    chunk_shape,
                    &codecs,
                    &ShardingCodec::default_index_codecs(),
                    self.shard_index_location,
                    &shard_spec,
                )
                .map_err(|source| ArrayError::Codecs {
                    key: "codecs".into(),
                    source,
                })?;
                (shards.clone(), vec![sharding.to_metadata()])
            }
        };
        let spec = ChunkSpec {
            shape: chunk_shape.clone(),
            data_type: self.data_type,
            fill_value: fill_value.clone(),
        };
        let chain =
            CodecChain::from_metadata(&codecs, &spec).map_err(|source| ArrayError::Codecs {
                key: "codecs".into(),
                source,
            })?;
        Ok(ArrayMetadata {
            shape: self.shape.clone(),
            data_type: self.data_type,
            chunk_grid: ChunkGridMetadata::Regular { chunk_shape },
            chunk_key_encoding: self.chunk_key_encoding.clone(),
            fill_value,
            codecs: chain.to_metadata(),
            attributes: self.attributes.clone(),
            dimension_names: self.dimension_names.clone(),
            storage_transformers: Vec::new(),
            extra_fields: Map::new(),
        })
    }

    /// Create the array at `path` in `store`: writes its `zarr.json` (and the
    /// `zarr.json` of missing parent groups). Fails if a node exists there
    /// unless `overwrite` is set, in which case everything under the path is
    /// deleted first.
    pub fn create(&self, store: StoreRef, path: &str) -> Result<Array> {
        let core = futures::executor::block_on(super::meta::create(
            self,
            &crate::store::Inline(store.clone()),
            path,
        ))?;
        Ok(Array::from_core(store, core))
    }
}

impl ArrayBuilder {
    /// The zarr format, refusing anything but 2 and 3.
    pub(crate) fn check_format(&self) -> Result<u8> {
        match self.zarr_format {
            2 | 3 => Ok(self.zarr_format),
            f => Err(ArrayError::InvalidArgument(format!(
                "zarr_format must be 2 or 3, not {f}"
            ))),
        }
    }
}

fn json_map(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

/// zarr-python's chunk shape heuristic (adapted from h5py): start from one
/// chunk spanning the array and halve axes in turn until the chunk is near
/// a target size that grows with the array (128 KiB to 64 MiB).
///
/// ```
/// use zarr::array::guess_chunks;
/// assert_eq!(guess_chunks(&[256, 256, 256], 2), vec![64, 64, 128]);
/// assert_eq!(guess_chunks(&[1000, 1000], 8), vec![250, 250]);
/// assert_eq!(guess_chunks(&[0, 5], 1), vec![1, 5]);
/// ```
pub fn guess_chunks(shape: &[u64], typesize: u64) -> Vec<u64> {
    const INCREMENT: f64 = 256.0 * 1024.0;
    const MIN: f64 = 128.0 * 1024.0;
    const MAX: f64 = 64.0 * 1024.0 * 1024.0;
    let mut chunks: Vec<f64> = shape.iter().map(|&s| s.max(1) as f64).collect();
    if typesize == 0 || chunks.is_empty() {
        return chunks.iter().map(|&c| c as u64).collect();
    }
    let ndims = chunks.len();
    let prod = |c: &[f64]| c.iter().product::<f64>();
    let dset_size = prod(&chunks) * typesize as f64;
    let target = (INCREMENT * 2f64.powf((dset_size / (1024.0 * 1024.0)).log10())).clamp(MIN, MAX);
    let mut idx = 0;
    loop {
        let chunk_bytes = prod(&chunks) * typesize as f64;
        if (chunk_bytes < target || (chunk_bytes - target).abs() / target < 0.5)
            && chunk_bytes < MAX
        {
            break;
        }
        if prod(&chunks) == 1.0 {
            break;
        }
        chunks[idx % ndims] = (chunks[idx % ndims] / 2.0).ceil();
        idx += 1;
    }
    chunks.iter().map(|&c| c as u64).collect()
}
