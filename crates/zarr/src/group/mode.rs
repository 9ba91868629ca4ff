//! Access modes (`r`, `r+`, `a`, `w`, `w-`) and the `use_consolidated` choice.

use super::error::GroupError;

/// How to open a node, with the file-like semantics of zarr-python's
/// `mode` parameter.
///
/// ```
/// use zarr::group::AccessMode;
/// let m: AccessMode = "w-".parse().unwrap();
/// assert_eq!(m, AccessMode::Create);
/// assert_eq!(m.to_string(), "w-");
/// assert!("x".parse::<AccessMode>().is_err());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum AccessMode {
    /// `r`: read only; the node must exist. Writes are refused.
    Read,
    /// `r+`: read and write; the node must exist.
    ReadWrite,
    /// `a`: read and write; the node is created when missing (the default).
    #[default]
    Append,
    /// `w`: create, replacing (deleting) whatever is at the path.
    Overwrite,
    /// `w-`: create; fails when anything is at the path.
    Create,
}

impl AccessMode {
    /// The mode's letters, as zarr-python spells them.
    pub fn as_str(&self) -> &'static str {
        match self {
            AccessMode::Read => "r",
            AccessMode::ReadWrite => "r+",
            AccessMode::Append => "a",
            AccessMode::Overwrite => "w",
            AccessMode::Create => "w-",
        }
    }
    /// True for the modes that open an existing node (`r`, `r+`, `a`).
    pub fn opens_existing(&self) -> bool {
        matches!(
            self,
            AccessMode::Read | AccessMode::ReadWrite | AccessMode::Append
        )
    }
    /// True for the modes that may create a node (`a`, `w`, `w-`).
    pub fn creates(&self) -> bool {
        matches!(
            self,
            AccessMode::Append | AccessMode::Overwrite | AccessMode::Create
        )
    }
}

impl std::fmt::Display for AccessMode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for AccessMode {
    type Err = GroupError;
    fn from_str(s: &str) -> Result<Self, GroupError> {
        Ok(match s {
            "r" => AccessMode::Read,
            "r+" => AccessMode::ReadWrite,
            "a" => AccessMode::Append,
            "w" => AccessMode::Overwrite,
            "w-" => AccessMode::Create,
            other => {
                return Err(GroupError::InvalidArgument(format!(
                    "invalid mode {other:?}: expected one of r, r+, a, w, w-"
                )))
            }
        })
    }
}

/// Whether opening a group uses consolidated metadata (zarr-python's
/// `use_consolidated`: `None`, `True`, `False` or a key).
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub enum UseConsolidated {
    /// Use it when present (and the store supports it).
    #[default]
    Auto,
    /// Require it: missing consolidated metadata is an error.
    Required,
    /// Ignore it and read every node's own metadata.
    Never,
    /// Zarr V2 only: require it under this key instead of `.zmetadata`.
    Key(String),
}
