//! [`Group`]: a group over a blocking [`Store`](crate::store::Store).

use super::core::{self, GroupState};
use super::error::{GroupError, Result};
use super::node::AnyMetadata;
use super::tree;
use super::UseConsolidated;
use crate::array::{Array, ArrayBuilder};
use crate::store::Inline;
use crate::store::StoreRef;
use futures::executor::block_on;
use serde_json::{Map, Value};

/// A member of a [`Group`]: an array or a group.
#[derive(Clone, Debug)]
#[allow(clippy::large_enum_variant)]
pub enum Node {
    /// An array.
    Array(Array),
    /// A group.
    Group(Group),
}

/// A Zarr group (V3 `zarr.json`, or V2 `.zgroup` + `.zattrs`) with a
/// blocking API. It runs the same code as [`AsyncGroup`](super::AsyncGroup)
/// over its store, whose calls complete at once.
///
/// ```
/// use std::sync::Arc;
/// use zarr::array::ArrayBuilder;
/// use zarr::dtype::DataType;
/// use zarr::group::{Group, Node};
/// use zarr::store::{MemoryStore, StoreRef};
/// let store: StoreRef = Arc::new(MemoryStore::new());
/// let root = Group::create(store.clone(), "", 3, Default::default(), false).unwrap();
/// let a = root.create_array("data/x", &ArrayBuilder::new(vec![2, 3], DataType::Int32)).unwrap();
/// assert_eq!(a.path(), "data/x");
/// // The implicit parent group "data" was created.
/// assert!(matches!(root.get("data").unwrap(), Node::Group(_)));
/// print!("{}", root.tree(None).unwrap());
/// assert_eq!(root.tree(None).unwrap(), "/\n└── data\n    └── x (2, 3) int32\n");
/// ```
#[derive(Clone, Debug)]
pub struct Group {
    store: StoreRef,
    state: GroupState,
}

impl Group {
    pub(crate) fn from_state(store: StoreRef, state: GroupState) -> Self {
        Group { store, state }
    }

    fn inline(&self) -> Inline {
        Inline(self.store.clone())
    }

    /// Create a group of `zarr_format` (2 or 3) at `path`, with any missing
    /// parent groups. An existing node there is
    /// [`GroupError::AlreadyExists`] unless `overwrite`, which deletes
    /// everything under the path first.
    pub fn create(
        store: StoreRef,
        path: &str,
        zarr_format: u8,
        attributes: Map<String, Value>,
        overwrite: bool,
    ) -> Result<Self> {
        let state = block_on(core::create(
            &Inline(store.clone()),
            path,
            zarr_format,
            attributes,
            overwrite,
        ))?;
        Ok(Self::from_state(store, state))
    }

    /// Open the group at `path`: V3 (`zarr.json`) first, then V2, unless
    /// `zarr_format` says which; consolidated metadata as `use_consolidated`
    /// says. A missing group is [`GroupError::NotFound`], an array there
    /// [`GroupError::NotAGroup`]. A V2 group with consolidated metadata is
    /// opened from `.zmetadata` alone (its own `.zgroup` and `.zattrs` are in
    /// it), as zarr-python 2 does: one read.
    pub fn open(
        store: StoreRef,
        path: &str,
        zarr_format: Option<u8>,
        use_consolidated: UseConsolidated,
    ) -> Result<Self> {
        let state = block_on(core::open(
            &Inline(store.clone()),
            path,
            zarr_format,
            &use_consolidated,
        ))?;
        Ok(Self::from_state(store, state))
    }

    /// The store.
    pub fn store(&self) -> &StoreRef {
        &self.store
    }
    group_accessors!();

    /// Replace the user attributes.
    pub fn set_attributes(&mut self, attributes: Map<String, Value>) -> Result<()> {
        let mut state = self.state.clone();
        state.metadata.attributes = attributes;
        block_on(core::save(&self.inline(), &state))?;
        self.state = state;
        Ok(())
    }
    /// Add or replace some user attributes.
    pub fn update_attributes(&mut self, attributes: Map<String, Value>) -> Result<()> {
        let mut all = self.state.metadata.attributes.clone();
        all.extend(attributes);
        self.set_attributes(all)
    }

    /// The metadata of the members to `max_depth` levels below the group's
    /// children (`Some(0)`: the children; `None`: all), sorted by path.
    /// With consolidated metadata, nothing is read from the store.
    pub fn members_metadata(&self, max_depth: Option<usize>) -> Result<Vec<(String, AnyMetadata)>> {
        block_on(core::members(&self.inline(), &self.state, max_depth))
    }

    /// The members (see [`Group::members_metadata`]) as arrays and groups.
    pub fn members(&self, max_depth: Option<usize>) -> Result<Vec<(String, Node)>> {
        self.members_metadata(max_depth)?
            .into_iter()
            .map(|(k, m)| Ok((k.clone(), self.node(&k, m)?)))
            .collect()
    }

    /// The names of the group's children (arrays and groups), sorted.
    pub fn keys(&self) -> Result<Vec<String>> {
        Ok(self
            .members_metadata(Some(0))?
            .into_iter()
            .map(|(k, _)| k)
            .collect())
    }

    /// The names of the group's child arrays, sorted.
    pub fn array_keys(&self) -> Result<Vec<String>> {
        Ok(super::child_keys(self.members_metadata(Some(0))?, false))
    }

    /// The names of the group's child groups, sorted.
    pub fn group_keys(&self) -> Result<Vec<String>> {
        Ok(super::child_keys(self.members_metadata(Some(0))?, true))
    }

    group_node!(Node, Array);

