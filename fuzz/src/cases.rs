//! The fixed chunk specs and codec chains the `codec` and `shard` targets
//! decode with (the fuzz input picks one by index), and sample chunks for the
//! seed corpus (`examples/gen_corpus`). Uses only the `zarr` crate, so the
//! corpus generator can include this file as it is.

use zarr::codec::{ArrayBytes, ChunkSpec, CodecChain, CodecError, VarBytes};
use zarr::dtype::{DataType, FillValue};
use zarr::metadata::CodecMetadata;

/// The bound on one decoded variable-length chunk the targets set
/// (`CodecChain::with_max_variable_chunk_bytes`; the library's default is 2 GiB).
pub const MAX_VARIABLE_CHUNK_BYTES: usize = 1 << 20;

/// One codec chain for one chunk spec.
pub struct Case {
    /// The chunk shape.
    pub shape: &'static [u64],
    /// The element type.
    pub data_type: DataType,
    /// The codecs, as the `codecs` list of `zarr.json`.
    pub codecs: &'static str,
    /// True when encoding a decoded chunk and decoding it again must give
    /// the same chunk back (false for lossy filters).
    pub lossless: bool,
}

const S: &[u64] = &[4, 3];

macro_rules! case {
    ($dt:expr, $codecs:expr) => {
        Case {
            shape: S,
            data_type: $dt,
            codecs: $codecs,
            lossless: true,
        }
    };
    ($dt:expr, $codecs:expr, lossy) => {
        Case {
            shape: S,
            data_type: $dt,
            codecs: $codecs,
            lossless: false,
        }
    };
    ($shape:expr, $dt:expr, $codecs:expr) => {
        Case {
            shape: $shape,
            data_type: $dt,
            codecs: $codecs,
            lossless: true,
        }
    };
}

