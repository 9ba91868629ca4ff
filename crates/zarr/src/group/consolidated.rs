//! Consolidated metadata as zarr-python 3.4.2 writes and reads it: inline in
//! the root `zarr.json` of a V3 hierarchy
//! (`{"kind": "inline", "must_understand": false, "metadata": {path: document}}`),
//! and `.zmetadata` for V2 (`{"metadata": {key: document}, "zarr_consolidated_format": 1}`).
//!
//! In memory, consolidated metadata is a flat map from member paths
//! (relative to the group that holds it) to [`AnyMetadata`].

use super::error::{GroupError, Result};
use super::node::{meta_err, AnyMetadata};
use crate::metadata::{ArrayMetadataV2, NodeMetadata};
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

/// Member paths (relative to a group) to their metadata.
pub type MemberMap = BTreeMap<String, AnyMetadata>;

/// The inline consolidated metadata object around `metadata`.
pub(crate) fn inline(metadata: Map<String, Value>) -> Value {
    json!({"kind": "inline", "must_understand": false, "metadata": metadata})
}

/// zarr-python's order of consolidated entries: by depth, then by name
/// without regard to case.
fn ordered(members: &MemberMap) -> Vec<(&String, &AnyMetadata)> {
    let mut v: Vec<_> = members.iter().collect();
    v.sort_by_cached_key(|(k, _)| (k.matches('/').count(), k.to_lowercase(), (*k).clone()));
    v
}

/// The V3 `consolidated_metadata` value for `members`.
pub(crate) fn encode_v3(members: &MemberMap) -> Value {
    let mut m = Map::new();
    for (k, v) in ordered(members) {
        m.insert(k.clone(), v.consolidated_entry());
    }
    inline(m)
}

/// Parse a V3 `consolidated_metadata` value (found in `key`), flattening
/// any nested consolidated metadata of member groups.
pub(crate) fn parse_v3(value: &Value, key: &str) -> Result<MemberMap> {
    let bad = |message: String| GroupError::InvalidConsolidatedMetadata {
        key: key.to_string(),
        message,
    };
    let obj = value
        .as_object()
        .ok_or_else(|| bad("consolidated_metadata must be an object".into()))?;
    match obj.get("kind").and_then(Value::as_str) {
        Some("inline") => {}
        other => return Err(bad(format!("kind {other:?} is not supported"))),
    }
    let entries = match obj.get("metadata") {
        Some(Value::Object(m)) => m,
        Some(Value::Null) | None => return Ok(MemberMap::new()),
        Some(_) => return Err(bad("\"metadata\" must be an object".into())),
    };
    let mut out = MemberMap::new();
    for (path, doc) in entries {
        let path = path.trim_matches('/');
        crate::limits::check_node_path(path).map_err(|m| bad(format!("member {path:?}: {m}")))?;
        let member_key = format!("{key}#{path}");
        let node = match doc.get("zarr_format").and_then(Value::as_u64) {
            Some(3) => match NodeMetadata::from_json(doc).map_err(meta_err(&member_key))? {
                NodeMetadata::Array(a) => AnyMetadata::Array(a),
                NodeMetadata::Group(mut g) => {
                    if let Some(nested) = g.consolidated_metadata.take() {
                        for (p, n) in parse_v3(&nested, &member_key)? {
                            let full = format!("{path}/{p}");
                            crate::limits::check_node_path(&full)
                                .map_err(|m| bad(format!("member {full:?}: {m}")))?;
                            out.insert(full, n);
                        }
                    }
                    AnyMetadata::Group {
                        zarr_format: 3,
                        metadata: g,
                    }
                }
            },
            Some(2) => parse_v2_entry(doc, &member_key)?,
            other => return Err(bad(format!("{path}: unsupported zarr_format {other:?}"))),
        };
        out.insert(path.to_string(), node);
    }
    Ok(out)
}

fn parse_v2_entry(doc: &Value, key: &str) -> Result<AnyMetadata> {
    let attributes = doc
        .get("attributes")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    if doc.get("shape").is_some() {
        let mut d = doc.clone();
        if let Value::Object(o) = &mut d {
            o.remove("attributes");
        }
        let mut m = ArrayMetadataV2::from_json(&d).map_err(meta_err(key))?;
        m.attributes = attributes;
        Ok(AnyMetadata::ArrayV2(m))
    } else {
        Ok(AnyMetadata::group(2, attributes))
    }
}

