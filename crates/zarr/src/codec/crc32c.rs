//! Placeholder: being implemented by the codec work.
use super::{ChunkSpec, Codec, CodecError};
use crate::metadata::CodecMetadata;
/// Placeholder.
#[derive(Debug)]
pub struct Crc32cCodec;
pub(crate) fn create(m: &CodecMetadata, _s: &ChunkSpec) -> Result<Codec, CodecError> {
    Err(CodecError::UnknownCodec {
        name: m.name.clone(),
    })
}
