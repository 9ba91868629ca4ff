//! The `numcodecs.jenkins_lookup3` codec (bytes-to-bytes; V2 id
//! `jenkins_lookup3`): Bob Jenkins' lookup3 `hashlittle` of the data (the
//! HDF5 variant, byte-wise), stored as 4 little-endian bytes after the data.
//! `initval` seeds the hash; `prefix` (bytes, hashed before the data but not
//! stored) is part of numcodecs' API but cannot be written in JSON metadata,
//! so only a null prefix is accepted.

use super::config::Config;
use super::trailing_checksum;
use super::{BytesToBytesCodec, ChunkSpec, Codec, CodecError, CodecTraits};
use crate::metadata::CodecMetadata;
use serde_json::{Map, Value};
use std::sync::Arc;

const NAME: &str = "numcodecs.jenkins_lookup3";

/// numcodecs' `JenkinsLookup3` checksum codec.
///
/// ```
/// use zarr::codec::{BytesToBytesCodec, JenkinsLookup3Codec};
/// let c = JenkinsLookup3Codec::new(0);
/// let e = c.encode(b"a").unwrap();
/// // numcodecs: jenkins_lookup3(b"a", 0) == 1490454280
/// assert_eq!(&e[1..], &1490454280u32.to_le_bytes());
/// assert_eq!(c.decode(&e, 1).unwrap(), b"a");
/// assert!(c.decode(b"b\x08\x3c\xd6\x58", 1).is_err());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct JenkinsLookup3Codec {
    initval: u32,
}

impl JenkinsLookup3Codec {
    /// The codec with hash seed `initval`.
    pub fn new(initval: u32) -> Self {
        JenkinsLookup3Codec { initval }
    }
}

/// lookup3's `hashlittle` over `data`, reading it byte by byte (so the same
/// on every platform), as HDF5's `H5_checksum_lookup3` and numcodecs do.
pub(crate) fn lookup3(data: &[u8], initval: u32) -> u32 {
    let init = 0xdead_beef_u32
        .wrapping_add(data.len() as u32)
        .wrapping_add(initval);
    let (mut a, mut b, mut c) = (init, init, init);
    if data.is_empty() {
        return c;
    }
    let word = |k: &[u8]| {
        k.iter()
            .enumerate()
            .fold(0u32, |w, (i, &x)| w.wrapping_add(u32::from(x) << (8 * i)))
    };
    // All blocks but the last (which may be a full 12 bytes) are mixed.
    let mut rest = data;
    while rest.len() > 12 {
        a = a.wrapping_add(word(&rest[0..4]));
        b = b.wrapping_add(word(&rest[4..8]));
        c = c.wrapping_add(word(&rest[8..12]));
        mix(&mut a, &mut b, &mut c);
        rest = &rest[12..];
    }
    a = a.wrapping_add(word(&rest[..rest.len().min(4)]));
    if rest.len() > 4 {
        b = b.wrapping_add(word(&rest[4..rest.len().min(8)]));
    }
    if rest.len() > 8 {
        c = c.wrapping_add(word(&rest[8..]));
    }
    final_mix(&mut a, &mut b, &mut c);
    c
}

fn mix(a: &mut u32, b: &mut u32, c: &mut u32) {
    for (x, y, z, r) in [
        (0, 2, 1, 4),
        (1, 0, 2, 6),
        (2, 1, 0, 8),
        (0, 2, 1, 16),
        (1, 0, 2, 19),
        (2, 1, 0, 4),
    ] {
        // x -= y; x ^= rot(y, r); y += z   over (a, b, c) by index.
        let mut v = [*a, *b, *c];
        v[x] = v[x].wrapping_sub(v[y]);
        v[x] ^= v[y].rotate_left(r);
        v[y] = v[y].wrapping_add(v[z]);
        [*a, *b, *c] = v;
    }
}

fn final_mix(a: &mut u32, b: &mut u32, c: &mut u32) {
    for (x, y, r) in [
        (2, 1, 14),
        (0, 2, 11),
        (1, 0, 25),
        (2, 1, 16),
        (0, 2, 4),
        (1, 0, 14),
        (2, 1, 24),
    ] {
        // x ^= y; x -= rot(y, r)
        let mut v = [*a, *b, *c];
        v[x] ^= v[y];
        v[x] = v[x].wrapping_sub(v[y].rotate_left(r));
        [*a, *b, *c] = v;
    }
}

