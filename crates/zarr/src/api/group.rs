//! The group functions of seed 004: [`group`], [`create_group`],
//! [`open_group`], [`open`] (an array first, then a group),
//! [`open_consolidated`], [`consolidate_metadata`], [`create_hierarchy`],
//! [`save_group`], [`load`] and [`tree`]; each blocking, with an `_async`
//! twin over an [`AsyncStore`] where it does I/O.
//!
//! ```
//! use std::sync::Arc;
//! use zarr::api::group::{open_group, GroupOptions};
//! use zarr::group::AccessMode;
//! use zarr::store::{MemoryStore, StoreRef};
//! let store: StoreRef = Arc::new(MemoryStore::new());
//! // "a" (the default) creates the group when it is missing...
//! let g = open_group(&store, &GroupOptions::default()).unwrap();
//! // ..."r" opens it read-only, "w-" refuses to replace it.
//! let r = open_group(&store, &GroupOptions { mode: AccessMode::Read, ..Default::default() }).unwrap();
//! assert!(r.read_only() && !g.read_only());
//! assert!(open_group(&store, &GroupOptions { mode: AccessMode::Create, ..Default::default() }).is_err());
//! ```

use crate::array::{Array, ArrayBuilder, ArrayError, AsyncArray};
use crate::buffer::NDBuffer;
use crate::chunk::Selection;
use crate::group::{
    AccessMode, AnyMetadata, AsyncGroup, AsyncNode, Group, GroupError, Node, ReadOnlyAsync, Result,
    UseConsolidated,
};
use crate::store::{with_read_only, AsyncStore, StoreRef};
use serde_json::{Map, Value};
use std::sync::Arc;

pub use crate::group::{
    consolidate_metadata, consolidate_metadata_async, create_hierarchy, create_hierarchy_async,
};

/// The parameters of [`open_group`] (zarr-python's `open_group`).
#[derive(Clone, Debug, Default)]
pub struct GroupOptions {
    /// The group's path in the store (`""`: the root).
    pub path: String,
    /// The access mode (default `a`: open, or create when missing).
    pub mode: AccessMode,
    /// The zarr format: to create (default 3) and to open (`None`: V3, else V2).
    pub zarr_format: Option<u8>,
    /// Attributes of a group that is created.
    pub attributes: Map<String, Value>,
    /// Whether opening uses consolidated metadata.
    pub use_consolidated: UseConsolidated,
}

/// The store a mode works on: a read-only view for `r`; a writing mode on
/// a read-only store is an error.
fn mode_store(store: &StoreRef, mode: AccessMode) -> Result<StoreRef> {
    if mode == AccessMode::Read {
        return Ok(with_read_only(store.clone()));
    }
    if store.read_only() {
        return Err(GroupError::ModeNeedsWritableStore {
            mode: mode.to_string(),
        });
    }
    Ok(store.clone())
}

fn mode_store_async(store: &Arc<dyn AsyncStore>, mode: AccessMode) -> Result<Arc<dyn AsyncStore>> {
    if mode == AccessMode::Read {
        return Ok(Arc::new(ReadOnlyAsync(store.clone())));
    }
    if store.read_only() {
        return Err(GroupError::ModeNeedsWritableStore {
            mode: mode.to_string(),
        });
    }
    Ok(store.clone())
}

fn path_taken(path: &str) -> GroupError {
    GroupError::AlreadyExists {
        path: path.trim_matches('/').to_string(),
    }
}

/// The body of [`open_group`] and [`open_group_async`] (`await` given for
/// the async one): refuse a taken path in mode `w-`, open an existing group
/// in the modes that do, else create one.
macro_rules! open_or_create {
    ($group:ident, $store:expr, $options:expr $(, $aw:tt)?) => {{
        let (store, options) = ($store, $options);
        let path = options.path.trim_matches('/');
        if options.mode == AccessMode::Create && !store.is_empty(path)$(.$aw)?? {
            return Err(path_taken(path));
        }
        if options.mode.opens_existing() {
            let opened = $group::open(
                store.clone(),
                path,
                options.zarr_format,
                options.use_consolidated.clone(),
            )$(.$aw)?;
            match opened {
                Err(GroupError::NotFound { .. }) if options.mode.creates() => {}
                other => return other,
            }
        }
        $group::create(
            store,
            path,
            options.zarr_format.unwrap_or(3),
            options.attributes.clone(),
            options.mode == AccessMode::Overwrite,
        )$(.$aw)?
    }};
}

