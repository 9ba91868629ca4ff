//! The logic of groups, written once over an [`AsyncStore`] and at the
//! level of metadata: [`AsyncGroup`](super::AsyncGroup) awaits it directly,
//! [`Group`](super::Group) runs it over an inline adapter of its blocking
//! store. Both then build their own array and group handles.

use super::consolidated::{self, MemberMap};
use super::error::{GroupError, Result};
use super::mode::UseConsolidated;
use super::names::{doc_key, join, normalize, validate_node_path};
use super::node::{
    delete_node, ensure_parents, node_exists, parse_v2, parse_v3, read_node, write_node,
    AnyMetadata,
};
use crate::metadata::GroupMetadata;
use crate::store::AsyncStore;
use futures::stream::{self, StreamExt, TryStreamExt};
use serde_json::{Map, Value};
use std::sync::Arc;

/// How many metadata reads run at once when walking a hierarchy.
const CONCURRENCY: usize = 64;

/// A group's path, format, metadata and consolidated members.
#[derive(Clone, Debug)]
pub(crate) struct GroupState {
    pub path: String,
    pub zarr_format: u8,
    /// Attributes and extra fields; `consolidated_metadata` is kept in
    /// `consolidated` instead.
    pub metadata: GroupMetadata,
    pub consolidated: Option<Arc<MemberMap>>,
}

impl GroupState {
    fn as_node(&self) -> AnyMetadata {
        AnyMetadata::Group {
            zarr_format: self.zarr_format,
            metadata: self.metadata.clone(),
        }
    }

    /// The state of the member group at `rel` with `metadata`, carrying
    /// the consolidated metadata of its own members when this group has some.
    pub fn child(&self, rel: &str, metadata: GroupMetadata, zarr_format: u8) -> GroupState {
        let consolidated = self.consolidated.as_ref().map(|all| {
            let prefix = format!("{rel}/");
            Arc::new(
                all.iter()
                    .filter_map(|(k, v)| {
                        k.strip_prefix(&prefix).map(|s| (s.to_string(), v.clone()))
                    })
                    .collect(),
            )
        });
        let mut metadata = metadata;
        metadata.consolidated_metadata = None;
        GroupState {
            path: join(&self.path, rel),
            zarr_format,
            metadata,
            consolidated,
        }
    }
}

pub(crate) fn check_format(zarr_format: u8) -> Result<u8> {
    match zarr_format {
        2 | 3 => Ok(zarr_format),
        f => Err(GroupError::InvalidArgument(format!(
            "zarr_format must be 2 or 3, not {f}"
        ))),
    }
}

fn check_writable(store: &dyn AsyncStore, operation: &'static str, path: &str) -> Result<()> {
    if store.read_only() {
        return Err(GroupError::ReadOnly {
            operation,
            path: path.to_string(),
        });
    }
    Ok(())
}

/// A short name of a store for messages: its type, without its contents
/// (adapters unwrapped).
fn store_name(store: &dyn AsyncStore) -> String {
    let debug = format!("{store:?}");
    let mut rest = debug.as_str();
    for wrapper in [
        "Inline(",
        "ReadOnlyAsync(",
        "SyncToAsync { inner: ",
        "ReadOnlyStore { inner: ",
    ] {
        rest = rest.strip_prefix(wrapper).unwrap_or(rest);
    }
    rest.split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .next()
        .filter(|s| !s.is_empty())
        .unwrap_or("store")
        .to_string()
}

/// Create a group at `path` (missing parents too). An existing node is
/// [`GroupError::AlreadyExists`] unless `overwrite`, which deletes it first.
pub(crate) async fn create(
    store: &dyn AsyncStore,
    path: &str,
    zarr_format: u8,
    attributes: Map<String, Value>,
    overwrite: bool,
) -> Result<GroupState> {
    validate_node_path(path)?;
    let path = normalize(path)?;
    check_format(zarr_format)?;
    check_writable(store, "create a group at", &path)?;
    if overwrite {
        // Everything under the path goes: the new group replaces it.
        delete_node(store, &path).await?;
    } else if node_exists(store, &path).await? {
        return Err(GroupError::AlreadyExists { path });
    }
    ensure_parents(store, &path, zarr_format).await?;
    let state = GroupState {
        path,
        zarr_format,
        metadata: GroupMetadata {
            attributes,
            ..Default::default()
        },
        consolidated: None,
    };
    save(store, &state).await?;
    Ok(state)
}

