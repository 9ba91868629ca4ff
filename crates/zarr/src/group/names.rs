//! The spec's rules for node names and the joining of node paths.

use super::error::{GroupError, Result};

/// Check every name of a node path against the spec's rules: a name is not
/// empty, holds no `/`, is not made of dots only, and does not start with
/// `__` (reserved).
///
/// ```
/// use zarr::group::validate_node_path;
/// assert!(validate_node_path("a/b.c").is_ok());
/// assert!(validate_node_path("a/../b").is_err());
/// assert!(validate_node_path("__meta").is_err());
/// assert!(validate_node_path("a//b").is_err());
/// ```
pub fn validate_node_path(path: &str) -> Result<()> {
    let trimmed = path.trim_matches('/');
    if trimmed.is_empty() {
        return Ok(());
    }
    for name in trimmed.split('/') {
        let reason = if name.is_empty() {
            Some("names must not be empty")
        } else if name.chars().all(|c| c == '.') {
            Some("names must not consist of dots only")
        } else if name.starts_with("__") {
            Some("names starting with \"__\" are reserved")
        } else {
            None
        };
        if let Some(reason) = reason {
            return Err(GroupError::InvalidName {
                name: name.to_string(),
                path: path.to_string(),
                reason,
            });
        }
    }
    crate::store::validate_key(trimmed)?;
    Ok(())
}

pub(crate) use crate::node_path::{ancestors, doc_key, join};

/// Normalise a node path ([`crate::node_path::normalize`]) as a group error.
pub(crate) fn normalize(path: &str) -> Result<String> {
    Ok(crate::node_path::normalize(path)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules() {
        for bad in ["", ".", "..", "...", "__x"] {
            assert!(
                validate_node_path(&format!("a/{bad}/b")).is_err(),
                "{bad:?}"
            );
        }
        for good in ["x", ".x", "x..", "_x", "a_b", "1"] {
            assert!(validate_node_path(good).is_ok(), "{good:?}");
        }
    }
}
