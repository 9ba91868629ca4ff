//! The re-encoding side of copying: the builder of a copied array (what
//! "keep" keeps), and whether a copy changes anything.

use super::nodes::key;
use super::{CopyOptions, Shards};
use crate::array::{Array, ArrayBuilder, ArrayError, Result};
use crate::codec::{ChunkSpec, CodecChain, IndexLocation};
use crate::metadata::{ChunkKeyEncodingMetadata, CodecMetadata};
use serde_json::{Map, Value};

/// The inner codecs of an array (inside its sharding codec when sharded)
/// split into filters, serializer and compressors.
pub(super) fn split_codecs(
    a: &Array,
) -> Result<(Vec<CodecMetadata>, CodecMetadata, Vec<CodecMetadata>)> {
    let meta = a.metadata();
    let bad = |source| ArrayError::Codecs {
        key: key(a.path(), "zarr.json"),
        source,
    };
    let (codecs, shape) = match meta.codecs.iter().find(|c| c.name == "sharding_indexed") {
        Some(sh) => {
            let inner: Vec<CodecMetadata> = sh
                .get("codecs")
                .and_then(|v| serde_json::from_value(v.clone()).ok())
                .unwrap_or_default();
            (inner, a.inner_chunk_shape().unwrap_or_default())
        }
        None => (meta.codecs.clone(), a.chunk_shape().to_vec()),
    };
    let spec = ChunkSpec {
        shape,
        data_type: a.data_type(),
        fill_value: meta.fill_value.clone(),
    };
    let chain = CodecChain::from_metadata(&codecs, &spec).map_err(bad)?;
    let all = chain.to_metadata();
    let n = chain.array_to_array().len();
    let serializer = all.get(n).cloned().ok_or_else(|| {
        ArrayError::InvalidArgument(format!("{:?}: codec chain without serializer", a.path()))
    })?;
    Ok((all[..n].to_vec(), serializer, all[n + 1..].to_vec()))
}

/// True for codecs zarr-python cannot read in V3 (see [`crate::array::convert_v2_to_v3`]).
pub(super) fn portable(c: &CodecMetadata) -> bool {
    match c.name.as_str() {
        "numcodecs.categorize" => false,
        "numcodecs.quantize" => c.get("astype").is_none() || c.get("astype") == c.get("dtype"),
        _ => true,
    }
}

/// The builder of the copy of `a` under `options`.
pub(crate) fn target_builder(a: &Array, options: &CopyOptions) -> Result<ArrayBuilder> {
    let src_format = a.zarr_format();
    let format = options.zarr_format.unwrap_or(src_format);
    let inner = a.inner_chunk_shape();
    let chunks = options
        .chunks
        .clone()
        .or_else(|| inner.clone())
        .unwrap_or_else(|| a.chunk_shape().to_vec());
    let shards = match &options.shards {
        Shards::Keep if format == 2 => None,
        Shards::Keep => inner.is_some().then(|| a.chunk_shape().to_vec()),
        Shards::None => None,
        Shards::Shape(s) => Some(s.clone()),
    };
    let attributes = if options.without_attrs {
        Map::new()
    } else {
        options
            .attributes
            .clone()
            .unwrap_or_else(|| a.attributes().clone())
    };
    let mut b = ArrayBuilder::new(a.shape().to_vec(), a.data_type())
        .chunks(chunks)
        .attributes(attributes)
        .zarr_format(format);
    if let Some(s) = shards {
        b = b.shards(s);
    }
    let v2 = a.metadata_v2();
    // Dimension names go with the array: a V3 field, in V2 xarray's
    // `_ARRAY_DIMENSIONS` attribute (when every dimension has a name).
    let names = options
        .dimension_names
        .clone()
        .or_else(|| a.metadata().dimension_names.clone())
        .filter(|n| {
            format == 3 || options.dimension_names.is_some() || n.iter().all(Option::is_some)
        });
    if let Some(names) = names {
        b = b.dimension_names(names);
    }
    if format == 2 {
        if options.compressors.is_some() && options.compressor_v2.is_none() {
            return Err(ArrayError::InvalidArgument(format!(
                "{:?}: compressors are V3 codecs; a Zarr V2 copy takes compressor_v2",
                a.path()
            )));
        }
        if let Some(v2) = v2 {
            b = b
                .compressor_v2(v2.compressor.clone())
                .filters_v2(v2.filters.clone().unwrap_or_default())
                .storage_order(v2.order)
                .fill_value_json(v2.fill_value.clone());
            if let Some(e) = v2.endian {
                b = b.endian_v2(e);
            }
        } else {
            let m = a.metadata();
            b = b.fill_value_json(m.data_type.fill_value_to_json(&m.fill_value));
        }
        if let Some(c) = &options.compressor_v2 {
            b = b.compressor_v2(c.clone());
        }
        if let Some(f) = &options.fill_value {
            b = b.fill_value_json(f.clone());
        }
        let sep = match &a.metadata().chunk_key_encoding {
            ChunkKeyEncodingMetadata::V2 { separator } => *separator,
            _ => '.',
        };
        return Ok(b.chunk_key_encoding(ChunkKeyEncodingMetadata::V2 { separator: sep }));
    }
    let m = a.metadata();
    let (mut filters, serializer, compressors) = split_codecs(a)?;
    if src_format == 2 {
        filters.retain(portable);
    } else {
        b = b.chunk_key_encoding(m.chunk_key_encoding.clone());
    }
    if let Some(sh) = m.codecs.iter().find(|c| c.name == "sharding_indexed") {
        if let Some(loc) = sh
            .get("index_location")
            .and_then(Value::as_str)
            .and_then(IndexLocation::from_name)
        {
            b = b.shard_index_location(loc);
        }
    }
    let filters = options.filters.clone().unwrap_or(filters);
    let serializer = options.serializer.clone().unwrap_or(serializer);
    let compressors = options.compressors.clone().unwrap_or(compressors);
    let fill = options
        .fill_value
        .clone()
        .unwrap_or_else(|| m.data_type.fill_value_to_json(&m.fill_value));
    Ok(b.filters(filters)
        .serializer(serializer)
        .compressors(compressors)
        .fill_value_json(fill))
}

/// True when the copy's metadata equals the source's (its bytes can be copied).
pub(super) fn is_unchanged(a: &Array, b: &ArrayBuilder, options: &CopyOptions) -> Result<bool> {
    if options.zarr_format.unwrap_or(a.zarr_format()) != a.zarr_format() {
        return Ok(false);
    }
    Ok(match a.metadata_v2() {
        Some(v2) => b.build_metadata_v2()? == *v2,
        None => b.build_metadata()? == *a.metadata(),
    })
}

/// True when the copy differs from the source only in attributes and
/// dimension names: its chunks can be copied byte for byte, under new
/// metadata documents.
pub(super) fn same_encoding(a: &Array, b: &ArrayBuilder, options: &CopyOptions) -> Result<bool> {
    if options.zarr_format.unwrap_or(a.zarr_format()) != a.zarr_format() {
        return Ok(false);
    }
    Ok(match a.metadata_v2() {
        Some(v2) => {
            let mut target = b.build_metadata_v2()?;
            target.attributes.clone_from(&v2.attributes);
            target == *v2
        }
        None => {
            let mut target = b.build_metadata()?;
            let m = a.metadata();
            target.attributes.clone_from(&m.attributes);
            target.dimension_names.clone_from(&m.dimension_names);
            target == *m
        }
    })
}
