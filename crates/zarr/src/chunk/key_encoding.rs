//! Chunk key encodings: grid coordinates to store keys.

use crate::metadata::ChunkKeyEncodingMetadata;

/// Turns chunk grid coordinates into keys relative to the array.
///
/// ```
/// use zarr::chunk::ChunkKeyEncoding;
/// use zarr::metadata::ChunkKeyEncodingMetadata as M;
/// let d = ChunkKeyEncoding::new(&M::Default { separator: '/' });
/// assert_eq!(d.encode(&[1, 23]), "c/1/23");
/// assert_eq!(d.encode(&[]), "c");
/// let v2 = ChunkKeyEncoding::new(&M::V2 { separator: '.' });
/// assert_eq!(v2.encode(&[1, 23]), "1.23");
/// assert_eq!(v2.encode(&[]), "0");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChunkKeyEncoding {
    default: bool,
    separator: char,
}

impl ChunkKeyEncoding {
    /// From metadata.
    pub fn new(m: &ChunkKeyEncodingMetadata) -> Self {
        match m {
            ChunkKeyEncodingMetadata::Default { separator } => ChunkKeyEncoding {
                default: true,
                separator: *separator,
            },
            ChunkKeyEncodingMetadata::V2 { separator } => ChunkKeyEncoding {
                default: false,
                separator: *separator,
            },
        }
    }

    /// The key of the chunk at `coords`.
    pub fn encode(&self, coords: &[u64]) -> String {
        use std::fmt::Write;
        let mut s = String::with_capacity(2 + coords.len() * 4);
        if self.default {
            s.push('c');
            for c in coords {
                s.push(self.separator);
                let _ = write!(s, "{c}");
            }
        } else if coords.is_empty() {
            s.push('0');
        } else {
            for (i, c) in coords.iter().enumerate() {
                if i > 0 {
                    s.push(self.separator);
                }
                let _ = write!(s, "{c}");
            }
        }
        s
    }
}
