//! [`AnyMetadata`]: the metadata of any node, V2 or V3, array or group, and
//! how it is read from and written to a store.

use super::error::{GroupError, Result};
use super::names::doc_key;
use crate::metadata::{
    ArrayMetadata, ArrayMetadataV2, GroupMetadata, GroupMetadataV2, MetadataError, NodeMetadata,
};
use crate::store::AsyncStore;
use serde_json::{Map, Value};

/// The metadata of one node of a hierarchy: a group or an array, of Zarr
/// format 2 or 3 (what zarr-python's `create_hierarchy` takes).
///
/// ```
/// use zarr::group::AnyMetadata;
/// let g = AnyMetadata::group(2, serde_json::Map::new());
/// assert_eq!(g.zarr_format(), 2);
/// assert!(g.is_group());
/// ```
#[derive(Clone, Debug, PartialEq)]
#[allow(clippy::large_enum_variant)]
pub enum AnyMetadata {
    /// A group. A V2 group uses only the attributes of `metadata`.
    Group {
        /// 2 or 3.
        zarr_format: u8,
        /// Attributes (and, for V3, extra fields).
        metadata: GroupMetadata,
    },
    /// A Zarr V3 array.
    Array(ArrayMetadata),
    /// A Zarr V2 array.
    ArrayV2(ArrayMetadataV2),
}

impl AnyMetadata {
    /// A group of `zarr_format` with these attributes.
    pub fn group(zarr_format: u8, attributes: Map<String, Value>) -> Self {
        AnyMetadata::Group {
            zarr_format,
            metadata: GroupMetadata {
                attributes,
                ..Default::default()
            },
        }
    }
    /// 2 or 3.
    pub fn zarr_format(&self) -> u8 {
        match self {
            AnyMetadata::Group { zarr_format, .. } => *zarr_format,
            AnyMetadata::Array(_) => 3,
            AnyMetadata::ArrayV2(_) => 2,
        }
    }
    /// True for a group.
    pub fn is_group(&self) -> bool {
        matches!(self, AnyMetadata::Group { .. })
    }
    /// The user attributes.
    pub fn attributes(&self) -> &Map<String, Value> {
        match self {
            AnyMetadata::Group { metadata, .. } => &metadata.attributes,
            AnyMetadata::Array(a) => &a.attributes,
            AnyMetadata::ArrayV2(a) => &a.attributes,
        }
    }
    /// The shape of an array (`None` for a group).
    pub fn shape(&self) -> Option<&[u64]> {
        match self {
            AnyMetadata::Group { .. } => None,
            AnyMetadata::Array(a) => Some(&a.shape),
            AnyMetadata::ArrayV2(a) => Some(&a.shape),
        }
    }

    /// The metadata documents of the node at `path`, by store key, as
    /// zarr-python writes them (`zarr.json`; or `.zgroup` / `.zarray` and
    /// `.zattrs`). A group's consolidated metadata is written too.
    pub fn documents(&self, path: &str) -> Vec<(String, Vec<u8>)> {
        match self {
            AnyMetadata::Group {
                zarr_format: 3,
                metadata,
            } => vec![(doc_key(path, "zarr.json"), pretty(&metadata.to_json()))],
            AnyMetadata::Group { metadata, .. } => vec![
                (
                    doc_key(path, ".zgroup"),
                    pretty(&serde_json::json!({"zarr_format": 2})),
                ),
                (
                    doc_key(path, ".zattrs"),
                    pretty(&Value::Object(metadata.attributes.clone())),
                ),
            ],
            AnyMetadata::Array(a) => vec![(doc_key(path, "zarr.json"), a.to_json_bytes())],
            AnyMetadata::ArrayV2(a) => vec![
                (doc_key(path, ".zarray"), a.zarray_bytes()),
                (doc_key(path, ".zattrs"), a.zattrs_bytes()),
            ],
        }
    }

    /// The document zarr-python puts in V3 consolidated metadata for this
    /// node (groups carry an empty inline `consolidated_metadata`).
    pub(crate) fn consolidated_entry(&self) -> Value {
        match self {
            AnyMetadata::Group { metadata, .. } => {
                let mut m = metadata.clone();
                m.consolidated_metadata = Some(super::consolidated::inline(Map::new()));
                m.to_json()
            }
            AnyMetadata::Array(a) => a.to_json(),
            AnyMetadata::ArrayV2(a) => {
                let mut v = a.to_json();
                if let Value::Object(o) = &mut v {
                    o.insert("attributes".into(), Value::Object(a.attributes.clone()));
                }
                v
            }
        }
    }
}

/// A metadata document as zarr-python writes it (Python's `json.dumps` with
/// `indent=2`).
pub(crate) fn pretty(v: &Value) -> Vec<u8> {
    crate::metadata::pyjson::pretty(v)
}

pub(crate) fn meta_err(key: &str) -> impl Fn(MetadataError) -> GroupError + '_ {
    move |source| GroupError::Metadata {
        key: key.to_string(),
        source,
    }
}

/// Parse a `zarr.json` document (keeping a group's consolidated metadata raw).
pub(crate) fn parse_v3(bytes: &[u8], key: &str) -> Result<AnyMetadata> {
    Ok(
        match NodeMetadata::from_json_bytes(bytes).map_err(meta_err(key))? {
            NodeMetadata::Array(a) => AnyMetadata::Array(a),
            NodeMetadata::Group(g) => AnyMetadata::Group {
                zarr_format: 3,
                metadata: g,
            },
        },
    )
}