/// Write the group's metadata documents (with its consolidated metadata).
pub(crate) async fn save(store: &dyn AsyncStore, state: &GroupState) -> Result<()> {
    check_writable(store, "write the metadata of", &state.path)?;
    if state.zarr_format == 3 {
        let mut m = state.metadata.clone();
        m.consolidated_metadata = state.consolidated.as_deref().map(consolidated::encode_v3);
        let doc = AnyMetadata::Group {
            zarr_format: 3,
            metadata: m,
        };
        return write_node(store, &state.path, &doc).await;
    }
    write_node(store, &state.path, &state.as_node()).await?;
    if let Some(members) = &state.consolidated {
        let bytes = consolidated::encode_v2(&state.metadata.attributes, members);
        store
            .set(&doc_key(&state.path, ".zmetadata"), bytes.into())
            .await?;
    }
    Ok(())
}

/// Open the group at `path` (`zarr_format` `None`: V3, else V2).
pub(crate) async fn open(
    store: &dyn AsyncStore,
    path: &str,
    zarr_format: Option<u8>,
    use_consolidated: &UseConsolidated,
) -> Result<GroupState> {
    let path = normalize(path)?;
    if let Some(f) = zarr_format {
        check_format(f)?;
    }
    let mut use_consolidated = use_consolidated.clone();
    if !store.supports_consolidated_metadata() {
        if use_consolidated != UseConsolidated::Auto && use_consolidated != UseConsolidated::Never {
            return Err(GroupError::ConsolidationUnsupported {
                store: store_name(store),
            });
        }
        use_consolidated = UseConsolidated::Never;
    }
    let p = crate::buffer::BufferPrototype::default();
    if zarr_format != Some(2) {
        let key = doc_key(&path, "zarr.json");
        if let Some(bytes) = store.get(&key, &p, None).await? {
            let metadata = match parse_v3(&bytes, &key)? {
                AnyMetadata::Group { metadata, .. } => metadata,
                _ => return Err(GroupError::NotAGroup { path }),
            };
            return open_v3(path, metadata, &use_consolidated, &key);
        }
        if zarr_format == Some(3) {
            return not_found(store, path).await;
        }
    }
    // Zarr V2: the consolidated document holds the group's own .zgroup and
    // .zattrs, so one read does when it is there.
    let wants = !matches!(use_consolidated, UseConsolidated::Never);
    let zkey = match &use_consolidated {
        UseConsolidated::Key(k) => doc_key(&path, k),
        _ => doc_key(&path, ".zmetadata"),
    };
    let mut zmeta = None;
    if wants {
        if let Some(bytes) = store.get(&zkey, &p, None).await? {
            zmeta = Some(consolidated::parse_v2(&bytes, &zkey)?);
        }
    }
    if let Some(z) = &mut zmeta {
        if let Some(attributes) = z.root.take() {
            return Ok(GroupState {
                path,
                zarr_format: 2,
                metadata: GroupMetadata {
                    attributes,
                    ..Default::default()
                },
                consolidated: Some(Arc::new(std::mem::take(&mut z.members))),
            });
        }
    }
    let (gkey, akey) = (doc_key(&path, ".zgroup"), doc_key(&path, ".zattrs"));
    let (zgroup, zattrs) =
        futures::try_join!(store.get(&gkey, &p, None), store.get(&akey, &p, None))?;
    let Some(zgroup) = zgroup else {
        return not_found(store, path).await;
    };
    if zmeta.is_none() && wants && use_consolidated != UseConsolidated::Auto {
        return Err(GroupError::ConsolidatedMetadataMissing { path, key: zkey });
    }
    let Some(AnyMetadata::Group { metadata, .. }) =
        parse_v2(&path, None, Some(&zgroup), zattrs.as_deref())?
    else {
        return Err(GroupError::NotFound { path });
    };
    Ok(GroupState {
        path,
        zarr_format: 2,
        metadata,
        consolidated: zmeta.map(|z| Arc::new(z.members)),
    })
}

fn open_v3(
    path: String,
    mut metadata: GroupMetadata,
    use_consolidated: &UseConsolidated,
    key: &str,
) -> Result<GroupState> {
    let raw = metadata.consolidated_metadata.take();
    let consolidated = match use_consolidated {
        UseConsolidated::Never => None,
        UseConsolidated::Key(_) => return Err(GroupError::InvalidArgument(
            "a consolidated metadata key applies to Zarr V2 only; Zarr V3 keeps it in zarr.json"
                .into(),
        )),
        UseConsolidated::Required if raw.is_none() => {
            return Err(GroupError::ConsolidatedMetadataMissing {
                path,
                key: format!("{key} consolidated_metadata"),
            })
        }
        _ => match &raw {
            Some(v) => Some(Arc::new(consolidated::parse_v3(v, key)?)),
            None => None,
        },
    };
    Ok(GroupState {
        path,
        zarr_format: 3,
        metadata,
        consolidated,
    })
}

