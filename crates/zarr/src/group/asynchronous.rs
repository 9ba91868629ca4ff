//! [`AsyncGroup`]: a group over an [`AsyncStore`].

use super::core::{self, GroupState};
use super::error::{GroupError, Result};
use super::node::AnyMetadata;
use super::tree;
use super::UseConsolidated;
use crate::array::{ArrayBuilder, AsyncArray};
use crate::store::AsyncStore;
use serde_json::{Map, Value};
use std::sync::Arc;

/// A member of an [`AsyncGroup`]: an array or a group.
#[derive(Clone, Debug)]
#[allow(clippy::large_enum_variant)]
pub enum AsyncNode {
    /// An array.
    Array(AsyncArray),
    /// A group.
    Group(AsyncGroup),
}

/// A Zarr group (V3 `zarr.json`, or V2 `.zgroup` + `.zattrs`) over an
/// [`AsyncStore`]: the async twin of [`Group`](super::Group), with the same
/// methods and meaning.
///
/// ```
/// use std::sync::Arc;
/// use zarr::group::AsyncGroup;
/// use zarr::store::{AsyncStore, MemoryStore, SyncToAsync};
/// let rt = tokio::runtime::Runtime::new().unwrap();
/// rt.block_on(async {
///     let store: Arc<dyn AsyncStore> = Arc::new(SyncToAsync::new(Arc::new(MemoryStore::new())));
///     let root = AsyncGroup::create(store.clone(), "", 3, Default::default(), false).await.unwrap();
///     root.create_group("a/b", Default::default(), false).await.unwrap();
///     let names: Vec<String> = root.members(None).await.unwrap().into_iter().map(|(k, _)| k).collect();
///     assert_eq!(names, ["a", "a/b"]);
/// });
/// ```
#[derive(Clone, Debug)]
pub struct AsyncGroup {
    store: Arc<dyn AsyncStore>,
    state: GroupState,
}

impl AsyncGroup {
    pub(crate) fn from_state(store: Arc<dyn AsyncStore>, state: GroupState) -> Self {
        AsyncGroup { store, state }
    }

    /// Create a group of `zarr_format` (2 or 3) at `path`, with any missing
    /// parent groups. An existing node there is
    /// [`GroupError::AlreadyExists`] unless `overwrite`, which deletes
    /// everything under the path first.
    pub async fn create(
        store: Arc<dyn AsyncStore>,
        path: &str,
        zarr_format: u8,
        attributes: Map<String, Value>,
        overwrite: bool,
    ) -> Result<Self> {
        let state = core::create(store.as_ref(), path, zarr_format, attributes, overwrite).await?;
        Ok(Self::from_state(store, state))
    }

    /// Open the group at `path`: V3 (`zarr.json`) first, then V2, unless
    /// `zarr_format` says which; consolidated metadata as `use_consolidated` says.
    pub async fn open(
        store: Arc<dyn AsyncStore>,
        path: &str,
        zarr_format: Option<u8>,
        use_consolidated: UseConsolidated,
    ) -> Result<Self> {
        let state = core::open(store.as_ref(), path, zarr_format, &use_consolidated).await?;
        Ok(Self::from_state(store, state))
    }

    /// The store.
    pub fn store(&self) -> &Arc<dyn AsyncStore> {
        &self.store
    }
    group_accessors!();

    /// Replace the user attributes.
    pub async fn set_attributes(&mut self, attributes: Map<String, Value>) -> Result<()> {
        let mut state = self.state.clone();
        state.metadata.attributes = attributes;
        core::save(self.store.as_ref(), &state).await?;
        self.state = state;
        Ok(())
    }
    /// Add or replace some user attributes.
    pub async fn update_attributes(&mut self, attributes: Map<String, Value>) -> Result<()> {
        let mut all = self.state.metadata.attributes.clone();
        all.extend(attributes);
        self.set_attributes(all).await
    }

    /// The metadata of the members to `max_depth` levels below the group's
    /// children (`Some(0)`: the children; `None`: all), sorted by path.
    pub async fn members_metadata(
        &self,
        max_depth: Option<usize>,
    ) -> Result<Vec<(String, AnyMetadata)>> {
        core::members(self.store.as_ref(), &self.state, max_depth).await
    }

    /// The names of the group's children (arrays and groups), sorted.
    pub async fn keys(&self) -> Result<Vec<String>> {
        Ok(self
            .members_metadata(Some(0))
            .await?
            .into_iter()
            .map(|(k, _)| k)
            .collect())
    }

    /// The names of the group's child arrays, sorted.
    pub async fn array_keys(&self) -> Result<Vec<String>> {
        Ok(super::child_keys(
            self.members_metadata(Some(0)).await?,
            false,
        ))
    }

    /// The names of the group's child groups, sorted.
    pub async fn group_keys(&self) -> Result<Vec<String>> {
        Ok(super::child_keys(
            self.members_metadata(Some(0)).await?,
            true,
        ))
    }

    /// The members (see [`AsyncGroup::members_metadata`]) as arrays and groups.
    pub async fn members(&self, max_depth: Option<usize>) -> Result<Vec<(String, AsyncNode)>> {
        self.members_metadata(max_depth)
            .await?
            .into_iter()
            .map(|(k, m)| Ok((k.clone(), self.node(&k, m)?)))
            .collect()
    }

    group_node!(AsyncNode, AsyncArray);