/// Open a group with file-like modes (zarr-python's `open_group`): `r`
/// (read-only, must exist), `r+` (must exist), `a` (create when missing),
/// `w` (create, deleting what was at the path), `w-` (create; anything at
/// the path is [`GroupError::AlreadyExists`]). A missing group in `r` or
/// `r+` is [`GroupError::NotFound`]; an array at the path is
/// [`GroupError::NotAGroup`].
pub fn open_group(store: &StoreRef, options: &GroupOptions) -> Result<Group> {
    let store = mode_store(store, options.mode)?;
    open_or_create!(Group, store, options)
}

/// The async twin of [`open_group`].
pub async fn open_group_async(
    store: &Arc<dyn AsyncStore>,
    options: &GroupOptions,
) -> Result<AsyncGroup> {
    let store = mode_store_async(store, options.mode)?;
    open_or_create!(AsyncGroup, store, options, await)
}

/// Open a group through its consolidated metadata (zarr-python's
/// `open_consolidated`: [`open_group`] with `use_consolidated` required;
/// a [`UseConsolidated::Key`] in `options` is kept). Missing consolidated
/// metadata is [`GroupError::ConsolidatedMetadataMissing`].
pub fn open_consolidated(store: &StoreRef, options: &GroupOptions) -> Result<Group> {
    open_group(store, &consolidated_options(options))
}

/// The async twin of [`open_consolidated`].
pub async fn open_consolidated_async(
    store: &Arc<dyn AsyncStore>,
    options: &GroupOptions,
) -> Result<AsyncGroup> {
    open_group_async(store, &consolidated_options(options)).await
}

fn consolidated_options(options: &GroupOptions) -> GroupOptions {
    let mut o = options.clone();
    if !matches!(o.use_consolidated, UseConsolidated::Key(_)) {
        o.use_consolidated = UseConsolidated::Required;
    }
    o
}

/// Create or open a group (zarr-python's `group`): mode `w` with
/// `overwrite`, else `a`.
pub fn group(
    store: &StoreRef,
    path: &str,
    overwrite: bool,
    zarr_format: Option<u8>,
    attributes: Map<String, Value>,
) -> Result<Group> {
    open_group(
        store,
        &group_options(path, overwrite, zarr_format, attributes),
    )
}

/// The async twin of [`group`].
pub async fn group_async(
    store: &Arc<dyn AsyncStore>,
    path: &str,
    overwrite: bool,
    zarr_format: Option<u8>,
    attributes: Map<String, Value>,
) -> Result<AsyncGroup> {
    open_group_async(
        store,
        &group_options(path, overwrite, zarr_format, attributes),
    )
    .await
}

fn group_options(
    path: &str,
    overwrite: bool,
    zarr_format: Option<u8>,
    attributes: Map<String, Value>,
) -> GroupOptions {
    GroupOptions {
        path: path.to_string(),
        mode: if overwrite {
            AccessMode::Overwrite
        } else {
            AccessMode::Append
        },
        zarr_format,
        attributes,
        use_consolidated: UseConsolidated::Auto,
    }
}

/// Create a group (zarr-python's `create_group`): an existing node at the
/// path is [`GroupError::AlreadyExists`] unless `overwrite`. The format
/// defaults to 3.
pub fn create_group(
    store: &StoreRef,
    path: &str,
    overwrite: bool,
    zarr_format: Option<u8>,
    attributes: Map<String, Value>,
) -> Result<Group> {
    let store = mode_store(store, AccessMode::Append)?;
    Group::create(store, path, zarr_format.unwrap_or(3), attributes, overwrite)
}

/// The async twin of [`create_group`].
pub async fn create_group_async(
    store: &Arc<dyn AsyncStore>,
    path: &str,
    overwrite: bool,
    zarr_format: Option<u8>,
    attributes: Map<String, Value>,
) -> Result<AsyncGroup> {
    let store = mode_store_async(store, AccessMode::Append)?;
    AsyncGroup::create(store, path, zarr_format.unwrap_or(3), attributes, overwrite).await
}

