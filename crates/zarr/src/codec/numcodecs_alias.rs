//! `numcodecs.gzip`, `numcodecs.zstd` and `numcodecs.blosc`: the V3 names
//! zarr-python 3 gives numcodecs' own GZip, Zstd and Blosc codecs
//! (`zarr.codecs.numcodecs.GZip()`...). Their bytes are those of the core
//! `gzip`, `zstd` and `blosc` codecs, so each runs one of those, configured
//! from numcodecs' settings and defaults, and writes back the entry it was
//! read from.
//!
//! Blosc here sees bytes, not elements (zarr-python hands numcodecs the
//! serialized chunk as a `uint8` array), so its type size is 1, and
//! numcodecs' integer `shuffle` (-1 auto, 0 none, 1 byte, 2 bit) maps as for
//! a one-byte type.

use super::config::Config;
use super::{BytesToBytesCodec, ChunkSpec, Codec, CodecError, CodecTraits};
use crate::metadata::CodecMetadata;
use serde_json::{json, Map, Value};
use std::sync::Arc;

/// A core codec under its numcodecs name and configuration.
#[derive(Debug)]
struct Alias {
    metadata: CodecMetadata,
    inner: Arc<dyn BytesToBytesCodec>,
}

impl CodecTraits for Alias {
    fn name(&self) -> &str {
        &self.metadata.name
    }
    fn to_metadata(&self) -> CodecMetadata {
        self.metadata.clone()
    }
}

impl BytesToBytesCodec for Alias {
    fn encode(&self, decoded: &[u8]) -> Result<Vec<u8>, CodecError> {
        self.inner.encode(decoded)
    }
    fn decode(&self, encoded: &[u8], max_decoded: usize) -> Result<Vec<u8>, CodecError> {
        self.inner.decode(encoded, max_decoded)
    }
    fn decode_into(&self, encoded: &[u8], out: &mut [u8]) -> Result<bool, CodecError> {
        self.inner.decode_into(encoded, out)
    }
    fn encoded_size(&self, decoded_len: u64) -> Option<u64> {
        self.inner.encoded_size(decoded_len)
    }
}

/// Build the core codec `core` from `config` and wrap it under `metadata`.
fn alias(
    metadata: &CodecMetadata,
    core: fn(&CodecMetadata, &ChunkSpec) -> Result<Codec, CodecError>,
    core_name: &str,
    config: Map<String, Value>,
    spec: &ChunkSpec,
) -> Result<Codec, CodecError> {
    let built = core(&CodecMetadata::new(core_name, Some(config)), spec).map_err(|e| match e {
        CodecError::InvalidConfiguration { message, .. } => CodecError::InvalidConfiguration {
            codec: metadata.name.clone(),
            message,
        },
        other => other,
    })?;
    match built {
        Codec::BytesToBytes(inner) => Ok(Codec::BytesToBytes(Arc::new(Alias {
            metadata: metadata.clone(),
            inner,
        }))),
        _ => Err(super::config::invalid(
            &metadata.name,
            "not a bytes-to-bytes codec",
        )),
    }
}

const GZIP: &str = "numcodecs.gzip";
const ZSTD: &str = "numcodecs.zstd";
const BLOSC: &str = "numcodecs.blosc";

/// `numcodecs.gzip`: `{"level": 0..=9}` (numcodecs' default 1).
pub(crate) fn create_gzip(metadata: &CodecMetadata, spec: &ChunkSpec) -> Result<Codec, CodecError> {
    let cfg = Config::new(metadata, GZIP, &["id", "level"], false)?;
    let level = cfg.int_in("level", 0..=9)?.unwrap_or(1);
    let mut c = Map::new();
    c.insert("level".into(), json!(level));
    alias(metadata, super::gzip::create, "gzip", c, spec)
}

