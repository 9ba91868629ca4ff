//! Errors of the group layer.

use crate::array::ArrayError;
use crate::metadata::MetadataError;
use crate::store::StoreError;

/// An error creating, opening, reading or changing a group or hierarchy.
/// Variants that concern a node name its path (`""` is the root).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum GroupError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// An array operation failed.
    #[error(transparent)]
    Array(#[from] ArrayError),
    /// The metadata document at `key` is invalid.
    #[error("{key}: {source}")]
    Metadata {
        /// The metadata key.
        key: String,
        /// The problem.
        #[source]
        source: MetadataError,
    },
    /// No group (and no array) exists at this path.
    #[error("no group found at {path:?}")]
    NotFound {
        /// The node path.
        path: String,
    },
    /// No member exists at this path below the group.
    #[error("no array or group named {name:?} in the group at {group:?}")]
    MemberNotFound {
        /// The group path.
        group: String,
        /// The member's path relative to the group.
        name: String,
    },
    /// The node at this path is an array, not a group.
    #[error("{path:?} is an array, not a group")]
    NotAGroup {
        /// The node path.
        path: String,
    },
    /// The node at this path is a group, not an array.
    #[error("{path:?} is a group, not an array")]
    NotAnArray {
        /// The node path.
        path: String,
    },
    /// A node already exists at this path (and overwriting was not asked for).
    #[error("a node already exists at {path:?}")]
    AlreadyExists {
        /// The node path.
        path: String,
    },
    /// A node cannot be created below an array.
    #[error(
        "cannot create {path:?}: its parent {parent:?} is an array (only groups have children)"
    )]
    ParentIsArray {
        /// The node that was to be created.
        path: String,
        /// The array in the way.
        parent: String,
    },
    /// A node name breaks the rules of the spec.
    #[error("invalid node name {name:?} in {path:?}: {reason}")]
    InvalidName {
        /// The offending name.
        name: String,
        /// The whole path it appears in.
        path: String,
        /// Which rule it breaks.
        reason: &'static str,
    },
    /// A write through a group opened read-only (mode `r`, or a read-only store).
    #[error("cannot {operation} {path:?}: the group is read-only")]
    ReadOnly {
        /// The refused operation.
        operation: &'static str,
        /// The node path.
        path: String,
    },
    /// The access mode does not fit the store (a writing mode on a read-only store).
    #[error("the store is read-only but mode is {mode:?}: use mode \"r\" or a writable store")]
    ModeNeedsWritableStore {
        /// The access mode.
        mode: String,
    },
    /// The store cannot hold consolidated metadata (zarr-python raises a
    /// `TypeError` for this).
    #[error("the Zarr store in use ({store}) doesn't support consolidated metadata")]
    ConsolidationUnsupported {
        /// The store.
        store: String,
    },
    /// Consolidated metadata was required but is missing.
    #[error("consolidated metadata was required but not found at {path:?} (no {key})")]
    ConsolidatedMetadataMissing {
        /// The group path.
        path: String,
        /// The key or field looked for.
        key: String,
    },
    /// The consolidated metadata at `key` is invalid.
    #[error("invalid consolidated metadata in {key}: {message}")]
    InvalidConsolidatedMetadata {
        /// The key holding it.
        key: String,
        /// What is wrong.
        message: String,
    },
    /// Nodes of one hierarchy (or a group and its member) have different zarr formats.
    #[error("mixed zarr formats: {message}")]
    MixedFormats {
        /// Which nodes disagree.
        message: String,
    },
    /// An existing array does not match what [`require_array`](super::Group::require_array) asked for.
    #[error("incompatible array at {path:?}: {message}")]
    IncompatibleArray {
        /// The array path.
        path: String,
        /// What differs.
        message: String,
    },
    /// Any other invalid argument.
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
    /// A read-modify-write of a metadata document kept losing to other
    /// writers: every conditional write found the document changed again.
    #[error("gave up updating {key:?} after {attempts} attempts: other writers keep changing it")]
    Contended {
        /// The document's key.
        key: String,
        /// How many conditional writes were tried.
        attempts: usize,
    },
}

/// Shorthand for results of the group layer.
pub type Result<T, E = GroupError> = std::result::Result<T, E>;

impl GroupError {
    /// This error as an [`ArrayError`], for array operations that use group
    /// code (creating parent groups): store and array errors stay what they
    /// are, the rest become [`ArrayError::InvalidArgument`] with this
    /// error's message.
    pub(crate) fn into_array_error(self) -> ArrayError {
        match self {
            GroupError::Store(e) => ArrayError::Store(e),
            GroupError::Array(e) => e,
            other => ArrayError::InvalidArgument(other.to_string()),
        }
    }
}
