//! Whole-hierarchy operations: [`create_hierarchy`] and
//! [`consolidate_metadata`], each with an async twin.

use super::core::{self, check_format, check_writable, GroupState};
use super::error::{GroupError, Result};
use super::names::{normalize, validate_node_path};
use super::node::{delete_node, read_node, AnyMetadata};
use super::{AsyncGroup, AsyncNode, Group, Node};
use crate::metadata::GroupMetadata;
use crate::store::Inline;
use crate::store::{AsyncStore, StoreRef};
use futures::executor::block_on;
use futures::stream::{self, StreamExt, TryStreamExt};
use rayon::prelude::*;
use serde_json::Map;
use std::sync::Arc;

fn root_state(zarr_format: u8) -> GroupState {
    GroupState {
        path: String::new(),
        zarr_format,
        metadata: GroupMetadata::default(),
        consolidated: None,
    }
}

/// Create a whole hierarchy from `nodes` (paths from the store root, `""`
/// for the root, leading `/` ignored, to metadata), as zarr-python's
/// `create_hierarchy`: missing parent groups (the root included) are
/// inserted, all nodes must share one zarr format, nodes under an array are
/// an error, and the metadata documents are written concurrently (rayon).
///
/// An existing node named in `nodes` is an error unless `overwrite`, which
/// deletes it (and everything below it) first; an existing group where
/// only an implicit parent was needed is kept as it is. Returns every node
/// created, sorted by path.
///
/// ```
/// use std::sync::Arc;
/// use zarr::group::{create_hierarchy, AnyMetadata};
/// use zarr::store::{MemoryStore, StoreRef};
/// let store: StoreRef = Arc::new(MemoryStore::new());
/// let nodes = vec![("a/b".to_string(), AnyMetadata::group(3, Default::default()))];
/// let made: Vec<String> = create_hierarchy(&store, &nodes, false).unwrap().into_iter().map(|(k, _)| k).collect();
/// assert_eq!(made, ["", "a", "a/b"]);
/// assert!(create_hierarchy(&store, &nodes, false).is_err()); // "a/b" exists now
/// ```
pub fn create_hierarchy(
    store: &StoreRef,
    nodes: &[(String, AnyMetadata)],
    overwrite: bool,
) -> Result<Vec<(String, Node)>> {
    let inline = Inline(store.clone());
    let plan = block_on(plan_hierarchy(&inline, nodes, overwrite))?;
    for p in &plan.delete {
        block_on(delete_node(&inline, p))?;
    }
    plan.documents()
        .into_par_iter()
        .try_for_each(|(k, v)| store.set(&k, v.into()))?;
    let root = Group::from_state(store.clone(), root_state(plan.zarr_format()));
    plan.into_nodes(|k, m| root.node(k, m))
}

/// The async twin of [`create_hierarchy`]: documents are written with up
/// to 64 requests in flight.
pub async fn create_hierarchy_async(
    store: &Arc<dyn AsyncStore>,
    nodes: &[(String, AnyMetadata)],
    overwrite: bool,
) -> Result<Vec<(String, AsyncNode)>> {
    let plan = plan_hierarchy(store.as_ref(), nodes, overwrite).await?;
    for p in &plan.delete {
        delete_node(store.as_ref(), p).await?;
    }
    stream::iter(plan.documents())
        .map(|(k, v)| async move { store.set(&k, v.into()).await })
        .buffer_unordered(64)
        .try_collect::<Vec<()>>()
        .await?;
    let root = AsyncGroup::from_state(store.clone(), root_state(plan.zarr_format()));
    plan.into_nodes(|k, m| root.node(k, m))
}

/// Consolidate the metadata of every node below the group at `path` into
/// that group, as zarr-python's `consolidate_metadata`: for Zarr V3 inline
/// in its `zarr.json` (`consolidated_metadata`), for V2 in `.zmetadata`.
/// `zarr_format` `None` finds the format. A store that does not support
/// consolidated metadata is
/// [`GroupError::ConsolidationUnsupported`](super::GroupError::ConsolidationUnsupported).
/// Returns the group, with its consolidated metadata.
///
/// ```
/// use std::sync::Arc;
/// use zarr::group::{consolidate_metadata, Group};
/// use zarr::store::{MemoryStore, StoreRef};
/// let store: StoreRef = Arc::new(MemoryStore::new());
/// let root = Group::create(store.clone(), "", 3, Default::default(), false).unwrap();
/// root.create_group("a/b", Default::default(), false).unwrap();
/// let g = consolidate_metadata(&store, "", None).unwrap();
/// assert_eq!(g.consolidated_metadata().unwrap().len(), 2);
/// ```
pub fn consolidate_metadata(
    store: &StoreRef,
    path: &str,
    zarr_format: Option<u8>,
) -> Result<Group> {
    let state = block_on(core::consolidate(&Inline(store.clone()), path, zarr_format))?;
    Ok(Group::from_state(store.clone(), state))
}

