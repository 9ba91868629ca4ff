//! The codec registry: codecs are found by the name in their metadata, so
//! new codecs plug in with [`register_codec`].

use super::{ChunkSpec, Codec, CodecError};
use crate::metadata::CodecMetadata;
use std::collections::HashMap;
use std::sync::{OnceLock, RwLock};

/// Builds a codec from its metadata entry. `array_spec` is the spec of the
/// array the codec's chain belongs to (blosc infers `typesize` and `shuffle`
/// from its data type, bytes drops `endian` for one-byte types).
pub type CodecFactory = fn(&CodecMetadata, &ChunkSpec) -> Result<Codec, CodecError>;

fn registry() -> &'static RwLock<HashMap<String, CodecFactory>> {
    static REGISTRY: OnceLock<RwLock<HashMap<String, CodecFactory>>> = OnceLock::new();
    REGISTRY.get_or_init(|| {
        let mut m: HashMap<String, CodecFactory> = HashMap::new();
        m.insert("bytes".into(), super::bytes::create);
        m.insert("endian".into(), super::bytes::create);
        m.insert("transpose".into(), super::transpose::create);
        m.insert("scale_offset".into(), super::scale_offset::create);
        m.insert("cast_value".into(), super::cast_value::create);
        m.insert("gzip".into(), super::gzip::create);
        m.insert("zstd".into(), super::zstd::create);
        m.insert("blosc".into(), super::blosc::create);
        m.insert("crc32c".into(), super::crc32c::create);
        m.insert("numcodecs.fletcher32".into(), super::fletcher32::create);
        m.insert("numcodecs.categorize".into(), super::categorize::create);
        m.insert("vlen-utf8".into(), super::vlen::create_utf8);
        m.insert("vlen-bytes".into(), super::vlen::create_bytes);
        m.insert("sharding_indexed".into(), super::sharding::create);
        m.insert("numcodecs.bitround".into(), super::bitround::create);
        m.insert("numcodecs.jenkins_lookup3".into(), super::jenkins::create);
        for (name, f) in super::numcodecs_alias::FACTORIES {
            m.insert(name.into(), f);
        }
        for (name, f) in super::numcodecs::FACTORIES {
            m.insert(name.into(), f);
        }
        RwLock::new(m)
    })
}

/// Register (or replace) the factory for a codec name.
pub fn register_codec(name: &str, factory: CodecFactory) {
    if let Ok(mut m) = registry().write() {
        m.insert(name.to_string(), factory);
    }
}

/// Build a codec from its metadata entry.
pub fn create_codec(metadata: &CodecMetadata, array_spec: &ChunkSpec) -> Result<Codec, CodecError> {
    let factory = registry()
        .read()
        .ok()
        .and_then(|m| m.get(&metadata.name).copied())
        .ok_or_else(|| CodecError::UnknownCodec {
            name: metadata.name.clone(),
        })?;
    factory(metadata, array_spec)
}