/// `numcodecs.zstd`: `{"level": n, "checksum": bool}` (numcodecs' defaults 0, false).
pub(crate) fn create_zstd(metadata: &CodecMetadata, spec: &ChunkSpec) -> Result<Codec, CodecError> {
    let cfg = Config::new(metadata, ZSTD, &["id", "level", "checksum"], false)?;
    let mut c = Map::new();
    c.insert("level".into(), json!(cfg.int("level")?.unwrap_or(0)));
    c.insert(
        "checksum".into(),
        json!(cfg.bool("checksum")?.unwrap_or(false)),
    );
    alias(metadata, super::zstd::create, "zstd", c, spec)
}

/// `numcodecs.blosc`: `{"cname", "clevel", "shuffle": -1..=2, "blocksize"}`
/// (numcodecs' defaults lz4, 5, 1, 0).
pub(crate) fn create_blosc(
    metadata: &CodecMetadata,
    spec: &ChunkSpec,
) -> Result<Codec, CodecError> {
    let cfg = Config::new(
        metadata,
        BLOSC,
        &["id", "cname", "clevel", "shuffle", "blocksize", "typesize"],
        false,
    )?;
    let shuffle = match cfg.int_in("shuffle", -1..=2)?.unwrap_or(1) {
        0 => "noshuffle",
        1 => "shuffle",
        _ => "bitshuffle", // 2, and -1 (auto) for one-byte items
    };
    let mut c = Map::new();
    c.insert("typesize".into(), json!(1));
    c.insert(
        "cname".into(),
        cfg.get("cname").cloned().unwrap_or(json!("lz4")),
    );
    c.insert("clevel".into(), json!(cfg.int("clevel")?.unwrap_or(5)));
    c.insert("shuffle".into(), json!(shuffle));
    c.insert(
        "blocksize".into(),
        json!(cfg.int("blocksize")?.unwrap_or(0)),
    );
    alias(metadata, super::blosc::create, "blosc", c, spec)
}

/// The factories of this module, by name.
pub(crate) const FACTORIES: [(&str, super::CodecFactory); 3] = [
    (GZIP, create_gzip),
    (ZSTD, create_zstd),
    (BLOSC, create_blosc),
];

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::dtype::{DataType, FillValue};

    #[test]
    fn round_trip_and_metadata() {
        let spec = ChunkSpec {
            shape: vec![100],
            data_type: DataType::Int32,
            fill_value: FillValue::default_for(DataType::Int32),
        };
        let data: Vec<u8> = (0..400u32).map(|i| (i % 7) as u8).collect();
        for json in [
            r#"{"name":"numcodecs.gzip","configuration":{}}"#,
            r#"{"name":"numcodecs.gzip","configuration":{"level":5}}"#,
            r#"{"name":"numcodecs.zstd","configuration":{"level":1}}"#,
            r#"{"name":"numcodecs.zstd","configuration":{"level":3,"checksum":true}}"#,
            r#"{"name":"numcodecs.blosc","configuration":{}}"#,
            r#"{"name":"numcodecs.blosc","configuration":{"cname":"zstd","clevel":3,"shuffle":2,"blocksize":0}}"#,
            r#"{"name":"numcodecs.blosc","configuration":{"shuffle":-1}}"#,
        ] {
            let m: CodecMetadata = serde_json::from_str(json).unwrap();
            let Codec::BytesToBytes(c) = crate::codec::create_codec(&m, &spec).unwrap() else {
                panic!("bytes-to-bytes")
            };
            assert_eq!(c.to_metadata(), m, "{json}");
            let e = c.encode(&data).unwrap();
            assert_eq!(c.decode(&e, data.len()).unwrap(), data, "{json}");
        }
        for bad in [
            r#"{"name":"numcodecs.gzip","configuration":{"level":10}}"#,
            r#"{"name":"numcodecs.zstd","configuration":{"speed":1}}"#,
            r#"{"name":"numcodecs.blosc","configuration":{"shuffle":3}}"#,
            r#"{"name":"numcodecs.blosc","configuration":{"cname":"nope"}}"#,
        ] {
            let m: CodecMetadata = serde_json::from_str(bad).unwrap();
            let e = crate::codec::create_codec(&m, &spec).unwrap_err();
            assert!(e.to_string().contains("numcodecs."), "{bad}: {e}");
        }
    }
}
