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

/// Normalise a node path: no leading or trailing `/`; `""` is the root.
pub(crate) fn normalize(path: &str) -> Result<String> {
    let p = path.trim_matches('/');
    if !p.is_empty() {
        crate::store::validate_key(p)?;
    }
    Ok(p.to_string())
}

/// `parent/child`, or `child` under the root.
pub(crate) fn join(parent: &str, child: &str) -> String {
    match (parent.is_empty(), child.is_empty()) {
        (true, _) => child.to_string(),
        (_, true) => parent.to_string(),
        _ => format!("{parent}/{child}"),
    }
}

/// The key of a metadata document `name` of the node at `path`.
pub(crate) fn doc_key(path: &str, name: &str) -> String {
    join(path, name)
}

/// The ancestors of `path`, from the root down (the root is `""`).
pub(crate) fn ancestors(path: &str) -> Vec<String> {
    if path.is_empty() {
        return Vec::new();
    }
    let parts: Vec<&str> = path.split('/').collect();
    (0..parts.len()).map(|i| parts[..i].join("/")).collect()
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
        assert_eq!(ancestors("a/b/c"), vec!["", "a", "a/b"]);
        assert!(ancestors("").is_empty());
        assert_eq!(join("", "x"), "x");
        assert_eq!(join("a", "x"), "a/x");
    }
}
