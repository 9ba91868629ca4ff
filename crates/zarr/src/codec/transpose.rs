//! The `transpose` codec (array-to-array): permutes the axes of a chunk.
//!
//! Encoded axis `i` is decoded axis `order[i]`, as numpy's
//! `ndarray.transpose(order)`; decoding applies the inverse permutation.

use super::config::{invalid, Config};
use super::{ArrayBytes, ArrayToArrayCodec, ChunkSpec, Codec, CodecError, CodecTraits, VarBytes};
use crate::chunk::{transpose_bytes, transpose_vec};
use crate::metadata::CodecMetadata;
use serde_json::{Map, Value};
use std::sync::Arc;

const NAME: &str = "transpose";

/// The `transpose` codec.
///
/// ```
/// use zarr::codec::{ArrayBytes, ArrayToArrayCodec, ChunkSpec, TransposeCodec};
/// use zarr::dtype::{DataType, FillValue};
/// let spec = ChunkSpec { shape: vec![2, 3], data_type: DataType::UInt8, fill_value: FillValue::default_for(DataType::UInt8) };
/// let codec = TransposeCodec::new(vec![1, 0]).unwrap();
/// assert_eq!(codec.encoded_spec(&spec).unwrap().shape, vec![3, 2]);
/// let encoded = codec.encode(ArrayBytes::Fixed(vec![0, 1, 2, 3, 4, 5]), &spec).unwrap();
/// assert_eq!(encoded, ArrayBytes::Fixed(vec![0, 3, 1, 4, 2, 5]));
/// assert_eq!(codec.decode(encoded, &spec).unwrap(), ArrayBytes::Fixed(vec![0, 1, 2, 3, 4, 5]));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TransposeCodec {
    order: Vec<usize>,
    inverse: Vec<usize>,
}

impl TransposeCodec {
    /// A codec with permutation `order`, which must hold each of
    /// `0..order.len()` exactly once.
    pub fn new(order: Vec<usize>) -> Result<Self, CodecError> {
        let mut inverse = vec![usize::MAX; order.len()];
        for (i, &o) in order.iter().enumerate() {
            match inverse.get_mut(o) {
                Some(slot) if *slot == usize::MAX => *slot = i,
                Some(_) => {
                    return Err(invalid(
                        NAME,
                        format!("\"order\" {order:?} repeats axis {o}"),
                    ))
                }
                None => {
                    return Err(invalid(
                        NAME,
                        format!(
                            "\"order\" {order:?} names axis {o}, beyond {} dimensions",
                            order.len()
                        ),
                    ))
                }
            }
        }
        Ok(TransposeCodec { order, inverse })
    }

    /// The permutation.
    pub fn order(&self) -> &[usize] {
        &self.order
    }

    /// True when the permutation leaves the axes as they are.
    fn is_identity(&self) -> bool {
        self.order.iter().enumerate().all(|(i, &o)| i == o)
    }

    fn check_ndim(&self, spec: &ChunkSpec) -> Result<(), CodecError> {
        if spec.shape.len() != self.order.len() {
            return Err(CodecError::Incompatible {
                codec: NAME.into(),
                message: format!(
                    "order {:?} has {} entries but the chunk has {} dimensions",
                    self.order,
                    self.order.len(),
                    spec.shape.len()
                ),
            });
        }
        Ok(())
    }

    /// Permute `data`, a C-order chunk of shape `shape`, by `perm`.
    fn permute(
        data: ArrayBytes,
        spec: &ChunkSpec,
        shape: &[u64],
        perm: &[usize],
    ) -> Result<ArrayBytes, CodecError> {
        let shape: Vec<usize> = shape
            .iter()
            .map(|&d| usize::try_from(d))
            .collect::<Result<_, _>>()
            .map_err(|_| CodecError::TooLarge {
                codec: NAME.into(),
                limit: usize::MAX as u64,
            })?;
        let n = shape
            .iter()
            .try_fold(1usize, |acc, &d| acc.checked_mul(d))
            .ok_or(CodecError::TooLarge {
                codec: NAME.into(),
                limit: usize::MAX as u64,
            })?;
        match data {
            ArrayBytes::Fixed(v) => {
                let size = spec
                    .data_type
                    .size()
                    .ok_or_else(|| CodecError::Incompatible {
                        codec: NAME.into(),
                        message: format!(
                            "fixed-size data given for the variable-length type {}",
                            spec.data_type
                        ),
                    })?;
                let expected = n.checked_mul(size).ok_or(CodecError::TooLarge {
                    codec: NAME.into(),
                    limit: usize::MAX as u64,
                })?;
                if v.len() != expected {
                    return Err(CodecError::SizeMismatch {
                        codec: NAME.into(),
                        expected: expected as u64,
                        actual: v.len() as u64,
                    });
                }
                Ok(ArrayBytes::Fixed(transpose_bytes(&v, &shape, perm, size)))
            }
            ArrayBytes::Variable(v) => {
                if v.len() != n
                    || v.offsets.first() != Some(&0)
                    || v.offsets.last() != Some(&v.data.len())
                    || v.offsets.windows(2).any(|w| w[0] > w[1])
                {
                    return Err(CodecError::SizeMismatch {
                        codec: NAME.into(),
                        expected: n as u64,
                        actual: v.len() as u64,
                    });
                }
                let ranges: Vec<(usize, usize)> =
                    v.offsets.windows(2).map(|w| (w[0], w[1])).collect();
                let ranges = transpose_vec(&ranges, &shape, perm);
                let mut out = VarBytes {
                    data: Vec::with_capacity(v.data.len()),
                    offsets: Vec::with_capacity(n + 1),
                };
                out.offsets.push(0);
                for (a, b) in ranges {
                    out.data.extend_from_slice(&v.data[a..b]);
                    out.offsets.push(out.data.len());
                }
                Ok(ArrayBytes::Variable(out))
            }
        }
    }
}

