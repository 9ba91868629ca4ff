//! Errors of the array layer.

use crate::chunk::SelectionError;
use crate::codec::CodecError;
use crate::dtype::{DataType, DataTypeError};
use crate::metadata::MetadataError;
use crate::store::StoreError;

/// An error reading, writing, creating or opening an array. Variants that
/// concern stored data name the key.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ArrayError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The metadata at `key` is invalid.
    #[error("{key}: {source}")]
    Metadata {
        /// The metadata key.
        key: String,
        /// The problem.
        #[source]
        source: MetadataError,
    },
    /// A chunk at `key` could not be decoded or encoded.
    #[error("chunk {key}: {source}")]
    Codec {
        /// The chunk key.
        key: String,
        /// The problem.
        #[source]
        source: CodecError,
    },
    /// The codecs in the metadata at `key` do not form a valid chain for the array.
    #[error("{key}: {source}")]
    Codecs {
        /// The metadata key.
        key: String,
        /// The problem.
        #[source]
        source: CodecError,
    },
    /// A selection does not fit the array.
    #[error(transparent)]
    Selection(#[from] SelectionError),
    /// The requested element type does not match the array's data type.
    #[error("the array has data type {data_type}, which cannot be read or written as {requested}")]
    DataTypeMismatch {
        /// The array's data type.
        data_type: DataType,
        /// The Rust type requested.
        requested: &'static str,
    },
    /// A data type or fill value given by the caller is invalid.
    #[error(transparent)]
    DataType(#[from] DataTypeError),
    /// No node exists at this path.
    #[error("no array or group at {path:?} (no {key})")]
    NotFound {
        /// The node path.
        path: String,
        /// The metadata key looked for.
        key: String,
    },
    /// The node at this path is a group, not an array.
    #[error("{path:?} is a group, not an array")]
    NotAnArray {
        /// The node path.
        path: String,
    },
    /// A node already exists at this path and overwrite was not requested.
    #[error("a node already exists at {path:?} (pass overwrite to replace it)")]
    AlreadyExists {
        /// The node path.
        path: String,
    },
    /// An invalid argument (shape, chunks, codecs...).
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
    /// An array or a selection is too large: its element count or byte size
    /// overflows a 64-bit integer, or a whole read does not fit in memory.
    #[error("array {path:?}: {message}")]
    TooLarge {
        /// The array's path.
        path: String,
        /// What is too large.
        message: String,
    },
    /// A background task failed.
    #[error("task failed: {0}")]
    Task(String),
}

/// Shorthand for results of the array layer.
pub type Result<T, E = ArrayError> = std::result::Result<T, E>;