    /// The member at `path` (relative; may be nested like `a/b`).
    pub async fn get(&self, path: &str) -> Result<AsyncNode> {
        let meta = core::get(self.store.as_ref(), &self.state, path).await?;
        self.node(path.trim_matches('/'), meta)
    }
    /// The member group at `path`.
    pub async fn group(&self, path: &str) -> Result<AsyncGroup> {
        match self.get(path).await? {
            AsyncNode::Group(g) => Ok(g),
            AsyncNode::Array(a) => Err(GroupError::NotAGroup {
                path: a.path().to_string(),
            }),
        }
    }
    /// The member array at `path`.
    pub async fn array(&self, path: &str) -> Result<AsyncArray> {
        match self.get(path).await? {
            AsyncNode::Array(a) => Ok(a),
            AsyncNode::Group(g) => Err(GroupError::NotAnArray {
                path: g.path().to_string(),
            }),
        }
    }
    /// True when a member exists at `path`.
    pub async fn contains(&self, path: &str) -> Result<bool> {
        match core::get(self.store.as_ref(), &self.state, path).await {
            Ok(_) => Ok(true),
            Err(GroupError::MemberNotFound { .. }) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Check that a member `name` of this group's format can be made
    /// (creating the groups between); its path from the store root.
    async fn prepare_member(&self, name: &str) -> Result<String> {
        core::prepare_member(
            self.store.as_ref(),
            &self.state,
            name,
            self.state.zarr_format,
        )
        .await
    }

    /// Create a member group `name` (may be nested) of this group's format.
    pub async fn create_group(
        &self,
        name: &str,
        attributes: Map<String, Value>,
        overwrite: bool,
    ) -> Result<AsyncGroup> {
        let path = self.prepare_member(name).await?;
        Self::create(
            self.store.clone(),
            &path,
            self.state.zarr_format,
            attributes,
            overwrite,
        )
        .await
    }

    /// The member group `name`, created when missing (recreated, empty,
    /// with `overwrite`); an array there is [`GroupError::NotAGroup`].
    pub async fn require_group(&self, name: &str, overwrite: bool) -> Result<AsyncGroup> {
        if overwrite {
            return self.create_group(name, Map::new(), true).await;
        }
        match self.get(name).await {
            Ok(AsyncNode::Group(g)) => Ok(g),
            Ok(AsyncNode::Array(a)) => Err(GroupError::NotAGroup {
                path: a.path().to_string(),
            }),
            Err(GroupError::MemberNotFound { .. }) => {
                self.create_group(name, Map::new(), false).await
            }
            Err(e) => Err(e),
        }
    }

    /// Create a member array `name` as `builder` describes, in this group's
    /// zarr format (the builder's format is set to it).
    pub async fn create_array(&self, name: &str, builder: &ArrayBuilder) -> Result<AsyncArray> {
        let builder = builder.clone().zarr_format(self.state.zarr_format);
        let path = self.prepare_member(name).await?;
        Ok(AsyncArray::create(&builder, self.store.clone(), &path).await?)
    }

    /// The member array `name` when it exists with the builder's shape and a
    /// data type that casts safely to the builder's (NumPy's
    /// `np.can_cast`, as zarr-python's `require_array` checks: an `int16`
    /// array serves a request for `int32`), else a new one; an existing
    /// array with another shape or a data type that does not cast is
    /// [`GroupError::IncompatibleArray`], a group there
    /// [`GroupError::NotAnArray`].
    pub async fn require_array(&self, name: &str, builder: &ArrayBuilder) -> Result<AsyncArray> {
        match self.get(name).await {
            Ok(AsyncNode::Array(a)) => {
                let want = builder.build_metadata()?;
                super::check_compatible(a.path(), a.shape(), a.data_type(), &want)?;
                Ok(a)
            }
            Ok(AsyncNode::Group(g)) => Err(GroupError::NotAnArray {
                path: g.path().to_string(),
            }),
            Err(GroupError::MemberNotFound { .. }) => self.create_array(name, builder).await,
            Err(e) => Err(e),
        }
    }

    /// Delete the member at `name` (may be nested) and everything below it.
    pub async fn delete(&mut self, name: &str) -> Result<()> {
        super::edit::delete(self.store.as_ref(), &mut self.state, name).await
    }

    /// Move (rename) the member `source` to `dest`, both relative to the group.
    pub async fn move_member(&mut self, source: &str, dest: &str) -> Result<()> {
        super::edit::move_member(self.store.as_ref(), &mut self.state, source, dest).await
    }

    /// The hierarchy as text, as zarr-python's `Group.tree(level=...)`:
    /// `level` limits the depth (`Some(0)`: the children only).
    /// Past [`TREE_MAX_NODES`](super::TREE_MAX_NODES) nodes the tree is
    /// truncated, as zarr-python's (see [`AsyncGroup::tree_max_nodes`]).
    pub async fn tree(&self, level: Option<usize>) -> Result<String> {
        self.tree_max_nodes(level, super::TREE_MAX_NODES).await
    }

    /// The async twin of [`Group::tree_max_nodes`](super::Group::tree_max_nodes).
    pub async fn tree_max_nodes(&self, level: Option<usize>, max_nodes: usize) -> Result<String> {
        Ok(tree::render(
            &self.name(),
            &self.members_metadata(level).await?,
            max_nodes,
        ))
    }
}