/// Open an array or a group (zarr-python's `open` without a shape): in
/// the modes that open existing nodes (`r`, `r+`, `a`) an array at the path
/// is returned first; otherwise, or when there is none, the group, as
/// [`open_group`] with the same mode (so `a` and `w` create a group).
pub fn open(
    store: &StoreRef,
    path: &str,
    mode: AccessMode,
    zarr_format: Option<u8>,
) -> Result<Node> {
    let s = mode_store(store, mode)?;
    if mode.opens_existing() {
        match Array::open(s, path) {
            Ok(a) => return Ok(Node::Array(a)),
            Err(ArrayError::NotFound { .. } | ArrayError::NotAnArray { .. }) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(Node::Group(open_group(
        store,
        &open_options(path, mode, zarr_format),
    )?))
}

/// The async twin of [`open`].
pub async fn open_async(
    store: &Arc<dyn AsyncStore>,
    path: &str,
    mode: AccessMode,
    zarr_format: Option<u8>,
) -> Result<AsyncNode> {
    let s = mode_store_async(store, mode)?;
    if mode.opens_existing() {
        match AsyncArray::open(s, path).await {
            Ok(a) => return Ok(AsyncNode::Array(a)),
            Err(ArrayError::NotFound { .. } | ArrayError::NotAnArray { .. }) => {}
            Err(e) => return Err(e.into()),
        }
    }
    let options = open_options(path, mode, zarr_format);
    Ok(AsyncNode::Group(open_group_async(store, &options).await?))
}

/// Save arrays as the members of a new group at `path` (zarr-python's
/// `save_group`): the group replaces whatever was there; `arrays` are
/// `(name, data)` pairs (zarr-python names positional arrays `arr_0`,
/// `arr_1`, ...). Each array gets zarr-python's default chunks and codecs.
/// No arrays is [`GroupError::InvalidArgument`].
pub fn save_group(
    store: &StoreRef,
    path: &str,
    zarr_format: Option<u8>,
    arrays: &[(String, NDBuffer)],
) -> Result<Group> {
    check_arrays(arrays)?;
    let g = group(store, path, true, zarr_format, Map::new())?;
    for (name, data) in arrays {
        let a = g.create_array(name, &array_builder(data))?;
        a.write_ndbuffer(&Selection::all(), data)?;
    }
    Ok(g)
}

/// `save_group`'s checks: at least one array, valid names.
fn check_arrays(arrays: &[(String, NDBuffer)]) -> Result<()> {
    if arrays.is_empty() {
        return Err(GroupError::InvalidArgument(
            "save_group needs at least one array".into(),
        ));
    }
    for (name, _) in arrays {
        crate::group::validate_node_path(name)?;
    }
    Ok(())
}

/// An array for `data` with zarr-python's default chunks and codecs.
fn array_builder(data: &NDBuffer) -> ArrayBuilder {
    let shape = data.shape().iter().map(|&n| n as u64).collect();
    ArrayBuilder::new(shape, data.data_type())
}

/// The options [`open`] opens a group with.
fn open_options(path: &str, mode: AccessMode, zarr_format: Option<u8>) -> GroupOptions {
    GroupOptions {
        path: path.to_string(),
        mode,
        zarr_format,
        ..Default::default()
    }
}

/// [`GroupError::MemberNotFound`] unless `name` is one of a lazy group's
/// array `names`.
fn check_member(names: &[String], group: &str, name: &str) -> Result<()> {
    if names.iter().any(|n| n == name) {
        Ok(())
    } else {
        Err(GroupError::MemberNotFound {
            group: group.to_string(),
            name: name.to_string(),
        })
    }
}

/// What [`load`] gives: an array's data, or a group's arrays by name.
#[derive(Debug)]
#[allow(clippy::large_enum_variant)]
pub enum Loaded {
    /// The whole array, read.
    Array(NDBuffer),
    /// A group: its arrays, read when asked for.
    Group(LazyGroup),
}

/// The arrays of a group, by name, each read only when asked for
/// ([`load`] of a group).
#[derive(Debug)]
pub struct LazyGroup {
    group: Group,
    names: Vec<String>,
}

impl LazyGroup {
    /// The names of the group's arrays, sorted.
    pub fn names(&self) -> &[String] {
        &self.names
    }
    /// Read the array `name` whole. A name that is not one of the group's
    /// arrays is [`GroupError::MemberNotFound`].
    pub fn get(&self, name: &str) -> Result<NDBuffer> {
        check_member(&self.names, self.group.path(), name)?;
        Ok(self.group.array(name)?.read_ndbuffer(&Selection::all())?)
    }
    /// The group.
    pub fn group(&self) -> &Group {
        &self.group
    }
}

/// Load an array's data, or a group's arrays (zarr-python's `load`, which
/// for a group is not implemented there): an array is read whole; a group
/// gives a [`LazyGroup`] of its child arrays, read when asked for. Opens
/// read-only.
pub fn load(store: &StoreRef, path: &str, zarr_format: Option<u8>) -> Result<Loaded> {
    match open(store, path, AccessMode::Read, zarr_format)? {
        Node::Array(a) => Ok(Loaded::Array(a.read_ndbuffer(&Selection::all())?)),
        Node::Group(group) => {
            let names = group.array_keys()?;
            Ok(Loaded::Group(LazyGroup { group, names }))
        }
    }
}

/// The async twin of [`save_group`].
pub async fn save_group_async(
    store: &Arc<dyn AsyncStore>,
    path: &str,
    zarr_format: Option<u8>,
    arrays: &[(String, NDBuffer)],
) -> Result<AsyncGroup> {
    check_arrays(arrays)?;
    let g = group_async(store, path, true, zarr_format, Map::new()).await?;
    for (name, data) in arrays {
        let a = g.create_array(name, &array_builder(data)).await?;
        a.write_ndbuffer(&Selection::all(), data.clone()).await?;
    }
    Ok(g)
}

/// What [`load_async`] gives.
#[derive(Debug)]
#[allow(clippy::large_enum_variant)]
pub enum LoadedAsync {
    /// The whole array, read.
    Array(NDBuffer),
    /// A group: its arrays, read when asked for.
    Group(LazyGroupAsync),
}

/// The async twin of [`LazyGroup`].
#[derive(Debug)]
pub struct LazyGroupAsync {
    group: AsyncGroup,
    names: Vec<String>,
}

impl LazyGroupAsync {
    /// The names of the group's arrays, sorted.
    pub fn names(&self) -> &[String] {
        &self.names
    }
    /// Read the array `name` whole.
    pub async fn get(&self, name: &str) -> Result<NDBuffer> {
        check_member(&self.names, self.group.path(), name)?;
        Ok(self
            .group
            .array(name)
            .await?
            .read_ndbuffer(&Selection::all())
            .await?)
    }
    /// The group.
    pub fn group(&self) -> &AsyncGroup {
        &self.group
    }
}

/// The async twin of [`load`].
pub async fn load_async(
    store: &Arc<dyn AsyncStore>,
    path: &str,
    zarr_format: Option<u8>,
) -> Result<LoadedAsync> {
    match open_async(store, path, AccessMode::Read, zarr_format).await? {
        AsyncNode::Array(a) => Ok(LoadedAsync::Array(
            a.read_ndbuffer(&Selection::all()).await?,
        )),
        AsyncNode::Group(group) => {
            let names = group.array_keys().await?;
            Ok(LoadedAsync::Group(LazyGroupAsync { group, names }))
        }
    }
}

/// The hierarchy below `group` as text, as zarr-python's `tree` /
/// `Group.tree(level=...)` prints it (`level` limits the depth).
pub fn tree(group: &Group, level: Option<usize>) -> Result<String> {
    group.tree(level)
}

/// The async twin of [`tree`].
pub async fn tree_async(group: &AsyncGroup, level: Option<usize>) -> Result<String> {
    group.tree(level).await
}

/// Metadata of a group of `zarr_format` for [`create_hierarchy`].
pub fn group_metadata(zarr_format: u8, attributes: Map<String, Value>) -> AnyMetadata {
    AnyMetadata::group(zarr_format, attributes)
}
