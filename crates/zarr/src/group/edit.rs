//! Changing a group's members: delete and move (rename).

use super::consolidated::MemberMap;
use super::core::{check_writable, update_consolidated, GroupState, CONCURRENCY};
use super::error::{GroupError, Result};
use super::names::{join, normalize, validate_node_path};
use super::node::{delete_node, ensure_parents, missing_parents, node_exists, read_node};
use crate::store::AsyncStore;
use futures::stream::{self, StreamExt, TryStreamExt};

/// Refuse an edit that must delete keys on a store that cannot (a zip
/// archive), before anything is written.
fn check_deletes(store: &dyn AsyncStore, operation: &'static str) -> Result<()> {
    if store.supports_deletes() {
        return Ok(());
    }
    Err(GroupError::Store(crate::store::StoreError::Unsupported {
        store: format!("{store:?}"),
        operation,
    }))
}

/// True when keys lie below `path` although no node is there: what an
/// interrupted delete left. Never below an array (`a/c` of an array `a`
/// holds its chunks, not a member).
async fn is_leftover(store: &dyn AsyncStore, path: &str) -> Result<bool> {
    match missing_parents(store, path).await {
        Ok(_) => Ok(!store.is_empty(&format!("{path}/")).await?),
        Err(GroupError::ParentIsArray { .. }) => Ok(false),
        Err(e) => Err(e),
    }
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
    // A member, or what an interrupted delete left of one (keys below
    // the path, no node documents).
    let exists = state
        .consolidated
        .as_ref()
        .is_some_and(|all| all.contains_key(&rel))
        || node_exists(store, &path).await?
        || is_leftover(store, &path).await?;
    if !exists {
        return Err(GroupError::MemberNotFound {
            group: state.path.clone(),
            name: rel,
        });
    }
    check_deletes(store, "deletes")?;
    // The consolidated metadata first, then the node's own documents, then
    // the rest: a delete killed half-way never leaves a member that readers
    // of either kind still find but that has lost chunks.
    let prefix = format!("{rel}/");
    let without = |all: &MemberMap| -> MemberMap {
        all.iter()
            .filter(|(k, _)| **k != rel && !k.starts_with(&prefix))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    };
    update_consolidated(store, state, &without).await?;
    delete_node(store, &path).await
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
    // A move is a copy and a delete: refuse it before writing anything
    // where the delete cannot follow (a zip archive).
    missing_parents(store, &dst).await?;
    check_deletes(store, "deletes (a move deletes its source)")?;
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
    // The groups the member goes into, as stored now (created above or
    // meanwhile): listed with it when the consolidated metadata lists it.
    let mut parents = Vec::new();
    if state.consolidated.is_some() {
        for a in super::names::ancestors(&dst_rel).into_iter().skip(1) {
            if let Some(m) = read_node(store, &join(&state.path, &a), None).await? {
                parents.push((a, m));
            }
        }
    }
    let sp = format!("{src_rel}/");
    let dp = format!("{dst_rel}/");
    let moved = |all: &MemberMap| -> MemberMap {
        let listed = all.contains_key(&src_rel);
        // Entries at or below the destination describe nodes that are gone
        // (it was free in the store): the moved ones replace them.
        let mut out: MemberMap = all
            .iter()
            .filter(|(k, _)| {
                (**k != dst_rel && !k.starts_with(&dp)) || **k == src_rel || k.starts_with(&sp)
            })
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
        if listed {
            for (a, m) in &parents {
                out.entry(a.clone()).or_insert_with(|| m.clone());
            }
        }
        out
    };
    update_consolidated(store, state, &moved).await
}
