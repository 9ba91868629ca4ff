//! [`AccessMode`]: zarr-python's file-like `mode` (`r`, `r+`, `a`, `w`, `w-`).

use std::str::FromStr;

/// How a function that takes zarr-python's `mode` treats an existing or
/// missing node.
///
/// ```
/// use zarr::api::AccessMode;
/// let m: AccessMode = "w-".parse().unwrap();
/// assert_eq!(m, AccessMode::Create);
/// assert_eq!(m.as_str(), "w-");
/// assert!(!AccessMode::Read.writable());
/// assert!("x".parse::<AccessMode>().is_err());
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum AccessMode {
    /// `r`: read only; the node must exist.
    Read,
    /// `r+`: read and write; the node must exist.
    ReadWrite,
    /// `a`: read and write; created when missing (the default).
    #[default]
    Append,
    /// `w`: create, replacing whatever is there.
    Overwrite,
    /// `w-`: create; fail when something is there.
    Create,
}

impl AccessMode {
    /// The mode string (`"r"`, `"r+"`, `"a"`, `"w"`, `"w-"`).
    pub fn as_str(self) -> &'static str {
        match self {
            AccessMode::Read => "r",
            AccessMode::ReadWrite => "r+",
            AccessMode::Append => "a",
            AccessMode::Overwrite => "w",
            AccessMode::Create => "w-",
        }
    }

    /// True for every mode but `r`.
    pub fn writable(self) -> bool {
        self != AccessMode::Read
    }

    /// True for the modes that open an existing node (`r`, `r+`, `a`).
    pub fn opens_existing(self) -> bool {
        matches!(
            self,
            AccessMode::Read | AccessMode::ReadWrite | AccessMode::Append
        )
    }

    /// True for the modes that may create a node (`a`, `w`, `w-`).
    pub fn creates(self) -> bool {
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

/// The error of parsing an unknown mode string.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("invalid mode {0:?}: expected r, r+, a, w or w-")]
pub struct ParseAccessModeError(pub String);

impl FromStr for AccessMode {
    type Err = ParseAccessModeError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s {
            "r" => AccessMode::Read,
            "r+" => AccessMode::ReadWrite,
            "a" => AccessMode::Append,
            "w" => AccessMode::Overwrite,
            "w-" => AccessMode::Create,
            _ => return Err(ParseAccessModeError(s.to_string())),
        })
    }
}
