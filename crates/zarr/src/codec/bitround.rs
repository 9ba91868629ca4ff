//! The `numcodecs.bitround` codec (array-to-array; V2 id `bitround`):
//! numcodecs' `BitRound`, which keeps `keepbits` bits of each float's
//! mantissa, rounding to nearest with ties to even, so that a compressor
//! after it finds long runs of zero bits. Decoding is the identity: the
//! rounding is lossy, on purpose.

use super::config::Config;
use super::{ArrayBytes, ArrayToArrayCodec, ChunkSpec, Codec, CodecError, CodecTraits};
use crate::dtype::DataType;
use crate::metadata::CodecMetadata;
use serde_json::{Map, Value};
use std::sync::Arc;

const NAME: &str = "numcodecs.bitround";

/// numcodecs' `BitRound` for float16, float32 and float64 arrays.
///
/// ```
/// use zarr::codec::BitRoundCodec;
/// // 3.14159265f32 with 3 mantissa bits kept is 3.25 (numcodecs gives the same).
/// assert_eq!(BitRoundCodec::new(3).round_f32(3.141_592_7), 3.25);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BitRoundCodec {
    keepbits: u32,
}

impl BitRoundCodec {
    /// Keep `keepbits` mantissa bits (at most 10, 23 or 52 for float16, 32, 64).
    pub fn new(keepbits: u32) -> Self {
        BitRoundCodec { keepbits }
    }

    /// Round one float32.
    pub fn round_f32(&self, x: f32) -> f32 {
        f32::from_bits(round_bits(u64::from(x.to_bits()), 23, self.keepbits) as u32)
    }
}

/// Round the IEEE bits `b` of a float with `mantissa` mantissa bits to
/// `keep` of them: add half a quantum (minus one, plus the kept lowest bit:
/// ties to even) and clear the dropped bits. Wrapping, as numpy's unsigned
/// arithmetic in numcodecs.
fn round_bits(b: u64, mantissa: u32, keep: u32) -> u64 {
    if keep >= mantissa {
        return b;
    }
    let drop = mantissa - keep;
    let half_minus_one = (1u64 << (drop - 1)) - 1;
    let rounded = b.wrapping_add(((b >> drop) & 1) + half_minus_one);
    rounded & !((1u64 << drop) - 1)
}

fn mantissa_bits(dt: DataType) -> Option<u32> {
    match dt {
        DataType::Float16 => Some(10),
        DataType::Float32 => Some(23),
        DataType::Float64 => Some(52),
        _ => None,
    }
}

impl CodecTraits for BitRoundCodec {
    fn name(&self) -> &str {
        NAME
    }
    fn to_metadata(&self) -> CodecMetadata {
        let mut m = Map::new();
        m.insert("keepbits".into(), Value::from(self.keepbits));
        CodecMetadata::new(NAME, Some(m))
    }
}

impl ArrayToArrayCodec for BitRoundCodec {
    fn axis_map(&self) -> super::AxisMap {
        super::AxisMap::Elementwise
    }

    fn encoded_spec(&self, decoded: &ChunkSpec) -> Result<ChunkSpec, CodecError> {
        Ok(decoded.clone())
    }
    fn encode(&self, data: ArrayBytes, decoded: &ChunkSpec) -> Result<ArrayBytes, CodecError> {
        let ArrayBytes::Fixed(mut v) = data else {
            return Err(CodecError::Incompatible {
                codec: NAME.into(),
                message: "variable-length data".into(),
            });
        };
        let dt = decoded.data_type;
        let mantissa = mantissa_bits(dt).ok_or_else(|| CodecError::Incompatible {
            codec: NAME.into(),
            message: format!("needs float data, not {dt}"),
        })?;
        let k = self.keepbits;
        match dt {
            DataType::Float16 => v.chunks_exact_mut(2).for_each(|e| {
                let b = u16::from_ne_bytes([e[0], e[1]]);
                e.copy_from_slice(&(round_bits(u64::from(b), mantissa, k) as u16).to_ne_bytes());
            }),
            DataType::Float32 => v.chunks_exact_mut(4).for_each(|e| {
                let b = u32::from_ne_bytes([e[0], e[1], e[2], e[3]]);
                e.copy_from_slice(&(round_bits(u64::from(b), mantissa, k) as u32).to_ne_bytes());
            }),
            _ => v.chunks_exact_mut(8).for_each(|e| {
                let mut a = [0u8; 8];
                a.copy_from_slice(e);
                let b = u64::from_ne_bytes(a);
                e.copy_from_slice(&round_bits(b, mantissa, k).to_ne_bytes());
            }),
        }
        Ok(ArrayBytes::Fixed(v))
    }
    fn decode(&self, data: ArrayBytes, _decoded: &ChunkSpec) -> Result<ArrayBytes, CodecError> {
        Ok(data)
    }
}

