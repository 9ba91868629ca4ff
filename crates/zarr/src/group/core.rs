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
pub(crate) const CONCURRENCY: usize = 64;

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

pub(crate) fn check_writable(
    store: &dyn AsyncStore,
    operation: &'static str,
    path: &str,
) -> Result<()> {
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

/// The V3 group document of `state`, with its consolidated metadata.
fn v3_document(state: &GroupState) -> AnyMetadata {
    let mut m = state.metadata.clone();
    m.consolidated_metadata = state.consolidated.as_deref().map(consolidated::encode_v3);
    AnyMetadata::Group {
        zarr_format: 3,
        metadata: m,
    }
}

/// Write the group's metadata documents (with its consolidated metadata).
pub(crate) async fn save(store: &dyn AsyncStore, state: &GroupState) -> Result<()> {
    check_writable(store, "write the metadata of", &state.path)?;
    if state.zarr_format == 3 {
        return write_node(store, &state.path, &v3_document(state)).await;
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

/// How many conditional writes [`update_consolidated`] tries: each failed
/// one means another writer's update landed, so this bounds only a
/// pathological stream of writers.
const UPDATE_ATTEMPTS: usize = 256;

/// Change the consolidated metadata of the group in `state` by `edit`
/// (deleting or renaming members), as a read-modify-write of the stored
/// document (`zarr.json` for V3, `.zmetadata` for V2) with conditional
/// writes: the document is read, `edit` applied to the members it holds
/// and the result written only if the document is still what was read, else
/// the whole step is repeated. Concurrent updates by other processes (each
/// `zarr rm` in a consolidated hierarchy) are therefore never lost, and
/// changes made meanwhile to the group's attributes are kept. On stores
/// without conditional writes the document is rewritten from `state`
/// (last writer wins). `state` ends as what was written; a group whose
/// stored document has no consolidated metadata (any more) is left alone.
pub(crate) async fn update_consolidated(
    store: &dyn AsyncStore,
    state: &mut GroupState,
    edit: &(dyn Fn(&MemberMap) -> MemberMap + Sync),
) -> Result<()> {
    let Some(mine) = state.consolidated.clone() else {
        return Ok(());
    };
    check_writable(store, "write the metadata of", &state.path)?;
    if !store.supports_conditional_writes() {
        state.consolidated = Some(Arc::new(edit(&mine)));
        return save(store, state).await;
    }
    let v3 = state.zarr_format == 3;
    let key = doc_key(&state.path, if v3 { "zarr.json" } else { ".zmetadata" });
    for _ in 0..UPDATE_ATTEMPTS {
        let Some(current) = crate::store::get_document_async(store, &key).await? else {
            // The group (or its consolidated document) is gone.
            state.consolidated = None;
            return Ok(());
        };
        let (fresh, bytes) = if v3 {
            let metadata = match parse_v3(&current, &key)? {
                AnyMetadata::Group { metadata, .. } => metadata,
                _ => {
                    return Err(GroupError::NotAGroup {
                        path: state.path.clone(),
                    })
                }
            };
            let mut fresh = open_v3(state.path.clone(), metadata, &UseConsolidated::Auto, &key)?;
            let Some(members) = fresh.consolidated.take() else {
                *state = fresh;
                return Ok(());
            };
            fresh.consolidated = Some(Arc::new(edit(&members)));
            let doc = v3_document(&fresh).documents(&fresh.path);
            let bytes = doc.into_iter().next().map(|(_, b)| b).unwrap_or_default();
            (fresh, bytes)
        } else {
            let z = consolidated::parse_v2(&current, &key)?;
            let mut fresh = state.clone();
            if let Some(attributes) = z.root {
                fresh.metadata.attributes = attributes;
            }
            let members = edit(&z.members);
            let bytes = consolidated::encode_v2(&fresh.metadata.attributes, &members);
            fresh.consolidated = Some(Arc::new(members));
            (fresh, bytes)
        };
        let expected = crate::store::Expected::Bytes(&current);
        if store
            .set_if_unchanged(&key, expected, Some(bytes.into()))
            .await?
        {
            *state = fresh;
            return Ok(());
        }
    }
    Err(GroupError::Contended {
        key,
        attempts: UPDATE_ATTEMPTS,
    })
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
    if zarr_format != Some(2) {
        let key = doc_key(&path, "zarr.json");
        if let Some(bytes) = crate::store::get_document_async(store, &key).await? {
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
        if let Some(bytes) = crate::store::get_document_async(store, &zkey).await? {
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
    let (zgroup, zattrs) = futures::try_join!(
        crate::store::get_document_async(store, &gkey),
        crate::store::get_document_async(store, &akey)
    )?;
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
    // Level by level: every group of a level is listed, and every candidate
    // member read, concurrently.
    let mut level: Vec<String> = vec![String::new()];
    let mut depth = 0;
    while !level.is_empty() {
        let listed: Vec<(String, Vec<String>)> = stream::iter(level)
            .map(|rel| async move {
                let names = store.list_dir(&join(&state.path, &rel)).await?;
                Ok::<_, GroupError>((rel, names))
            })
            .buffer_unordered(CONCURRENCY)
            .try_collect()
            .await?;
        let candidates = listed.into_iter().flat_map(|(rel, names)| {
            names
                .into_iter()
                .filter(|n| !skip.contains(&n.as_str()))
                .map(move |n| join(&rel, &n))
        });
        let found: Vec<(String, Option<AnyMetadata>)> = stream::iter(candidates)
            .map(|child| async move {
                let full = join(&state.path, &child);
                let node = read_node(store, &full, Some(state.zarr_format)).await?;
                Ok::<_, GroupError>((child, node))
            })
            .buffer_unordered(CONCURRENCY)
            .try_collect()
            .await?;
        let descend = max_depth.is_none_or(|d| depth < d);
        let mut next = Vec::new();
        for (child, node) in found {
            let Some(mut node) = node else { continue };
            if let AnyMetadata::Group { metadata, .. } = &mut node {
                metadata.consolidated_metadata = None;
                if descend {
                    next.push(child.clone());
                }
            }
            out.push((child, node));
        }
        level = next;
        depth += 1;
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
