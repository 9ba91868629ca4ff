//! Node paths and the keys of their documents, written once for the whole
//! crate (and the `zarr` tool): a node path has no leading or trailing `/`,
//! and `""` is the root.
//!
//! ```
//! use zarr::node_path::{ancestors, join, node_key, prefix, v2_key};
//! assert_eq!(join("", "a"), "a");
//! assert_eq!(join("a/", "b"), "a/b");
//! assert_eq!(join("a", ""), "a");
//! assert_eq!(node_key(""), "zarr.json");
//! assert_eq!(node_key("a/b"), "a/b/zarr.json");
//! assert_eq!(v2_key("a", ".zarray"), "a/.zarray");
//! assert_eq!(prefix(""), "");
//! assert_eq!(prefix("a"), "a/");
//! assert_eq!(ancestors("a/b/c"), vec!["", "a", "a/b"]);
//! ```

use crate::store::StoreError;

/// Normalise a node path: no leading or trailing `/`; `""` is the root. The
/// rest must be a valid store key ([`crate::store::validate_key`]).
pub fn normalize(path: &str) -> Result<String, StoreError> {
    let p = path.trim_matches('/');
    if !p.is_empty() {
        crate::store::validate_key(p)?;
    }
    Ok(p.to_string())
}

/// `parent/child`; `child` under the root, `parent` for an empty child.
/// Leading and trailing `/` of either part are ignored.
pub fn join(parent: &str, child: &str) -> String {
    let (parent, child) = (parent.trim_matches('/'), child.trim_matches('/'));
    match (parent.is_empty(), child.is_empty()) {
        (true, _) => child.to_string(),
        (_, true) => parent.to_string(),
        _ => format!("{parent}/{child}"),
    }
}

/// The key of the metadata document `name` (`zarr.json`, `.zarray`,
/// `.zattrs`, ...) of the node at `path`.
pub fn doc_key(path: &str, name: &str) -> String {
    join(path, name)
}

/// The `zarr.json` key of the node at `path`.
pub fn node_key(path: &str) -> String {
    doc_key(path, "zarr.json")
}

/// The key of a V2 metadata document (`.zarray`, `.zgroup`, `.zattrs`) of
/// the node at `path`.
pub fn v2_key(path: &str, name: &str) -> String {
    doc_key(path, name)
}

/// The prefix of every key below the node at `path`: `""` for the root,
/// else `path/`.
pub fn prefix(path: &str) -> String {
    let p = path.trim_matches('/');
    if p.is_empty() {
        String::new()
    } else {
        format!("{p}/")
    }
}

/// The ancestors of `path`, from the root down (the root is `""`; the root
/// itself has none).
pub fn ancestors(path: &str) -> Vec<String> {
    let p = path.trim_matches('/');
    if p.is_empty() {
        return Vec::new();
    }
    let parts: Vec<&str> = p.split('/').collect();
    (0..parts.len()).map(|i| parts[..i].join("/")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn joins_and_keys() {
        assert_eq!(join("", ""), "");
        assert_eq!(join("", "x"), "x");
        assert_eq!(join("a", "x"), "a/x");
        assert_eq!(join("/a/", "/x"), "a/x");
        assert_eq!(join("a/b", ""), "a/b");
        assert_eq!(doc_key("", ".zgroup"), ".zgroup");
        assert_eq!(node_key("/a/"), "a/zarr.json");
        assert_eq!(prefix("/a/b/"), "a/b/");
        assert!(ancestors("").is_empty());
        assert_eq!(ancestors("a"), vec![""]);
        assert_eq!(ancestors("/a/b/"), vec!["", "a"]);
    }

    #[test]
    fn normalizes() {
        assert_eq!(normalize("/a/b/").unwrap(), "a/b");
        assert_eq!(normalize("///").unwrap(), "");
        assert!(normalize("a/../b").is_err());
    }
}