impl CodecTraits for TransposeCodec {
    fn name(&self) -> &str {
        NAME
    }

    fn to_metadata(&self) -> CodecMetadata {
        let mut m = Map::new();
        m.insert(
            "order".into(),
            Value::Array(self.order.iter().map(|&o| Value::from(o)).collect()),
        );
        CodecMetadata::new(NAME, Some(m))
    }
}

impl ArrayToArrayCodec for TransposeCodec {
    fn axis_map(&self) -> super::AxisMap {
        super::AxisMap::Permute(self.order.clone())
    }

    fn encoded_spec(&self, decoded: &ChunkSpec) -> Result<ChunkSpec, CodecError> {
        self.check_ndim(decoded)?;
        Ok(ChunkSpec {
            shape: self.order.iter().map(|&o| decoded.shape[o]).collect(),
            data_type: decoded.data_type,
            fill_value: decoded.fill_value.clone(),
        })
    }

    fn encode(&self, data: ArrayBytes, decoded: &ChunkSpec) -> Result<ArrayBytes, CodecError> {
        self.check_ndim(decoded)?;
        if self.is_identity() {
            return Ok(data);
        }
        Self::permute(data, decoded, &decoded.shape, &self.order)
    }

    fn decode(&self, data: ArrayBytes, decoded: &ChunkSpec) -> Result<ArrayBytes, CodecError> {
        let encoded = self.encoded_spec(decoded)?;
        if self.is_identity() {
            return Ok(data);
        }
        Self::permute(data, decoded, &encoded.shape, &self.inverse)
    }
}

impl From<TransposeCodec> for Codec {
    fn from(c: TransposeCodec) -> Codec {
        Codec::ArrayToArray(Arc::new(c))
    }
}