/// What a V2 `.zmetadata` holds: the root's attributes (when it has a
/// `.zgroup` entry) and the members.
pub(crate) struct ZMetadata {
    /// The attributes of the group itself, when `.zgroup` is in the document.
    pub root: Option<Map<String, Value>>,
    /// The members.
    pub members: MemberMap,
}

/// Parse a `.zmetadata` document stored at `key`.
pub(crate) fn parse_v2(bytes: &[u8], key: &str) -> Result<ZMetadata> {
    let bad = |message: String| GroupError::InvalidConsolidatedMetadata {
        key: key.to_string(),
        message,
    };
    let doc: Value =
        crate::metadata::json::parse(bytes).map_err(|e| bad(format!("invalid JSON: {e}")))?;
    match doc.get("zarr_consolidated_format").and_then(Value::as_u64) {
        Some(1) => {}
        other => {
            return Err(bad(format!(
                "unsupported zarr_consolidated_format {other:?}"
            )))
        }
    }
    let Some(Value::Object(entries)) = doc.get("metadata") else {
        return Err(bad("\"metadata\" must be an object".into()));
    };
    // Node path -> (.zarray, .zgroup, .zattrs).
    let mut nodes: BTreeMap<String, [Option<&Value>; 3]> = BTreeMap::new();
    for (k, v) in entries {
        let (path, name) = match k.rsplit_once('/') {
            Some((p, n)) => (p.to_string(), n),
            None => (String::new(), k.as_str()),
        };
        let slot = match name {
            ".zarray" => 0,
            ".zgroup" => 1,
            ".zattrs" => 2,
            _ => continue,
        };
        nodes.entry(path).or_default()[slot] = Some(v);
    }
    let mut out = ZMetadata {
        root: None,
        members: MemberMap::new(),
    };
    for (path, [zarray, zgroup, zattrs]) in nodes {
        let attributes = match zattrs {
            None => Map::new(),
            Some(Value::Object(a)) => a.clone(),
            Some(_) => return Err(bad(format!("{path}/.zattrs must be an object"))),
        };
        let node = if let Some(z) = zarray {
            let mut m = ArrayMetadataV2::from_json(z).map_err(meta_err(key))?;
            m.attributes = attributes;
            AnyMetadata::ArrayV2(m)
        } else if zgroup.is_some() {
            AnyMetadata::group(2, attributes)
        } else {
            continue;
        };
        if !path.is_empty() {
            crate::limits::check_node_path(&path)
                .map_err(|m| bad(format!("member {path:?}: {m}")))?;
        }
        if path.is_empty() {
            if let AnyMetadata::Group { metadata, .. } = node {
                out.root = Some(metadata.attributes);
            }
        } else {
            out.members.insert(path, node);
        }
    }
    Ok(out)
}

/// The `.zmetadata` bytes zarr-python 3.4.2 writes for a V2 group with
/// `attributes` and `members`: compact JSON with Python's separators.
pub(crate) fn encode_v2(attributes: &Map<String, Value>, members: &MemberMap) -> Vec<u8> {
    let mut m = Map::new();
    m.insert(".zgroup".into(), json!({"zarr_format": 2}));
    m.insert(".zattrs".into(), Value::Object(attributes.clone()));
    for (k, v) in ordered(members) {
        m.insert(
            format!("{k}/.zattrs"),
            Value::Object(v.attributes().clone()),
        );
        match v {
            AnyMetadata::ArrayV2(a) => {
                m.insert(format!("{k}/.zarray"), a.to_json());
            }
            _ => {
                m.insert(
                    format!("{k}/.zgroup"),
                    json!({"zarr_format": 2, "consolidated_metadata":
                        {"metadata": {}, "must_understand": false, "kind": "inline"}}),
                );
            }
        }
    }
    crate::metadata::pyjson::compact(&json!({"metadata": m, "zarr_consolidated_format": 1}))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_is_depth_then_caseless_name() {
        let mut m = MemberMap::new();
        for k in ["a/x", "B", "a", "e", "a/sub/deep", "a/sub"] {
            m.insert(k.into(), AnyMetadata::group(3, Map::new()));
        }
        let keys: Vec<_> = ordered(&m).into_iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, ["a", "B", "e", "a/sub", "a/x", "a/sub/deep"]);
    }
}