impl CodecTraits for JenkinsLookup3Codec {
    fn name(&self) -> &str {
        NAME
    }
    fn to_metadata(&self) -> CodecMetadata {
        let mut m = Map::new();
        if self.initval != 0 {
            m.insert("initval".into(), Value::from(self.initval));
        }
        CodecMetadata::new(NAME, Some(m))
    }
}

impl BytesToBytesCodec for JenkinsLookup3Codec {
    fn encode(&self, decoded: &[u8]) -> Result<Vec<u8>, CodecError> {
        Ok(trailing_checksum::append(
            decoded,
            lookup3(decoded, self.initval),
        ))
    }
    fn decode(&self, encoded: &[u8], max_decoded: usize) -> Result<Vec<u8>, CodecError> {
        trailing_checksum::verify(NAME, encoded, max_decoded, |d| lookup3(d, self.initval))
    }
    fn encoded_size(&self, decoded_len: u64) -> Option<u64> {
        Some(decoded_len + 4)
    }
}

/// Build a `numcodecs.jenkins_lookup3` codec from `{"initval": n, "prefix": null}`.
pub(crate) fn create(metadata: &CodecMetadata, _spec: &ChunkSpec) -> Result<Codec, CodecError> {
    let cfg = Config::new(metadata, NAME, &["id", "initval", "prefix"], false)?;
    let initval = cfg.int_in("initval", 0..=i64::from(u32::MAX))?.unwrap_or(0) as u32;
    if cfg.get("prefix").is_some() {
        return Err(cfg.error(
            "prefix",
            "is not supported (numcodecs cannot store a prefix in JSON metadata either)",
        ));
    }
    Ok(Codec::BytesToBytes(Arc::new(JenkinsLookup3Codec {
        initval,
    })))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn matches_numcodecs() {
        // numcodecs 0.17.1: numcodecs.jenkins.jenkins_lookup3(np.frombuffer(d, "u1"), seed)
        let ramp: Vec<u8> = (0..=255u8).collect();
        for (d, seed, want) in [
            (&b""[..], 0, 3735928559u32),
            (b"", 7, 3735928566),
            (b"a", 0, 1490454280),
            (b"a", 7, 3410928457),
            (b"Four score and seven years ago", 0, 393676113),
            (b"Four score and seven years ago", 7, 1729236862),
            (&ramp, 0, 3792570419),
            (&ramp, 7, 739257802),
        ] {
            assert_eq!(lookup3(d, seed), want, "{} bytes, seed {seed}", d.len());
        }
        // Every tail length 0..=12 past a first block, vs the block boundary.
        for n in 0..40usize {
            let d: Vec<u8> = (0..n as u8).collect();
            let c = JenkinsLookup3Codec::new(3);
            assert_eq!(c.decode(&c.encode(&d).unwrap(), n).unwrap(), d);
        }
    }

    #[test]
    fn configuration() {
        let spec = ChunkSpec {
            shape: vec![1],
            data_type: crate::dtype::DataType::UInt8,
            fill_value: crate::dtype::FillValue::default_for(crate::dtype::DataType::UInt8),
        };
        let meta = |s: &str| -> CodecMetadata { serde_json::from_str(s).unwrap() };
        let c = create(
            &meta(r#"{"name":"numcodecs.jenkins_lookup3","configuration":{}}"#),
            &spec,
        )
        .unwrap();
        assert_eq!(
            serde_json::to_string(&c.to_metadata()).unwrap(),
            r#"{"name":"numcodecs.jenkins_lookup3","configuration":{}}"#
        );
        let v2 = meta(
            r#"{"name":"numcodecs.jenkins_lookup3","configuration":{"id":"jenkins_lookup3","initval":5,"prefix":null}}"#,
        );
        assert!(create(&v2, &spec).is_ok());
        for bad in [
            r#"{"name":"numcodecs.jenkins_lookup3","configuration":{"initval":-1}}"#,
            r#"{"name":"numcodecs.jenkins_lookup3","configuration":{"prefix":"ab"}}"#,
            r#"{"name":"numcodecs.jenkins_lookup3","configuration":{"x":1}}"#,
        ] {
            assert!(create(&meta(bad), &spec).is_err(), "{bad}");
        }
    }
}
