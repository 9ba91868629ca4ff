//! The layout numcodecs' `Fletcher32` and `JenkinsLookup3` share: the data,
//! then a 32-bit checksum of it in 4 little-endian bytes.

use super::CodecError;

/// `data` followed by `checksum(data)`, little-endian.
pub(crate) fn append(data: &[u8], checksum: u32) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len() + 4);
    out.extend_from_slice(data);
    out.extend_from_slice(&checksum.to_le_bytes());
    out
}

/// The data of `encoded` after checking its trailing checksum with
/// `checksum`: too short, more than `max_decoded` bytes, or a mismatch is an
/// error naming `codec`.
pub(crate) fn verify(
    codec: &str,
    encoded: &[u8],
    max_decoded: usize,
    checksum: impl Fn(&[u8]) -> u32,
) -> Result<Vec<u8>, CodecError> {
    let Some(split) = encoded.len().checked_sub(4) else {
        return Err(CodecError::Decode {
            codec: codec.into(),
            message: "shorter than the 4-byte checksum".into(),
        });
    };
    let (data, sum) = encoded.split_at(split);
    if data.len() > max_decoded {
        return Err(CodecError::TooLarge {
            codec: codec.into(),
            limit: max_decoded as u64,
        });
    }
    let stored = u32::from_le_bytes([sum[0], sum[1], sum[2], sum[3]]);
    let computed = checksum(data);
    if stored != computed {
        return Err(CodecError::Checksum {
            codec: codec.into(),
            stored,
            computed,
        });
    }
    Ok(data.to_vec())
}