    /// The member at `path` (relative; may be nested like `a/b`). In a
    /// group with consolidated metadata, only that is consulted.
    pub fn get(&self, path: &str) -> Result<Node> {
        let meta = block_on(core::get(&self.inline(), &self.state, path))?;
        self.node(path.trim_matches('/'), meta)
    }
    /// The member group at `path`.
    pub fn group(&self, path: &str) -> Result<Group> {
        match self.get(path)? {
            Node::Group(g) => Ok(g),
            Node::Array(a) => Err(GroupError::NotAGroup {
                path: a.path().to_string(),
            }),
        }
    }
    /// The member array at `path`.
    pub fn array(&self, path: &str) -> Result<Array> {
        match self.get(path)? {
            Node::Array(a) => Ok(a),
            Node::Group(g) => Err(GroupError::NotAnArray {
                path: g.path().to_string(),
            }),
        }
    }
    /// True when a member exists at `path`.
    pub fn contains(&self, path: &str) -> Result<bool> {
        match block_on(core::get(&self.inline(), &self.state, path)) {
            Ok(_) => Ok(true),
            Err(GroupError::MemberNotFound { .. }) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Check that a member `name` of this group's format can be made
    /// (creating the groups between); its path from the store root.
    fn prepare_member(&self, name: &str) -> Result<String> {
        block_on(core::prepare_member(
            &self.inline(),
            &self.state,
            name,
            self.state.zarr_format,
        ))
    }

    /// Create a member group `name` (may be nested; missing groups between
    /// are created) of this group's format.
    pub fn create_group(
        &self,
        name: &str,
        attributes: Map<String, Value>,
        overwrite: bool,
    ) -> Result<Group> {
        let path = self.prepare_member(name)?;
        Self::create(
            self.store.clone(),
            &path,
            self.state.zarr_format,
            attributes,
            overwrite,
        )
    }

    /// The member group `name`, created when missing (recreated, empty,
    /// with `overwrite`); an array there is [`GroupError::NotAGroup`].
    pub fn require_group(&self, name: &str, overwrite: bool) -> Result<Group> {
        if overwrite {
            return self.create_group(name, Map::new(), true);
        }
        match self.get(name) {
            Ok(Node::Group(g)) => Ok(g),
            Ok(Node::Array(a)) => Err(GroupError::NotAGroup {
                path: a.path().to_string(),
            }),
            Err(GroupError::MemberNotFound { .. }) => self.create_group(name, Map::new(), false),
            Err(e) => Err(e),
        }
    }

    /// Create a member array `name` (may be nested; missing groups between
    /// are created) as `builder` describes, in this group's zarr format (the
    /// builder's format is set to it).
    pub fn create_array(&self, name: &str, builder: &ArrayBuilder) -> Result<Array> {
        let builder = builder.clone().zarr_format(self.state.zarr_format);
        let path = self.prepare_member(name)?;
        Ok(builder.create(self.store.clone(), &path)?)
    }

    /// The member array `name` when it exists with the builder's shape and a
    /// data type that casts safely to the builder's (NumPy's
    /// `np.can_cast`, as zarr-python's `require_array` checks: an `int16`
    /// array serves a request for `int32`), else a new one; an existing
    /// array with another shape or a data type that does not cast is
    /// [`GroupError::IncompatibleArray`], a group there
    /// [`GroupError::NotAnArray`].
    pub fn require_array(&self, name: &str, builder: &ArrayBuilder) -> Result<Array> {
        match self.get(name) {
            Ok(Node::Array(a)) => {
                let want = builder.build_metadata()?;
                super::check_compatible(a.path(), a.shape(), a.data_type(), &want)?;
                Ok(a)
            }
            Ok(Node::Group(g)) => Err(GroupError::NotAnArray {
                path: g.path().to_string(),
            }),
            Err(GroupError::MemberNotFound { .. }) => self.create_array(name, builder),
            Err(e) => Err(e),
        }
    }

    /// Delete the member at `name` (may be nested) and everything below it.
    /// Consolidated metadata, if the group has some, is updated.
    pub fn delete(&mut self, name: &str) -> Result<()> {
        let store = self.inline();
        block_on(super::edit::delete(&store, &mut self.state, name))
    }

    /// Move (rename) the member `source` to `dest`, both relative to the
    /// group: every key below it is copied, then the source is deleted.
    /// Missing parents of `dest` are created; an existing `dest` is
    /// [`GroupError::AlreadyExists`].
    pub fn move_member(&mut self, source: &str, dest: &str) -> Result<()> {
        let store = self.inline();
        block_on(super::edit::move_member(
            &store,
            &mut self.state,
            source,
            dest,
        ))
    }

    /// The hierarchy as text, as zarr-python's `Group.tree(level=...)`:
    /// `level` limits the depth (`Some(0)`: the children only).
    /// Past [`TREE_MAX_NODES`](super::TREE_MAX_NODES) nodes the tree is
    /// truncated, as zarr-python's (see [`Group::tree_max_nodes`]).
    pub fn tree(&self, level: Option<usize>) -> Result<String> {
        self.tree_max_nodes(level, super::TREE_MAX_NODES)
    }

    /// [`Group::tree`] showing at most `max_nodes` nodes, as zarr-python's
    /// `Group.tree(level=..., max_nodes=...)`: past it, the shallowest
    /// nodes (then the first by path) under zarr-python's note
    /// `Truncated at max_nodes=N, some nodes and their children may be missing`.
    pub fn tree_max_nodes(&self, level: Option<usize>, max_nodes: usize) -> Result<String> {
        Ok(tree::render(
            &self.name(),
            &self.members_metadata(level)?,
            max_nodes,
        ))
    }
}