/// Every codec the registry knows, each in a chain for a 4x3 chunk (the
/// `codec` target), in a fixed order: new cases go at the end so that the
/// committed corpus keeps its meaning.
pub fn codec_cases() -> Vec<Case> {
    use DataType::*;
    vec![
        case!(
            Int16,
            r#"[{"name":"bytes","configuration":{"endian":"little"}}]"#
        ),
        case!(
            Float64,
            r#"[{"name":"bytes","configuration":{"endian":"big"}}]"#
        ),
        case!(
            UInt32,
            r#"[{"name":"transpose","configuration":{"order":[1,0]}},{"name":"bytes","configuration":{"endian":"little"}}]"#
        ),
        case!(
            Int16,
            r#"[{"name":"bytes","configuration":{"endian":"little"}},{"name":"gzip","configuration":{"level":1}}]"#
        ),
        case!(
            Float32,
            r#"[{"name":"bytes","configuration":{"endian":"little"}},{"name":"zstd","configuration":{"level":1,"checksum":true}}]"#
        ),
        case!(
            Float32,
            r#"[{"name":"bytes","configuration":{"endian":"little"}},{"name":"blosc","configuration":{"cname":"lz4","clevel":5,"shuffle":"shuffle","typesize":4,"blocksize":0}}]"#
        ),
        case!(
            Int16,
            r#"[{"name":"bytes","configuration":{"endian":"little"}},{"name":"blosc","configuration":{"cname":"zstd","clevel":3,"shuffle":"bitshuffle","typesize":2,"blocksize":0}}]"#
        ),
        case!(
            UInt8,
            r#"[{"name":"bytes"},{"name":"blosc","configuration":{"cname":"blosclz","clevel":9,"shuffle":"noshuffle","typesize":1,"blocksize":0}}]"#
        ),
        case!(UInt8, r#"[{"name":"bytes"},{"name":"crc32c"}]"#),
        case!(
            UInt8,
            r#"[{"name":"bytes"},{"name":"numcodecs.zlib","configuration":{"level":1}}]"#
        ),
        case!(
            Int32,
            r#"[{"name":"bytes","configuration":{"endian":"little"}},{"name":"numcodecs.lz4","configuration":{"acceleration":1}}]"#
        ),
        case!(
            UInt8,
            r#"[{"name":"bytes"},{"name":"numcodecs.bz2","configuration":{"level":1}}]"#
        ),
        case!(
            UInt8,
            r#"[{"name":"bytes"},{"name":"numcodecs.lzma","configuration":{"format":1,"check":-1,"preset":null,"filters":null}}]"#
        ),
        case!(
            Float32,
            r#"[{"name":"bytes","configuration":{"endian":"little"}},{"name":"numcodecs.shuffle","configuration":{"elementsize":4}}]"#
        ),
        case!(
            Int32,
            r#"[{"name":"numcodecs.delta","configuration":{"dtype":"<i4"}},{"name":"bytes","configuration":{"endian":"little"}}]"#
        ),
        case!(
            Float64,
            r#"[{"name":"numcodecs.fixedscaleoffset","configuration":{"scale":10,"offset":1,"dtype":"<f8","astype":"<i2"}},{"name":"bytes","configuration":{"endian":"little"}}]"#,
            lossy
        ),
        case!(
            Float64,
            r#"[{"name":"numcodecs.astype","configuration":{"encode_dtype":"<f4","decode_dtype":"<f8"}},{"name":"bytes","configuration":{"endian":"little"}}]"#,
            lossy
        ),
        case!(
            Float64,
            r#"[{"name":"numcodecs.quantize","configuration":{"digits":3,"dtype":"<f8"}},{"name":"bytes","configuration":{"endian":"little"}}]"#,
            lossy
        ),
        case!(
            Float32,
            r#"[{"name":"numcodecs.bitround","configuration":{"keepbits":3}},{"name":"bytes","configuration":{"endian":"little"}}]"#,
            lossy
        ),
        case!(
            Bool,
            r#"[{"name":"numcodecs.packbits","configuration":{}},{"name":"bytes"}]"#
        ),
        case!(
            Int16,
            r#"[{"name":"bytes","configuration":{"endian":"little"}},{"name":"numcodecs.fletcher32","configuration":{}}]"#
        ),
        case!(
            UInt8,
            r#"[{"name":"bytes"},{"name":"numcodecs.jenkins_lookup3","configuration":{"initval":0,"prefix":null}}]"#
        ),
        case!(
            UInt8,
            r#"[{"name":"bytes"},{"name":"numcodecs.crc32","configuration":{}}]"#
        ),
        case!(
            UInt8,
            r#"[{"name":"bytes"},{"name":"numcodecs.adler32","configuration":{}}]"#
        ),
        case!(
            Float64,
            r#"[{"name":"scale_offset","configuration":{"offset":0.1,"scale":10}},{"name":"bytes","configuration":{"endian":"little"}}]"#,
            lossy
        ),
        case!(
            Float64,
            r#"[{"name":"cast_value","configuration":{"data_type":"uint8","rounding":"nearest-even","out_of_range":"clamp","scalar_map":{"encode":[["NaN",255]],"decode":[[255,"NaN"]]}}},{"name":"bytes"}]"#,
            lossy
        ),
        case!(
            FixedUtf32(2),
            r#"[{"name":"numcodecs.categorize","configuration":{"labels":["ab","c"],"dtype":"<U2","astype":"<u2"}},{"name":"bytes","configuration":{"endian":"little"}}]"#,
            lossy
        ),
        case!(String, r#"[{"name":"vlen-utf8","configuration":{}}]"#),
        case!(Bytes, r#"[{"name":"vlen-bytes","configuration":{}}]"#),
        case!(
            String,
            r#"[{"name":"vlen-utf8","configuration":{}},{"name":"zstd","configuration":{"level":0,"checksum":false}}]"#
        ),
        case!(
            Bytes,
            r#"[{"name":"vlen-bytes","configuration":{}},{"name":"gzip","configuration":{"level":5}}]"#
        ),
        case!(
            UInt8,
            r#"[{"name":"bytes"},{"name":"numcodecs.zstd","configuration":{"level":1}}]"#
        ),
        case!(
            UInt8,
            r#"[{"name":"bytes"},{"name":"numcodecs.gzip","configuration":{"level":5}}]"#
        ),
        case!(
            UInt16,
            r#"[{"name":"bytes","configuration":{"endian":"little"}},{"name":"numcodecs.blosc","configuration":{"cname":"zstd","clevel":3,"shuffle":2,"blocksize":0}}]"#
        ),
        case!(
            Int16,
            r#"[{"name":"sharding_indexed","configuration":{"chunk_shape":[2,3],"codecs":[{"name":"bytes","configuration":{"endian":"little"}}],"index_codecs":[{"name":"bytes","configuration":{"endian":"little"}},{"name":"crc32c"}],"index_location":"end"}}]"#
        ),
        case!(
            Int16,
            r#"[{"name":"bytes","configuration":{"endian":"little"}},{"name":"gzip","configuration":{"level":1}},{"name":"crc32c"}]"#
        ),
        case!(
            Complex64,
            r#"[{"name":"bytes","configuration":{"endian":"big"}},{"name":"zstd","configuration":{"level":3,"checksum":false}}]"#
        ),
        case!(
            Float16,
            r#"[{"name":"numcodecs.bitround","configuration":{"keepbits":10}},{"name":"bytes","configuration":{"endian":"little"}}]"#,
            lossy
        ),
    ]
}

/// Shard layouts for the `shard` target: index codecs with and without a
/// checksum (without, the fuzzer reaches the index validation easily), the
/// index at either end, inner compression, nested sharding, and strings.
pub fn shard_cases() -> Vec<Case> {
    use DataType::*;
    vec![
        case!(
            &[4, 4],
            UInt16,
            r#"[{"name":"sharding_indexed","configuration":{"chunk_shape":[2,2],"codecs":[{"name":"bytes","configuration":{"endian":"little"}}],"index_codecs":[{"name":"bytes","configuration":{"endian":"little"}},{"name":"crc32c"}],"index_location":"end"}}]"#
        ),
        case!(
            &[4, 4],
            UInt16,
            r#"[{"name":"sharding_indexed","configuration":{"chunk_shape":[2,2],"codecs":[{"name":"bytes","configuration":{"endian":"little"}}],"index_codecs":[{"name":"bytes","configuration":{"endian":"little"}}],"index_location":"start"}}]"#
        ),
        case!(
            &[8],
            UInt8,
            r#"[{"name":"sharding_indexed","configuration":{"chunk_shape":[2],"codecs":[{"name":"bytes"},{"name":"gzip","configuration":{"level":1}}],"index_codecs":[{"name":"bytes","configuration":{"endian":"little"}}],"index_location":"end"}}]"#
        ),
        case!(
            &[4, 4],
            UInt8,
            r#"[{"name":"sharding_indexed","configuration":{"chunk_shape":[2,2],"codecs":[{"name":"sharding_indexed","configuration":{"chunk_shape":[1,1],"codecs":[{"name":"bytes"}],"index_codecs":[{"name":"bytes","configuration":{"endian":"little"}}],"index_location":"end"}}],"index_codecs":[{"name":"bytes","configuration":{"endian":"little"}}],"index_location":"end"}}]"#
        ),
        case!(
            &[6],
            String,
            r#"[{"name":"sharding_indexed","configuration":{"chunk_shape":[3],"codecs":[{"name":"vlen-utf8","configuration":{}}],"index_codecs":[{"name":"bytes","configuration":{"endian":"little"}}],"index_location":"end"}}]"#
        ),
        case!(
            &[4, 4],
            Float32,
            r#"[{"name":"sharding_indexed","configuration":{"chunk_shape":[4,2],"codecs":[{"name":"bytes","configuration":{"endian":"big"}},{"name":"zstd","configuration":{"level":1,"checksum":false}}],"index_codecs":[{"name":"bytes","configuration":{"endian":"big"}},{"name":"crc32c"}],"index_location":"start"}}]"#
        ),
        case!(
            &[2, 2, 2],
            Int8,
            r#"[{"name":"transpose","configuration":{"order":[2,1,0]}},{"name":"sharding_indexed","configuration":{"chunk_shape":[1,2,1],"codecs":[{"name":"bytes"}],"index_codecs":[{"name":"bytes","configuration":{"endian":"little"}}],"index_location":"end"}},{"name":"crc32c"}]"#
        ),
    ]
}

impl Case {
    /// The decoded chunk's spec (default fill value).
    pub fn spec(&self) -> ChunkSpec {
        ChunkSpec {
            shape: self.shape.to_vec(),
            data_type: self.data_type,
            fill_value: FillValue::default_for(self.data_type),
        }
    }

    /// The codec chain, with the variable-length bound of the targets.
    pub fn chain(&self) -> Result<CodecChain, CodecError> {
        let codecs: Vec<CodecMetadata> = serde_json::from_str(self.codecs)
            .map_err(|e| CodecError::InvalidChain(e.to_string()))?;
        Ok(CodecChain::from_metadata(&codecs, &self.spec())?
            .with_max_variable_chunk_bytes(MAX_VARIABLE_CHUNK_BYTES))
    }

    /// A sample chunk (for the seed corpus): element `i` is `i` in the data
    /// type (halved for floats), strings `"e{i}"`, UCS-4 `"ab"`/`"c"`.
    pub fn sample(&self) -> ArrayBytes {
        let spec = self.spec();
        let n = spec.num_elements() as usize;
        let mut out = Vec::new();
        for i in 0..n {
            let x = i as f64 * 0.5;
            match self.data_type {
                DataType::Bool => out.push((i % 2) as u8),
                DataType::Int8 | DataType::UInt8 => out.push(i as u8),
                DataType::Int16 | DataType::UInt16 => out.extend((i as u16).to_ne_bytes()),
                DataType::Int32 | DataType::UInt32 => out.extend((i as u32).to_ne_bytes()),
                DataType::Int64 | DataType::UInt64 => out.extend((i as u64).to_ne_bytes()),
                DataType::Float16 => out.extend(half::f16::from_f64(x).to_ne_bytes()),
                DataType::Float32 => out.extend((x as f32).to_ne_bytes()),
                DataType::Float64 => out.extend(x.to_ne_bytes()),
                DataType::Complex64 => {
                    out.extend((x as f32).to_ne_bytes());
                    out.extend((-x as f32).to_ne_bytes());
                }
                DataType::FixedUtf32(2) => {
                    let s: &[char] = if i % 2 == 0 {
                        &['a', 'b']
                    } else {
                        &['c', '\0']
                    };
                    for c in s {
                        out.extend((*c as u32).to_ne_bytes());
                    }
                }
                DataType::String | DataType::Bytes => {
                    let texts: Vec<String> = (0..n).map(|i| format!("e{i}")).collect();
                    return ArrayBytes::Variable(VarBytes::from_elements(
                        texts.iter().map(|t| t.as_bytes()),
                    ));
                }
                other => panic!("no sample for {other}"),
            }
        }
        ArrayBytes::Fixed(out)
    }
}