/// The async twin of [`consolidate_metadata`].
pub async fn consolidate_metadata_async(
    store: &Arc<dyn AsyncStore>,
    path: &str,
    zarr_format: Option<u8>,
) -> Result<AsyncGroup> {
    let state = core::consolidate(store.as_ref(), path, zarr_format).await?;
    Ok(AsyncGroup::from_state(store.clone(), state))
}

/// What [`create_hierarchy`] deletes and writes.
pub(crate) struct HierarchyPlan {
    /// Node paths to delete first (with everything below them).
    pub delete: Vec<String>,
    /// Every node to create, by path (implicit groups included).
    pub nodes: Vec<(String, AnyMetadata)>,
}

impl HierarchyPlan {
    /// The documents to write.
    pub fn documents(&self) -> Vec<(String, Vec<u8>)> {
        self.nodes
            .iter()
            .flat_map(|(p, n)| n.documents(p))
            .collect()
    }

    /// The zarr format of the nodes (3 when there are none).
    pub fn zarr_format(&self) -> u8 {
        self.nodes.first().map_or(3, |(_, n)| n.zarr_format())
    }

    /// The created nodes, made by `node` from their path and metadata,
    /// sorted by path.
    pub fn into_nodes<N>(
        self,
        node: impl Fn(&str, AnyMetadata) -> Result<N>,
    ) -> Result<Vec<(String, N)>> {
        let mut out = self
            .nodes
            .into_iter()
            .map(|(k, m)| Ok((k.clone(), node(&k, m)?)))
            .collect::<Result<Vec<_>>>()?;
        out.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(out)
    }
}

/// Plan zarr-python's `create_hierarchy`: normalise the paths, insert the
/// implicit parent groups (an existing group there is kept), refuse mixed
/// formats and nodes under arrays, and check for existing nodes (an error
/// unless `overwrite`, which deletes each explicitly named node first).
pub(crate) async fn plan_hierarchy(
    store: &dyn AsyncStore,
    nodes: &[(String, AnyMetadata)],
    overwrite: bool,
) -> Result<HierarchyPlan> {
    let mut explicit: std::collections::BTreeMap<String, AnyMetadata> = Default::default();
    for (k, v) in nodes {
        validate_node_path(k)?;
        let k = normalize(k)?;
        check_format(v.zarr_format())?;
        explicit.insert(k, v.clone());
    }
    let Some(format) = explicit.values().next().map(AnyMetadata::zarr_format) else {
        return Ok(HierarchyPlan {
            delete: Vec::new(),
            nodes: Vec::new(),
        });
    };
    let (v2, v3): (Vec<_>, Vec<_>) = explicit.iter().partition(|(_, v)| v.zarr_format() == 2);
    if !v2.is_empty() && !v3.is_empty() {
        return Err(GroupError::MixedFormats {
            message: format!(
                "Zarr V2 nodes {:?} and Zarr V3 nodes {:?} in one hierarchy",
                v2.iter().map(|(k, _)| k).collect::<Vec<_>>(),
                v3.iter().map(|(k, _)| k).collect::<Vec<_>>()
            ),
        });
    }
    check_writable(store, "create a hierarchy at", "")?;
    let mut implicit: Vec<String> = Vec::new();
    for k in explicit.keys() {
        for parent in super::names::ancestors(k) {
            match explicit.get(&parent) {
                Some(n) if !n.is_group() => {
                    return Err(GroupError::ParentIsArray {
                        path: k.clone(),
                        parent,
                    })
                }
                Some(_) => {}
                None => {
                    if !implicit.contains(&parent) {
                        implicit.push(parent);
                    }
                }
            }
        }
    }
    let mut out = Vec::new();
    for parent in &implicit {
        match read_node(store, parent, Some(format)).await? {
            Some(n) if n.is_group() => {}
            Some(_) => {
                return Err(GroupError::ParentIsArray {
                    path: parent.clone(),
                    parent: parent.clone(),
                })
            }
            None => out.push((parent.clone(), AnyMetadata::group(format, Map::new()))),
        }
    }
    let mut delete = Vec::new();
    for k in explicit.keys() {
        if overwrite {
            delete.push(k.clone());
        } else if read_node(store, k, Some(format)).await?.is_some() {
            return Err(GroupError::AlreadyExists { path: k.clone() });
        }
    }
    out.extend(explicit);
    Ok(HierarchyPlan { delete, nodes: out })
}