/// Parse V2 documents: `.zarray` (an array) or else `.zgroup`, with `.zattrs`.
pub(crate) fn parse_v2(
    path: &str,
    zarray: Option<&[u8]>,
    zgroup: Option<&[u8]>,
    zattrs: Option<&[u8]>,
) -> Result<Option<AnyMetadata>> {
    if let Some(z) = zarray {
        let key = doc_key(path, ".zarray");
        let m = ArrayMetadataV2::from_json_bytes(z, zattrs).map_err(meta_err(&key))?;
        return Ok(Some(AnyMetadata::ArrayV2(m)));
    }
    if let Some(z) = zgroup {
        let key = doc_key(path, ".zgroup");
        let g = GroupMetadataV2::from_json_bytes(z, zattrs).map_err(meta_err(&key))?;
        return Ok(Some(AnyMetadata::group(2, g.attributes)));
    }
    Ok(None)
}

/// Read the node at `path` of the given format (`None`: V3 first, then V2).
pub(crate) async fn read_node(
    store: &dyn AsyncStore,
    path: &str,
    zarr_format: Option<u8>,
) -> Result<Option<AnyMetadata>> {
    if zarr_format != Some(2) {
        let key = doc_key(path, "zarr.json");
        if let Some(b) = crate::store::get_document_async(store, &key).await? {
            return parse_v3(&b, &key).map(Some);
        }
        if zarr_format == Some(3) {
            return Ok(None);
        }
    }
    let keys = [".zarray", ".zgroup", ".zattrs"].map(|n| doc_key(path, n));
    let (zarray, zgroup, zattrs) = futures::try_join!(
        crate::store::get_document_async(store, &keys[0]),
        crate::store::get_document_async(store, &keys[1]),
        crate::store::get_document_async(store, &keys[2]),
    )?;
    parse_v2(
        path,
        zarray.as_deref(),
        zgroup.as_deref(),
        zattrs.as_deref(),
    )
}

/// Write the documents of `node` at `path`.
pub(crate) async fn write_node(
    store: &dyn AsyncStore,
    path: &str,
    node: &AnyMetadata,
) -> Result<()> {
    for (k, v) in node.documents(path) {
        store.set(&k, v.into()).await?;
    }
    Ok(())
}

/// Delete the node at `path` and everything below it (the whole store for the root).
pub(crate) async fn delete_node(store: &dyn AsyncStore, path: &str) -> Result<()> {
    if path.is_empty() {
        for k in store.list_prefix("").await? {
            store.delete(&k).await?;
        }
        return Ok(());
    }
    // The node's documents first: a delete killed half-way leaves no node
    // that opens with chunks missing.
    for name in ["zarr.json", ".zarray", ".zgroup"] {
        store.delete(&doc_key(path, name)).await?;
    }
    store.delete_dir(path).await?;
    Ok(())
}

/// Create the missing parent groups of `path` (with `zarr_format`), from the
/// root down; an array among the parents is [`GroupError::ParentIsArray`].
pub(crate) async fn ensure_parents(
    store: &dyn AsyncStore,
    path: &str,
    zarr_format: u8,
) -> Result<()> {
    create_parents(store, missing_parents(store, path).await?, zarr_format).await
}

/// [`ensure_parents`] for a new array, as lenient as zarr-python (which
/// never parses the parents): a parent whose document cannot be parsed
/// counts as an existing group and is left as it is; an array among the
/// parents is still [`GroupError::ParentIsArray`].
pub(crate) async fn ensure_parents_of_array(
    store: &dyn AsyncStore,
    path: &str,
    zarr_format: u8,
) -> Result<()> {
    let mut missing = Vec::new();
    for parent in super::names::ancestors(path) {
        match read_node(store, &parent, None).await {
            Ok(Some(AnyMetadata::Group { .. })) | Err(GroupError::Metadata { .. }) => {}
            Ok(Some(_)) => {
                return Err(GroupError::ParentIsArray {
                    path: path.to_string(),
                    parent,
                })
            }
            Ok(None) => missing.push(parent),
            Err(e) => return Err(e),
        }
    }
    create_parents(store, missing, zarr_format).await
}

/// Write the group documents of `parents` (from the root down), never
/// over an existing document.
async fn create_parents(
    store: &dyn AsyncStore,
    parents: Vec<String>,
    zarr_format: u8,
) -> Result<()> {
    for parent in parents {
        for (k, v) in AnyMetadata::group(zarr_format, Map::new()).documents(&parent) {
            store.set_if_not_exists(&k, v.into()).await?;
        }
    }
    Ok(())
}

/// The parents of `path` that have no node yet, from the root down; an
/// array among them is [`GroupError::ParentIsArray`]. Nothing is written.
pub(crate) async fn missing_parents(store: &dyn AsyncStore, path: &str) -> Result<Vec<String>> {
    let mut missing = Vec::new();
    for parent in super::names::ancestors(path) {
        match read_node(store, &parent, None).await? {
            Some(AnyMetadata::Group { .. }) => {}
            Some(_) => {
                return Err(GroupError::ParentIsArray {
                    path: path.to_string(),
                    parent,
                })
            }
            None => missing.push(parent),
        }
    }
    Ok(missing)
}

/// True when a node (V2 or V3) exists at `path`.
pub(crate) async fn node_exists(store: &dyn AsyncStore, path: &str) -> Result<bool> {
    for name in ["zarr.json", ".zarray", ".zgroup"] {
        if store.exists(&doc_key(path, name)).await? {
            return Ok(true);
        }
    }
    Ok(false)
}