/// No group at `path`: say whether an array is there instead.
async fn not_found<T>(store: &dyn AsyncStore, path: String) -> Result<T> {
    match read_node(store, &path, None).await? {
        Some(n) if !n.is_group() => Err(GroupError::NotAGroup { path }),
        _ => Err(GroupError::NotFound { path }),
    }
}

/// The members of the group to `max_depth` levels below its children
/// (`Some(0)`: children only; `None`: all), by path relative to the group,
/// sorted by path. With consolidated metadata nothing is read.
pub(crate) async fn members(
    store: &dyn AsyncStore,
    state: &GroupState,
    max_depth: Option<usize>,
) -> Result<Vec<(String, AnyMetadata)>> {
    if let Some(all) = &state.consolidated {
        return Ok(all
            .iter()
            .filter(|(k, _)| max_depth.is_none_or(|d| k.matches('/').count() <= d))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect());
    }
    let skip: &[&str] = if state.zarr_format == 2 {
        &[".zattrs", ".zgroup", ".zarray", ".zmetadata"]
    } else {
        &["zarr.json"]
    };
    let mut out = Vec::new();
    // (relative path of a group to list, its depth)
    let mut queue: Vec<(String, usize)> = vec![(String::new(), 0)];
    while let Some((rel, depth)) = queue.pop() {
        let dir = join(&state.path, &rel);
        let names: Vec<String> = store
            .list_dir(&dir)
            .await?
            .into_iter()
            .filter(|n| !skip.contains(&n.as_str()))
            .collect();
        let found: Vec<(String, Option<AnyMetadata>)> = stream::iter(names)
            .map(|name| {
                let child = join(&rel, &name);
                let full = join(&state.path, &child);
                async move {
                    let node = read_node(store, &full, Some(state.zarr_format)).await?;
                    Ok::<_, GroupError>((child, node))
                }
            })
            .buffer_unordered(CONCURRENCY)
            .try_collect()
            .await?;
        for (child, node) in found {
            let Some(mut node) = node else { continue };
            if let AnyMetadata::Group { metadata, .. } = &mut node {
                metadata.consolidated_metadata = None;
                if max_depth.is_none_or(|d| depth < d) {
                    queue.push((child.clone(), depth + 1));
                }
            }
            out.push((child, node));
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(out)
}

/// The member at `rel` (may be nested, `a/b`). With consolidated metadata,
/// only it is consulted.
pub(crate) async fn get(
    store: &dyn AsyncStore,
    state: &GroupState,
    rel: &str,
) -> Result<AnyMetadata> {
    let rel = normalize(rel)?;
    let missing = || GroupError::MemberNotFound {
        group: state.path.clone(),
        name: rel.clone(),
    };
    if rel.is_empty() {
        return Ok(state.as_node());
    }
    if let Some(all) = &state.consolidated {
        return all.get(&rel).cloned().ok_or_else(missing);
    }
    let mut node = read_node(store, &join(&state.path, &rel), Some(state.zarr_format))
        .await?
        .ok_or_else(missing)?;
    if let AnyMetadata::Group { metadata, .. } = &mut node {
        // A member opened through its parent does not use its own
        // consolidated metadata unless opened as a group itself.
        metadata.consolidated_metadata = None;
    }
    Ok(node)
}

/// Validate `name`, make the parents of the new member, and return its path.
pub(crate) async fn prepare_member(
    store: &dyn AsyncStore,
    state: &GroupState,
    name: &str,
    zarr_format: u8,
) -> Result<String> {
    validate_node_path(name)?;
    let rel = normalize(name)?;
    if rel.is_empty() {
        return Err(GroupError::InvalidArgument(
            "a member needs a non-empty name".into(),
        ));
    }
    if zarr_format != state.zarr_format {
        return Err(GroupError::MixedFormats {
            message: format!(
                "cannot create a Zarr V{zarr_format} member in the Zarr V{} group at {:?}",
                state.zarr_format, state.path
            ),
        });
    }
    let path = join(&state.path, &rel);
    check_writable(store, "create", &path)?;
    ensure_parents(store, &path, zarr_format).await?;
    Ok(path)
}

/// Delete the member at `rel` and everything below it; consolidated
/// metadata, if the group has some, is updated.
pub(crate) async fn delete(
    store: &dyn AsyncStore,
    state: &mut GroupState,
    rel: &str,
) -> Result<()> {
    let rel = normalize(rel)?;
    if rel.is_empty() {
        return Err(GroupError::InvalidArgument(
            "delete needs a member name (not the group itself)".into(),
        ));
    }
    let path = join(&state.path, &rel);
    check_writable(store, "delete", &path)?;
    let exists = match &state.consolidated {
        Some(all) => all.contains_key(&rel) || node_exists(store, &path).await?,
        None => node_exists(store, &path).await?,
    };
    if !exists {
        return Err(GroupError::MemberNotFound {
            group: state.path.clone(),
            name: rel,
        });
    }
    delete_node(store, &path).await?;
    if let Some(all) = &state.consolidated {
        let prefix = format!("{rel}/");
        let kept: MemberMap = all
            .iter()
            .filter(|(k, _)| **k != rel && !k.starts_with(&prefix))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        state.consolidated = Some(Arc::new(kept));
        save(store, state).await?;
    }
    Ok(())
}

/// Move (rename) the member at `source` to `dest` (both relative to the
/// group): every key below it is copied, then the source is deleted.
/// Missing parents of `dest` are created; an existing `dest` is an error.
pub(crate) async fn move_member(
    store: &dyn AsyncStore,
    state: &mut GroupState,
    source: &str,
    dest: &str,
) -> Result<()> {
    let src_rel = normalize(source)?;
    let dst_rel = normalize(dest)?;
    validate_node_path(&dst_rel)?;
    if src_rel.is_empty() || dst_rel.is_empty() {
        return Err(GroupError::InvalidArgument(
            "move needs a source and a destination member name".into(),
        ));
    }
    if dst_rel == src_rel || dst_rel.starts_with(&format!("{src_rel}/")) {
        return Err(GroupError::InvalidArgument(format!(
            "cannot move {src_rel:?} into itself ({dst_rel:?})"
        )));
    }
    let src = join(&state.path, &src_rel);
    let dst = join(&state.path, &dst_rel);
    check_writable(store, "move", &src)?;
    if !node_exists(store, &src).await? {
        return Err(GroupError::MemberNotFound {
            group: state.path.clone(),
            name: src_rel,
        });
    }
    if node_exists(store, &dst).await? {
        return Err(GroupError::AlreadyExists { path: dst });
    }
    ensure_parents(store, &dst, state.zarr_format).await?;
    let p = crate::buffer::BufferPrototype::default();
    let prefix = format!("{src}/");
    let keys = store.list_prefix(&prefix).await?;
    stream::iter(keys.iter())
        .map(|k| {
            let p = &p;
            let prefix = &prefix;
            let dst = &dst;
            async move {
                if let Some(v) = store.get(k, p, None).await? {
                    store
                        .set(&format!("{dst}/{}", &k[prefix.len()..]), v)
                        .await?;
                }
                Ok::<_, GroupError>(())
            }
        })
        .buffer_unordered(CONCURRENCY)
        .try_collect::<Vec<()>>()
        .await?;
    store.delete_dir(&src).await?;
    if let Some(all) = &state.consolidated {
        let sp = format!("{src_rel}/");
        let moved: MemberMap = all
            .iter()
            .map(|(k, v)| {
                let k = if *k == src_rel {
                    dst_rel.clone()
                } else if let Some(rest) = k.strip_prefix(&sp) {
                    format!("{dst_rel}/{rest}")
                } else {
                    k.clone()
                };
                (k, v.clone())
            })
            .collect();
        state.consolidated = Some(Arc::new(moved));
        save(store, state).await?;
    }
    Ok(())
}

/// Consolidate the metadata of every node below the group at `path` into
/// it (V3: `zarr.json`; V2: `.zmetadata`), as zarr-python's
/// `consolidate_metadata` does.
pub(crate) async fn consolidate(
    store: &dyn AsyncStore,
    path: &str,
    zarr_format: Option<u8>,
) -> Result<GroupState> {
    if !store.supports_consolidated_metadata() {
        return Err(GroupError::ConsolidationUnsupported {
            store: store_name(store),
        });
    }
    let mut state = open(store, path, zarr_format, &UseConsolidated::Never).await?;
    check_writable(store, "consolidate the metadata of", &state.path)?;
    let all: MemberMap = members(store, &state, None).await?.into_iter().collect();
    state.consolidated = Some(Arc::new(all));
    save(store, &state).await?;
    Ok(state)
}

/// Parents first, then the rest: what [`create_hierarchy`] writes.
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
