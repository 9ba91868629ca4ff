//! Placeholder: being implemented by the codec work.
use super::{ChunkSpec, Codec, CodecError};
use crate::metadata::CodecMetadata;
/// Placeholder.
#[derive(Debug)]
pub struct VlenBytesCodec;
/// Placeholder.
#[derive(Debug)]
pub struct VlenUtf8Codec;
pub(crate) fn create_utf8(m: &CodecMetadata, _s: &ChunkSpec) -> Result<Codec, CodecError> {
    Err(CodecError::UnknownCodec {
        name: m.name.clone(),
    })
}
pub(crate) fn create_bytes(m: &CodecMetadata, _s: &ChunkSpec) -> Result<Codec, CodecError> {
    Err(CodecError::UnknownCodec {
        name: m.name.clone(),
    })
}