/// Build a `numcodecs.bitround` codec from `{"keepbits": n}` for a float array.
pub(crate) fn create(metadata: &CodecMetadata, spec: &ChunkSpec) -> Result<Codec, CodecError> {
    let cfg = Config::new(metadata, NAME, &["id", "keepbits"], true)?;
    let keepbits = cfg
        .int_in("keepbits", 0..=52)?
        .ok_or_else(|| cfg.error("keepbits", "is required"))? as u32;
    let mantissa = mantissa_bits(spec.data_type).ok_or_else(|| CodecError::Incompatible {
        codec: NAME.into(),
        message: format!("needs float data, not {}", spec.data_type),
    })?;
    if keepbits > mantissa {
        return Err(cfg.error(
            "keepbits",
            format!(
                "is {keepbits}, more than the {mantissa} mantissa bits of {}",
                spec.data_type
            ),
        ));
    }
    Ok(Codec::ArrayToArray(Arc::new(BitRoundCodec { keepbits })))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::dtype::FillValue;

    fn spec(dt: DataType) -> ChunkSpec {
        ChunkSpec {
            shape: vec![10],
            data_type: dt,
            fill_value: FillValue::default_for(dt),
        }
    }

    #[test]
    #[allow(clippy::approx_constant)] // the exact inputs numcodecs was given
    fn matches_numcodecs() {
        // numcodecs 0.17.1: BitRound(keepbits).encode(a).view(uint) for
        // a = [1.0, 3.14159265, -2.71828, 1e-3, big, inf, -inf, 0.0, -0.0, 0.3333333333]
        // (big = 65000 for float16, 1e30 otherwise).
        let x = [
            1.0,
            3.14159265,
            -2.71828,
            1e-3,
            1e30,
            f64::INFINITY,
            f64::NEG_INFINITY,
            0.0,
            -0.0,
            0.3333333333,
        ];
        let cases: [(DataType, u32, Vec<u64>); 3] = [
            (
                DataType::Float16,
                7,
                vec![
                    15360, 16968, 49520, 5144, 31728, 31744, 64512, 0, 32768, 13656,
                ],
            ),
            (
                DataType::Float32,
                3,
                vec![
                    1065353216, 1078984704, 3224371200, 981467136, 1901068288, 2139095040,
                    4286578688, 0, 2147483648, 1051721728,
                ],
            ),
            (
                DataType::Float64,
                1,
                vec![
                    4607182418800017408,
                    4613937818241073152,
                    13837309855095848960,
                    4562146422526312448,
                    5055290581723381760,
                    9218868437227405312,
                    18442240474082181120,
                    0,
                    9223372036854775808,
                    4600427019358961664,
                ],
            ),
        ];
        for (dt, keep, want) in cases {
            let bytes: Vec<u8> = x
                .iter()
                .flat_map(|&v| match dt {
                    DataType::Float16 => {
                        let v = if v == 1e30 { 65000.0 } else { v };
                        half::f16::from_f64(v).to_ne_bytes().to_vec()
                    }
                    DataType::Float32 => (v as f32).to_ne_bytes().to_vec(),
                    _ => v.to_ne_bytes().to_vec(),
                })
                .collect();
            let meta: CodecMetadata = serde_json::from_str(&format!(
                r#"{{"name":"numcodecs.bitround","configuration":{{"keepbits":{keep}}}}}"#
            ))
            .unwrap();
            let Codec::ArrayToArray(c) = create(&meta, &spec(dt)).unwrap() else {
                panic!("array-to-array")
            };
            let ArrayBytes::Fixed(out) = c.encode(ArrayBytes::Fixed(bytes), &spec(dt)).unwrap()
            else {
                panic!("fixed")
            };
            let size = dt.size().unwrap();
            let got: Vec<u64> = out
                .chunks_exact(size)
                .map(|e| {
                    let mut a = [0u8; 8];
                    a[..size].copy_from_slice(e);
                    u64::from_le_bytes(a)
                })
                .collect();
            assert_eq!(got, want, "{dt} keepbits {keep}");
        }
    }

    #[test]
    fn configuration_errors() {
        let meta = |s: &str| -> CodecMetadata { serde_json::from_str(s).unwrap() };
        for (json, dt) in [
            (
                r#"{"name":"numcodecs.bitround","configuration":{"keepbits":24}}"#,
                DataType::Float32,
            ),
            (
                r#"{"name":"numcodecs.bitround","configuration":{"keepbits":3}}"#,
                DataType::Int32,
            ),
            (
                r#"{"name":"numcodecs.bitround","configuration":{}}"#,
                DataType::Float32,
            ),
            (r#"{"name":"numcodecs.bitround"}"#, DataType::Float32),
        ] {
            assert!(create(&meta(json), &spec(dt)).is_err(), "{json} {dt}");
        }
        let ok = create(
            &meta(r#"{"name":"numcodecs.bitround","configuration":{"keepbits":23}}"#),
            &spec(DataType::Float32),
        )
        .unwrap();
        assert_eq!(
            serde_json::to_string(&ok.to_metadata()).unwrap(),
            r#"{"name":"numcodecs.bitround","configuration":{"keepbits":23}}"#
        );
    }
}