/// Build a `transpose` codec for a chunk of `spec`: `order` must be a
/// permutation of `0..spec.shape.len()`.
pub(crate) fn create(metadata: &CodecMetadata, spec: &ChunkSpec) -> Result<Codec, CodecError> {
    let cfg = Config::new(metadata, NAME, &["order"], true)?;
    let list = match cfg.get("order") {
        Some(Value::Array(a)) => a,
        Some(v) => return Err(cfg.error("order", format!("must be a list of integers, got {v}"))),
        None => return Err(cfg.error("order", "is required")),
    };
    let order: Vec<usize> = list
        .iter()
        .map(|v| v.as_u64().and_then(|o| usize::try_from(o).ok()))
        .collect::<Option<_>>()
        .ok_or_else(|| {
            cfg.error(
                "order",
                format!(
                    "must be a list of non-negative integers, got {}",
                    Value::Array(list.clone())
                ),
            )
        })?;
    if order.len() != spec.shape.len() {
        return Err(cfg.error(
            "order",
            format!(
                "{order:?} must have one entry per dimension ({})",
                spec.shape.len()
            ),
        ));
    }
    Ok(TransposeCodec::new(order)?.into())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::dtype::{DataType, FillValue};

    fn spec(dt: DataType, shape: &[u64]) -> ChunkSpec {
        ChunkSpec {
            shape: shape.to_vec(),
            data_type: dt,
            fill_value: FillValue::default_for(dt),
        }
    }

    fn build(json: &str, s: &ChunkSpec) -> Result<Arc<dyn ArrayToArrayCodec>, CodecError> {
        match create(&serde_json::from_str(json).unwrap(), s)? {
            Codec::ArrayToArray(c) => Ok(c),
            other => panic!("unexpected codec {other:?}"),
        }
    }

    #[test]
    fn metadata_like_zarr_python() {
        // zarr-python 3.4.2: TransposeCodec(order=(2, 0, 1)).to_dict()
        let s = spec(DataType::UInt8, &[2, 3, 4]);
        let c = build(
            r#"{"name":"transpose","configuration":{"order":[2,0,1]}}"#,
            &s,
        )
        .unwrap();
        assert_eq!(
            serde_json::to_string(&c.to_metadata()).unwrap(),
            r#"{"name":"transpose","configuration":{"order":[2,0,1]}}"#
        );
        assert_eq!(c.encoded_spec(&s).unwrap().shape, vec![4, 2, 3]);
    }

    #[test]
    fn configuration_errors() {
        let s = spec(DataType::UInt8, &[2, 3]);
        for bad in [
            r#"{"name":"transpose"}"#,
            r#"{"name":"transpose","configuration":{}}"#,
            r#"{"name":"transpose","configuration":{"order":"C"}}"#,
            r#"{"name":"transpose","configuration":{"order":[0]}}"#,
            r#"{"name":"transpose","configuration":{"order":[0,1,2]}}"#,
            r#"{"name":"transpose","configuration":{"order":[0,0]}}"#,
            r#"{"name":"transpose","configuration":{"order":[0,2]}}"#,
            r#"{"name":"transpose","configuration":{"order":[0,-1]}}"#,
            r#"{"name":"transpose","configuration":{"order":[0,1.0]}}"#,
            r#"{"name":"transpose","configuration":{"order":[1,0],"x":1}}"#,
        ] {
            let e = build(bad, &s).unwrap_err();
            assert!(
                matches!(e, CodecError::InvalidConfiguration { ref codec, .. } if codec == "transpose"),
                "{bad}: {e}"
            );
        }
        let c = TransposeCodec::new(vec![1, 0]).unwrap();
        assert!(matches!(
            c.encoded_spec(&spec(DataType::UInt8, &[2])),
            Err(CodecError::Incompatible { .. })
        ));
        assert!(TransposeCodec::new(vec![1, 1]).is_err());
        assert!(TransposeCodec::new(vec![usize::MAX]).is_err());
    }

    #[test]
    fn fixed_round_trip_matches_numpy() {
        // numpy: np.arange(24, dtype="<u2").reshape(2, 3, 4).transpose(2, 0, 1).ravel()[:6]
        let s = spec(DataType::UInt16, &[2, 3, 4]);
        let data: Vec<u8> = (0u16..24).flat_map(|v| v.to_ne_bytes()).collect();
        let c = TransposeCodec::new(vec![2, 0, 1]).unwrap();
        let enc = c.encode(ArrayBytes::Fixed(data.clone()), &s).unwrap();
        let ArrayBytes::Fixed(ev) = &enc else {
            panic!("variable")
        };
        let first: Vec<u16> = ev
            .chunks_exact(2)
            .take(6)
            .map(|c| u16::from_ne_bytes([c[0], c[1]]))
            .collect();
        assert_eq!(first, vec![0, 4, 8, 12, 16, 20]);
        assert_eq!(c.decode(enc, &s).unwrap(), ArrayBytes::Fixed(data));
    }

    #[test]
    fn variable_round_trip() {
        let s = spec(DataType::String, &[2, 3]);
        let words = ["a", "bb", "", "dddd", "e", "ff"];
        let v = VarBytes::from_elements(words.iter().map(|w| w.as_bytes()));
        let c = TransposeCodec::new(vec![1, 0]).unwrap();
        let enc = c.encode(ArrayBytes::Variable(v.clone()), &s).unwrap();
        let expected = VarBytes::from_elements(
            ["a", "dddd", "bb", "e", "", "ff"]
                .iter()
                .map(|w| w.as_bytes()),
        );
        assert_eq!(enc, ArrayBytes::Variable(expected));
        assert_eq!(c.decode(enc, &s).unwrap(), ArrayBytes::Variable(v));
    }

    #[test]
    fn bad_input() {
        let s = spec(DataType::UInt16, &[2, 3]);
        let c = TransposeCodec::new(vec![1, 0]).unwrap();
        assert!(matches!(
            c.encode(ArrayBytes::Fixed(vec![0; 11]), &s),
            Err(CodecError::SizeMismatch { .. })
        ));
        assert!(matches!(
            c.decode(ArrayBytes::Fixed(vec![0; 13]), &s),
            Err(CodecError::SizeMismatch { .. })
        ));
        let vs = spec(DataType::String, &[2, 3]);
        let short = VarBytes::from_elements([b"a".as_slice()]);
        assert!(c.encode(ArrayBytes::Variable(short), &vs).is_err());
        let broken = VarBytes {
            data: vec![1, 2],
            offsets: vec![0, 5, 1, 2, 2, 2, 2],
        };
        assert!(c.encode(ArrayBytes::Variable(broken), &vs).is_err());
        assert!(c.encode(ArrayBytes::Fixed(vec![0; 6]), &vs).is_err());
    }
}
